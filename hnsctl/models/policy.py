"""Endpoint policies (HNS `Policies[]`): port mappings, outbound NAT, ACLs, QoS and routes.

Each policy is its own object with an ID, attached to one endpoint. The settings are a small typed
dataclass per type; the codec and the HNS V1/V2 shapes live in models/codec.py and models/hnsjson.py.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum

from hnsctl.errors import InvalidInput
from hnsctl.models.network import IPAddress, IPNetwork, parse_address

PROTOCOL_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOL_NUMBERS.items()}


class PolicyType(str, Enum):
    PORT_MAPPING = "portmapping"
    OUTBOUND_NAT = "outboundnat"
    ACL = "acl"
    QOS = "qos"
    ROUTE = "route"

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
}
_V2_NAMES = {
    PolicyType.PORT_MAPPING: "PortMapping",
    PolicyType.OUTBOUND_NAT: "OutBoundNAT",
    PolicyType.ACL: "ACL",
    PolicyType.QOS: "QOS",
    PolicyType.ROUTE: "SDNRoute",
}
_ALIASES = {
    "portmapping": PolicyType.PORT_MAPPING, "nat": PolicyType.PORT_MAPPING, "port-mapping": PolicyType.PORT_MAPPING,
    "outboundnat": PolicyType.OUTBOUND_NAT, "outbound-nat": PolicyType.OUTBOUND_NAT,
    "acl": PolicyType.ACL,
    "qos": PolicyType.QOS,
    "route": PolicyType.ROUTE, "sdnroute": PolicyType.ROUTE,
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
class Qos:
    max_bandwidth: int  # bytes per second, egress from the endpoint


@dataclass(frozen=True)
class Route:
    destination: IPNetwork
    next_hop: IPAddress | None = None
    encap: bool = False


Settings = PortMapping | OutboundNat | Qos | Route


@dataclass(frozen=True)
class Policy:
    id: str
    endpoint_id: str
    type: PolicyType
    settings: Settings
    created_at: str = ""
    sequence: int = field(default=0)  # creation order: ties in priority go to the older policy


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


def parse_host_address(value: str, *, field: str) -> IPAddress:
    """A single address; HNS's `Any` / `*` wildcards are refused with a hint instead of guessed at."""
    if str(value).strip().lower() in ("any", "*", "0.0.0.0", "::"):
        raise InvalidInput(f"invalid {field} {value!r}: give a concrete address, or leave the option out for any")
    return parse_address(value, field=field)


def parse_prefix(value: str, *, field: str) -> IPNetwork:
    """A CIDR or a bare address (as /32 or /128); host bits set are refused, `Any` is refused."""
    text = str(value).strip()
    if text.lower() in ("any", "*"):
        raise InvalidInput(f"invalid {field} {value!r}: leave the option out to mean any address")
    try:
        if "/" in text:
            prefix = ipaddress.ip_network(text, strict=False)
            if prefix.network_address != ipaddress.ip_address(text.split("/")[0]):
                raise InvalidInput(f"invalid {field} {value!r}: host bits are set; did you mean {prefix}?")
            return prefix
        return ipaddress.ip_network(text)
    except ValueError:
        raise InvalidInput(f"invalid {field} {value!r}: not an address or CIDR") from None


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
    destination: str | None = None
    next_hop: str | None = None
    encap: bool = False


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
    raise InvalidInput(f"policy type {kind.value!r} is not supported yet", hns_name="HCN_E_INVALID_POLICY_TYPE")


def summary(policy: Policy) -> str:
    """One line a person reads in `policy list`."""
    s = policy.settings
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
    return f"{s.destination} via {s.next_hop or 'gateway'}" + (" (encap)" if s.encap else "")
