"""Persistence: TOML files under the state directory, one lock, atomic writes. No kernel, no policy."""

from hnsctl.store.journal import Change
from hnsctl.store.toml import OverlayStore, Store

__all__ = ["Change", "OverlayStore", "Store"]
