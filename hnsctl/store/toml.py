"""State files: `<state-dir>/<kind>/<id>.toml`, one object per file, read with tomllib, written atomically."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from hnsctl.errors import CorruptState, PermissionDenied
from hnsctl.models.codec import (
    CodecError,
    endpoint_from_record,
    endpoint_to_record,
    namespace_from_record,
    namespace_to_record,
    network_from_record,
    network_to_record,
)
from hnsctl.models.endpoint import Endpoint
from hnsctl.models.namespace import Namespace
from hnsctl.models.network import Network
from hnsctl.store.atomic import ensure_private_dir, remove_durably, write_atomic
from hnsctl.store.lock import StateLock

T = TypeVar("T")
NETWORKS = "networks"
ENDPOINTS = "endpoints"
NAMESPACES = "namespaces"
LOCK_FILE = "lock"


class Store:
    """Typed access to the state directory. Reads need no lock and never create anything."""

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        self.root = root
        self.lock_timeout = lock_timeout

    # -- locking

    def lock(self) -> contextlib.AbstractContextManager[object]:
        self._ensure_root()
        return StateLock(self.root / LOCK_FILE, self.lock_timeout)

    # -- networks

    def load_networks(self) -> list[Network]:
        return self._load(NETWORKS, network_from_record)

    def save_network(self, network: Network) -> None:
        self._write(NETWORKS, network.id, network_to_record(network))

    def remove_network(self, network_id: str) -> None:
        self._remove(NETWORKS, network_id)

    # -- endpoints

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

    # -- generic record I/O (overridden by the dry-run overlay)

    def _load(self, kind: str, decode: Callable[[dict[str, Any]], T]) -> list[T]:
        objects = []
        for path, record in self._records(kind):
            try:
                objects.append(decode(record))
            except CodecError as exc:
                raise CorruptState(
                    f"reading state file {path}: {exc}",
                    hint="restore it from a backup or move it aside; hnsctl never overwrites a file it cannot read",
                ) from None
        return objects

    def _records(self, kind: str) -> Iterator[tuple[Path, dict[str, Any]]]:
        directory = self.root / kind
        try:
            paths = sorted(directory.glob("*.toml"))
        except PermissionError:
            raise self._permission_error(directory) from None
        for path in paths:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # removed by a concurrent writer between glob and read
            except PermissionError:
                raise self._permission_error(path) from None
            try:
                record = tomllib.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise CorruptState(
                    f"reading state file {path}: not valid TOML ({exc})",
                    hint="restore it from a backup or move it aside; hnsctl never overwrites a file it cannot read",
                ) from None
            if record.get("id") != path.stem:
                raise CorruptState(f"reading state file {path}: its id {record.get('id')!r} does not match the file name")
            yield path, record

    def _write(self, kind: str, object_id: str, record: dict[str, Any]) -> None:
        import tomli_w  # only mutations pay for the writer

        directory = self.root / kind
        ensure_private_dir(directory)
        write_atomic(directory / f"{object_id}.toml", tomli_w.dumps(record).encode("utf-8"))

    def _remove(self, kind: str, object_id: str) -> None:
        remove_durably(self.root / kind / f"{object_id}.toml")

    def _ensure_root(self) -> None:
        try:
            ensure_private_dir(self.root)
        except PermissionError:
            raise self._permission_error(self.root) from None

    @staticmethod
    def _permission_error(path: Path) -> PermissionDenied:
        return PermissionDenied(
            f"reading state {path}: permission denied",
            hint="run hnsctl as root, or point --state-dir / HNSCTL_STATE_DIR at a directory you own",
        )


class OverlayStore(Store):
    """Dry-run store: reads the real state, keeps writes in memory, takes no lock.

    The service runs unchanged on top of it, so `--dry-run` exercises the same validation and planning.
    """

    def __init__(self, root: Path, *, lock_timeout: float) -> None:
        super().__init__(root, lock_timeout=lock_timeout)
        self._written: dict[tuple[str, str], dict[str, Any]] = {}
        self._removed: set[tuple[str, str]] = set()

    def lock(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()

    def _records(self, kind: str) -> Iterator[tuple[Path, dict[str, Any]]]:
        seen = set()
        for path, record in super()._records(kind):
            key = (kind, path.stem)
            seen.add(key)
            if key in self._removed:
                continue
            yield path, self._written.get(key, record)
        for (written_kind, object_id), record in self._written.items():
            if written_kind == kind and (kind, object_id) not in seen and (kind, object_id) not in self._removed:
                yield self.root / kind / f"{object_id}.toml", record

    def _write(self, kind: str, object_id: str, record: dict[str, Any]) -> None:
        self._removed.discard((kind, object_id))
        self._written[(kind, object_id)] = record

    def _remove(self, kind: str, object_id: str) -> None:
        self._written.pop((kind, object_id), None)
        self._removed.add((kind, object_id))
