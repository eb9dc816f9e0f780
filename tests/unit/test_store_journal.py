"""The commit journal: a multi-record commit is all-or-nothing, and a kill mid-commit is finished by the
next lock holder before it reads anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hnsctl.errors import CorruptState
from hnsctl.store import Change, OverlayStore, Store
from hnsctl.store.journal import write_journal
from hnsctl.store.layout import JOURNAL_FILE


def record(object_id: str, name: str) -> dict:
    return {"schema_version": 1, "id": object_id, "name": name}


def test_commit_writes_every_change_and_leaves_no_journal(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=1)
    with store.lock():
        store.commit([Change("intents", "a", record("a", "x")), Change("intents", "b", record("b", "y"))])
        store.commit([Change("intents", "a", None)])
    assert sorted(p.name for p in (tmp_path / "intents").iterdir()) == ["b.toml"]
    assert not (tmp_path / JOURNAL_FILE).exists()


def test_a_journal_left_by_a_kill_is_replayed_by_the_next_lock_holder(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=1)
    with store.lock():
        store.commit([Change("intents", "old", record("old", "x"))])
    # as a commit killed after its journal was written and before the records were
    write_journal(tmp_path / JOURNAL_FILE, [Change("intents", "new", record("new", "y")), Change("intents", "old", None)])
    with Store(tmp_path, lock_timeout=1).lock():
        pass
    assert sorted(p.name for p in (tmp_path / "intents").iterdir()) == ["new.toml"]
    assert not (tmp_path / JOURNAL_FILE).exists()


def test_a_journal_that_is_not_one_is_refused_naming_it(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=1)
    with store.lock():
        pass
    (tmp_path / JOURNAL_FILE).write_text('{"changes": [{"kind": "../etc", "id": "x", "record": null}]}')
    with pytest.raises(CorruptState, match="commit journal"):
        with Store(tmp_path, lock_timeout=1).lock():
            pass


def test_a_linked_journal_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path, lock_timeout=1).lock():
        pass
    (tmp_path / "elsewhere").write_text("{}")
    (tmp_path / JOURNAL_FILE).symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CorruptState):
        with Store(tmp_path, lock_timeout=1).lock():
            pass


@pytest.mark.parametrize("entry", [
    {"kind": "intents", "id": "../../escaped", "record": None},
    {"kind": "intents", "id": "a", "record": {"id": "b"}},
])
def test_a_journal_entry_naming_a_path_or_another_record_is_refused(tmp_path: Path, entry: dict) -> None:
    with Store(tmp_path, lock_timeout=1).lock():
        pass
    (tmp_path / JOURNAL_FILE).write_text(json.dumps({"changes": [entry]}))
    with pytest.raises(CorruptState, match="commit journal"):
        with Store(tmp_path, lock_timeout=1).lock():
            pass
    assert not (tmp_path.parent / "escaped.toml").exists()


def test_a_dry_run_commit_writes_nothing_to_disk(tmp_path: Path) -> None:
    with Store(tmp_path, lock_timeout=1).lock():
        pass
    overlay = OverlayStore(tmp_path, lock_timeout=1)
    overlay.commit([Change("intents", "a", record("a", "x")), Change("intents", "b", record("b", "y"))])
    assert not (tmp_path / JOURNAL_FILE).exists() and not (tmp_path / "intents").exists()
    assert sorted(r["id"] for _path, _version, r in overlay._records("intents")) == ["a", "b"]
