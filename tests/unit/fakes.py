"""An in-memory Backend for service tests: records every call, never touches the kernel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.backend.base import BridgeSpec, NetworkFirewall, OwnedLink, RouteInfo
from hnsctl.backend.protocols import Backend
from hnsctl.errors import KernelError

if TYPE_CHECKING:
    from hnsctl.backend.operations import Operation

# Methods that only look; every other recorded call counts as a kernel change.
READS = frozenset({
    "require_privileges", "list_routes", "link_exists", "list_owned_links", "port_exists", "namespace_exists",
    "port_counters", "port_addresses", "operations", "planned", "close", "default_route_interface", "host_endpoint_marks",
})


def protocol_methods() -> set[str]:
    """Every method of Backend, gathered from the area protocols it is composed of."""
    return {name for area in Backend.__mro__ if area.__module__.startswith("hnsctl.backend.protocols")
            for name, value in vars(area).items() if callable(value) and not name.startswith("_")}


class FakeBackend:
    """Implements hnsctl.backend.protocols.Backend.

    `routes` is what list_routes returns; `links` holds interface names that "exist";
    `fail_firewall` makes apply_network_firewall raise KernelError like a refused nft transaction;
    `privilege_error` is raised by require_privileges when set.
    """

    def __init__(self, routes: list[RouteInfo] | None = None) -> None:
        self.routes: list[RouteInfo] = list(routes or [])
        self.links: set[str] = set()
        self.fail_firewall = False
        self.privilege_error: Exception | None = None
        self.calls: list[tuple[str, Any]] = []
        self.closed = False

    # -- helpers for assertions

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def mutations(self) -> list[tuple[str, Any]]:
        return [(name, arg) for name, arg in self.calls if name not in READS]

    def __getattr__(self, name: str) -> Any:
        """Backend methods this fake does not model (endpoint/namespace plumbing) just record their call."""
        if name.startswith("_") or name not in protocol_methods():
            raise AttributeError(name)

        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args))

        return record

    # -- Backend protocol

    def require_privileges(self) -> None:
        self.calls.append(("require_privileges", None))
        if self.privilege_error is not None:
            raise self.privilege_error

    def list_routes(self) -> list[RouteInfo]:
        self.calls.append(("list_routes", None))
        return list(self.routes)

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        self.calls.append(("host_endpoint_marks", None))
        return set()

    def link_exists(self, name: str) -> bool:
        self.calls.append(("link_exists", name))
        return name in self.links

    def list_owned_links(self) -> list[OwnedLink]:
        self.calls.append(("list_owned_links", None))
        return []

    def create_bridge(self, spec: BridgeSpec) -> None:
        self.calls.append(("create_bridge", spec))
        self.links.add(spec.name)

    def delete_link(self, name: str, owner: str) -> None:
        self.calls.append(("delete_link", name))
        self.links.discard(name)

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self.calls.append(("apply_network_firewall", firewall))
        if self.fail_firewall:
            raise KernelError(f"applying rules of {firewall.owner}: nft refused the transaction")

    def remove_firewall(self, owner: str) -> None:
        self.calls.append(("remove_firewall", owner))

    def enable_forwarding(self, version: int) -> None:
        self.calls.append(("enable_forwarding", version))

    def planned(self) -> list[Operation]:
        return []

    def operations(self) -> list[str]:
        return []

    def close(self) -> None:
        self.closed = True


def _conforms(backend: Backend) -> Backend:
    """Type-level check (mypy) that FakeBackend satisfies the Protocol."""
    return backend


_conforms(FakeBackend())
