"""DryRunBackend: every mutating call becomes Operations, printed by the one renderer as `--dry-run` always
printed them; reads answer from the kernel or "nothing there", never an invented object."""

from __future__ import annotations

import inspect
import ipaddress
import json
from typing import Any

import pytest

from hnsctl.backend.base import (
    AdapterState,
    BridgeSpec,
    EndpointAclSpec,
    InterfaceConfig,
    L2BridgeSpec,
    LbFrontend,
    LoadBalancerSpec,
    NetworkFirewall,
    OutboundNatSpec,
    PortMapSpec,
    PortSpec,
    RemoteSpec,
    VxlanSpec,
)
from hnsctl.backend.dryrun import DryRunBackend
from hnsctl.backend.operations import Operation, render_json, render_lines
from hnsctl.errors import InvalidInput, PermissionDenied
from tests.unit.fakes import READS, protocol_methods

N = ipaddress.ip_network
OWNER = "0d5a8c3e-1111-2222-3333-444455556666"
STATE = AdapterState.from_records(("192.0.2.10/24 brd 192.0.2.255",),
                                  ("0.0.0.0/0 via 192.0.2.1 metric 100 proto 3 scope 0 src - family 4",))

# Reads beyond the fake's READS: DryRunBackend answers them, records nothing.
DRY_RUN_READS = READS | {
    "host_addresses", "interface_routes", "qos_rate", "remote_present", "check_adapter_free", "adapter_state", "adapter_mac",
    "adapter_held", "underlay", "vlan_support", "kernel_features", "host_nameservers", "port_in_use", "firewall_owners",
    "port_mappings", "load_balancer_state", "load_balancer_marks", "l2bridge_state",
}


