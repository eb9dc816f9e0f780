"""Typed access to the state directory: load, save and remove each kind of object, as its model.

Each kind is a directory of records (records.py) and a codec (models/*codec.py); the dry-run overlay
keeps writes in memory on top of the real state, so `--dry-run` runs the same service code.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hnsctl.models.codec import (
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
from hnsctl.store.journal import Change
from hnsctl.store.layout import ENDPOINTS, INTENTS, LOADBALANCERS, NAMESPACES, NETWORKS, POLICIES
from hnsctl.store.records import FileVersion, RecordFiles

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.intent import Intent
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy


class Store(RecordFiles):
    """Typed access to the state directory. Reads need no lock and never create anything."""

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

    def commit(self, changes: list[Change]) -> None:
        for change in changes:  # in memory, like every other write of a dry run: no journal on disk
            self._apply(change)

    def replay_journal(self) -> bool:
        return False  # a dry run neither finishes nor writes anyone's commit

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
