"""PURE: the kernel objects a recorded object implies. Create, delete and reconcile all start from here."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hnsctl.backend.base import (
    BridgeSpec,
    InterfaceConfig,
    IPInterface,
    L2BridgeSpec,
    NetworkFirewall,
    NetworkPlan,
    PortSpec,
    RemoteSpec,
    VxlanSpec,
)
from hnsctl.models.addresses import kernel_mac
from hnsctl.models.endpoint import default_route
from hnsctl.models.network import MAC_REWRITE_TYPES, Network, NetworkType

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint


def plan_network(network: Network, endpoints: Sequence[Endpoint] = ()) -> NetworkPlan:
    """`endpoints`: the network's endpoints, for the kernel state that lists them (l2bridge's MAC map)."""
    addresses: tuple[IPInterface, ...] = ()
    if network.type.has_host_address:
        addresses = tuple(ipaddress.ip_interface((s.gateway, s.prefix.prefixlen)) for s in network.subnets if s.gateway is not None)
    overlay = network.overlay
    mac = kernel_mac(overlay.dr_mac) if overlay and overlay.dr_mac else (network.uplink.mac if network.uplink and network.uplink.mac else None)
    bridge = BridgeSpec(name=network.bridge_name, owner=network.switch_owner or network.id, addresses=addresses, mac=mac, mtu=network.mtu)
    vxlan = None
    if overlay is not None:
        vxlan = VxlanSpec(name=network.vxlan_name, owner=network.id, bridge=network.bridge_name, vni=overlay.vsid,
                          port=overlay.vxlan_port, local=overlay.provider_address, underlay=overlay.adapter, mtu=overlay.mtu)
    if network.uplink is not None:
        # the LAN's own router does the routing; hnsctl adds no NAT and no isolation
        l2bridge = None
        if network.type in MAC_REWRITE_TYPES and network.uplink.mac:
            l2bridge = L2BridgeSpec(owner=network.id, short=network.short, adapter=network.uplink.adapter,
                                    host_mac=network.uplink.mac,
                                    endpoints=tuple((str(e.ip), kernel_mac(e.mac)) for e in endpoints if e.ip.version == 4 and not e.remote))
        firewall = None
        host_ips = network.uplink.ipv4_interfaces
        if network.uplink.outbound_nat and host_ips:
            host_ip = str(host_ips[0].ip)
            exceptions = tuple(ipaddress.ip_network(e) for e in network.uplink.outbound_nat_exceptions)
            firewall = NetworkFirewall(owner=network.id, bridge=network.bridge_name,
                                       snat=tuple((s.prefix, host_ip, exceptions) for s in network.subnets if s.prefix.version == 4))
        # replies to SNATed traffic arrive for the host's MAC and are routed back to the endpoint once de-NATed
        return NetworkPlan(bridge=bridge, firewall=firewall, forwarding={4} if firewall else set(), l2bridge=l2bridge,
                           shares_bridge=bool(network.switch_owner))
    if network.type in (NetworkType.NAT, NetworkType.OVERLAY, NetworkType.ICS):
        # overlay: traffic to other hosts' subnets stays on the bridge (no NAT); anything else leaves as the host
        firewall = NetworkFirewall(
            owner=network.id,
            bridge=network.bridge_name,
            masquerade=tuple(s.prefix for s in network.subnets),
            allow_forwarding=True,
            dns_forward=tuple((str(s.gateway), network.dns_servers[0]) for s in network.subnets
                              if network.type is NetworkType.ICS and s.gateway is not None and s.gateway.version == 4 and network.dns_servers),
        )
        forwarding = {s.prefix.version for s in network.subnets}
    else:
        # internal and private: reachable from the host (internal) or not at all (private), never routed onward
        firewall = NetworkFirewall(owner=network.id, bridge=network.bridge_name, isolate=True)
        forwarding = set()
    return NetworkPlan(bridge=bridge, firewall=firewall, forwarding=forwarding, vxlan=vxlan)


def remote_entries(endpoint: Endpoint, network: Network, others: list[Endpoint] | None = None) -> RemoteSpec | None:
    """A remote endpoint's kernel entries: on overlay networks its FDB/neighbour/route entries; on l2bridge
    none (the LAN, or the host's routes to other nodes, reach it; it is a record for load balancers)."""
    if network.overlay is None:
        return None
    return remote_spec(endpoint, network, others)


def remote_spec(endpoint: Endpoint, network: Network, others: list[Endpoint] | None = None) -> RemoteSpec:
    """The overlay entries of a remote endpoint; a /32 route only when it is outside the network's subnets."""
    inside = any(endpoint.ip in s.prefix for s in network.subnets)
    shared = any(o.id != endpoint.id and o.remote and o.mac == endpoint.mac for o in others or [])
    return RemoteSpec(bridge=network.bridge_name, vxlan=network.vxlan_name, neighbour=str(endpoint.ip), mac=kernel_mac(endpoint.mac),
                      provider_address=endpoint.provider_address, route=None if inside else f"{endpoint.ip}/32", shared_mac=shared)


def port_spec(endpoint: Endpoint, network: Network) -> PortSpec:
    return PortSpec(
        owner=endpoint.id,
        host_side=endpoint.host_side,
        parked_name=endpoint.parked_name,
        bridge=network.bridge_name,
        mac=kernel_mac(endpoint.mac),
        mtu=network.mtu,
        isolated=network.type is NetworkType.L2TUNNEL,
    )


def interface_config(endpoint: Endpoint, *, host: bool) -> InterfaceConfig:
    return InterfaceConfig(
        owner=endpoint.id,
        parked_name=endpoint.parked_name,
        ifname=endpoint.host_ifname if host else endpoint.ifname,
        mac=kernel_mac(endpoint.mac),
        addresses=(ipaddress.ip_interface((endpoint.ip, endpoint.prefix_len)),),
        gateway=endpoint.gateway,
        default_route=ipaddress.ip_network(default_route(endpoint)),
    )