def exercise(b: Any) -> None:
    """Every mutating Backend call, with representative specs."""
    bridge = BridgeSpec(name="hns-0d5a8c3e", owner=OWNER, addresses=(ipaddress.ip_interface("10.200.0.1/24"), ipaddress.ip_interface("fd00::1/64")))
    b.create_bridge(bridge)
    b.repair_bridge(bridge)
    b.repair_bridge(BridgeSpec(name="hns-0d5a8c3e", owner=OWNER))
    b.allow_loopback_destinations("hns-0d5a8c3e")
    vx = VxlanSpec(name="vx-0d5a8c3e", owner=OWNER, bridge="hns-0d5a8c3e", vni=4096, port=4789, local="192.0.2.10", underlay="eth0", mtu=1450)
    b.create_vxlan(vx)
    b.repair_vxlan(vx)
    r1 = RemoteSpec(bridge="hns-0d5a8c3e", vxlan="vx-0d5a8c3e", neighbour="10.200.0.9", mac="02:15:5d:00:00:09", provider_address="192.0.2.11")
    r2 = RemoteSpec(bridge="hns-0d5a8c3e", vxlan="vx-0d5a8c3e", neighbour="10.201.0.1", mac="02:15:5d:00:00:0a", provider_address="192.0.2.12",
                    route="10.201.0.0/24", via="10.201.0.1", shared_mac=True)
    r3 = RemoteSpec(bridge="hns-0d5a8c3e", vxlan="vx-0d5a8c3e", neighbour="10.202.0.5", mac="02:15:5d:00:00:0b", provider_address="192.0.2.13",
                    route="10.202.0.5/32")
    for r in (r1, r2, r3):
        b.apply_remote(r)
        b.remove_remote(r)
    b.give_back_adapter("hns-0d5a8c3e", "eth1", STATE)
    b.give_back_adapter("hns-0d5a8c3e", "eth1", AdapterState())
    b.move_to_bridge("hns-0d5a8c3e", "eth1", STATE)
    b.move_to_bridge("hns-0d5a8c3e", "eth1", AdapterState())
    b.apply_l2bridge(L2BridgeSpec(owner=OWNER, short="0d5a8c3e", adapter="eth1", host_mac="02:00:00:00:00:01", endpoints=(("192.0.2.50", "02:15:5d:00:00:32"),)))
    b.remove_l2bridge(OWNER, "0d5a8c3e")
    b.l2bridge_endpoint("0d5a8c3e", "192.0.2.50", "02:15:5d:00:00:32")
    b.l2bridge_endpoint("0d5a8c3e", "192.0.2.50", None)
    b.delete_link("hns-0d5a8c3e", OWNER)
    b.apply_network_firewall(NetworkFirewall(owner=OWNER, bridge="hns-0d5a8c3e", masquerade=(N("10.200.0.0/24"),), allow_forwarding=True))
    b.apply_network_firewall(NetworkFirewall(owner=OWNER, bridge="hns-0d5a8c3e", isolate=True))
    b.remove_firewall(OWNER)
    b.enable_forwarding(4)
    b.enable_forwarding(6)
    pm = PortMapSpec(protocol="tcp", external_port=8080, vip=None, target_ip="10.200.0.5", target_port=80)
    pm2 = PortMapSpec(protocol="udp", external_port=53, vip="192.0.2.99", target_ip="10.200.0.5", target_port=53)
    for p in (pm, pm2):
        b.add_port_mapping(p)
        b.remove_port_mapping(p)
    b.mark_host_endpoint("hns-0d5a8c3e", "02:15:5d:00:00:05", True)
    b.mark_host_endpoint("hns-0d5a8c3e", "02:15:5d:00:00:05", False)
    b.apply_outbound_nat(OutboundNatSpec(owner="policy-1", endpoint_ip="10.200.0.5", bridge="hns-0d5a8c3e", exceptions=(N("10.0.0.0/8"),)))
    b.apply_endpoint_acls(EndpointAclSpec(owner=OWNER, short="0d5a8c3e", endpoint_ip="10.200.0.5", rules_in=(("a", None),), rules_out=(("b", None), ("c", None))))
    lb = LoadBalancerSpec(owner=OWNER, short="1234abcd", frontends=(LbFrontend(vip="10.96.0.1", protocol="tcp", external_port=443, internal_port=6443),
                                                                   LbFrontend(vip=None, protocol="udp", external_port=53, internal_port=53)),
                          backends=("10.200.0.5", "10.200.0.6"))
    b.apply_load_balancer(lb, new=True)
    b.apply_load_balancer(LoadBalancerSpec(owner=OWNER, short="1234abcd", frontends=lb.frontends, backends=()))
    b.remove_load_balancer(lb)
    b.remove_load_balancers_except({"1234abcd"})
    b.remove_acl_chains_except({"0d5a8c3e", "00000001"})
    b.remove_acl_chains_except(set())
    b.enable_bridge_filtering()
    b.set_qos(None, "eth0", 1000)
    b.set_qos("web", "eth0", 1000)
    b.set_qos(None, "eth0", None)
    b.set_qos("web", "eth0", None)
    b.set_routes(None, "hv-1", [("10.1.0.0/16", "10.200.0.1"), ("10.2.0.0/16", None)], ["10.3.0.0/16"])
    b.set_routes("web", "eth0", [("10.1.0.0/16", "10.200.0.1")], ["10.3.0.0/16"])
    ps = PortSpec(owner=OWNER, host_side="hv-0d5a8c3e", parked_name="hp-0d5a8c3e", bridge="hns-0d5a8c3e", mac="02:15:5d:00:00:05")
    b.create_port(ps)
    b.delete_port("hv-0d5a8c3e", OWNER)
    cfg = InterfaceConfig(owner=OWNER, parked_name="hp-0d5a8c3e", ifname="eth0", mac="02:15:5d:00:00:05", addresses=(ipaddress.ip_interface("10.200.0.5/24"),),
                          gateway=ipaddress.ip_address("10.200.0.1"), default_route=N("0.0.0.0/0"))
    b.attach_namespace("web", cfg)
    b.attach_namespace("web", InterfaceConfig(owner=OWNER, parked_name="hp-0d5a8c3e", ifname="eth0", mac="02:15:5d:00:00:05",
                                              addresses=(ipaddress.ip_interface("fd00::5/64"),), gateway=None, default_route=N("::/0")))
    b.detach_namespace("web", OWNER, "hp-0d5a8c3e")
    b.attach_host(cfg)
    b.detach_host(OWNER, "eth0", "hp-0d5a8c3e")
    b.create_namespace("web")
    b.delete_namespace("web")
    b.write_resolv_conf("web", "nameserver 10.200.0.1\nnameserver 1.1.1.1\nsearch corp\n")
    b.write_resolv_conf("web", "search corp\n")
    b.write_resolv_conf("web", None)


