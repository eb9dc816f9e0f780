"""HNS operations over the store and the kernel backend. Never prints; never imports typer or rich.

`open_services(settings)` is the one composition root: it picks the real or dry-run backend and store,
so no other code branches on dry-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hnsctl.config import Settings

if TYPE_CHECKING:
    from hnsctl.backend.base import Backend
    from hnsctl.service.endpoint import EndpointService
    from hnsctl.service.namespace import NamespaceService
    from hnsctl.service.network import NetworkService


@dataclass
class Services:
    backend: Backend
    network: NetworkService
    endpoint: EndpointService
    namespace: NamespaceService

    def warnings(self) -> list[str]:
        """Things the user should know that did not stop the operation."""
        return list(self.namespace.warnings)

    def operations(self) -> list[str]:
        """Kernel operations a dry run would have done, in order."""
        return self.backend.operations()

    def close(self) -> None:
        self.backend.close()


def open_services(settings: Settings) -> Services:
    from hnsctl.backend import open_backend
    from hnsctl.service.endpoint import EndpointService
    from hnsctl.service.namespace import NamespaceService
    from hnsctl.service.network import NetworkService
    from hnsctl.store import OverlayStore, Store

    store_type = OverlayStore if settings.dry_run else Store
    store = store_type(settings.state_dir, lock_timeout=settings.lock_timeout)
    backend = open_backend(dry_run=settings.dry_run)
    networks = NetworkService(store, backend)
    namespaces = NamespaceService(store, backend)
    endpoints = EndpointService(store, backend, networks, namespaces)
    return Services(backend=backend, network=networks, endpoint=endpoints, namespace=namespaces)
