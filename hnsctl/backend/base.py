"""What the service asks of the kernel, as data: frozen specs the protocols in backend.protocols take.

Addresses travel as ipaddress objects, never as "IP/len" text for another module to parse back; the
one text form here is an adapter's recorded state (AdapterState), which the network record stores.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class BridgeSpec:
    """A network's bridge: name derived from the owner's ID, tagged with the owner, carrying host addresses."""

    name: str
    owner: str
    addresses: tuple[IPInterface, ...] = ()  # the gateways, with their subnet's prefix length
    mac: str | None = None  # kernel form; None lets the kernel choose
    mtu: int | None = None


@dataclass(frozen=True)
class VxlanSpec:
    """An overlay's VXLAN device: VNI = VSID, this host's provider address, a port of the network's bridge.
    Learning is off: remote MACs are only where hnsctl put them (remote endpoints, remote subnets)."""

    name: str
    owner: str
    bridge: str
    vni: int
    port: int
    local: str
    underlay: str  # the interface holding `local`
    mtu: int


@dataclass(frozen=True)
class NetworkFirewall:
    """The nftables rules one network needs; rendered by backend.nftrules, applied as one transaction."""

    owner: str
    bridge: str
    masquerade: tuple[IPNetwork, ...] = ()
    allow_forwarding: bool = False
    isolate: bool = False
    dns_forward: tuple[tuple[str, str], ...] = ()  # (gateway, upstream resolver): ICS's DNS forwarder
    snat: tuple[tuple[IPNetwork, str, tuple[IPNetwork, ...]], ...] = ()  # l2bridge OutBoundNAT: (subnet, host IP, exceptions)


@dataclass(frozen=True)
class PortMapSpec:
    """One port mapping: (protocol, external port, optional VIP) -> endpoint address and port."""

    protocol: str
    external_port: int
    vip: str | None
    target_ip: str
    target_port: int


@dataclass(frozen=True)
class OutboundNatSpec:
    owner: str  # the policy's ID
    endpoint_ip: str
    bridge: str
    exceptions: tuple[IPNetwork, ...] = ()
    vip: str | None = None
    # Uplink networks (l2bridge, l2tunnel): endpoint traffic is bridged straight onto the LAN, so it
    # never leaves "by another interface"; what stays in `local` (the LAN's own subnets) keeps its
    # address and the rest is SNATed to `host_ip` (or the VIP).
    host_ip: str | None = None
    local: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True)
class EndpointAclSpec:
    """All ACLs of one endpoint, in evaluation order, as (policy ID, Acl) pairs per direction."""

    owner: str  # the endpoint's ID
    short: str  # 8 hex digits for chain names
    endpoint_ip: str
    rules_in: tuple[tuple[str, Any], ...] = ()
    rules_out: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class LbFrontend:
    """One frontend of a load balancer: (VIP or None for every local address, protocol, ports, distribution)."""

    vip: str | None
    protocol: str  # tcp | udp
    external_port: int
    internal_port: int
    distribution: int = 0  # HNS DistributionType: 0 per connection, 1 source IP + protocol, 2 source IP


@dataclass(frozen=True)
class LoadBalancerSpec:
    """Everything the kernel holds for one load balancer; applying it replaces what was there before."""

    owner: str  # the load balancer's ID
    short: str  # 8 hex digits for chain/map names
    frontends: tuple[LbFrontend, ...]
    backends: tuple[str, ...]  # IPv4 addresses; empty: connections are refused
    snat_mark: int | None = None  # connection mark that selects the source-VIP SNAT
    source_vip: str | None = None


@dataclass(frozen=True)
class RemoteSpec:
    """Where an address on another overlay host lives: a remote endpoint, or a remote subnet's router."""

    bridge: str
    vxlan: str
    neighbour: str  # the IP whose MAC is known: the endpoint, or the next hop standing for a remote subnet
    mac: str  # kernel form
    provider_address: str  # the other host's underlay address
    route: str | None = None  # CIDR routed through the bridge (None: inside the bridge's own subnet)
    via: str | None = None  # next hop of that route (remote subnets), onlink
    shared_mac: bool = False  # another remote entry uses the same MAC: keep its FDB entries on remove


@dataclass(frozen=True)
class L2BridgeSpec:
    """An l2bridge network's MAC rewriting: the adapter, the host MAC it shows, and the endpoints behind it."""

    owner: str
    short: str
    adapter: str
    host_mac: str  # kernel form
    endpoints: tuple[tuple[str, str], ...] = ()  # (IPv4, kernel MAC)


@dataclass(frozen=True)
class PortSpec:
    """An endpoint's veth pair: host side on the bridge, the other side parked in the host namespace."""

    owner: str
    host_side: str
    parked_name: str
    bridge: str
    mac: str  # kernel form; set when the pair is made so it survives every move
    mtu: int | None = None  # overlay networks: the underlay's MTU minus the encapsulation
    isolated: bool = False  # l2tunnel: endpoints reach each other only through the uplink