EXPECTED = [
    'ip link add hns-0d5a8c3e type bridge',
    'ip link set hns-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666',
    'ip addr add 10.200.0.1/24 dev hns-0d5a8c3e',
    'ip addr add fd00::1/64 dev hns-0d5a8c3e',
    'ip link set hns-0d5a8c3e up',
    'ip link set hns-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666 up; add missing addresses 10.200.0.1/24, fd00::1/64',
    'ip link set hns-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666 up; add missing addresses -',
    'sysctl -w net.ipv4.conf.hns-0d5a8c3e.route_localnet=1',
    'ip link add vx-0d5a8c3e type vxlan id 4096 dstport 4789 local 192.0.2.10 dev eth0 nolearning mtu 1450',
    'ip link set vx-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666 master hns-0d5a8c3e up',
    'ip link set vx-0d5a8c3e master hns-0d5a8c3e up',
    'bridge fdb replace 02:15:5d:00:00:09 dev vx-0d5a8c3e dst 192.0.2.11 self permanent',
    'bridge fdb replace 02:15:5d:00:00:09 dev vx-0d5a8c3e master static',
    'ip neigh replace 10.200.0.9 lladdr 02:15:5d:00:00:09 dev hns-0d5a8c3e nud permanent',
    'ip neigh del 10.200.0.9 dev hns-0d5a8c3e',
    'bridge fdb del 02:15:5d:00:00:09 dev vx-0d5a8c3e (self and master)',
    'bridge fdb replace 02:15:5d:00:00:0a dev vx-0d5a8c3e dst 192.0.2.12 self permanent',
    'bridge fdb replace 02:15:5d:00:00:0a dev vx-0d5a8c3e master static',
    'ip neigh replace 10.201.0.1 lladdr 02:15:5d:00:00:0a dev hns-0d5a8c3e nud permanent',
    'ip route replace 10.201.0.0/24 via 10.201.0.1 onlink dev hns-0d5a8c3e',
    'ip route del 10.201.0.0/24 dev hns-0d5a8c3e',
    'ip neigh del 10.201.0.1 dev hns-0d5a8c3e',
    'bridge fdb replace 02:15:5d:00:00:0b dev vx-0d5a8c3e dst 192.0.2.13 self permanent',
    'bridge fdb replace 02:15:5d:00:00:0b dev vx-0d5a8c3e master static',
    'ip neigh replace 10.202.0.5 lladdr 02:15:5d:00:00:0b dev hns-0d5a8c3e nud permanent',
    'ip route replace 10.202.0.5/32 dev hns-0d5a8c3e',
    'ip route del 10.202.0.5/32 dev hns-0d5a8c3e',
    'ip neigh del 10.202.0.5 dev hns-0d5a8c3e',
    'bridge fdb del 02:15:5d:00:00:0b dev vx-0d5a8c3e (self and master)',
    'ip link set eth1 nomaster; restore on eth1: 192.0.2.10/24 brd 192.0.2.255, 0.0.0.0/0 via 192.0.2.1 metric 100 proto 3 scope 0 src - family 4',
    'ip link set eth1 nomaster; restore on eth1: nothing',
    'ip link set eth1 master hns-0d5a8c3e up; move to hns-0d5a8c3e: 192.0.2.10/24 brd 192.0.2.255, 0.0.0.0/0 via 192.0.2.1 metric 100 proto 3 scope 0 src - family 4',
    'ip link set eth1 master hns-0d5a8c3e up; move to hns-0d5a8c3e: nothing',
    'nft: bridge hnsctl MAC rewriting on eth1 as 02:00:00:00:00:01 for 1 endpoint(s)',
    'nft: remove the MAC rewriting of 0d5a8c3e-1111-2222-3333-444455556666 from bridge hnsctl',
    'nft add element bridge hnsctl l2-0d5a8c3e 192.0.2.50 : 02:15:5d:00:00:32',
    'nft delete element bridge hnsctl l2-0d5a8c3e 192.0.2.50',
    'ip link del hns-0d5a8c3e',
    'nft begin transaction (replace rules of 0d5a8c3e-1111-2222-3333-444455556666 in inet hnsctl)',
    'nft add rule inet hnsctl forward iifname "hns-0d5a8c3e" accept comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 forward-out"',
    'nft add rule inet hnsctl forward oifname "hns-0d5a8c3e" ct state established,related accept comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 forward-reply"',
    'nft add rule inet hnsctl postrouting ip saddr 10.200.0.0/24 oifname != "hns-0d5a8c3e" masquerade comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 masquerade 10.200.0.0/24"',
    'nft add rule inet hnsctl postrouting oifname "hns-0d5a8c3e" ct status dnat ip saddr 10.200.0.0/24 masquerade comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 hairpin 10.200.0.0/24"',
    'nft commit',
    'nft begin transaction (replace rules of 0d5a8c3e-1111-2222-3333-444455556666 in inet hnsctl)',
    'nft add rule inet hnsctl isolation iifname "hns-0d5a8c3e" oifname != "hns-0d5a8c3e" drop comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 isolate-out"',
    'nft add rule inet hnsctl isolation oifname "hns-0d5a8c3e" iifname != "hns-0d5a8c3e" drop comment "hnsctl:0d5a8c3e-1111-2222-3333-444455556666 isolate-in"',
    'nft commit',
    'nft delete rules of 0d5a8c3e-1111-2222-3333-444455556666 from inet hnsctl (the table too if nothing else is left)',
    'sysctl -w net.ipv4.ip_forward=1',
    'sysctl -w net.ipv6.conf.all.forwarding=1',
    'nft add element inet hnsctl portmap tcp local:8080 -> 10.200.0.5:80',
    'nft delete element inet hnsctl portmap tcp local:8080',
    'nft add element inet hnsctl portmap udp 192.0.2.99:53 -> 10.200.0.5:53',
    'nft delete element inet hnsctl portmap udp 192.0.2.99:53',
    'nft add element inet hnsctl host-endpoints { hns-0d5a8c3e . 02:15:5d:00:00:05 }',
    'nft delete element inet hnsctl host-endpoints { hns-0d5a8c3e . 02:15:5d:00:00:05 }',
    'nft begin transaction (replace rules of policy-1 in inet hnsctl)',
    'nft add rule inet hnsctl outbound ip saddr 10.200.0.5 ip daddr { 10.0.0.0/8 } accept comment "hnsctl:policy-1 outboundnat-exceptions"',
    'nft add rule inet hnsctl outbound ip saddr 10.200.0.5 oifname != "hns-0d5a8c3e" masquerade comment "hnsctl:policy-1 outboundnat"',
    'nft commit',
    'nft rebuild chains acl-0d5a8c3e-in/-out in inet hnsctl with 3 rule(s) (one transaction)',
    'nft set load balancer lb-1234abcd in inet hnsctl: tcp 10.96.0.1:443, udp *:53 -> 10.200.0.5, 10.200.0.6 (one transaction)',
    'nft set load balancer lb-1234abcd in inet hnsctl: tcp 10.96.0.1:443, udp *:53 -> none: connections refused (one transaction)',
    'nft delete load balancer lb-1234abcd (chain, map, frontend elements) from inet hnsctl',
    'nft delete load balancers other than 1234abcd from inet hnsctl',
    'nft delete ACL chains of endpoints other than 00000001, 0d5a8c3e',
    'nft delete ACL chains of endpoints other than (none)',
    'sysctl -w net.bridge.bridge-nf-call-iptables=1',
    'tc qdisc replace dev eth0 root handle 1: tbf rate 8000bit',
    'tc -n web qdisc replace dev eth0 root handle 1: tbf rate 8000bit',
    'tc qdisc del dev eth0 root',
    'tc -n web qdisc del dev eth0 root',
    'ip route del 10.3.0.0/16 dev hv-1',
    'ip route replace 10.1.0.0/16 via 10.200.0.1 dev hv-1',
    'ip route replace 10.2.0.0/16 scope link dev hv-1',
    'ip -n web route del 10.3.0.0/16 dev eth0',
    'ip -n web route replace 10.1.0.0/16 via 10.200.0.1 dev eth0',
    'ip link add hv-0d5a8c3e master hns-0d5a8c3e up type veth peer name hp-0d5a8c3e address 02:15:5d:00:00:05',
    'ip link set hp-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666',
    'ip link set hv-0d5a8c3e alias hnsctl:0d5a8c3e-1111-2222-3333-444455556666',
    'ip link del hv-0d5a8c3e',
    'ip link set hp-0d5a8c3e netns web name eth0',
    'ip -n web link set lo up',
    'ip -n web addr add 10.200.0.5/24 dev eth0',
    'ip -n web link set eth0 up',
    'ip -n web route replace 0.0.0.0/0 via 10.200.0.1 dev eth0',
    'ip link set hp-0d5a8c3e netns web name eth0',
    'ip -n web link set lo up',
    'ip -n web addr add fd00::5/64 dev eth0',
    'ip -n web link set eth0 up',
    'ip -n web link set <interface tagged hnsctl:0d5a8c3e-1111-2222-3333-444455556666> down netns <home> name hp-0d5a8c3e',
    'ip link set hp-0d5a8c3e name eth0',
    'ip addr add 10.200.0.5/24 dev eth0',
    'ip link set eth0 up',
    'ip link set eth0 down; ip addr flush dev eth0; ip link set eth0 name hp-0d5a8c3e',
    'ip netns add web (in-process: unshare + bind mount); ip -n web link set lo up',
    'ip netns del web',
    'write /etc/netns/web/resolv.conf (nameserver 10.200.0.1 1.1.1.1)',
    'write /etc/netns/web/resolv.conf (nameserver -)',
    'remove /etc/netns/web/resolv.conf (if hnsctl wrote it)',
]


