"""Reconcile: compare the recorded state with the kernel, report every difference, repair it.

The recorded state is the truth; the kernel is brought back to what it implies (the same plans that
create uses). Kernel objects tagged `hnsctl:<id>` whose ID is recorded nowhere are orphans — what a
crash between a kernel change and the state write leaves — and are removed. Nothing without hnsctl's
tag is ever looked at twice, let alone touched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import AdapterState
from hnsctl.service.plan import remote_entries
from hnsctl.service.policy import remove_from_kernel
from hnsctl.service.reconcile_run import Difference, ReconcileRun

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.store import Store


class ReconcileService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend

    def reconcile(self, *, repair: bool = True) -> list[Difference]:
        """Report (and with `repair`, fix) every difference; runs under the state lock like any mutation."""
        self.backend.require_privileges()
        with self.store.lock():
            interrupted = self._finish_intents(repair)
            run = ReconcileRun(self.store, self.backend, repair)
            run.differences.extend(interrupted)
            run.namespaces()
            run.networks()
            run.endpoints()
            run.host_endpoints()
            run.policies()
            run.loadbalancers()
            run.orphans()
            return run.differences


    def restore(self) -> list[Difference]:
        """Boot-time reconcile: non-persistent networks (Flags bit 8) are dropped with their endpoints, the rest rebuilt."""
        from hnsctl.models.network import NetworkFlags

        self.backend.require_privileges()
        dropped = []
        with self.store.lock():
            for network in self.store.load_networks():
                if not network.flags & NetworkFlags.NON_PERSISTENT:
                    continue
                endpoints = [e for e in self.store.load_endpoints() if e.network_id == network.id]
                for policy in self.store.load_policies():
                    if policy.endpoint_id in {e.id for e in endpoints} or policy.network_id == network.id:
                        self.store.remove_policy(policy.id)
                for endpoint in endpoints:
                    self.store.remove_endpoint(endpoint.id)
                self.store.remove_network(network.id)
                dropped.append(Difference("network", network.name, network.id, "non-persistent network at restore",
                                          "drop it and its endpoints"))
        return dropped + self.reconcile(repair=True)

    def _finish_intents(self, repair: bool) -> list[Difference]:
        """Deletes a crash interrupted: drop what is left of the records (orphans go in the same run)."""
        found = []
        for intent in self.store.load_intents():
            found.append(Difference("intent", intent.object_kind, intent.object_id, "a delete was interrupted",
                                    "finish the delete" if repair else "would finish the delete"))
            if not repair:
                continue
            kind, object_id = intent.object_kind, intent.object_id
            if kind == "network":
                network = next((n for n in self.store.load_networks() if n.id == object_id), None)
                if network is not None and network.uplink is not None and not network.switch_owner:  # the adapter gets its addresses back first
                    u = network.uplink
                    self.backend.give_back_adapter(network.bridge_name, u.adapter, AdapterState.from_records(u.addresses, u.routes))
                for policy in self.store.load_policies():
                    if policy.network_id == object_id:
                        self.store.remove_policy(policy.id)
                if any(n.id == object_id for n in self.store.load_networks()):
                    self.store.remove_network(object_id)
            elif kind == "endpoint":
                self._forget_remote_entries(object_id)
                for policy in self.store.load_policies():
                    if policy.endpoint_id == object_id:
                        self.store.remove_policy(policy.id)
                if any(e.id == object_id for e in self.store.load_endpoints()):
                    self.store.remove_endpoint(object_id)
            elif kind == "namespace":
                self._finish_namespace_delete(object_id)
            elif kind == "policy":
                self._finish_policy_delete(object_id)
            elif kind == "loadbalancer":
                if any(lb.id == object_id for lb in self.store.load_loadbalancers()):
                    self.store.remove_loadbalancer(object_id)
            self.store.remove_intent(intent.id)
        return found

    def _finish_namespace_delete(self, namespace_id: str) -> None:

        from hnsctl.models.endpoint import EndpointState

        namespace = next((n for n in self.store.load_namespaces() if n.id == namespace_id), None)
        if namespace is None:
            return
        for endpoint in self.store.load_endpoints():
            if endpoint.namespace_id == namespace_id:
                self.store.save_endpoint(replace(endpoint, state=EndpointState.DETACHED, namespace_id=None))
        if namespace.owned and self.backend.namespace_exists(namespace.name):
            self.backend.delete_namespace(namespace.name)
        self.store.remove_namespace(namespace_id)

    def _forget_remote_entries(self, endpoint_id: str) -> None:
        """A remote endpoint's FDB/neighbour/route entries carry no owner tag: remove them before the record."""
        endpoint = next((e for e in self.store.load_endpoints() if e.id == endpoint_id), None)
        network = next((n for n in self.store.load_networks() if endpoint and n.id == endpoint.network_id), None)
        entries = remote_entries(endpoint, network, self.store.load_endpoints()) if endpoint and endpoint.remote and network else None
        if entries is not None:
            self.backend.remove_remote(entries)

    def _finish_policy_delete(self, policy_id: str) -> None:
        policies = self.store.load_policies()
        policy = next((p for p in policies if p.id == policy_id), None)
        if policy is None:
            return
        remove_from_kernel(self.store, self.backend, policy, policies)  # untagged overlay entries before the record
        self.store.remove_policy(policy_id)


__all__ = ["Difference", "ReconcileService"]
