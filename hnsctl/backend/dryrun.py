"""A backend that records what it would do as `Operation`s and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hnsctl.backend.base import (
    AdapterState,
    BridgeSpec,
    EndpointAclSpec,
    InterfaceConfig,
    InterfaceCounters,
    L2BridgeSpec,
    LoadBalancerSpec,
    NetworkFirewall,
    OutboundNatSpec,
    OwnedLink,
    PortMapSpec,
    PortSpec,
    RemoteSpec,
    RouteInfo,
    VxlanSpec,
)
from hnsctl.backend.nftrules import network_rules, outbound_nat_rules
from hnsctl.backend.operations import Operation, render_lines
from hnsctl.errors import InvalidInput, KernelError, PermissionDenied

if TYPE_CHECKING:
    from hnsctl.backend.kernel import KernelBackend
    from hnsctl.backend.nftrules import Rule

T = TypeVar("T")

# What "the kernel cannot be read here" looks like: no pyroute2/libnftables, or a listing that needs a
# privilege the user does not have (nftables). Anything else a read raises is an answer and propagates.
UNREADABLE = (ImportError, OSError, PermissionDenied, KernelError)


def _rules(rules: list[Rule]) -> list[dict[str, str]]:
    return [{"chain": r.chain, "text": r.text, "comment": r.comment} for r in rules]


class DryRunBackend:
    """Every mutating call appends Operations to `planned()`; nothing in the kernel changes.

    Reads answer from the real kernel, read-only, through `kernel` (a KernelBackend that only ever
    receives read calls): netlink dumps need no privilege, so `--dry-run` sees the host as it is, for
    an unprivileged user too. A read the kernel cannot serve here (no pyroute2, an nftables listing
    without CAP_NET_ADMIN, a namespace that cannot be entered) answers "nothing there": empty, None,
    False, or for an adapter the same InvalidInput a missing adapter gets. With `kernel=None` every
    read answers "nothing there". No read invents a present object. On top of that, links, ports and
    namespaces this run planned to create count as existing, so later steps of the plan see them.
    Mutating calls that return something answer as if they succeeded (`write_resolv_conf` True,
    `enable_bridge_filtering` True, nothing pruned).
    """

    def __init__(self, kernel: KernelBackend | None = None) -> None:
        self._planned: list[Operation] = []
        self._created: set[str] = set()
        self._namespaces: set[str] = set()
        self._kernel = kernel

    @classmethod
    def reading_the_kernel(cls) -> DryRunBackend:
        from hnsctl.backend.kernel import KernelBackend

        return cls(KernelBackend())

    def _plan(self, verb: str, kind: str, target: str, **details: Any) -> None:
        self._planned.append(Operation(verb, kind, target, details))

    def _read(self, read: Callable[[KernelBackend], T], nothing: T) -> T:
        if self._kernel is None:
            return nothing
        try:
            return read(self._kernel)
        except UNREADABLE:
            return nothing

    def _read_adapter(self, adapter: str, read: Callable[[KernelBackend], T]) -> T:
        """An adapter read has no empty answer: where the kernel cannot be read the adapter is not there."""
        missing = InvalidInput(f"invalid --adapter {adapter!r}: no such interface", hns_name="HCN_E_ADAPTER_NOT_FOUND")
        if self._kernel is None:
            raise missing
        try:
            return read(self._kernel)
        except UNREADABLE:
            raise missing from None

    def planned(self) -> list[Operation]:
        return list(self._planned)

    def operations(self) -> list[str]:
        return render_lines(self._planned)

    def close(self) -> None:
        if self._kernel is not None:
            self._kernel.close()

    # -- reads

    def require_privileges(self) -> None:
        return None

    def list_routes(self) -> list[RouteInfo]:
        return self._read(lambda k: k.list_routes(), [])

    def host_addresses(self) -> set[str]:
        return self._read(lambda k: k.host_addresses(), set())

    def link_exists(self, name: str) -> bool:
        return name in self._created or self._read(lambda k: k.link_exists(name), False)

    def port_exists(self, host_side: str) -> bool:
        return self.link_exists(host_side)

    def namespace_exists(self, name: str) -> bool:
        return name in self._namespaces or self._read(lambda k: k.namespace_exists(name), False)

    def list_owned_links(self) -> list[OwnedLink]:
        return self._read(lambda k: k.list_owned_links(), [])

    def port_counters(self, host_side: str) -> InterfaceCounters | None:
        return self._read(lambda k: k.port_counters(host_side), None)

    def port_addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        return self._read(lambda k: k.port_addresses(namespace, owner), [])

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        return self._read(lambda k: k.interface_routes(namespace, ifname), set())

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        return self._read(lambda k: k.qos_rate(namespace, ifname), None)

    def remote_present(self, spec: RemoteSpec) -> bool:
        return self._read(lambda k: k.remote_present(spec), False)

    def check_adapter_free(self, adapter: str) -> None:
        self._read_adapter(adapter, lambda k: k.check_adapter_free(adapter))

    def adapter_state(self, adapter: str) -> AdapterState:
        return self._read_adapter(adapter, lambda k: k.adapter_state(adapter))

    def adapter_mac(self, adapter: str) -> str:
        return self._read_adapter(adapter, lambda k: k.adapter_mac(adapter))

    def adapter_held(self, bridge: str, adapter: str) -> bool:
        return self._read(lambda k: k.adapter_held(bridge, adapter), False)

    def default_route_interface(self) -> str | None:
        return self._read(lambda k: k.default_route_interface(), None)

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        nothing = InvalidInput("an overlay network needs an underlay: give --provider-address or --adapter "
                               "(no interface of this host could be read)")
        if self._kernel is None:
            raise nothing
        try:
            return self._kernel.underlay(provider_address, adapter)
        except UNREADABLE:
            raise nothing from None

    def vlan_support(self) -> dict[str, tuple[bool, str]]:
        from hnsctl.backend.probe import vlan_support

        return vlan_support()

    def kernel_features(self) -> list[tuple[str, bool, str]]:
        from hnsctl.backend.probe import probe_kernel

        return probe_kernel()

    def host_nameservers(self) -> list[str]:
        from hnsctl.backend.resolver import host_nameservers

        return host_nameservers()

    def port_in_use(self, protocol: str, port: int) -> bool:
        from hnsctl.backend.procnet import port_in_use

        return port_in_use(protocol, port)

    def firewall_owners(self) -> set[str]:
        return self._read(lambda k: k.firewall_owners(), set())

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        return self._read(lambda k: k.port_mappings(), set())

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        return self._read(lambda k: k.host_endpoint_marks(), set())

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        return self._read(lambda k: k.load_balancer_state(), {})

    def load_balancer_marks(self) -> set[int]:
        return self._read(lambda k: k.load_balancer_marks(), set())

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        return self._read(lambda k: k.l2bridge_state(owner, short), (0, frozenset()))

    # -- links

    def create_bridge(self, spec: BridgeSpec) -> None:
        self._created.add(spec.name)
        self._plan("add", "bridge", spec.name, owner=spec.owner, mac=spec.mac, mtu=spec.mtu)
        self._plan("tag", "link", spec.name, owner=spec.owner)
        for address in spec.addresses:
            self._plan("add", "address", spec.name, address=str(address))
        self._plan("up", "link", spec.name)

    def repair_bridge(self, spec: BridgeSpec) -> None:
        self._plan("repair", "bridge", spec.name, owner=spec.owner, addresses=[str(a) for a in spec.addresses])

    def create_vxlan(self, spec: VxlanSpec) -> None:
        self._created.add(spec.name)
        self._plan("add", "vxlan", spec.name, vni=spec.vni, port=spec.port, local=spec.local, underlay=spec.underlay, mtu=spec.mtu)
        self._plan("enslave", "link", spec.name, owner=spec.owner, bridge=spec.bridge)

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        self._plan("enslave", "link", spec.name, bridge=spec.bridge)

    def delete_link(self, name: str, owner: str) -> None:
        self._created.discard(name)
        self._plan("delete", "link", name, owner=owner)

    def create_port(self, spec: PortSpec) -> None:
        self._created.add(spec.host_side)
        self._plan("add", "veth", spec.host_side, bridge=spec.bridge, peer=spec.parked_name, mac=spec.mac, mtu=spec.mtu,
                   isolated=spec.isolated)
        self._plan("tag", "link", spec.parked_name, owner=spec.owner)
        self._plan("tag", "link", spec.host_side, owner=spec.owner)

    def delete_port(self, host_side: str, owner: str) -> None:
        self._created.discard(host_side)
        self._plan("delete", "link", host_side, owner=owner)

    def give_back_adapter(self, bridge: str, adapter: str, state: AdapterState) -> None:
        addresses, routes = state.records()
        self._plan("release", "adapter", adapter, bridge=bridge, addresses=list(addresses), routes=list(routes))

    def move_to_bridge(self, bridge: str, adapter: str, state: AdapterState) -> None:
        addresses, routes = state.records()
        self._plan("move", "adapter", adapter, bridge=bridge, addresses=list(addresses), routes=list(routes))

    # -- namespaces and the container side

    def create_namespace(self, name: str) -> None:
        self._namespaces.add(name)
        self._plan("add", "namespace", name)

    def delete_namespace(self, name: str) -> None:
        self._namespaces.discard(name)
        self._plan("delete", "namespace", name)

    def write_resolv_conf(self, namespace: str, content: str | None) -> bool:
        if content is None:
            self._plan("remove", "resolv.conf", namespace)
        else:
            servers = [line.split()[1] for line in content.splitlines() if line.startswith("nameserver")]
            self._plan("write", "resolv.conf", namespace, nameservers=servers)
        return True

    def _configure(self, config: InterfaceConfig, namespace: str | None, *, routes: bool) -> None:
        for address in config.addresses:
            self._plan("add", "address", config.ifname, address=str(address), namespace=namespace)
        self._plan("up", "link", config.ifname, namespace=namespace)
        if routes and config.gateway:
            self._plan("replace", "route", str(config.default_route), device=config.ifname, via=str(config.gateway), namespace=namespace)

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        self._plan("move", "link", config.parked_name, namespace=namespace, name=config.ifname)
        self._plan("up", "link", "lo", namespace=namespace)
        self._configure(config, namespace, routes=True)

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        self._plan("park", "link", parked_name, namespace=namespace, owner=owner)

    def attach_host(self, config: InterfaceConfig) -> None:
        self._plan("rename", "link", config.parked_name, name=config.ifname)
        self._configure(config, None, routes=False)

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None:
        self._plan("park", "host-interface", ifname, owner=owner, parked_name=parked_name)

    # -- routes

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        for destination in removed:
            self._plan("delete", "route", destination, device=ifname, namespace=namespace)
        for destination, next_hop in routes:
            on_link = {} if next_hop else {"scope": "link"}
            self._plan("replace", "route", destination, device=ifname, via=next_hop, namespace=namespace, **on_link)

    # -- overlay entries

    def apply_remote(self, spec: RemoteSpec) -> None:
        self._plan("replace", "fdb", spec.mac, device=spec.vxlan, destination=spec.provider_address)
        self._plan("replace", "fdb", spec.mac, device=spec.vxlan, destination=None)
        self._plan("replace", "neighbour", spec.neighbour, mac=spec.mac, device=spec.bridge)
        if spec.route:
            self._plan("replace", "route", spec.route, device=spec.bridge, via=spec.via, onlink=bool(spec.via))

    def remove_remote(self, spec: RemoteSpec) -> None:
        if spec.route:
            self._plan("delete", "route", spec.route, device=spec.bridge)
        self._plan("delete", "neighbour", spec.neighbour, device=spec.bridge)
        if not spec.shared_mac:
            self._plan("delete", "fdb", spec.mac, device=spec.vxlan)

    # -- firewall

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self._plan("replace", "rules", firewall.owner, rules=_rules(network_rules(firewall)))

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        self._plan("replace", "rules", spec.owner, rules=_rules(outbound_nat_rules(spec)))

    def remove_firewall(self, owner: str) -> None:
        self._plan("delete", "rules", owner)

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        self._plan("add", "port-mapping", f"{spec.protocol}/{spec.external_port}", protocol=spec.protocol, vip=spec.vip,
                   external_port=spec.external_port, target_ip=spec.target_ip, target_port=spec.target_port)

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        self._plan("delete", "port-mapping", f"{spec.protocol}/{spec.external_port}", protocol=spec.protocol, vip=spec.vip,
                   external_port=spec.external_port)

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        self._plan("add" if present else "delete", "host-endpoint-mark", f"{bridge} . {mac}", bridge=bridge, mac=mac)

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        self._plan("rebuild", "acl-chains", spec.short, owner=spec.owner, rules=len(spec.rules_in) + len(spec.rules_out))

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        self._plan("prune", "acl-chains", "*", keep=sorted(keep))
        return []

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        frontends = [{"vip": f.vip, "protocol": f.protocol, "external_port": f.external_port, "internal_port": f.internal_port,
                      "distribution": f.distribution} for f in spec.frontends]
        self._plan("set", "load-balancer", spec.short, owner=spec.owner, new=new, frontends=frontends, backends=list(spec.backends))

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        self._plan("delete", "load-balancer", spec.short, owner=spec.owner)

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        self._plan("prune", "load-balancers", "*", keep=sorted(keep), keep_marks=None if keep_marks is None else sorted(keep_marks))
        return []

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        self._plan("replace", "l2bridge", spec.owner, adapter=spec.adapter, host_mac=spec.host_mac,
                   endpoints=[list(e) for e in spec.endpoints])

    def remove_l2bridge(self, owner: str, short: str) -> None:
        self._plan("delete", "l2bridge", owner, short=short)

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        self._plan("add" if mac else "delete", "l2bridge-endpoint", short, ip=ip, mac=mac)

    # -- system

    def enable_forwarding(self, version: int) -> None:
        self._plan("set", "sysctl", "net.ipv4.ip_forward" if version == 4 else "net.ipv6.conf.all.forwarding", value="1")

    def allow_loopback_destinations(self, interface: str) -> None:
        self._plan("set", "sysctl", f"net.ipv4.conf.{interface}.route_localnet", value="1")

    def enable_bridge_filtering(self) -> bool:
        self._plan("set", "sysctl", "net.bridge.bridge-nf-call-iptables", value="1")
        return True

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        if max_bytes_per_second is None:
            self._plan("delete", "qos", ifname, namespace=namespace)
        else:
            self._plan("set", "qos", ifname, namespace=namespace, bytes_per_second=max_bytes_per_second)