def test_every_mutating_call_prints_the_lines_dry_run_has_always_printed() -> None:
    backend = DryRunBackend()
    exercise(backend)
    assert backend.operations() == EXPECTED


def test_the_exercise_covers_every_mutating_method() -> None:
    called: set[str] = set()

    class Spy(DryRunBackend):
        def __getattribute__(self, name: str) -> Any:
            if name in protocol_methods():
                called.add(name)
            return super().__getattribute__(name)

    exercise(Spy())
    assert called == protocol_methods() - DRY_RUN_READS - {"planned"}


def test_each_operation_is_data_and_renders_to_json() -> None:
    backend = DryRunBackend()
    backend.create_bridge(BridgeSpec("hns-0d5a8c3e", OWNER, (ipaddress.ip_interface("10.200.0.1/24"),)))
    backend.enable_forwarding(4)
    planned = backend.planned()
    assert planned[0] == Operation("add", "bridge", "hns-0d5a8c3e", {"owner": OWNER, "mac": None, "mtu": None})
    assert planned[2] == Operation("add", "address", "hns-0d5a8c3e", {"address": "10.200.0.1/24"})
    assert planned[-1] == Operation("set", "sysctl", "net.ipv4.ip_forward", {"value": "1"})
    assert render_json(planned[-1:]) == [{"Verb": "set", "Kind": "sysctl", "Target": "net.ipv4.ip_forward", "Details": {"value": "1"}}]
    assert render_lines(planned) == backend.operations()


