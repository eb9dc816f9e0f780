"""Addresses and routes as the kernel holds them: the host's, and those of an endpoint's own interface."""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.base import RouteInfo


class RoutingOps(Protocol):
    """`namespace` None means the host namespace (a host endpoint's interface lives there)."""

    def list_routes(self) -> list[RouteInfo]:
        """Main-table routes of the current namespace, for overlap checks."""

    def host_addresses(self) -> set[str]:
        """Every IPv4 address of this network namespace (a VIP that is one of them answers for the host too)."""

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        """Destinations (CIDR) of main-table routes through the interface."""

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        """Replace routes (destination, next hop or None for on-link) and delete `removed` destinations."""

    def port_addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        """(interface, mac, address/prefix) read back from the kernel on the container side."""
