"""Transparent networks: endpoints on the adapter's own LAN, and the adapter's addresses and routes back
exactly after delete (the classic "host NIC lost its IP" failure must not happen)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Host
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import ip

LAN_HOST = "198.18.0.50"  # another machine on the adapter's LAN
ADAPTER_ADDRESS = "198.18.0.20"


def adapter_state(host: Host) -> tuple[list, str]:
    """The adapter's global addresses and every route of the host, as the kernel reports them."""
    addresses = [(a["local"], a["prefixlen"]) for a in json.loads(ip("-j", "addr", "show", "eth1", netns=host.name).stdout)[0]["addr_info"]
                 if a.get("scope") == "global"]
    return addresses, ip("route", netns=host.name).stdout + ip("-6", "route", netns=host.name).stdout


def lan(host: Host) -> str:
    """eth1 on the host, its peer in a LAN namespace holding another machine; a route via the LAN too."""
    machine = host.namespace("lan")
    ip("link", "add", "eth1", "netns", host.name, "type", "veth", "peer", "name", "lan0", "netns", machine)
    ip("addr", "add", f"{ADAPTER_ADDRESS}/24", "dev", "eth1", netns=host.name)
    ip("link", "set", "eth1", "up", netns=host.name)
    ip("route", "add", "203.0.113.0/24", "via", LAN_HOST, "metric", "50", netns=host.name)
    ip("addr", "add", f"{LAN_HOST}/24", "dev", "lan0", netns=machine)
    ip("link", "set", "lan0", "up", netns=machine)
    return machine


def test_endpoints_join_the_lan_and_the_adapter_gets_everything_back(host: Host) -> None:
    machine = lan(host)
    before = adapter_state(host)
    created = host.ok("network", "create", "lan", "--type", "transparent", "--adapter", "eth1", "--subnet", "198.18.0.0/24",
                      "--gateway", LAN_HOST)
    assert "moved from eth1" in created.stdout and f"{ADAPTER_ADDRESS}/24" in created.stdout  # says what moved
    network = host.json("network", "show", "lan")
    bridge = network["BridgeName"]
    assert network["NetworkAdapterName"] == "eth1" and network["ManagementIP"] == ADAPTER_ADDRESS
    assert json.loads(ip("-j", "link", "show", "eth1", netns=host.name).stdout)[0]["master"] == bridge
    on_bridge = json.loads(ip("-j", "addr", "show", bridge, netns=host.name).stdout)[0]["addr_info"]
    assert any(a["local"] == ADAPTER_ADDRESS for a in on_bridge)  # the host keeps its address, on the bridge
    assert "203.0.113.0/24 via 198.18.0.50 dev " + bridge in ip("route", netns=host.name).stdout

    assert host.hnsctl("endpoint", "create", "web", "--network", "lan", "--namespace", "web").returncode == 2  # --ip needed
    endpoint = host.json("endpoint", "create", "web", "--network", "lan", "--namespace", "web", "--ip", "198.18.0.100")
    assert endpoint["GatewayAddress"] == LAN_HOST
    server = Server("web", "0.0.0.0")
    try:
        assert connect(machine, "198.18.0.100") == LAN_HOST  # the LAN machine reaches the endpoint directly
    finally:
        server.stop()
    neighbours = ip("neigh", "show", "198.18.0.100", netns=machine).stdout
    assert endpoint["MacAddress"].replace("-", ":").lower() in neighbours  # with the endpoint's own MAC
    from tests.e2e.test_endpoints import Server as HostServer

    on_host = HostServer(host.name, ADAPTER_ADDRESS)
    try:
        assert connect(machine, ADAPTER_ADDRESS) == LAN_HOST  # the host itself is still reachable meanwhile
    finally:
        on_host.stop()

    second = host.hnsctl("network", "create", "lan2", "--type", "transparent", "--adapter", "eth1")
    assert second.returncode == 4 and "'lan'" in second.stderr  # it would share lan's switch, and its LAN subnet
    host.ok("network", "delete", "lan", "--force")
    assert adapter_state(host) == before  # addresses and routes back exactly
    assert bridge not in ip("-br", "link", netns=host.name).stdout


def test_subnet_and_gateway_come_from_the_adapter(host: Host) -> None:
    lan(host)
    ip("route", "replace", "default", "via", LAN_HOST, "dev", "eth1", netns=host.name)
    before = adapter_state(host)
    network = host.json("network", "create", "lan", "--type", "transparent", "--adapter", "eth1")
    assert network["Subnets"][0]["AddressPrefix"] == "198.18.0.0/24" and network["Subnets"][0]["GatewayAddress"] == LAN_HOST
    assert f"default via {LAN_HOST} dev {network['BridgeName']}" in ip("route", netns=host.name).stdout
    host.ok("network", "delete", "lan")
    assert adapter_state(host) == before


def test_a_crash_never_loses_the_adapters_addresses(host: Host) -> None:
    """Killed between recording and moving, or in the middle of a delete: reconcile ends in a consistent state."""
    from tests.e2e.test_crash import killed_at

    lan(host)
    before = adapter_state(host)
    create = ["network", "create", "lan", "--type", "transparent", "--adapter", "eth1", "--subnet", "198.18.0.0/24"]
    assert killed_at(host, "network-create:firewall", create) == -9  # recorded, nothing moved yet
    host.ok("reconcile")
    assert json.loads(ip("-j", "link", "show", "eth1", netns=host.name).stdout)[0]["master"].startswith("hns-")
    assert host.json("reconcile")["Differences"] == []
    assert killed_at(host, "network-delete:firewall", ["network", "delete", "lan"]) == -9  # given back, bridge still there
    host.ok("reconcile")
    assert host.json("network", "list") == [] and adapter_state(host) == before


