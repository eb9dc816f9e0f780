"""What the service asks of the kernel, as data and one Protocol. Backends decide how, never whether."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class BridgeSpec:
    """A network's bridge: name derived from the owner's ID, tagged with the owner, carrying host addresses."""

    name: str
    owner: str
    addresses: tuple[str, ...] = ()  # "10.200.0.1/24"
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
    addresses: tuple[str, ...]
    gateway: str | None
    default_route: str


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
    addresses: frozenset[str] = frozenset()  # "10.200.0.1/24", link-local excluded
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


class Backend(Protocol):
    """Kernel operations. Deletions are idempotent: what is already gone counts as done."""

    def require_privileges(self) -> None:
        """Raise PermissionDenied early when the process cannot change networking (no CAP_NET_ADMIN)."""

    def list_routes(self) -> list[RouteInfo]:
        """Main-table routes of the current namespace, for overlap checks."""

    def link_exists(self, name: str) -> bool: ...

    def host_addresses(self) -> set[str]:
        """Every IPv4 address of this network namespace (a VIP that is one of them answers for the host too)."""

    def list_owned_links(self) -> list[OwnedLink]: ...

    def create_bridge(self, spec: BridgeSpec) -> None:
        """Create the bridge, tag it, add its addresses and bring it up. Raises Conflict if the name is taken."""

    def create_vxlan(self, spec: VxlanSpec) -> None:
        """Create the VXLAN device, tag it, enslave it to its bridge, bring it up. Conflict if the name is taken."""

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        """Put an existing VXLAN device back in its bridge, tagged and up."""

    def apply_remote(self, spec: RemoteSpec) -> None:
        """FDB (MAC -> provider address), permanent neighbour (IP -> MAC) and route entries; replaces, so idempotent."""

    def remove_remote(self, spec: RemoteSpec) -> None:
        """Remove exactly those entries (FDB kept when `shared_mac`); gone counts as done."""

    def remote_present(self, spec: RemoteSpec) -> bool:
        """Every entry of `spec` is in the kernel."""

    def check_adapter_free(self, adapter: str) -> None:
        """InvalidInput when the adapter does not exist, Conflict when a bridge already has it."""

    def adapter_state(self, adapter: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The adapter's global addresses and the routes through it, as recordable text (read only)."""

    def give_back_adapter(self, bridge: str, adapter: str, addresses: tuple[str, ...], routes: tuple[str, ...]) -> None:
        """Release the adapter and restore exactly those addresses and routes on it (idempotent)."""

    def move_to_bridge(self, bridge: str, adapter: str, addresses: tuple[str, ...], routes: tuple[str, ...]) -> None:
        """Enslave the adapter and move those addresses and routes from it to the bridge (idempotent)."""

    def adapter_held(self, bridge: str, adapter: str) -> bool:
        """The adapter is a port of the bridge."""

    def vlan_support(self) -> dict[str, tuple[bool, str]]:
        """{"802.1q": (works, detail), "bridge-vlan-filtering": (works, detail)}, probed in a throwaway namespace."""

    def adapter_mac(self, adapter: str) -> str:
        """The adapter's MAC (kernel form)."""

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        """Replace the network's MAC-rewrite rules and endpoint map in `bridge hnsctl` (idempotent)."""

    def remove_l2bridge(self, owner: str, short: str) -> None:
        """Remove the network's rules and map; the table goes with the last network. Gone counts as done."""

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        """Add (with mac) or remove (mac None) one endpoint's IP -> MAC element."""

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        """(rules the owner has, endpoint elements) in the bridge table, for reconcile."""

    def default_route_interface(self) -> str | None:
        """The interface the IPv4 default route leaves by (None without one): uplink networks' default adapter."""

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        """(interface, IPv4 address, MTU) of the underlay: the interface holding `provider_address`, or
        `adapter`'s first address, or the default route's interface. InvalidInput when there is none."""

    def delete_link(self, name: str, owner: str) -> None:
        """Delete an interface made for `owner`; gone counts as done, one tagged for another owner is refused."""

    def repair_bridge(self, spec: BridgeSpec) -> None:
        """Bring an existing bridge back to `spec`: tag, missing addresses, up. Never removes anything."""

    def firewall_owners(self) -> set[str]:
        """IDs that own at least one rule in hnsctl's table."""

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        """Replace every rule owned by `firewall.owner` with the rendered set, in one transaction."""

    def remove_firewall(self, owner: str) -> None:
        """Delete every rule owned by `owner`; drop hnsctl's table once no owned rule or mapping is left."""

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        """One map element, one transaction. Raises Conflict if the key is already mapped in the kernel."""

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        """Remove the element; already gone counts as done."""

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        """(protocol, external port, vip) keys present in the kernel, for reconcile."""

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        """Keep (present) or stop keeping one host endpoint's bridged hop out of conntrack, so that NAT
        of traffic routed through it happens on the host's routed pass."""

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        """(bridge, MAC) of the host endpoints marked in the kernel, for reconcile."""

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        """Replace the rules owned by `spec.owner` with this endpoint's OutBoundNAT rules."""

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        """Rebuild the endpoint's ACL chains (none left when it has no ACLs), one transaction."""

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        """Delete ACL chains of endpoints whose 8-hex short ID is not in `keep`; returns their names."""

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        """Create (`new`) or bring the load balancer's chain, backend map and frontend elements to `spec`
        (idempotent). With `previous` (a backend change) only what differs is rewritten."""

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        """Remove everything the load balancer put in the kernel; already gone counts as done."""

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        """Per load-balancer short ID found in the kernel: (rules in its chain, backend addresses, frontend keys)."""

    def load_balancer_marks(self) -> set[int]:
        """Connection marks present in the source-VIP map (`lb-snat`)."""

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        """Delete load-balancer chains, maps and elements whose short ID is not in `keep` (and source-VIP
        elements whose mark is not in `keep_marks`); returns the short IDs removed."""

    def kernel_features(self) -> list[tuple[str, bool, str]]:
        """(feature, works, detail), probed in a throwaway namespace."""

    def enable_bridge_filtering(self) -> bool:
        """Let bridged IPv4 traffic reach the nftables hooks (br_netfilter); False when the kernel cannot."""

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        """Egress rate limit on the endpoint's own interface (tbf); None removes it. Missing interface: no-op."""

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        """The rate limit (bytes/s) the kernel applies on the interface, if any."""

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        """Destinations (CIDR) of main-table routes through the interface."""

    def port_in_use(self, protocol: str, port: int) -> bool:
        """A local process listens on (tcp) or is bound to (udp) this port: port-mapping warnings."""

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        """Replace routes (destination, next hop or None for on-link) and delete `removed` destinations."""

    def enable_forwarding(self, version: int) -> None: ...

    def host_nameservers(self) -> list[str]:
        """IPv4 nameservers of the host's resolver configuration (ICS forwards endpoints' DNS to the first)."""

    def allow_loopback_destinations(self, interface: str) -> None:
        """route_localnet on one of hnsctl's bridges (a DNS forwarder pointing at 127.0.0.53)."""

    # -- endpoint ports

    def create_port(self, spec: PortSpec) -> None:
        """Create the veth pair: host side tagged, on the bridge and up; the other side tagged and parked."""

    def delete_port(self, host_side: str, owner: str) -> None:
        """Remove the pair wherever its other side is. Already gone counts as done."""

    def port_exists(self, host_side: str) -> bool: ...

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        """Move the parked side into `namespace` as `config.ifname`, address it, bring it and lo up, add the route."""

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        """Park the container side again; a vanished namespace or interface counts as done."""

    def attach_host(self, config: InterfaceConfig) -> None: ...

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None: ...

    def port_counters(self, host_side: str) -> InterfaceCounters | None: ...

    def port_addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        """(interface, mac, address/prefix) read back from the kernel on the container side."""

    # -- namespaces

    def create_namespace(self, name: str) -> None:
        """Create /run/netns/<name> (visible to `ip netns`) with lo up. Raises Conflict if the name is taken."""

    def delete_namespace(self, name: str) -> None: ...

    def namespace_exists(self, name: str) -> bool: ...

    def write_resolv_conf(self, namespace: str, content: str | None) -> bool:
        """Write or (None) remove /etc/netns/<namespace>/resolv.conf; False if a file hnsctl did not write is in the way."""

    def operations(self) -> list[str]:
        """The kernel operations recorded so far (dry-run); empty for the real backend."""

    def close(self) -> None: ...
