"""Endpoint policies (HNS `Policies[]`): port mappings, outbound NAT, ACLs, QoS and routes.

Each policy is its own object with an ID, attached to one endpoint. The settings are a small typed
dataclass per type; the TOML record and the HNS V1/V2 shapes live in models/policycodec.py and models/policyjson.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from hnsctl.errors import InvalidInput
from hnsctl.models.addresses import (
    IPAddress,
    IPNetwork,
    parse_host_address,
    parse_mac,
    parse_prefix,
)

PROTOCOL_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOL_NUMBERS.items()}


class PolicyType(str, Enum):
    PORT_MAPPING = "portmapping"
    OUTBOUND_NAT = "outboundnat"
    ACL = "acl"
    QOS = "qos"
    ROUTE = "route"
    REMOTE_SUBNET_ROUTE = "remotesubnetroute"
    HOST_ROUTE = "hostroute"

    @property
    def on_network(self) -> bool:
        """Network policies (overlay): attached to a network, not to an endpoint."""
        return self in (PolicyType.REMOTE_SUBNET_ROUTE, PolicyType.HOST_ROUTE)

    @property
    def v1_name(self) -> str:
        return _V1_NAMES[self]

    @property
    def v2_name(self) -> str:
        return _V2_NAMES[self]

    @classmethod
    def parse(cls, text: str, *, field: str = "TYPE") -> PolicyType:
        """Case-insensitive, V1 (`NAT`, `ROUTE`, `QOS`) and V2 (`PortMapping`, `SDNRoute`) spellings."""
        key = str(text).strip().lower()
        found = _ALIASES.get(key)
        if found is None:
            valid = ", ".join(m.value for m in cls)
            raise InvalidInput(f"invalid {field} {text!r}: expected one of {valid}", hns_name="HCN_E_INVALID_POLICY_TYPE")
        return found


_V1_NAMES = {
    PolicyType.PORT_MAPPING: "NAT",
    PolicyType.OUTBOUND_NAT: "OutBoundNAT",
    PolicyType.ACL: "ACL",
    PolicyType.QOS: "QOS",
    PolicyType.ROUTE: "ROUTE",
    PolicyType.REMOTE_SUBNET_ROUTE: "RemoteSubnetRoute",
    PolicyType.HOST_ROUTE: "HostRoute",
}
_V2_NAMES = {
    PolicyType.PORT_MAPPING: "PortMapping",
    PolicyType.OUTBOUND_NAT: "OutBoundNAT",
    PolicyType.ACL: "ACL",
    PolicyType.QOS: "QOS",
    PolicyType.ROUTE: "SDNRoute",
    PolicyType.REMOTE_SUBNET_ROUTE: "RemoteSubnetRoute",
    PolicyType.HOST_ROUTE: "HostRoute",
}
_ALIASES = {
    "portmapping": PolicyType.PORT_MAPPING, "nat": PolicyType.PORT_MAPPING, "port-mapping": PolicyType.PORT_MAPPING,
    "outboundnat": PolicyType.OUTBOUND_NAT, "outbound-nat": PolicyType.OUTBOUND_NAT,
    "acl": PolicyType.ACL,
    "qos": PolicyType.QOS,
    "route": PolicyType.ROUTE, "sdnroute": PolicyType.ROUTE,
    "remotesubnetroute": PolicyType.REMOTE_SUBNET_ROUTE, "remote-subnet-route": PolicyType.REMOTE_SUBNET_ROUTE,
    "hostroute": PolicyType.HOST_ROUTE, "host-route": PolicyType.HOST_ROUTE,
}


@dataclass(frozen=True)
class PortMapping:
    protocol: str  # tcp | udp
    internal_port: int
    external_port: int
    vip: IPAddress | None = None


@dataclass(frozen=True)
class OutboundNat:
    exceptions: tuple[IPNetwork, ...] = ()
    vip: IPAddress | None = None


@dataclass(frozen=True)
class Acl:
    """One firewall rule of an endpoint. Local means the endpoint's side, remote the other side."""

    action: str  # allow | block
    direction: str  # in | out
    protocol: int | None = None
    local_addresses: tuple[IPNetwork, ...] = ()
    remote_addresses: tuple[IPNetwork, ...] = ()
    local_ports: tuple[tuple[int, int], ...] = ()
    remote_ports: tuple[tuple[int, int], ...] = ()
    priority: int = 1000

    @property
    def is_catch_all(self) -> bool:
        """Names no protocol, address or port: a default rule rather than an explicit one."""
        return not (self.protocol or self.local_addresses or self.remote_addresses or self.local_ports or self.remote_ports)


@dataclass(frozen=True)
class Qos:
    max_bandwidth: int  # bytes per second, egress from the endpoint


@dataclass(frozen=True)
class Route:
    destination: IPNetwork
    next_hop: IPAddress | None = None
    encap: bool = False


@dataclass(frozen=True)
class RemoteSubnetRoute:
    """`destination` lives behind the overlay host at `provider_address`, whose router MAC is `dr_mac`."""

    destination: IPNetwork
    provider_address: IPAddress
    dr_mac: str  # HNS form 02-11-0A-F4-02-01


