"""The Endpoint object (a vNIC + switch port: a veth pair on Linux), its states and MAC handling."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from hnsctl.errors import InvalidInput
from hnsctl.models.addresses import IPAddress, format_mac
from hnsctl.models.ids import BRIDGE_PREFIX, short_id

# Locally administered prefix for generated MACs: 02-15-5D echoes Hyper-V's 00-15-5D without claiming its OUI.
GENERATED_MAC_PREFIX = (0x02, 0x15, 0x5D)
DEFAULT_IFNAME = "eth0"
IFNAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,15}")
HOST_SIDE_PREFIX = "hv-"
PARKED_PREFIX = "hp-"


if TYPE_CHECKING:
    from hnsctl.models.policy import PolicyRequest


class EndpointState(IntEnum):
    """HNS V1 endpoint states (hns-reference §5.4)."""

    CREATED = 1
    ATTACHED = 2
    DETACHED = 4


@dataclass(frozen=True)
class Attachment:
    """Where the container side lives: in a namespace (by ID), or in the host namespace."""

    namespace_id: str | None = None
    host: bool = False


@dataclass(frozen=True)
class Endpoint:
    id: str
    name: str
    network_id: str
    ip: IPAddress
    prefix_len: int
    mac: str  # canonical HNS form: 00-15-5D-00-00-50
    gateway: IPAddress | None = None
    dns_servers: tuple[str, ...] = ()
    dns_suffix: str = ""
    ifname: str = DEFAULT_IFNAME
    state: EndpointState = EndpointState.CREATED
    namespace_id: str | None = None
    host_attached: bool = False
    created_at: str = ""
    provider_address: str = ""  # set: a remote endpoint (on another overlay host), with no interface here
    on_other_host: bool = False  # a remote endpoint without a provider address (l2bridge: reached through the LAN)

    @property
    def remote(self) -> bool:
        return self.on_other_host or bool(self.provider_address)

    @property
    def short(self) -> str:
        return short_id(self.id)

    @property
    def host_side(self) -> str:
        """The bridge port; derived from the ID so it never collides with user-chosen names."""
        return HOST_SIDE_PREFIX + self.short

    @property
    def parked_name(self) -> str:
        """Name of the container side while it waits in the host namespace, detached."""
        return PARKED_PREFIX + self.short

    @property
    def host_ifname(self) -> str:
        """Name of the container side when attached to the host itself (eth0 would clash there)."""
        return self.ifname if self.ifname != DEFAULT_IFNAME else "he-" + self.short

    @property
    def is_attached(self) -> bool:
        return self.state is EndpointState.ATTACHED


@dataclass(frozen=True)
class EndpointRequest:
    """What `endpoint create` (flags or `--json`) asks for, before validation."""

    name: str
    network: str | None = None
    ip: str | None = None
    mac: str | None = None
    dns_servers: tuple[str, ...] = ()
    dns_suffix: str | None = None
    ifname: str | None = None
    namespace: str | None = None
    host: bool = False
    id: str | None = None
    prefix_len: int | None = None
    gateway: str | None = None
    remote: bool = False
    provider_address: str | None = None
    policies: tuple[PolicyRequest, ...] = ()  # made with the endpoint, under the same lock (`-p`, a document's Policies)


def generated_mac(ip: IPAddress, salt: int = 0) -> str:
    """A stable MAC from the address (unique within a subnet of /8 or smaller), salted on collision."""
    low = (int(ip) + salt * 0x9E3779) & 0xFFFFFF
    return format_mac([*GENERATED_MAC_PREFIX, low >> 16 & 0xFF, low >> 8 & 0xFF, low & 0xFF])


def validate_ifname(name: str, *, field: str = "--ifname") -> str:
    if not IFNAME_RE.fullmatch(name) or name in (".", "..") or name.startswith((HOST_SIDE_PREFIX, PARKED_PREFIX, BRIDGE_PREFIX)):
        raise InvalidInput(
            f"invalid {field} {name!r}: 1-15 letters, digits, '_', '.' or '-', not starting with hv-/hp-/hns- (hnsctl's own)",
            hns_name="HCN_E_INVALID_ENDPOINT",
        )
    return name


def interface_address(endpoint: Endpoint) -> str:
    return f"{endpoint.ip}/{endpoint.prefix_len}"


def default_route(endpoint: Endpoint) -> str:
    return "0.0.0.0/0" if isinstance(endpoint.ip, ipaddress.IPv4Address) else "::/0"
