"""Namespace operations (*-HnsNamespace): named network namespaces and which endpoints live in them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hnsctl.backend.protocols import Backend
from hnsctl.errors import Conflict, NotFound
from hnsctl.models import ids
from hnsctl.models.endpoint import Endpoint
from hnsctl.models.namespace import Namespace, validate_netns_name
from hnsctl.service.dns import write_dns
from hnsctl.service.faults import fault_point
from hnsctl.service.intents import deleting
from hnsctl.service.lookup import resolve_namespace
from hnsctl.service.teardown import detach_endpoint
from hnsctl.store import Store


@dataclass(frozen=True)
class NamespaceView:
    namespace: Namespace
    endpoint_ids: tuple[str, ...]
    present: bool  # the kernel namespace exists


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class NamespaceService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self.warnings: list[str] = []

    # -- reads

    def list_namespaces(self) -> list[NamespaceView]:
        endpoints = self.store.load_endpoints()
        return [self._view(n, endpoints) for n in sorted(self.store.load_namespaces(), key=lambda n: n.name)]

    def get_namespace(self, reference: str) -> NamespaceView:
        return self._view(resolve_namespace(reference, self.store.load_namespaces()), self.store.load_endpoints())

    def _view(self, namespace: Namespace, endpoints: list[Endpoint]) -> NamespaceView:
        attached = tuple(e.id for e in endpoints if e.namespace_id == namespace.id and e.is_attached)
        return NamespaceView(namespace, attached, self.backend.namespace_exists(namespace.name))

    # -- mutations

    def create_namespace(self, name: str, *, exist_ok: bool = False, namespace_id: str | None = None,
                         compartment_id: int | None = None) -> Namespace:
        """New-HnsNamespace. `namespace_id` and `compartment_id` come from a `--json` document (the ID as given,
        the NamespaceId when free); without them the namespace gets a fresh ID and the next free number."""
        validate_netns_name(name)
        self.backend.require_privileges()
        with self.store.lock():
            existing = self.store.load_namespaces()
            if exist_ok and any(n.name == name for n in existing):
                return self._kept(next(n for n in existing if n.name == name), namespace_id)
            holder = next((n for n in existing if namespace_id and n.id == namespace_id), None)
            if holder is not None:
                raise Conflict(f"namespace ID {namespace_id} is already in use by namespace {holder.name!r}",
                               hint="drop ID from the document to get a fresh one", hns_name="HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS")
            if any(n.name == name for n in existing):
                raise Conflict(f"namespace {name!r} already exists", hns_name="HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS")
            if self.backend.namespace_exists(name):
                raise Conflict(
                    f"creating namespace {name!r}: a network namespace of that name exists and hnsctl did not create it",
                    hint=f"attach an endpoint to it (`hnsctl endpoint attach EP --namespace {name}`) to adopt it",
                    hns_name="HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS",
                )
            return self.create_locked(name, existing, owned=True, namespace_id=namespace_id, compartment_id=compartment_id)

    @staticmethod
    def _kept(namespace: Namespace, namespace_id: str | None) -> Namespace:
        """`--if-not-exists`: the namespace of that name, unless the document asked for another ID."""
        if namespace_id and namespace.id != namespace_id:
            raise Conflict(f"namespace {namespace.name!r} already exists with ID {namespace.id}, not {namespace_id}",
                           hns_name="HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS")
        return namespace

    def create_locked(self, name: str, existing: list[Namespace], *, owned: bool, namespace_id: str | None = None,
                      compartment_id: int | None = None) -> Namespace:
        namespace = Namespace(
            id=namespace_id or ids.new_id(),
            name=name,
            compartment_id=self._compartment_id(compartment_id, existing),
            owned=owned,
            created_at=now(),
        )
        if owned:
            self.backend.create_namespace(name)
        try:
            self.store.save_namespace(namespace)
        except BaseException:
            if owned:
                self.backend.delete_namespace(name)
            raise
        return namespace

    def _compartment_id(self, wanted: int | None, existing: list[Namespace]) -> int:
        """The NamespaceId asked for if no namespace holds it; else the next free one, with a warning (the
        number names nothing in the kernel, so a document copied from another namespace still creates)."""
        following = max((n.compartment_id for n in existing), default=0) + 1
        if wanted is None:
            return following
        holder = next((n for n in existing if n.compartment_id == wanted), None)
        if holder is None:
            return wanted
        self.warnings.append(f"NamespaceId {wanted} is held by namespace {holder.name!r}; this one gets {following}")
        return following

    def ensure_locked(self, reference: str, existing: list[Namespace]) -> tuple[Namespace, bool]:
        """For attach: a recorded namespace, else adopt an existing netns of that name, else create it.

        Returns the namespace and whether it was made now (so a failed attach can undo it).
        """
        try:
            namespace = resolve_namespace(reference, existing)
        except NotFound:
            validate_netns_name(reference, field="--namespace")
            adopted = self.backend.namespace_exists(reference)
            return self.create_locked(reference, existing, owned=not adopted), True
        if not self.backend.namespace_exists(namespace.name):
            if not namespace.owned:
                raise NotFound(
                    f"namespace {namespace.name!r} was deleted outside hnsctl and hnsctl did not create it",
                    hint=f"recreate it (ip netns add {namespace.name}) or delete hnsctl's record: hnsctl namespace delete {namespace.name}",
                )
            self.backend.create_namespace(namespace.name)  # ours: bring it back, as reconcile would
        return namespace, False

    def forget_locked(self, namespace: Namespace) -> None:
        """Undo of ensure_locked for a namespace made during a failed attach."""
        if namespace.owned:
            self.backend.delete_namespace(namespace.name)
        self.store.remove_namespace(namespace.id)

    def refresh_dns_locked(self, namespace: Namespace, endpoints: list[Endpoint]) -> None:
        write_dns(self.backend, namespace, endpoints, self.warnings)

    def delete_namespace(self, reference: str, *, force: bool = False) -> Namespace:
        """Remove-HnsNamespace. Holding endpoints is "in use" (exit 4) unless `force` detaches them first."""
        self.backend.require_privileges()
        with self.store.lock():
            namespace = resolve_namespace(reference, self.store.load_namespaces())
            endpoints = self.store.load_endpoints()
            held = [e for e in endpoints if e.namespace_id == namespace.id and e.is_attached]
            if held and not force:
                raise Conflict(
                    f"deleting namespace {namespace.name!r}: endpoints are attached: " + ", ".join(sorted(e.name for e in held)),
                    hint="detach them first, or use --force to detach them with it",
                    hns_name="HCN_E_ENTITY_HAS_REFERENCES",
                )
            with deleting(self.store, "namespace", namespace.id):
                for endpoint in held:
                    detach_endpoint(self.store, self.backend, endpoint, namespace)
                self.backend.write_resolv_conf(namespace.name, None)
                if namespace.owned:
                    self.backend.delete_namespace(namespace.name)
                fault_point("namespace-delete:kernel")
                self.store.remove_namespace(namespace.id)
        return namespace