@dataclass(frozen=True)
class HostRoute:
    """HNS HostRoute: lets the host reach the overlay's local endpoints (always true here; recorded)."""


Settings = PortMapping | OutboundNat | Acl | Qos | Route | RemoteSubnetRoute | HostRoute


@dataclass(frozen=True)
class Policy:
    id: str
    endpoint_id: str
    type: PolicyType
    settings: Settings
    created_at: str = ""
    sequence: int = field(default=0)  # creation order: ties in priority go to the older policy
    network_id: str = ""  # set (and endpoint_id empty) for network policies


def parse_port(value: object, *, field: str) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"invalid {field} {value!r}: expected a port number 1-65535") from None
    if not 1 <= port <= 65535:
        raise InvalidInput(f"invalid {field} {port}: a port is 1-65535")
    return port


def parse_protocol(value: object, *, field: str = "--protocol", allowed: tuple[str, ...] = ("tcp", "udp")) -> str:
    """Name or IANA number (`6`, `17`), as HNS documents carry either."""
    text = str(value).strip().lower()
    if text.isascii() and text.isdigit():
        text = PROTOCOL_NAMES.get(int(text), text)
    if text not in allowed:
        raise InvalidInput(f"invalid {field} {value!r}: expected one of {', '.join(allowed)}", hns_name="HCN_E_INVALID_POLICY")
    return text


@dataclass(frozen=True)
class PolicyRequest:
    """`policy add` as asked (flags or an HNS policy object), before validation. Fields are raw text."""

    type: str
    endpoint: str
    protocol: str | None = None
    internal_port: object = None
    external_port: object = None
    vip: str | None = None
    exceptions: tuple[str, ...] = ()
    max_bandwidth: object = None
    action: str | None = None
    direction: str | None = None
    local_addresses: tuple[str, ...] = ()
    remote_addresses: tuple[str, ...] = ()
    local_ports: tuple[str, ...] = ()
    remote_ports: tuple[str, ...] = ()
    priority: object = None
    destination: str | None = None
    next_hop: str | None = None
    encap: bool = False
    network: str | None = None
    provider_address: str | None = None
    dr_mac: str | None = None
    isolation_id: object = None  # a document's RemoteSubnetRoute IsolationId: must be the network's VSID


def validate_settings(request: PolicyRequest) -> tuple[PolicyType, Settings]:
    """Turn a request into typed settings; every error names the option and changes nothing."""
    kind = PolicyType.parse(request.type)
    if kind is PolicyType.PORT_MAPPING:
        if request.internal_port is None or request.external_port is None:
            raise InvalidInput("a port mapping needs --external-port and --internal-port", hns_name="HCN_E_INVALID_INTERNAL_PORT")
        vip = parse_host_address(request.vip, field="--vip") if request.vip else None
        return kind, PortMapping(
            protocol=parse_protocol(request.protocol or "tcp"),
            internal_port=parse_port(request.internal_port, field="--internal-port"),
            external_port=parse_port(request.external_port, field="--external-port"),
            vip=vip,
        )
    if kind is PolicyType.OUTBOUND_NAT:
        vip = parse_host_address(request.vip, field="--vip") if request.vip else None
        return kind, OutboundNat(tuple(parse_prefix(e, field="--exception") for e in request.exceptions), vip)
    if kind is PolicyType.ACL:
        return kind, validate_acl(request)
    if kind is PolicyType.QOS:
        if request.max_bandwidth is None:
            raise InvalidInput("a QoS policy needs --max-bandwidth (bytes per second)", hns_name="HCN_E_INVALID_POLICY")
        try:
            rate = int(str(request.max_bandwidth).strip())
        except ValueError:
            raise InvalidInput(f"invalid --max-bandwidth {request.max_bandwidth!r}: expected bytes per second") from None
        if not 1000 <= rate <= 10**12:
            raise InvalidInput(f"invalid --max-bandwidth {rate}: expected 1000 to 10^12 bytes per second")
        return kind, Qos(rate)
    if kind is PolicyType.ROUTE:
        if not request.destination:
            raise InvalidInput("a route needs --destination CIDR", hns_name="HCN_E_INVALID_POLICY")
        next_hop = parse_host_address(request.next_hop, field="--next-hop") if request.next_hop else None
        return kind, Route(parse_prefix(request.destination, field="--destination"), next_hop, bool(request.encap))
    if kind is PolicyType.REMOTE_SUBNET_ROUTE:
        missing = [flag for flag, value in (("--destination", request.destination), ("--provider-address", request.provider_address),
                                             ("--dr-mac", request.dr_mac)) if not value]
        if missing:
            raise InvalidInput(f"a remote subnet route needs {', '.join(missing)}", hns_name="HCN_E_INVALID_POLICY")
        destination = parse_prefix(request.destination, field="--destination")  # type: ignore[arg-type]
        provider = parse_host_address(request.provider_address, field="--provider-address")  # type: ignore[arg-type]
        if destination.version != 4 or provider.version != 4:
            raise InvalidInput("a remote subnet route is IPv4: --destination and --provider-address", hns_name="HCN_E_INVALID_POLICY")
        return kind, RemoteSubnetRoute(destination, provider, parse_mac(request.dr_mac, field="--dr-mac"))  # type: ignore[arg-type]
    if kind is PolicyType.HOST_ROUTE:
        return kind, HostRoute()
    raise InvalidInput(f"policy type {kind.value!r} is not supported yet", hns_name="HCN_E_INVALID_POLICY_TYPE")