def test_the_whole_plan_is_json() -> None:
    backend = DryRunBackend()
    exercise(backend)
    text = json.dumps(render_json(backend.planned()))
    assert len(json.loads(text)) == len(backend.planned())


def test_an_nftables_transaction_is_one_operation_of_several_lines() -> None:
    backend = DryRunBackend()
    backend.apply_network_firewall(NetworkFirewall(owner=OWNER, bridge="hns-0d5a8c3e", isolate=True))
    (operation,) = backend.planned()
    assert (operation.verb, operation.kind, operation.target) == ("replace", "rules", OWNER)
    assert len(operation.details["rules"]) == 2 and len(backend.operations()) == 4


# ------------------------------------------------------------------ reads


def test_without_a_kernel_every_read_answers_nothing_there() -> None:
    backend = DryRunBackend()
    assert backend.list_routes() == [] and backend.host_addresses() == set() and backend.list_owned_links() == []
    assert not backend.link_exists("eth0") and not backend.port_exists("hv-1") and not backend.namespace_exists("web")
    assert backend.port_counters("hv-1") is None and backend.port_addresses("web", OWNER) == []
    assert backend.interface_routes(None, "eth0") == set() and backend.qos_rate(None, "eth0") is None
    assert backend.default_route_interface() is None
    assert backend.firewall_owners() == set() and backend.port_mappings() == set() and backend.host_endpoint_marks() == set()
    assert backend.load_balancer_state() == {} and backend.load_balancer_marks() == set()
    assert backend.l2bridge_state(OWNER, "0d5a8c3e") == (0, frozenset())
    # nothing there is never "present": a remote entry or a held adapter is not invented
    spec = RemoteSpec(bridge="b", vxlan="v", neighbour="10.0.0.1", mac="02:00:00:00:00:01", provider_address="192.0.2.1")
    assert backend.remote_present(spec) is False and backend.adapter_held("b", "eth1") is False
    for read in (backend.check_adapter_free, backend.adapter_state, backend.adapter_mac):
        with pytest.raises(InvalidInput, match="no such interface"):
            read("eth1")
    with pytest.raises(InvalidInput, match="underlay"):
        backend.underlay(None, None)


