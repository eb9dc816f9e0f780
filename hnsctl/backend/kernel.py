"""The real backend: netlink for interfaces and routes, libnftables for rules, /proc/sys for sysctls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hnsctl.backend import sysctl
from hnsctl.backend.privileges import require_net_admin

if TYPE_CHECKING:
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
    from hnsctl.backend.firewall import Firewall
    from hnsctl.backend.netlink import Netlink
    from hnsctl.backend.netns import Namespaces
    from hnsctl.backend.operations import Operation
    from hnsctl.backend.overlay import OverlayEntries
    from hnsctl.backend.ports import Ports
    from hnsctl.backend.uplink import Uplinks


class KernelBackend:
    """Every area protocol of Backend, each method delegating to the per-area class (Netlink, Ports,
    Uplinks, OverlayEntries, Firewall, Namespaces) or module that does the work; grouped below by area.

    Opens its netlink socket and libnftables context on first use, so commands that only read state
    never import pyroute2 or load libnftables."""

    def __init__(self) -> None:
        self._netlink: Netlink | None = None
        self._firewall: Firewall | None = None
        self._namespaces: Namespaces | None = None
        self._ports: Ports | None = None

    @property
    def netlink(self) -> Netlink:
        if self._netlink is None:
            from hnsctl.backend.netlink import Netlink

            self._netlink = Netlink()
        return self._netlink

    @property
    def firewall(self) -> Firewall:
        if self._firewall is None:
            from hnsctl.backend.firewall import Firewall

            self._firewall = Firewall()
        return self._firewall

    @property
    def namespaces(self) -> Namespaces:
        if self._namespaces is None:
            from hnsctl.backend.netns import Namespaces

            self._namespaces = Namespaces()
        return self._namespaces

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            from hnsctl.backend.ports import Ports

            self._ports = Ports(self.netlink, self.namespaces)
        return self._ports

    @property
    def overlay_entries(self) -> OverlayEntries:
        from hnsctl.backend.overlay import OverlayEntries

        return OverlayEntries(self.netlink)

    @property
    def uplinks(self) -> Uplinks:
        from hnsctl.backend.uplink import Uplinks

        return Uplinks(self.netlink)

    # -- links (LinkOps)

    def link_exists(self, name: str) -> bool:
        return self.netlink.link_exists(name)

    def list_owned_links(self) -> list[OwnedLink]:
        return self.netlink.list_owned_links()

    def create_bridge(self, spec: BridgeSpec) -> None:
        self.netlink.create_bridge(spec)

    def repair_bridge(self, spec: BridgeSpec) -> None:
        self.netlink.repair_bridge(spec)

    def create_vxlan(self, spec: VxlanSpec) -> None:
        self.netlink.create_vxlan(spec)

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        self.netlink.repair_vxlan(spec)

    def delete_link(self, name: str, owner: str) -> None:
        self.netlink.delete_link(name, owner)

    def create_port(self, spec: PortSpec) -> None:
        self.ports.create(spec)

    def delete_port(self, host_side: str, owner: str) -> None:
        self.ports.delete(host_side, owner)

    def port_exists(self, host_side: str) -> bool:
        return self.ports.exists(host_side)

    def port_counters(self, host_side: str) -> InterfaceCounters | None:
        return self.ports.counters(host_side)

    def check_adapter_free(self, adapter: str) -> None:
        self.uplinks.check_free(adapter)

    def adapter_state(self, adapter: str) -> AdapterState:
        return self.uplinks.state(adapter)

    def give_back_adapter(self, bridge: str, adapter: str, state: AdapterState) -> None:
        self.uplinks.give_back(bridge, adapter, state)

    def move_to_bridge(self, bridge: str, adapter: str, state: AdapterState) -> None:
        self.uplinks.move_to_bridge(bridge, adapter, state)

    def adapter_held(self, bridge: str, adapter: str) -> bool:
        return self.uplinks.holds(bridge, adapter)

    def adapter_mac(self, adapter: str) -> str:
        return self.uplinks.mac(adapter)

    def default_route_interface(self) -> str | None:
        return self.netlink.default_route_interface()

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        return self.netlink.underlay(provider_address, adapter)

    # -- namespaces (NamespaceOps)

    def create_namespace(self, name: str) -> None:
        self.namespaces.create(name)

    def delete_namespace(self, name: str) -> None:
        self.namespaces.delete(name)

    def namespace_exists(self, name: str) -> bool:
        from hnsctl.backend.netns import namespace_exists

        return namespace_exists(name)

    def write_resolv_conf(self, namespace: str, content: str | None) -> bool:
        from hnsctl.backend.netns import write_resolv_conf

        return write_resolv_conf(namespace, content)

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        self.ports.attach_namespace(namespace, config)

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        self.ports.detach_namespace(namespace, owner, parked_name)

    def attach_host(self, config: InterfaceConfig) -> None:
        self.ports.attach_host(config)

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None:
        self.ports.detach_host(owner, ifname, parked_name)

    # -- addresses and routes (RoutingOps)

    def list_routes(self) -> list[RouteInfo]:
        return self.netlink.list_routes()

    def host_addresses(self) -> set[str]:
        return self.netlink.host_addresses()

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        return self.ports.interface_routes(namespace, ifname)

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        self.ports.set_routes(namespace, ifname, routes, removed)

    def port_addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        return self.ports.addresses(namespace, owner)

    # -- nftables (FirewallOps)

    def firewall_owners(self) -> set[str]:
        return self.firewall.owners()

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self.firewall.apply(firewall)

    def remove_firewall(self, owner: str) -> None:
        self.firewall.remove(owner)

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        self.firewall.add_port_mapping(spec)

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        self.firewall.remove_port_mapping(spec)

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        return self.firewall.port_mappings()

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        self.firewall.mark_host_endpoint(bridge, mac, present)

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        return self.firewall.host_endpoint_marks()

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        self.firewall.apply_outbound_nat(spec)

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        self.firewall.apply_endpoint_acls(spec)

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        return self.firewall.remove_acl_chains_except(keep)

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        self.firewall.apply_load_balancer(spec, new=new, previous=previous)

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        self.firewall.remove_load_balancer(spec)

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        return self.firewall.load_balancer_state()

    def load_balancer_marks(self) -> set[int]:
        return self.firewall.load_balancer_marks()

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        return self.firewall.remove_load_balancers_except(keep, keep_marks)

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        self.firewall.apply_l2bridge(spec)

    def remove_l2bridge(self, owner: str, short: str) -> None:
        self.firewall.remove_l2bridge(owner, short)

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        self.firewall.l2bridge_endpoint(short, ip, mac)

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        return self.firewall.l2bridge_state(owner, short)

    # -- overlay entries (OverlayOps)

    def apply_remote(self, spec: RemoteSpec) -> None:
        self.overlay_entries.apply(spec)

    def remove_remote(self, spec: RemoteSpec) -> None:
        self.overlay_entries.remove(spec)

    def remote_present(self, spec: RemoteSpec) -> bool:
        return self.overlay_entries.present(spec)

    # -- system (SystemOps)

    def require_privileges(self) -> None:
        require_net_admin()

    def enable_forwarding(self, version: int) -> None:
        sysctl.enable_forwarding(version)

    def enable_bridge_filtering(self) -> bool:
        return sysctl.enable_bridge_filtering()

    def allow_loopback_destinations(self, interface: str) -> None:
        sysctl.allow_loopback_destinations(interface)

    def host_nameservers(self) -> list[str]:
        from hnsctl.backend.resolver import host_nameservers

        return host_nameservers()

    def port_in_use(self, protocol: str, port: int) -> bool:
        from hnsctl.backend.procnet import port_in_use

        return port_in_use(protocol, port)

    def kernel_features(self) -> list[tuple[str, bool, str]]:
        from hnsctl.backend.probe import probe_kernel

        return probe_kernel()

    def vlan_support(self) -> dict[str, tuple[bool, str]]:
        from hnsctl.backend.probe import vlan_support

        return vlan_support()

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        self.ports.set_qos(namespace, ifname, max_bytes_per_second)

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        return self.ports.qos_rate(namespace, ifname)

    def planned(self) -> list[Operation]:
        return []

    def operations(self) -> list[str]:
        return []

    def close(self) -> None:
        if self._namespaces is not None:
            self._namespaces.close()
        if self._netlink is not None:
            self._netlink.close()
        if self._firewall is not None:
            self._firewall.close()