def _split(values: tuple[str, ...]) -> list[str]:
    """Repeated flags and HNS's comma lists are the same thing."""
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def parse_port_ranges(values: tuple[str, ...], *, field: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in _split(values):
        low, sep, high = part.partition("-")
        first = parse_port(low, field=field)
        last = parse_port(high, field=field) if sep else first
        if last < first:
            raise InvalidInput(f"invalid {field} {part!r}: the range runs backwards")
        ranges.append((first, last))
    return tuple(ranges)


def validate_acl(request: PolicyRequest) -> Acl:
    action = str(request.action or "").strip().lower()
    if action not in ("allow", "block"):
        raise InvalidInput(f"invalid --action {request.action!r}: expected allow or block", hns_name="HCN_E_INVALID_POLICY")
    direction = str(request.direction or "").strip().lower()
    if direction not in ("in", "out"):
        raise InvalidInput(f"invalid --direction {request.direction!r}: expected in or out", hns_name="HCN_E_INVALID_POLICY")
    protocol = None
    if request.protocol not in (None, ""):
        text = str(request.protocol).strip().lower()
        if text.isascii() and text.isdigit():
            protocol = int(text)
            if not 0 < protocol < 256:
                raise InvalidInput(f"invalid --protocol {request.protocol!r}: IP protocol numbers are 1-255", hns_name="HCN_E_INVALID_POLICY")
        elif text in PROTOCOL_NUMBERS:
            protocol = PROTOCOL_NUMBERS[text]
        else:
            raise InvalidInput(f"invalid --protocol {request.protocol!r}: expected tcp, udp, icmp or a protocol number", hns_name="HCN_E_INVALID_POLICY")
    local_ports = parse_port_ranges(request.local_ports, field="--local-port")
    remote_ports = parse_port_ranges(request.remote_ports, field="--remote-port")
    if (local_ports or remote_ports) and protocol not in (6, 17):
        raise InvalidInput("ports need --protocol tcp or udp", hns_name="HCN_E_INVALID_POLICY")
    try:
        priority = 1000 if request.priority in (None, "") else int(str(request.priority))
    except ValueError:
        raise InvalidInput(f"invalid --priority {request.priority!r}: expected 0-65535 (lower is evaluated first)") from None
    if not 0 <= priority <= 65535:
        raise InvalidInput(f"invalid --priority {priority}: expected 0-65535 (lower is evaluated first)")
    return Acl(
        action=action,
        direction=direction,
        protocol=protocol,
        local_addresses=tuple(parse_prefix(a, field="--local-address") for a in _split(request.local_addresses)),
        remote_addresses=tuple(parse_prefix(a, field="--remote-address") for a in _split(request.remote_addresses)),
        local_ports=local_ports,
        remote_ports=remote_ports,
        priority=priority,
    )


def ports_text(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def summary(policy: Policy) -> str:
    """One line a person reads in `policy list`."""
    s = policy.settings
    if isinstance(s, Acl):
        parts = [s.action, s.direction, PROTOCOL_NAMES.get(s.protocol, str(s.protocol)) if s.protocol else "any"]
        if s.local_ports:
            parts.append("local port " + ports_text(s.local_ports))
        if s.remote_addresses:
            parts.append("remote " + ",".join(str(a) for a in s.remote_addresses))
        if s.local_addresses:
            parts.append("local " + ",".join(str(a) for a in s.local_addresses))
        if s.remote_ports:
            parts.append("remote port " + ports_text(s.remote_ports))
        return " ".join(parts) + f" (priority {s.priority})"
    if isinstance(s, PortMapping):
        where = f"{s.vip}:" if s.vip else ""
        return f"{s.protocol} {where}{s.external_port} -> {s.internal_port}"
    if isinstance(s, OutboundNat):
        parts = [f"snat to {s.vip}" if s.vip else "snat to host"]
        if s.exceptions:
            parts.append("except " + ", ".join(str(e) for e in s.exceptions))
        return "; ".join(parts)
    if isinstance(s, Qos):
        return f"egress max {s.max_bandwidth} bytes/s"
    if isinstance(s, RemoteSubnetRoute):
        return f"{s.destination} behind {s.provider_address} (router MAC {s.dr_mac})"
    if isinstance(s, HostRoute):
        return "host reaches local endpoints"
    return f"{s.destination} via {s.next_hop or 'gateway'}" + (" (encap)" if s.encap else "")