def test_what_the_plan_creates_exists_for_the_rest_of_the_plan() -> None:
    backend = DryRunBackend()
    backend.create_bridge(BridgeSpec("hns-0d5a8c3e", OWNER))
    backend.create_namespace("web")
    assert backend.link_exists("hns-0d5a8c3e") and backend.namespace_exists("web")
    backend.delete_link("hns-0d5a8c3e", OWNER)
    backend.delete_namespace("web")
    assert not backend.link_exists("hns-0d5a8c3e") and not backend.namespace_exists("web")


class ReadOnlyKernel:
    """Stands in for KernelBackend: answers reads, refuses the nftables listing like an unprivileged user."""

    def __init__(self) -> None:
        self.closed = False

    def link_exists(self, name: str) -> bool:
        return name == "eth0"

    def remote_present(self, spec: RemoteSpec) -> bool:
        return True

    def adapter_state(self, adapter: str) -> AdapterState:
        return STATE

    def firewall_owners(self) -> set[str]:
        raise PermissionDenied("listing nftables: operation not permitted")

    def check_adapter_free(self, adapter: str) -> None:
        raise InvalidInput(f"--adapter {adapter}: it is a bridge device")

    def close(self) -> None:
        self.closed = True


def test_reads_go_to_the_kernel_and_an_unreadable_one_is_nothing_there() -> None:
    kernel = ReadOnlyKernel()
    backend = DryRunBackend(kernel)  # type: ignore[arg-type]
    assert backend.link_exists("eth0") and not backend.link_exists("eth9")
    spec = RemoteSpec(bridge="b", vxlan="v", neighbour="10.0.0.1", mac="02:00:00:00:00:01", provider_address="192.0.2.1")
    assert backend.remote_present(spec) is True
    assert backend.adapter_state("eth1") == STATE
    assert backend.firewall_owners() == set()
    with pytest.raises(InvalidInput, match="bridge device"):  # an answer, not an unreadable kernel: it propagates
        backend.check_adapter_free("br0")
    assert backend.planned() == []
    backend.close()
    assert kernel.closed


def test_the_dry_run_backend_is_a_full_backend() -> None:
    for name in protocol_methods():
        assert inspect.isfunction(getattr(DryRunBackend, name, None)), name