def test_l2bridge_endpoints_use_the_hosts_mac_on_the_wire(host: Host) -> None:
    machine = lan(host)
    host_mac = json.loads(ip("-j", "link", "show", "eth1", netns=host.name).stdout)[0]["address"]
    before = adapter_state(host)
    host.ok("network", "create", "l2", "--type", "l2bridge", "--adapter", "eth1", "--subnet", "198.18.0.0/24", "--gateway", LAN_HOST)
    endpoint = host.json("endpoint", "create", "web", "--network", "l2", "--namespace", "web", "--ip", "198.18.0.100")
    server = Server("web", "0.0.0.0", connections=2)
    try:
        assert connect(machine, "198.18.0.100") == LAN_HOST  # both ways through the MAC rewrite
    finally:
        server.stop()
    neighbours = ip("neigh", "show", "198.18.0.100", netns=machine).stdout
    assert host_mac in neighbours and endpoint["MacAddress"].replace("-", ":").lower() not in neighbours  # the LAN sees the host
    bridge = host.json("network", "show", "l2")["BridgeName"]
    assert json.loads(ip("-j", "link", "show", bridge, netns=host.name).stdout)[0]["address"] == host_mac
    assert host.json("reconcile")["Differences"] == []
    host.nft("flush", "chain", "bridge", "hnsctl", "prerouting")
    assert host.json("reconcile")["Differences"][0]["Problem"].startswith("MAC rewriting")
    assert host.json("reconcile")["Differences"] == []
    host.ok("endpoint", "delete", "web")
    assert "198.18.0.100" not in host.nft("list", "table", "bridge", "hnsctl").stdout
    host.ok("network", "delete", "l2")
    assert adapter_state(host) == before and host.nft("list", "table", "bridge", "hnsctl").returncode != 0


def test_l2tunnel_isolates_endpoint_ports(host: Host) -> None:
    lan(host)
    host.ok("network", "create", "tun", "--type", "l2tunnel", "--adapter", "eth1", "--subnet", "198.18.0.0/24")
    endpoint = host.json("endpoint", "create", "a", "--network", "tun", "--ip", "198.18.0.101")
    details = json.loads(ip("-j", "-d", "link", "show", endpoint["HostInterfaceName"], netns=host.name).stdout)[0]
    assert details["linkinfo"]["info_slave_data"]["isolated"] is True  # endpoints meet only through the uplink
    host.ok("network", "delete", "tun", "--force")


def test_l2bridge_outbound_nat_with_exceptions(host: Host) -> None:
    machine = lan(host)
    ip("addr", "add", "203.0.113.1/32", "dev", "lo", netns=machine)  # a destination beyond the LAN, via its router
    ip("addr", "add", "203.0.114.1/32", "dev", "lo", netns=machine)
    host.ok("network", "create", "l2", "--type", "l2bridge", "--adapter", "eth1", "--subnet", "198.18.0.0/24", "--gateway", LAN_HOST,
            "--outbound-nat", "--outbound-nat-exception", "203.0.114.0/24")
    assert host.json("network", "show", "l2")["OutboundNatExceptions"] == ["203.0.114.0/24"]
    host.ok("endpoint", "create", "web", "--network", "l2", "--namespace", "web", "--ip", "198.18.0.100")
    server = Server(machine, "0.0.0.0", connections=3)
    try:
        assert connect("web", "203.0.114.1") == "198.18.0.100"  # an exception keeps its own address
        assert connect("web", "203.0.113.1") == ADAPTER_ADDRESS  # leaves the LAN as the host
        assert connect("web", LAN_HOST) == "198.18.0.100"  # the LAN itself is never NATed
    finally:
        server.stop()
    assert host.hnsctl("network", "create", "x", "--outbound-nat").returncode == 2  # nat networks always NAT
    host.ok("network", "delete", "l2", "--force")


def kernel_vlan_support(host: Host) -> bool:
    """802.1Q or bridge VLAN filtering, tried on throwaway devices in the test's own host namespace."""
    dot1q = ip("link", "add", "link", "eth0", "name", "probe.7", "type", "vlan", "id", "7", netns=host.name, check=False)
    filtering = ip("link", "add", "probe-br", "type", "bridge", "vlan_filtering", "1", netns=host.name, check=False)
    for name in ("probe.7", "probe-br"):
        ip("link", "del", name, netns=host.name, check=False)
    return dot1q.returncode == 0 or filtering.returncode == 0


def test_vlan_needs_a_kernel_that_can_tag(host: Host) -> None:
    lan(host)
    before = adapter_state(host)
    result = host.hnsctl("network", "create", "lan", "--type", "transparent", "--adapter", "eth1", "--vlan", "7")
    assert result.returncode == 2 and host.json("network", "list") == [] and adapter_state(host) == before
    if kernel_vlan_support(host):
        assert "not built" in result.stderr
        pytest.skip("VLAN tagging of an uplink is not built yet; this kernel could do it")
    assert "8021q" in result.stderr and "VLAN filtering" in result.stderr  # names what the kernel lacks
    pytest.skip("this kernel has neither 802.1Q (8021q) nor bridge VLAN filtering: no VLAN traffic to test")
