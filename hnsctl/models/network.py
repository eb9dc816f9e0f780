"""The Network object, its types and flags, and the validators for a single network's fields."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from hnsctl.errors import InvalidInput
from hnsctl.models.addresses import IPAddress, IPNetwork, parse_address
from hnsctl.models.ids import bridge_name, short_id

if TYPE_CHECKING:
    from hnsctl.models.policy import PolicyRequest

# Smallest subnets that still hold a gateway plus one endpoint.
MAX_PREFIX_LEN = {4: 30, 6: 126}


class NetworkType(str, Enum):
    """HNS network modes. V1 prints the lower-case value, V2 the `v2_name`."""

    NAT = "nat"
    ICS = "ics"
    TRANSPARENT = "transparent"
    L2BRIDGE = "l2bridge"
    L2TUNNEL = "l2tunnel"
    OVERLAY = "overlay"
    PRIVATE = "private"
    INTERNAL = "internal"

    @property
    def v2_name(self) -> str:
        return _V2_NAMES[self]

    @property
    def has_host_address(self) -> bool:
        """Private networks are a switch with no host vNIC: the bridge gets no address. A transparent
        network's bridge carries the adapter's own addresses instead of a gateway address."""
        return self not in (NetworkType.PRIVATE, NetworkType.TRANSPARENT, NetworkType.L2BRIDGE, NetworkType.L2TUNNEL)

    @classmethod
    def parse(cls, text: str, *, field: str = "--type") -> NetworkType:
        """Case-insensitive, accepting V1 (`l2bridge`) and V2 (`L2Bridge`) spellings and V2's integers."""
        key = str(text).strip().lower()
        if key.isascii() and key.isdigit() and int(key) < len(_V2_ORDER):
            return _V2_ORDER[int(key)]
        for member in cls:
            if member.value == key:
                return member
        valid = ", ".join(m.value for m in cls)
        raise InvalidInput(
            f"invalid {field} {text!r}: expected one of {valid}", hns_name="HCN_E_INVALID_NETWORK_TYPE"
        )


_V2_NAMES = {
    NetworkType.NAT: "NAT",
    NetworkType.ICS: "ICS",
    NetworkType.TRANSPARENT: "Transparent",
    NetworkType.L2BRIDGE: "L2Bridge",
    NetworkType.L2TUNNEL: "L2Tunnel",
    NetworkType.OVERLAY: "Overlay",
    NetworkType.PRIVATE: "Private",
    NetworkType.INTERNAL: "Internal",
}
# The HCN NetworkMode enum order, for documents that send `"Type": 0`.
_V2_ORDER = [
    NetworkType.NAT,
    NetworkType.ICS,
    NetworkType.TRANSPARENT,
    NetworkType.L2BRIDGE,
    NetworkType.L2TUNNEL,
    NetworkType.OVERLAY,
    NetworkType.PRIVATE,
    NetworkType.INTERNAL,
]

# Types whose kernel plumbing exists; the others parse but are refused until built.
IMPLEMENTED_TYPES = frozenset(NetworkType)
UPLINK_TYPES = frozenset({NetworkType.TRANSPARENT, NetworkType.L2BRIDGE, NetworkType.L2TUNNEL})  # take over an adapter
MAC_REWRITE_TYPES = frozenset({NetworkType.L2BRIDGE, NetworkType.L2TUNNEL})  # endpoints use the host's MAC on the wire
# Types whose endpoints take port mappings and OutBoundNAT (HNS: not transparent, internal or private,
# whose endpoints have no NAT in front of them: HCN_E_MAPPING_NOT_SUPPORTED).
MAPPING_TYPES = frozenset({NetworkType.NAT, NetworkType.ICS, NetworkType.OVERLAY, NetworkType.L2BRIDGE, NetworkType.L2TUNNEL})
VXLAN_PORT = 4789
VXLAN_OVERHEAD = 50  # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 (HNS's EncapOverhead idea)
MAX_VSID = (1 << 24) - 1


class NetworkFlags:
    """HNS NetworkFlags bits that hnsctl gives meaning to (hns-reference §3.2)."""

    ENABLE_DNS = 1
    ENABLE_DHCP = 2
    NON_PERSISTENT = 8
    KNOWN_MASK = (1 << 14) - 1


@dataclass(frozen=True)
class Subnet:
    prefix: IPNetwork
    gateway: IPAddress | None = None


