"""State files: `<state-dir>/<kind>/<id>.toml`, one object per file, read with tomllib, written atomically."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hnsctl.errors import CorruptState, PermissionDenied
from hnsctl.models.codec import (
    CodecError,
    endpoint_from_record,
    endpoint_to_record,
    intent_from_record,
    intent_to_record,
    namespace_from_record,
    namespace_to_record,
)
from hnsctl.models.lbcodec import loadbalancer_from_record, loadbalancer_to_record
from hnsctl.models.networkcodec import network_from_record, network_to_record
from hnsctl.models.policycodec import policy_from_record, policy_to_record

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.intent import Intent
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.policy import Policy
from hnsctl.models.network import Network
from hnsctl.store.atomic import (
    ensure_private_dir,
    ensure_private_subdir,
    remove_durably,
    write_atomic,
)
from hnsctl.store.guard import (
    CACHE_TEMP,
    GENERATION_TEMP,
    RECORD_TEMP,
    check_file,
    check_subdir,
    not_a_directory,
    permission_error,
    read_nofollow,
    remove_leftovers,
)
from hnsctl.store.lock import StateLock

T = TypeVar("T")
FileVersion = tuple[int, int, int]
CACHE_DIR = "cache"
GENERATION_FILE = "generation"
NETWORKS = "networks"
ENDPOINTS = "endpoints"
NAMESPACES = "namespaces"
POLICIES = "policies"
INTENTS = "intents"
LOADBALANCERS = "loadbalancers"
LOCK_FILE = "lock"
RECORD_DIRS = (NETWORKS, ENDPOINTS, NAMESPACES, POLICIES, INTENTS, LOADBALANCERS)


class Store:
    """Typed access to the state directory. Reads need no lock and never create anything."""

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
        """The flock, then the temp files a killed writer left: only the lock holder knows none is in flight."""
        with StateLock(self.root / LOCK_FILE, self.lock_timeout) as held:
            self._remove_leftovers()
            yield held

    def _remove_leftovers(self) -> None:
        """`.<id>.toml.<pid>.tmp` in the record directories, cache and generation temp files; nothing else.

        Records and the generation are written only under the lock, so every such temp file is dead;
        the cache is written by lock-free readers too, so a temp file of a live process stays.
        """
        for kind in RECORD_DIRS:
            remove_leftovers(self.root / kind, RECORD_TEMP, live_writers_possible=False)
        remove_leftovers(self.root / CACHE_DIR, CACHE_TEMP, live_writers_possible=True)
        remove_leftovers(self.root, GENERATION_TEMP, live_writers_possible=False, directory_may_be_link=True)

    # -- networks

    def load_networks(self) -> list[Network]:
        return self._load(NETWORKS, network_from_record)

    def save_network(self, network: Network) -> None:
        self._write(NETWORKS, network.id, network_to_record(network))

    def remove_network(self, network_id: str) -> None:
        self._remove(NETWORKS, network_id)

    # -- endpoints

    def endpoint_counts(self) -> dict[str, int]:
        """Endpoints per network ID, from the records' `network_id` alone (no decoding: `network list` stays light)."""
        counts: dict[str, int] = {}
        for _path, _version, record in self._records(ENDPOINTS):
            network_id = str(record.get("network_id", ""))
            counts[network_id] = counts.get(network_id, 0) + 1
        return counts

    def load_endpoints(self) -> list[Endpoint]:
        return self._load(ENDPOINTS, endpoint_from_record)

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self._write(ENDPOINTS, endpoint.id, endpoint_to_record(endpoint))

    def remove_endpoint(self, endpoint_id: str) -> None:
        self._remove(ENDPOINTS, endpoint_id)

    # -- namespaces

    def load_namespaces(self) -> list[Namespace]:
        return self._load(NAMESPACES, namespace_from_record)

    def save_namespace(self, namespace: Namespace) -> None:
        self._write(NAMESPACES, namespace.id, namespace_to_record(namespace))

    def remove_namespace(self, namespace_id: str) -> None:
        self._remove(NAMESPACES, namespace_id)

    # -- policies

    def load_policies(self) -> list[Policy]:
        return self._load(POLICIES, policy_from_record)

    def save_policy(self, policy: Policy) -> None:
        self._write(POLICIES, policy.id, policy_to_record(policy))

    def remove_policy(self, policy_id: str) -> None:
        self._remove(POLICIES, policy_id)

    def policies_version(self) -> int | None:
        """A token that changes whenever the policy records change; None unless this process's view is current."""
        snapshot = self._snapshots.get(POLICIES)
        if snapshot is None or not self.caches_objects or snapshot[0] != self._generation():
            return None
        return snapshot[0]

    # -- load balancers

    def load_loadbalancers(self) -> list[LoadBalancer]:
        return self._load(LOADBALANCERS, loadbalancer_from_record)

    def save_loadbalancer(self, lb: LoadBalancer) -> None:
        self._write(LOADBALANCERS, lb.id, loadbalancer_to_record(lb))

    def remove_loadbalancer(self, lb_id: str) -> None:
        self._remove(LOADBALANCERS, lb_id)

    # -- intents (deletes in progress)

    def load_intents(self) -> list[Intent]:
        return self._load(INTENTS, intent_from_record)

    def save_intent(self, intent: Intent) -> None:
        self._write(INTENTS, intent.id, intent_to_record(intent))

    def remove_intent(self, intent_id: str) -> None:
        self._remove(INTENTS, intent_id)

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
        """Refuse a state directory someone else could plant records in: wrong owner, or writable by others.

        The directory itself may be a link (followed, as always); it must be a directory, and what is
        inside it (subdirectories, lock, generation) is checked without following links.
        """
        if self._root_checked:
            return
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            return
        except NotADirectoryError:
            raise not_a_directory(self.root, parent=True) from None
        except PermissionError:
            raise self._permission_error(self.root) from None
        except OSError as exc:  # ELOOP, ENAMETOOLONG: a one-line error, not a traceback
            raise CorruptState(f"using state directory {self.root}: {exc.strerror}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise not_a_directory(self.root)
        # another user could rewrite the records hnsctl acts on as root: refused as state it cannot trust (exit 7)
        if st.st_uid not in (os.geteuid(), 0):
            raise CorruptState(
                f"using state directory {self.root}: it belongs to uid {st.st_uid}, not to this user",
                hint="use a directory you own (chown it, or pick another --state-dir)",
            )
        if st.st_mode & 0o022:
            raise CorruptState(
                f"using state directory {self.root}: it is writable by other users (mode {st.st_mode & 0o7777:o})",
                hint=f"chmod 700 {self.root}, or point --state-dir at a private directory",
            )
        self._check_tree()
        self._root_checked = True

    def _check_tree(self) -> None:
        """Every subdirectory, cache file, the lock and the generation file, whichever the command touches.

        A link or a shared directory anywhere in the tree is refused (exit 7) before the first read or
        write, so a command never half-runs against a tree it should not trust.
        """
        for name in (*RECORD_DIRS, CACHE_DIR):
            check_subdir(self.root / name)
        for kind in RECORD_DIRS:
            check_file(self.root / CACHE_DIR / f"{kind}.json", "cache file")
        check_file(self.root / LOCK_FILE, "state lock")
        check_file(self.root / GENERATION_FILE)

    def _ensure_root(self) -> None:
        try:
            ensure_private_dir(self.root)
        except PermissionError:
            raise self._permission_error(self.root) from None
        except (FileExistsError, NotADirectoryError):  # a dangling link, or a file on the way
            raise not_a_directory(self.root) from None

    @staticmethod
    def _permission_error(path: Path) -> PermissionDenied:
        return permission_error(path)


class OverlayStore(Store):
    """Dry-run store: reads the real state, keeps writes in memory, takes no lock.

    The service runs unchanged on top of it, so `--dry-run` exercises the same validation and planning.
    """

    caches_objects = False

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        super().__init__(root, lock_timeout=lock_timeout)
        self._written: dict[tuple[str, str], dict[str, Any]] = {}
        self._removed: set[tuple[str, str]] = set()

    def lock(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()

    def _records(self, kind: str) -> list[tuple[Path, FileVersion | None, dict[str, Any]]]:
        records = []
        seen = set()
        for path, version, record in super()._records(kind):
            key = (kind, path.stem)
            seen.add(key)
            if key in self._removed:
                continue
            if key in self._written:
                records.append((path, None, self._written[key]))
            else:
                records.append((path, version, record))
        for (written_kind, object_id), record in self._written.items():
            if written_kind == kind and (kind, object_id) not in seen and (kind, object_id) not in self._removed:
                records.append((self.root / kind / f"{object_id}.toml", None, record))
        return records

    def _save_disk_cache(self, kind: str, cache: dict[str, list[Any]]) -> None:
        self._caches[kind] = cache  # a dry run writes nothing at all, not even the cache

    def _write(self, kind: str, object_id: str, record: dict[str, Any]) -> None:
        self._removed.discard((kind, object_id))
        self._written[(kind, object_id)] = record

    def _remove(self, kind: str, object_id: str) -> None:
        self._written.pop((kind, object_id), None)
        self._removed.add((kind, object_id))
