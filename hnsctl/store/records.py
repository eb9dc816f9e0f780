"""The record files every kind shares: `<state-dir>/<kind>/<id>.toml`, one object per file, read with
tomllib and written atomically under the state lock.

Reads take no lock and create nothing. They are kept cheap by two derived layers: a parse cache on disk
(`cache/<kind>.json`, keyed by each file's inode, mtime and size) and in-process snapshots of records and
decoded objects, kept valid by the generation counter every write bumps. The typed, per-kind access on
top of this is `Store` (toml.py); the dry-run overlay overrides the I/O methods here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from hnsctl.errors import CorruptState, PermissionDenied
from hnsctl.models.codec import CodecError
from hnsctl.store.atomic import ensure_private_subdir, remove_durably, write_atomic
from hnsctl.store.guard import (
    CACHE_TEMP,
    GENERATION_TEMP,
    RECORD_TEMP,
    check_file,
    check_subdir,
    permission_error,
    read_nofollow,
    remove_leftovers,
)
from hnsctl.store.layout import (
    CACHE_DIR,
    GENERATION_FILE,
    JOURNAL_FILE,
    LOCK_FILE,
    RECORD_DIRS,
    check_root,
    ensure_root,
)
from hnsctl.store.journal import Change, read_journal, remove_journal, write_journal
from hnsctl.store.lock import StateLock

T = TypeVar("T")
FileVersion = tuple[int, int, int]


class RecordFiles:
    """Records of any kind, as plain dicts in and decoded objects out; the kinds are `Store`'s business."""

    caches_objects = True  # decoded objects are kept per generation (the dry-run overlay cannot)

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self._caches: dict[str, dict[str, list[Any]]] = {}
        self._root_checked = False
        self._decoded: dict[str, dict[str, tuple[FileVersion, Any]]] = {}
        # kind -> (generation, {file name: (path, version, record)}) and (generation, {file name: object})
        self._snapshots: dict[str, tuple[int, dict[str, tuple[Path, FileVersion | None, dict[str, Any]]]]] = {}
        self._objects: dict[str, tuple[int, dict[str, Any]]] = {}
        self._decoders: dict[str, Callable[[dict[str, Any]], Any]] = {}

    # -- locking

    def lock(self) -> contextlib.AbstractContextManager[object]:
        self._check_root()  # a regular file, or a link inside the tree, is refused before anything is created
        self._ensure_root()
        self._check_root()
        return self._locked()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[StateLock]:
        """The flock, then what a killed writer left (temp files, a commit half-applied): only the lock holder
        knows none is in flight."""
        with StateLock(self.root / LOCK_FILE, self.lock_timeout) as held:
            self._remove_leftovers()
            self.replay_journal()
            yield held

    # -- commits (lock held)

    def commit(self, changes: list[Change]) -> None:
        """Write a transaction's record changes all-or-nothing: journal first when there is more than one."""
        if not changes:
            return
        if len(changes) == 1:  # one atomic rename needs no journal
            self._apply(changes[0])
            return
        journal = self.root / JOURNAL_FILE
        write_journal(journal, changes)
        for change in changes:
            self._apply(change)
        remove_journal(journal)

    def replay_journal(self) -> bool:
        """Finish the commit a kill interrupted; True when there was one."""
        journal = self.root / JOURNAL_FILE
        changes = read_journal(journal)
        if changes is None:
            return False
        for change in changes:
            self._apply(change)
        remove_journal(journal)
        return True

    def _apply(self, change: Change) -> None:
        if change.record is None:
            self._remove(change.kind, change.object_id)
        else:
            self._write(change.kind, change.object_id, change.record)

    def _remove_leftovers(self) -> None:
        """`.<id>.toml.<pid>.tmp` in the record directories, cache and generation temp files; nothing else.

        Records and the generation are written only under the lock, so every such temp file is dead;
        the cache is written by lock-free readers too, so a temp file of a live process stays.
        """
        for kind in RECORD_DIRS:
            remove_leftovers(self.root / kind, RECORD_TEMP, live_writers_possible=False)
        remove_leftovers(self.root / CACHE_DIR, CACHE_TEMP, live_writers_possible=True)
        remove_leftovers(self.root, GENERATION_TEMP, live_writers_possible=False, directory_may_be_link=True)

    # -- generic record I/O (overridden by the dry-run overlay)

    def _load(self, kind: str, decode: Callable[[dict[str, Any]], T]) -> list[T]:
        records = self._records(kind)
        snapshot = self._snapshots.get(kind)
        cached = self._objects.get(kind)
        if self.caches_objects and snapshot is not None and cached is not None and cached[0] == snapshot[0]:
            return list(cached[1].values())
        memo = self._decoded.setdefault(kind, {})
        objects = []
        by_name: dict[str, Any] = {}
        for path, version, record in records:
            hit = memo.get(path.name)
            if hit is not None and version is not None and hit[0] == version:
                objects.append(hit[1])
                by_name[path.name] = hit[1]
                continue
            try:
                obj = decode(record)
            except CodecError as exc:
                raise CorruptState(
                    f"reading state file {path}: {exc}",
                    hint="restore it from a backup or move it aside; hnsctl never overwrites a file it cannot read",
                ) from None
            if version is not None:
                memo[path.name] = (version, obj)
            objects.append(obj)
            by_name[path.name] = obj
        if self.caches_objects and snapshot is not None:
            self._objects[kind] = (snapshot[0], by_name)
            self._decoders[kind] = decode
        return objects

    def _records(self, kind: str) -> list[tuple[Path, FileVersion | None, dict[str, Any]]]:
        """Every record of a kind, with the (inode, mtime, size) it was read at.

        Parsed records are kept in `<state-dir>/cache/<kind>.json` keyed by that version, so a host with
        a thousand endpoints parses only the files that changed since the last run. Every write is a
        rename to a new inode, so a changed file never matches a stale cache entry. The cache is
        derived data: losing it, or failing to write it (an unprivileged reader), costs only time.
        """
        self._check_root()
        generation = self._generation()
        snapshot = self._snapshots.get(kind)
        if snapshot is not None and snapshot[0] == generation:
            return list(snapshot[1].values())  # nothing was written since this process last looked
        directory = self.root / kind
        if not check_subdir(directory):
            return []
        try:
            entries = sorted((e for e in os.scandir(directory) if e.name.endswith(".toml")), key=lambda e: e.name)
        except FileNotFoundError:
            return []
        except PermissionError:
            raise self._permission_error(directory) from None
        cache = self._disk_cache(kind)
        fresh: dict[str, list[Any]] = {}
        records = []
        misses = 0
        for entry in entries:
            path = Path(entry.path)
            try:
                # The entry itself, not what a link points at: a link never matches a cached file's
                # version, so it reaches _parse, which refuses it (O_NOFOLLOW), cache or no cache.
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed by a concurrent writer between listing and stat
            version = (st.st_ino, st.st_mtime_ns, st.st_size)
            cached = cache.get(entry.name)
            if cached is not None and tuple(cached[0]) == version:
                record = cached[1]
            else:
                misses += 1
                record = self._parse(path)
                if record is None:
                    continue
            fresh[entry.name] = [list(version), record]
            records.append((path, version, record))
        if misses or len(fresh) != len(cache):
            self._save_disk_cache(kind, fresh)
        self._snapshots[kind] = (generation, {path.name: (path, version, record) for path, version, record in records})
        return records

    def _generation(self) -> int:
        """A counter every write bumps (under the lock): equal counters mean the same files."""
        try:
            return int(read_nofollow(self.root / GENERATION_FILE) or b"0")  # a link: exit 7, not -1
        except (OSError, ValueError):
            return -1

    def _record_change(self, kind: str, object_id: str, record: dict[str, Any] | None) -> None:
        """After a write or removal (lock held): bump the generation and patch this process's snapshot."""
        before = self._generation()
        after = before + 1 if before >= 0 else 1
        write_atomic(self.root / GENERATION_FILE, str(after).encode(), durable=False)
        snapshot = self._snapshots.get(kind)
        objects = self._objects.pop(kind, None)
        if snapshot is None or snapshot[0] != before:
            self._snapshots.pop(kind, None)
            return
        name = f"{object_id}.toml"
        path = self.root / kind / name
        entries = snapshot[1]
        entries.pop(name, None)
        if record is not None:
            st = path.stat()
            entries[name] = (path, (st.st_ino, st.st_mtime_ns, st.st_size), record)
        self._snapshots[kind] = (after, entries)
        if objects is not None and objects[0] == before and kind in self._decoders:
            by_name = objects[1]
            by_name.pop(name, None)
            if record is not None:
                by_name[name] = self._decoders[kind](record)
            self._objects[kind] = (after, by_name)

    def _parse(self, path: Path) -> dict[str, Any] | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise self._permission_error(path) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CorruptState(f"reading state file {path}: it is a symbolic link; hnsctl never follows links in its state",
                                   hint="replace it with the file itself, or move it aside") from None
            raise
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
        try:
            record = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CorruptState(
                f"reading state file {path}: not valid TOML ({exc})",
                hint="restore it from a backup or move it aside; hnsctl never overwrites a file it cannot read",
            ) from None
        if record.get("id") != path.stem:
            raise CorruptState(f"reading state file {path}: its id {record.get('id')!r} does not match the file name")
        return record

    def _disk_cache(self, kind: str) -> dict[str, list[Any]]:
        if kind not in self._caches:
            try:
                check_subdir(self.root / CACHE_DIR)
                data = json.loads(read_nofollow(self.root / CACHE_DIR / f"{kind}.json", what="cache file"))
                self._caches[kind] = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._caches[kind] = {}
        return self._caches[kind]

    def _save_disk_cache(self, kind: str, cache: dict[str, list[Any]]) -> None:
        self._caches[kind] = cache
        try:
            directory = self.root / CACHE_DIR
            ensure_private_subdir(directory)
            target = directory / f"{kind}.json"
            check_file(target, "cache file")
            write_atomic(target, json.dumps(cache, separators=(",", ":")).encode(), durable=False)
        except (OSError, PermissionDenied):
            pass  # a reader without write access just parses again next time

    def _write(self, kind: str, object_id: str, record: dict[str, Any]) -> None:
        import tomli_w  # only mutations pay for the writer

        directory = self.root / kind
        ensure_private_subdir(directory)
        target = directory / f"{object_id}.toml"
        check_file(target)  # the rename would replace a link, not write through it; still, refuse it
        write_atomic(target, tomli_w.dumps(record).encode("utf-8"))
        self._record_change(kind, object_id, record)

    def _remove(self, kind: str, object_id: str) -> None:
        check_subdir(self.root / kind)  # an unlink through a linked directory would delete a file elsewhere
        remove_durably(self.root / kind / f"{object_id}.toml")
        self._record_change(kind, object_id, None)

    def _check_root(self) -> None:
        """layout.py's trust checks, once per store; again on each call while the directory does not exist yet."""
        if not self._root_checked:
            self._root_checked = check_root(self.root)

    def _ensure_root(self) -> None:
        ensure_root(self.root)

    @staticmethod
    def _permission_error(path: Path) -> PermissionDenied:
        return permission_error(path)
