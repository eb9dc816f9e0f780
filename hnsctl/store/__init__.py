"""Persistence: TOML files under the state directory, one lock, atomic writes. No kernel, no policy."""

from hnsctl.store.toml import OverlayStore, Store

__all__ = ["OverlayStore", "Store"]
