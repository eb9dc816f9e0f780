"""HNS operations over the store and the kernel backend. Never prints; never imports typer or rich.

`open_services(settings)` is the one composition root: it picks the real or dry-run backend and store,
so no other code branches on dry-run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hnsctl.config import Settings

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.service.doctor import Check
    from hnsctl.service.endpoint import EndpointService
    from hnsctl.service.loadbalancer import LoadBalancerService
    from hnsctl.service.namespace import NamespaceService
    from hnsctl.service.network import NetworkService
    from hnsctl.service.policy import PolicyService
    from hnsctl.service.reconcile import ReconcileService


class Services:
    """The service objects of one invocation, each built on first use (read-only commands stay light)."""

    def __init__(self, settings: Settings) -> None:
        from hnsctl.backend import open_backend
        from hnsctl.store import OverlayStore, Store

        store_type = OverlayStore if settings.dry_run else Store
        self.store = store_type(settings.state_dir, lock_timeout=settings.lock_timeout)
        self.backend: Backend = open_backend(dry_run=settings.dry_run)
        self._network: NetworkService | None = None
        self._namespace: NamespaceService | None = None
        self._endpoint: EndpointService | None = None
        self._policy: PolicyService | None = None
        self._loadbalancer: LoadBalancerService | None = None

    @property
    def network(self) -> NetworkService:
        if self._network is None:
            from hnsctl.service.network import NetworkService

            self._network = NetworkService(self.store, self.backend, lambda: self.policy)
        return self._network

    @property
    def namespace(self) -> NamespaceService:
        if self._namespace is None:
            from hnsctl.service.namespace import NamespaceService

            self._namespace = NamespaceService(self.store, self.backend)
        return self._namespace

    @property
    def endpoint(self) -> EndpointService:
        if self._endpoint is None:
            from hnsctl.service.endpoint import EndpointService

            self._endpoint = EndpointService(self.store, self.backend, self.network, self.namespace, self.policy)
        return self._endpoint

    @property
    def policy(self) -> PolicyService:
        if self._policy is None:
            from hnsctl.service.policy import PolicyService

            self._policy = PolicyService(self.store, self.backend)
        return self._policy

    @property
    def loadbalancer(self) -> LoadBalancerService:
        if self._loadbalancer is None:
            from hnsctl.service.loadbalancer import LoadBalancerService

            self._loadbalancer = LoadBalancerService(self.store, self.backend)
        return self._loadbalancer

    @property
    def reconcile(self) -> ReconcileService:
        from hnsctl.service.reconcile import ReconcileService

        return ReconcileService(self.store, self.backend)

    def doctor(self) -> list[Check]:
        from hnsctl.service.doctor import diagnose

        return diagnose(self.store, self.backend)

    def warnings(self) -> list[str]:
        """Things the user should know that did not stop the operation."""
        found = list(self._namespace.warnings) if self._namespace else []
        found += list(self._loadbalancer.warnings) if self._loadbalancer else []
        return found + (list(self._policy.warnings) if self._policy else [])

    def operations(self) -> list[str]:
        """Kernel operations a dry run would have done, in order."""
        return self.backend.operations()

    def close(self) -> None:
        self.backend.close()


def open_services(settings: Settings) -> Services:
    return Services(settings)
