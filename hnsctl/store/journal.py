"""The commit journal: one file that makes a transaction's record writes all-or-nothing under SIGKILL.

A command that changes several records (an endpoint with its port mappings, a network delete that takes
its endpoints along) writes the whole change set here first, atomically, then the record files one by
one, then removes the journal. A kill part-way leaves the journal; the next holder of the state lock
replays it before it reads anything, so no command (and no `reconcile`) ever sees half a commit.
Replaying is idempotent: each entry writes or removes one whole record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hnsctl.errors import CorruptState
from hnsctl.store.atomic import remove_durably, write_atomic
from hnsctl.store.guard import read_nofollow
from hnsctl.store.layout import RECORD_DIRS

RECORD_ID = re.compile(r"[A-Za-z0-9-]+")  # what a record file is named by: never a path


@dataclass(frozen=True)
class Change:
    """One record to write (`record` set) or remove (`record` None)."""

    kind: str  # a RECORD_DIRS entry
    object_id: str
    record: dict[str, Any] | None


def write_journal(path: Path, changes: list[Change]) -> None:
    entries = [{"kind": c.kind, "id": c.object_id, "record": c.record} for c in changes]
    write_atomic(path, json.dumps({"changes": entries}, separators=(",", ":")).encode())


def read_journal(path: Path) -> list[Change] | None:
    """The change set a killed commit left, or None when there is none."""
    try:
        data = read_nofollow(path, what="commit journal")
    except FileNotFoundError:
        return None
    try:
        entries = json.loads(data)["changes"]
        changes = [Change(str(e["kind"]), str(e["id"]), e["record"]) for e in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptState(f"reading commit journal {path}: {exc}",
                           hint="move it aside, then run `hnsctl reconcile`; it holds the last interrupted command's records") from None
    for change in changes:
        well_formed = change.kind in RECORD_DIRS and RECORD_ID.fullmatch(change.object_id) is not None and (
            change.record is None or (isinstance(change.record, dict) and change.record.get("id") == change.object_id))
        if not well_formed:
            raise CorruptState(f"reading commit journal {path}: entry {change.kind}/{change.object_id} is not a record change",
                               hint="move it aside, then run `hnsctl reconcile`")
    return changes


def remove_journal(path: Path) -> None:
    remove_durably(path)
