"""Intent records: a delete writes what it is about to do before touching the kernel, so a crash in
the middle is finished by `hnsctl reconcile` instead of half-undone."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Intent:
    id: str
    operation: str  # "delete"
    object_kind: str  # network | endpoint | namespace | policy
    object_id: str
    created_at: str = ""
