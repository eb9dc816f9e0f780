"""Overlay entries: what tells this host where an address on another overlay host lives."""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.base import RemoteSpec


class OverlayOps(Protocol):
    """A remote endpoint or remote subnet is FDB, neighbour and route entries, never an interface."""

    def apply_remote(self, spec: RemoteSpec) -> None:
        """FDB (MAC -> provider address), permanent neighbour (IP -> MAC) and route entries; replaces, so idempotent."""

    def remove_remote(self, spec: RemoteSpec) -> None:
        """Remove exactly those entries (FDB kept when `shared_mac`); gone counts as done."""

    def remote_present(self, spec: RemoteSpec) -> bool:
        """Every entry of `spec` is in the kernel."""