@dataclass(frozen=True)
class Overlay:
    """What makes a network an overlay: the VXLAN segment (VSID = VNI) and this host's end of it."""

    vsid: int
    provider_address: str  # this host's address on the underlay (HNS ManagementIP / ProviderAddress)
    adapter: str  # the underlay interface holding it (HNS NetworkAdapterName)
    vxlan_port: int = VXLAN_PORT
    mtu: int = 1500 - VXLAN_OVERHEAD
    dr_mac: str = ""  # the bridge's MAC: other hosts route this host's subnet to it (DistributedRouterMacAddress)


@dataclass(frozen=True)
class Uplink:
    """A host adapter a transparent network took over, and exactly what was moved off it (for the way back)."""

    adapter: str
    addresses: tuple[str, ...] = ()  # "192.0.2.10/24" (with "brd 192.0.2.255" when the adapter had one)
    routes: tuple[str, ...] = ()  # "0.0.0.0/0 via 192.0.2.1 metric 0 proto 3 scope 0"
    mac: str = ""  # the adapter's MAC, which the bridge takes: the host keeps its identity on the LAN
    outbound_nat: bool = False  # l2bridge: endpoint traffic leaving the LAN is SNATed to the host's address
    outbound_nat_exceptions: tuple[str, ...] = ()  # destinations (CIDR) that keep the endpoint's address
    # Set: this network shares the external switch (bridge) that network `switch_owner` made when it took the
    # adapter over (Windows: a second network on the same vSwitch, e.g. the SDN scripts' "External" + "cbr0").
    # Nothing was moved for this network; `addresses` are the owner's, recorded to know the host's LAN address.
    switch_owner: str = ""

    @property
    def ipv4_interfaces(self) -> list[ipaddress.IPv4Interface]:
        """The host's IPv4 addresses on the LAN (the recorded text without its `brd …` part)."""
        found = [ipaddress.ip_interface(a.split()[0]) for a in self.addresses]
        return [i for i in found if isinstance(i, ipaddress.IPv4Interface)]


def dr_mac_for(network_id: str) -> str:
    """A locally administered MAC derived from the network ID, so it can be told to other hosts before the
    bridge exists and survives a bridge recreated by reconcile."""
    digits = short_id(network_id)
    return "02-11-" + "-".join(digits[i:i + 2] for i in range(0, 8, 2)).upper()


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    type: NetworkType
    subnets: tuple[Subnet, ...]
    dns_servers: tuple[str, ...] = ()
    dns_suffix: str = ""
    flags: int = 0
    created_at: str = ""
    policies: tuple[dict[str, object], ...] = field(default=())
    overlay: Overlay | None = None
    mac_pools: tuple[tuple[str, str], ...] = ()  # HNS MacPools: (first, last) in HNS form; endpoint MACs come from them
    max_endpoints: int = 0  # HNS MaxConcurrentEndpoints; 0: no limit
    uplink: Uplink | None = None
    # SchemaVersion (Major, Minor) of the document the network was made from, printed back as given;
    # None for a network made from flags, which prints the default of each shape
    hns_schema: tuple[int, int] | None = None

    @property
    def bridge_name(self) -> str:
        return bridge_name(self.switch_owner or self.id)

    @property
    def switch_owner(self) -> str:
        """The ID of the network whose bridge this one shares; "" when it has its own."""
        return self.uplink.switch_owner if self.uplink else ""

    @property
    def short(self) -> str:
        """First 8 hex digits of the ID: names the network's kernel objects (bridge, VXLAN device, l2bridge map)."""
        return short_id(self.id)

    @property
    def endpoint_dns_servers(self) -> tuple[str, ...]:
        """What endpoints are told by default: on ICS the gateway (the host forwards), else the network's list."""
        if self.type is NetworkType.ICS:
            return tuple(str(g) for g in self.gateways if g.version == 4)
        return self.dns_servers

    @property
    def vxlan_name(self) -> str:
        return "hvx-" + self.short

    @property
    def mtu(self) -> int | None:
        """Endpoints of an overlay carry the encapsulation inside the underlay's MTU."""
        return self.overlay.mtu if self.overlay else None

    @property
    def gateways(self) -> tuple[IPAddress, ...]:
        return tuple(s.gateway for s in self.subnets if s.gateway is not None)


