"""Load balancers (HNS V2 `HostComputeLoadBalancer`, V1 PolicyList with `ELB` policies).

A load balancer spreads connections to frontend VIP(s) and port(s) over backend endpoints. It is its
own object with an ID (no name, as in HNS); its backends are endpoint IDs. Flag values are HNS's
numbers, so V1/V2 documents round-trip without a translation table.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum

from hnsctl.errors import InvalidInput
from hnsctl.models.addresses import IPAddress, parse_host_address
from hnsctl.models.ids import short_id
from hnsctl.models.policy import PROTOCOL_NUMBERS, parse_port, parse_protocol

# LoadBalancerFlags
FLAG_DSR = 1
FLAG_IPV6 = 2
# LoadBalancerPortMappingFlags
PM_ILB = 1
PM_LOCAL_ROUTED_VIP = 2
PM_USE_MUX = 4
PM_PRESERVE_DIP = 8
KNOWN_PM_FLAGS = PM_ILB | PM_LOCAL_ROUTED_VIP | PM_USE_MUX | PM_PRESERVE_DIP | 16


class Distribution(IntEnum):
    """HNS DistributionType: which connections must land on the same backend."""

    NONE = 0  # every new connection is placed on its own (round robin)
    SOURCE_IP_PROTOCOL = 1  # same client address and protocol -> same backend
    SOURCE_IP = 2  # same client address -> same backend (session affinity)

    @property
    def cli_name(self) -> str:
        return {0: "none", 1: "sourceipprotocol", 2: "sourceip"}[int(self)]

    @classmethod
    def parse(cls, value: object, *, field: str = "--distribution") -> Distribution:
        text = str(value).strip().lower()
        names = {"none": 0, "sourceipprotocol": 1, "sourceip": 2, "0": 0, "1": 1, "2": 2}
        if text not in names:
            raise InvalidInput(f"invalid {field} {value!r}: expected none, sourceip or sourceipprotocol (or 0, 2, 1)")
        return cls(names[text])


@dataclass(frozen=True)
class LbPortMapping:
    protocol: str  # tcp | udp
    internal_port: int
    external_port: int
    distribution: Distribution = Distribution.NONE
    flags: int = 0  # PM_* bits

    @property
    def protocol_number(self) -> int:
        return PROTOCOL_NUMBERS[self.protocol]

    @property
    def local_routed(self) -> bool:
        return bool(self.flags & PM_LOCAL_ROUTED_VIP)

    @property
    def ilb(self) -> bool:
        return bool(self.flags & PM_ILB)


@dataclass(frozen=True)
class LoadBalancer:
    id: str
    backends: tuple[str, ...]  # endpoint IDs, in the order they were added
    port_mappings: tuple[LbPortMapping, ...]
    frontend_vips: tuple[IPAddress, ...] = ()  # empty: every local address (NodePort style)
    source_vip: IPAddress | None = None
    flags: int = 0  # FLAG_* bits
    network_id: str = ""  # the first backend's network when created (HNS `HostComputeNetwork`)
    created_at: str = ""
    sequence: int = 0  # unique per state dir; also the connection mark that selects the source-VIP SNAT

    @property
    def short(self) -> str:
        return short_id(self.id)

    @property
    def dsr(self) -> bool:
        return bool(self.flags & FLAG_DSR)

    def frontend_keys(self) -> list[tuple[str | None, str, int]]:
        """(VIP or None for every local address, protocol, external port): what must be unique host-wide."""
        keys: list[tuple[str | None, str, int]] = []
        for mapping in self.port_mappings:
            for vip in self.frontend_vips or (None,):
                keys.append((str(vip) if vip else None, mapping.protocol, mapping.external_port))
        return keys


@dataclass(frozen=True)
class PortMappingRequest:
    protocol: object = None
    internal_port: object = None
    external_port: object = None
    distribution: object = None
    flags: object = None


@dataclass(frozen=True)
class LoadBalancerRequest:
    """`loadbalancer create` as asked (flags or an HNS document), before validation. Fields are raw text."""

    endpoints: tuple[str, ...] = ()
    port_mappings: tuple[PortMappingRequest, ...] = ()
    vips: tuple[str, ...] = ()
    source_vip: str | None = None
    dsr: bool = False
    ilb: bool = False
    local_routed_vip: bool = False
    id: str | None = None
    extra_flags: int = 0


def _int_field(value: object, *, field: str, maximum: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"invalid {field} {value!r}: expected a number") from None
    if not 0 <= number <= maximum:
        raise InvalidInput(f"invalid {field} {number}: expected 0-{maximum}")
    return number


def validate_port_mapping(request: PortMappingRequest, *, ilb: bool, local_routed_vip: bool) -> LbPortMapping:
    if request.external_port is None:
        raise InvalidInput("a load balancer port mapping needs --external-port", hns_name="HCN_E_INVALID_INTERNAL_PORT")
    external = parse_port(request.external_port, field="--external-port")
    internal = parse_port(request.internal_port, field="--internal-port") if request.internal_port not in (None, "", 0, "0") else external
    flags = _int_field(request.flags or 0, field="port mapping Flags", maximum=0xFFFF)
    if flags & ~KNOWN_PM_FLAGS:
        raise InvalidInput(f"invalid port mapping Flags {flags}: known bits are 1 ILB, 2 LocalRoutedVip, 4 UseMux, 8 PreserveDip, 16 VipExternalIP")
    if flags & PM_PRESERVE_DIP:
        raise InvalidInput("port mapping flag 8 (EnablePreserveDip) is not supported: backends always see their own address as destination")
    if ilb:
        flags |= PM_ILB
    if local_routed_vip:
        flags |= PM_LOCAL_ROUTED_VIP
    distribution = Distribution.parse(request.distribution) if request.distribution not in (None, "") else Distribution.NONE
    return LbPortMapping(parse_protocol(request.protocol or "tcp"), internal, external, distribution, flags)


def validate_request(request: LoadBalancerRequest) -> tuple[tuple[LbPortMapping, ...], tuple[IPAddress, ...], IPAddress | None, int]:
    """Port mappings, frontend VIPs, source VIP and LB flags; every error names the option and changes nothing."""
    if not request.port_mappings:
        raise InvalidInput("a load balancer needs at least one port mapping (--external-port)",
                           hint="HNS accepts load balancers without port mappings and they break kube-proxy; hnsctl refuses them",
                           hns_name="HCN_E_INVALID_INTERNAL_PORT")
    vips: list[IPAddress] = []
    for text in request.vips:
        vip = parse_host_address(text, field="--vip")
        if vip.version != 4:
            raise InvalidInput(f"invalid --vip {text!r}: IPv6 load balancers are not supported yet")
        if vip.is_loopback or vip.is_multicast or vip.is_unspecified or vip == ipaddress.IPv4Address("255.255.255.255"):
            raise InvalidInput(f"invalid --vip {text!r}: a VIP must be a unicast address clients can route to, not loopback, "
                               "multicast or broadcast")
        if vip not in vips:
            vips.append(vip)
    mappings = tuple(validate_port_mapping(m, ilb=request.ilb, local_routed_vip=request.local_routed_vip) for m in request.port_mappings)
    if not vips and not any(m.local_routed for m in mappings):
        raise InvalidInput("a load balancer needs --vip, or --local-routed-vip for every local address (NodePort style)")
    if not vips and not all(m.local_routed for m in mappings):
        raise InvalidInput("without --vip every port mapping must be --local-routed-vip (Flags 2)")
    seen: set[tuple[str, int]] = set()
    for mapping in mappings:
        key = (mapping.protocol, mapping.external_port)
        if key in seen:
            raise InvalidInput(f"port mapping {mapping.protocol}/{mapping.external_port} is given twice")
        seen.add(key)
    source_vip = None
    if request.source_vip:
        source_vip = parse_host_address(request.source_vip, field="--source-vip")
        if source_vip.version != 4:
            raise InvalidInput(f"invalid --source-vip {request.source_vip!r}: an IPv4 address is needed")
    flags = _int_field(request.extra_flags, field="Flags", maximum=3)
    if flags & FLAG_IPV6:
        raise InvalidInput("load balancer Flags 2 (IPv6) is not supported yet")
    if request.dsr:
        flags |= FLAG_DSR
    return mappings, tuple(vips), source_vip, flags


def summary(lb: LoadBalancer) -> str:
    """One line a person reads in `loadbalancer list`."""
    frontend = ",".join(str(v) for v in lb.frontend_vips) or "*"
    parts = []
    for m in lb.port_mappings:
        text = f"{m.protocol} {frontend}:{m.external_port} -> {m.internal_port}"
        if m.distribution is not Distribution.NONE:
            text += f" ({m.distribution.cli_name})"
        parts.append(text)
    extra = []
    if lb.source_vip and not lb.dsr:
        extra.append(f"snat {lb.source_vip}")
    if lb.dsr:
        extra.append("dsr")
    return "; ".join(parts) + (f" [{', '.join(extra)}]" if extra else "")

