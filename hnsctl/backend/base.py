"""What the service asks of the kernel, as data and one Protocol. Backends decide how, never whether."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class BridgeSpec:
    """A network's bridge: name derived from the owner's ID, tagged with the owner, carrying host addresses."""

    name: str
    owner: str
    addresses: tuple[str, ...] = ()  # "10.200.0.1/24"


@dataclass(frozen=True)
class NetworkFirewall:
    """The nftables rules one network needs; rendered by backend.nftrules, applied as one transaction."""

    owner: str
    bridge: str
    masquerade: tuple[IPNetwork, ...] = ()
    allow_forwarding: bool = False
    isolate: bool = False


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


@dataclass
class NetworkPlan:
    """Everything in the kernel that one network implies: the unit create, delete and reconcile work on."""

    bridge: BridgeSpec
    firewall: NetworkFirewall | None
    forwarding: set[int] = field(default_factory=set)  # IP versions that need forwarding on


class Backend(Protocol):
    """Kernel operations. Deletions are idempotent: what is already gone counts as done."""

    def require_privileges(self) -> None:
        """Raise PermissionDenied early when the process cannot change networking (no CAP_NET_ADMIN)."""

    def list_routes(self) -> list[RouteInfo]:
        """Main-table routes of the current namespace, for overlap checks."""

    def link_exists(self, name: str) -> bool: ...

    def list_owned_links(self) -> list[OwnedLink]: ...

    def create_bridge(self, spec: BridgeSpec) -> None:
        """Create the bridge, tag it, add its addresses and bring it up. Raises Conflict if the name is taken."""

    def delete_link(self, name: str) -> None: ...

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        """Replace every rule owned by `firewall.owner` with the rendered set, in one transaction."""

    def remove_firewall(self, owner: str) -> None:
        """Delete every rule owned by `owner`; drop hnsctl's table once no owned rule is left."""

    def enable_forwarding(self, version: int) -> None: ...

    def operations(self) -> list[str]:
        """The kernel operations recorded so far (dry-run); empty for the real backend."""

    def close(self) -> None: ...