def parse_subnet(text: str, *, field: str = "--subnet") -> IPNetwork:
    """A canonical CIDR only: `10.0.0.5/24` is refused rather than silently widened (a classic HNS confusion)."""
    raw = str(text).strip()
    if "/" not in raw:
        raise InvalidInput(f"invalid {field} {text!r}: expected a CIDR such as 10.200.0.0/24", hns_name="HCN_E_INVALID_SUBNET")
    try:
        prefix = ipaddress.ip_network(raw, strict=False)
    except ValueError as exc:
        raise InvalidInput(f"invalid {field} {text!r}: {exc}", hns_name="HCN_E_INVALID_SUBNET") from None
    if prefix.network_address != ipaddress.ip_address(raw.split("/")[0]):
        raise InvalidInput(
            f"invalid {field} {text!r}: host bits are set; did you mean {prefix}?",
            hns_name="HCN_E_INVALID_SUBNET",
        )
    if prefix.prefixlen > MAX_PREFIX_LEN[prefix.version]:
        raise InvalidInput(
            f"invalid {field} {text!r}: a /{prefix.prefixlen} has no room for a gateway and an endpoint; "
            f"use /{MAX_PREFIX_LEN[prefix.version]} or shorter",
            hns_name="HCN_E_INVALID_SUBNET",
        )
    if prefix.is_multicast or prefix.is_loopback or prefix.network_address.is_unspecified:
        raise InvalidInput(f"invalid {field} {text!r}: not a unicast subnet", hns_name="HCN_E_INVALID_SUBNET")
    return prefix


def first_host(prefix: IPNetwork) -> IPAddress:
    return prefix.network_address + 1


def check_gateway(prefix: IPNetwork, gateway: IPAddress, *, field: str = "--gateway") -> IPAddress:
    """The gateway must be a usable host address of its subnet."""
    if gateway.version != prefix.version or gateway not in prefix:
        raise InvalidInput(
            f"invalid {field} {gateway}: not inside subnet {prefix}; pick an address in it, e.g. {first_host(prefix)}",
            hns_name="HCN_E_INVALID_IP",
        )
    if gateway == prefix.network_address or (prefix.version == 4 and gateway == prefix.broadcast_address):
        raise InvalidInput(
            f"invalid {field} {gateway}: the network or broadcast address of {prefix} cannot be a gateway",
            hns_name="HCN_E_ADDR_INVALID_OR_RESERVED",
        )
    return gateway


def parse_dns_servers(values: list[str] | tuple[str, ...], *, field: str = "--dns") -> tuple[str, ...]:
    servers: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part:
                servers.append(str(parse_address(part, field=field)))
    return tuple(servers)


def validate_dns_suffix(text: str, *, field: str = "--dns-suffix") -> str:
    """ASCII letters, digits and inner hyphens per label (internationalised names in their xn-- form)."""
    text = text.strip()
    labels = text.rstrip(".").split(".") if text else []
    if len(text.rstrip(".")) > 253 or any(not _is_dns_label(label) for label in labels):
        raise InvalidInput(f"invalid {field} {text!r}: expected a DNS domain such as corp.example.com")
    return text


def _is_dns_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and label.isascii()
        and all(c.isalnum() or c == "-" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
    )


@dataclass(frozen=True)
class SubnetRequest:
    """One subnet as asked for, before validation: strings straight from flags or a JSON document."""

    prefix: str
    gateway: str | None = None
    field: str = "--subnet"


@dataclass(frozen=True)
class NetworkRequest:
    """What `network create` (flags or `--json`) asks for. The service validates and completes it."""

    name: str
    type: str = "nat"
    subnets: tuple[SubnetRequest, ...] = ()
    dns_servers: tuple[str, ...] = ()
    dns_suffix: str = ""
    flags: int = 0
    id: str | None = None
    policies: tuple[dict[str, object], ...] = ()
    adapter: str | None = None
    vsid: object = None
    vxlan_port: object = None
    provider_address: str | None = None
    vlan: object = None
    outbound_nat: bool = False
    outbound_nat_exceptions: tuple[str, ...] = ()
    mac_pools: tuple[tuple[str, str], ...] = ()  # (first, last) MAC: endpoint MACs come from these
    max_endpoints: int = 0  # MaxConcurrentEndpoints: 0 means no limit
    network_policies: tuple[PolicyRequest, ...] = ()  # RemoteSubnetRoute / HostRoute from a document, made with the network
    hns_schema: tuple[int, int] | None = None  # the document's SchemaVersion (Major, Minor), already checked; None: flags