@dataclass(frozen=True)
class InterfaceConfig:
    """What the container side of an endpoint carries once attached."""

    owner: str
    parked_name: str
    ifname: str
    mac: str  # kernel form 02:15:5d:00:00:05
    addresses: tuple[IPInterface, ...]
    gateway: IPAddress | None
    default_route: IPNetwork  # 0.0.0.0/0 or ::/0, through `gateway`


@dataclass(frozen=True)
class InterfaceCounters:
    """Endpoint counters from the endpoint's point of view (Get-HnsEndpointStats)."""

    bytes_received: int
    bytes_sent: int
    packets_received: int
    packets_sent: int
    dropped_incoming: int
    dropped_outgoing: int


@dataclass(frozen=True)
class RouteInfo:
    prefix: IPNetwork
    device: str


@dataclass(frozen=True)
class OwnedLink:
    """A kernel interface whose ifalias says hnsctl made it, and for which object."""

    name: str
    owner: str
    kind: str
    addresses: frozenset[IPInterface] = frozenset()  # link-local excluded
    up: bool = True


@dataclass
class NetworkPlan:
    """Everything in the kernel that one network implies: the unit create, delete and reconcile work on."""

    bridge: BridgeSpec
    firewall: NetworkFirewall | None
    vxlan: VxlanSpec | None = None
    l2bridge: L2BridgeSpec | None = None
    forwarding: set[int] = field(default_factory=set)  # IP versions that need forwarding on
    # the bridge belongs to another network (a shared external switch): this network neither makes,
    # repairs nor deletes it, and moves no adapter
    shares_bridge: bool = False


@dataclass(frozen=True)
class AdapterAddress:
    """A global address of a host adapter, moved to the bridge that takes the adapter over and back."""

    interface: IPInterface
    broadcast: IPAddress | None = None

    @property
    def record(self) -> str:
        """The form the network record stores and `MovedAddresses` shows: "192.0.2.10/24 brd 192.0.2.255"."""
        return f"{self.interface}" + (f" brd {self.broadcast}" if self.broadcast is not None else "")

    @classmethod
    def from_record(cls, text: str) -> AdapterAddress:
        words = text.split()
        broadcast = ipaddress.ip_address(words[2]) if len(words) == 3 and words[1] == "brd" else None
        return cls(ipaddress.ip_interface(words[0]), broadcast)


@dataclass(frozen=True)
class AdapterRoute:
    """A (non-connected) main-table route through a host adapter, with what the kernel needs to put it back."""

    destination: IPNetwork
    gateway: IPAddress | None = None
    metric: int = 0
    proto: int = 3  # RTPROT_BOOT: what `ip route add` gives
    scope: int = 0
    source: IPAddress | None = None

    @property
    def record(self) -> str:
        """The stored form: "<dst>/<len> via <gw|-> metric <n> proto <n> scope <n> src <ip|-> family <4|6>"."""
        return (f"{self.destination} via {self.gateway or '-'} metric {self.metric} proto {self.proto} scope {self.scope} "
                f"src {self.source or '-'} family {self.destination.version}")

    @classmethod
    def from_record(cls, text: str) -> AdapterRoute:
        """Reads every record written so far, including early ones without `src` and `family`."""
        words = text.split()
        fields = dict(zip(words[1::2], words[2::2]))

        def address(key: str) -> IPAddress | None:
            value = fields.get(key, "-")
            return None if value == "-" else ipaddress.ip_address(value)

        return cls(ipaddress.ip_network(words[0], strict=False), address("via"), int(fields.get("metric", 0)),
                   int(fields.get("proto", 3)), int(fields.get("scope", 0)), address("src"))


@dataclass(frozen=True)
class AdapterState:
    """What a bridge takes over from a host adapter, and gives back exactly: its addresses and routes."""

    addresses: tuple[AdapterAddress, ...] = ()
    routes: tuple[AdapterRoute, ...] = ()

    @classmethod
    def from_records(cls, addresses: tuple[str, ...], routes: tuple[str, ...]) -> AdapterState:
        return cls(tuple(AdapterAddress.from_record(a) for a in addresses), tuple(AdapterRoute.from_record(r) for r in routes))

    def records(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(addresses, routes) in the stored text form, for the network record."""
        return tuple(a.record for a in self.addresses), tuple(r.record for r in self.routes)

    @property
    def ipv4_gateway(self) -> IPAddress | None:
        """The next hop of the adapter's IPv4 default route: the LAN's router."""
        default = ipaddress.ip_network("0.0.0.0/0")
        return next((r.gateway for r in self.routes if r.destination == default and r.gateway is not None), None)
