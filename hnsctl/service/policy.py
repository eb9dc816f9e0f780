"""Policies (New-/Get-/Remove-HnsPolicy, endpoint and network policies), each its own object.

Add and remove follow the mutation path: validate, lock, check against every other policy, change the
kernel with undo, write the record last. What a policy type means in the kernel is its driver's business
(hnsctl.service.policies); this module checks what is common to all of them and keeps the records.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.errors import Conflict, InvalidInput, NotFound
from hnsctl.models import ids
from hnsctl.models.endpoint import Endpoint
from hnsctl.models.network import MAPPING_TYPES, Network
from hnsctl.models.policy import Policy, PolicyRequest, PolicyType, validate_settings
from hnsctl.service.faults import fault_point
from hnsctl.service.intents import deleting
from hnsctl.service.lookup import resolve_endpoint, resolve_network, resolve_policy
from hnsctl.service.policies import DRIVERS, NETWORK_DRIVERS, Scene
from hnsctl.service.policies.base import CheckContext
from hnsctl.service.policies.nat import mapping_key
from hnsctl.service.policies.overlay import NetworkScene
from hnsctl.service.revert import Reverter

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.namespace import Namespace
    from hnsctl.store import Store


@dataclass(frozen=True)
class PolicyView:
    policy: Policy
    endpoint: Endpoint | None


@dataclass
class _MappingIndex:
    """Port-mapping keys and the highest sequence, kept per store version: an add costs O(1), not O(N)."""

    version: int | None
    keys: dict[tuple[str, int, object], Policy]
    max_sequence: int


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class PolicyService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self.warnings: list[str] = []
        self._index: _MappingIndex | None = None

    def _current_index(self) -> _MappingIndex | None:
        """The index, if nothing was written since it was built: a port-mapping add then loads nothing."""
        version = self.store.policies_version()
        if self._index is not None and version is not None and self._index.version == version:
            return self._index
        return None

    def _mapping_index(self, policies: list[Policy]) -> _MappingIndex:
        version = self.store.policies_version()
        if self._index is None or version is None or self._index.version != version:
            keys = {(p.settings.protocol, p.settings.external_port, p.settings.vip): p
                    for p in policies if p.type is PolicyType.PORT_MAPPING}
            self._index = _MappingIndex(version, keys, max((p.sequence for p in policies), default=0))
        return self._index

    # -- reads

    def list_policies(self, endpoint: str | None = None, only: PolicyType | None = None) -> list[PolicyView]:
        endpoints = self.store.load_endpoints()
        policies = [p for p in self.store.load_policies() if only is None or p.type is only]
        if endpoint is not None:
            wanted = resolve_endpoint(endpoint, endpoints)
            policies = [p for p in policies if p.endpoint_id == wanted.id]
        by_id = {e.id: e for e in endpoints}
        return [PolicyView(p, by_id.get(p.endpoint_id)) for p in sorted(policies, key=lambda p: (p.endpoint_id, p.sequence))]

    def get_policy(self, reference: str, only: PolicyType | None = None) -> PolicyView:
        policy = resolve_policy(reference, self.store.load_policies(), only)
        endpoint = next((e for e in self.store.load_endpoints() if e.id == policy.endpoint_id), None)
        return PolicyView(policy, endpoint)

    def effective(self, reference: str) -> dict[str, Any]:
        """What the kernel holds for this policy right now (`policy show --effective`)."""
        view = self.get_policy(reference)
        policy, endpoint = view.policy, view.endpoint
        result: dict[str, Any] = {"ID": policy.id, "Type": policy.type.v1_name}
        if policy.network_id:
            network = next((n for n in self.store.load_networks() if n.id == policy.network_id), None)
            if network is None:
                return {**result, "Present": False, "Detail": "its network is not recorded"}
            scene = NetworkScene(self.backend, network, self.store.load_policies(), self.store.load_endpoints())
            return {**result, **NETWORK_DRIVERS[policy.type].effective(scene, policy)}
        if endpoint is None:
            return {**result, "Present": False, "Detail": "its endpoint is not recorded"}
        network = next((n for n in self.store.load_networks() if n.id == endpoint.network_id), None)
        namespace = next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)
        scene = Scene(self.backend, endpoint, network, namespace, self.store.load_policies())  # type: ignore[arg-type]
        return {**result, **DRIVERS[policy.type].effective(scene, policy)}

    # -- mutations

    def add_policy(self, request: PolicyRequest) -> Policy:
        kind, settings = validate_settings(request)
        if kind.on_network:
            if not request.network:
                raise InvalidInput(f"a {kind.value} policy belongs to a network: give --network (not --endpoint)")
            return self._add_network_policy(request.network, kind, settings)
        if not request.endpoint:
            raise InvalidInput(f"a {kind.value} policy belongs to an endpoint: give --endpoint")
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            endpoint = resolve_endpoint(request.endpoint, endpoints)
            network = self._network_of(endpoint, {n.id: n for n in self.store.load_networks()})
            index = self._current_index()
            policies = [] if index is not None and kind is PolicyType.PORT_MAPPING else self.store.load_policies()
            if index is None:
                index = self._mapping_index(policies)
            namespace = next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)
            scene = Scene(self.backend, endpoint, network, namespace, policies, self.warnings)
            self._check(kind, settings, scene, endpoints, index)
            policy = self._new_policy(endpoint, kind, settings, index)
            with Reverter() as revert:
                DRIVERS[kind].apply(scene, policy, revert)
                fault_point("policy-add:kernel")
                self.store.save_policy(policy)
                self._indexed(policy, index)
                revert.success()
        return policy

    def add_policies(self, requests: tuple[PolicyRequest, ...]) -> list[Policy]:
        """Several endpoint policies, possibly on several endpoints, under one lock and one undo stack: all are
        made or none (`route create --json` with a document naming several endpoints or routes)."""
        wanted = [validate_settings(r) for r in requests]
        if any(kind.on_network for kind, _ in wanted):
            raise InvalidInput("network policies (remotesubnetroute, hostroute) are added one at a time with --network",
                               hns_name="HCN_E_INVALID_POLICY")
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            networks = {n.id: n for n in self.store.load_networks()}
            namespaces = {n.id: n for n in self.store.load_namespaces()}
            policies = self.store.load_policies()
            index = self._mapping_index(policies)
            made: list[Policy] = []
            with Reverter() as revert:
                for request, (kind, settings) in zip(requests, wanted):
                    endpoint = resolve_endpoint(request.endpoint, endpoints)
                    scene = Scene(self.backend, endpoint, self._network_of(endpoint, networks),
                                  namespaces.get(endpoint.namespace_id or ""), [*policies, *made], self.warnings)
                    made.append(self._make(kind, settings, scene, endpoints, index, revert))
                fault_point("policy-add:kernel")
                for policy in made:
                    self.store.save_policy(policy)
                    revert.add(f"forget policy {policy.id}", lambda policy=policy: self.store.remove_policy(policy.id))
                revert.success()
            self._index = None  # rebuilt on the next add: the records above changed the store's version
        return made

    def add_to_new_endpoint(self, requests: tuple[PolicyRequest, ...], endpoint: Endpoint, network: Network,
                            namespace: Namespace | None, endpoints: list[Endpoint], revert: Reverter) -> list[Policy]:
        """The policies an `endpoint create` asks for, inside that command's own lock and undo stack: the
        endpoint and its policies are made (or undone) together. `endpoints` includes the new endpoint."""
        wanted = [validate_settings(r) for r in requests]
        if any(kind.on_network for kind, _ in wanted):
            raise InvalidInput("network policies (remotesubnetroute, hostroute) belong on a network document, not an endpoint's",
                               hns_name="HCN_E_INVALID_POLICY")
        policies = self.store.load_policies()
        index = self._mapping_index(policies)
        made: list[Policy] = []
        for kind, settings in wanted:
            scene = Scene(self.backend, endpoint, network, namespace, [*policies, *made], self.warnings)
            made.append(self._make(kind, settings, scene, endpoints, index, revert))
        for policy in made:
            self.store.save_policy(policy)
            revert.add(f"forget policy {policy.id}", lambda policy=policy: self.store.remove_policy(policy.id))
        self._index = None  # rebuilt on the next add: the records above changed the store's version
        return made

    def _make(self, kind: PolicyType, settings: Any, scene: Scene, endpoints: list[Endpoint], index: _MappingIndex,
              revert: Reverter) -> Policy:
        """Check, apply (undo registered) and index one policy of a multi-policy command; not yet recorded."""
        self._check(kind, settings, scene, endpoints, index)
        policy = self._new_policy(scene.endpoint, kind, settings, index)
        DRIVERS[kind].apply(scene, policy, revert)
        self._indexed(policy, index, bump_version=False)
        return policy

    @staticmethod
    def _new_policy(endpoint: Endpoint, kind: PolicyType, settings: Any, index: _MappingIndex) -> Policy:
        return Policy(id=ids.new_id(), endpoint_id=endpoint.id, type=kind, settings=settings, created_at=_now(),
                      sequence=index.max_sequence + 1)

    def _indexed(self, policy: Policy, index: _MappingIndex, *, bump_version: bool = True) -> None:
        if policy.type is PolicyType.PORT_MAPPING:
            s = policy.settings
            index.keys[(s.protocol, s.external_port, s.vip)] = policy
        index.max_sequence = policy.sequence
        if bump_version:
            index.version = self.store.policies_version()

    def remove_policy(self, reference: str, only: PolicyType | None = None) -> Policy:
        self.backend.require_privileges()
        with self.store.lock():
            policies = self.store.load_policies()
            policy = resolve_policy(reference, policies, only)
            with deleting(self.store, "policy", policy.id):
                remove_from_kernel(self.store, self.backend, policy, policies)
                fault_point("policy-delete:kernel")
                self.store.remove_policy(policy.id)
        return policy

    def _add_network_policy(self, reference: str, kind: PolicyType, settings: Any) -> Policy:
        """RemoteSubnetRoute / HostRoute on an overlay network (New-HnsRemoteSubnetRoutePolicy, New-HnsHostRoutePolicy)."""
        self.backend.require_privileges()
        with self.store.lock():
            network = resolve_network(reference, self.store.load_networks())
            with Reverter() as revert:
                policy = self._network_policy_locked(network, kind, settings, revert)
                revert.success()
        return policy

    def add_network_policy_locked(self, network: Network, request: PolicyRequest, revert: Reverter) -> Policy:
        """A network document's RemoteSubnetRoute / HostRoute, inside the network create's lock and undo stack."""
        kind, settings = validate_settings(request)
        return self._network_policy_locked(network, kind, settings, revert)

    def _network_policy_locked(self, network: Network, kind: PolicyType, settings: Any, revert: Reverter) -> Policy:
        if network.overlay is None:
            raise InvalidInput(f"{kind.value} on network {network.name!r}: it is {network.type.value}; these policies are for overlay networks",
                               hns_name="HCN_E_INVALID_POLICY")
        policies = self.store.load_policies()
        driver = NETWORK_DRIVERS[kind]
        driver.check(NetworkScene(self.backend, network, policies, []), settings)
        policy = Policy(id=ids.new_id(), endpoint_id="", network_id=network.id, type=kind, settings=settings, created_at=_now(),
                        sequence=max((p.sequence for p in policies), default=0) + 1)
        # the record first: the overlay entries carry no owner tag, so only a record lets reconcile find them
        self.store.save_policy(policy)
        revert.add("forget the policy", lambda: self.store.remove_policy(policy.id))
        fault_point("policy-add:kernel")
        driver.apply(NetworkScene(self.backend, network, policies, self.store.load_endpoints()), policy, revert)
        return policy

    # -- helpers

    @staticmethod
    def _network_of(endpoint: Endpoint, networks: dict[str, Network]) -> Network:
        network = networks.get(endpoint.network_id)
        if network is None:
            raise NotFound(f"adding a policy to endpoint {endpoint.name!r}: its network is not recorded", hint="run `hnsctl reconcile`")
        return network

    def _check(self, kind: PolicyType, settings: Any, scene: Scene, endpoints: list[Endpoint], index: _MappingIndex) -> None:
        """What every endpoint policy must satisfy, then its driver's own checks."""
        endpoint, network, driver = scene.endpoint, scene.network, DRIVERS[kind]
        if endpoint.remote:
            raise InvalidInput(f"{kind.value} on endpoint {endpoint.name!r}: it is a remote endpoint; add its policies on its own host",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if driver.needs_mapping and network.type not in MAPPING_TYPES:
            raise InvalidInput(
                f"{kind.value} on endpoint {endpoint.name!r}: mapping not supported on {network.type.value} network "
                f"{network.name!r}; port mappings and outbound NAT need a " + ", ".join(sorted(t.value for t in MAPPING_TYPES)) + " network",
                hns_name="HCN_E_MAPPING_NOT_SUPPORTED")
        if driver.ipv4_only and endpoint.ip.version != 4:
            raise InvalidInput(f"{kind.value} on endpoint {endpoint.name!r}: IPv6 endpoints are not supported yet")
        mine = [] if kind is PolicyType.PORT_MAPPING else [p for p in scene.policies if p.endpoint_id == endpoint.id]
        if driver.one_per_endpoint and any(p.type is kind for p in mine):
            raise Conflict(f"endpoint {endpoint.name!r} already has {driver.one_per_endpoint} policy", hint="remove it first, then add the new one",
                           hns_name="HCN_E_POLICY_ALREADY_EXISTS")
        context = CheckContext(mine, {e.id: e.name for e in endpoints}, index.keys, self.store.load_loadbalancers)
        driver.check(scene, settings, context)


def remove_from_kernel(store: Store, backend: Backend, policy: Policy, policies: list[Policy]) -> None:
    """What a recorded policy holds in the kernel goes (lock held): `policy remove` and reconcile finishing one."""
    if policy.network_id:
        network = next((n for n in store.load_networks() if n.id == policy.network_id), None)
        if network is not None:
            NETWORK_DRIVERS[policy.type].remove(NetworkScene(backend, network, policies, store.load_endpoints()), policy)
        return
    endpoint = next((e for e in store.load_endpoints() if e.id == policy.endpoint_id), None)
    if endpoint is None:
        return
    network = next((n for n in store.load_networks() if n.id == endpoint.network_id), None)
    namespace = next((n for n in store.load_namespaces() if n.id == endpoint.namespace_id), None)
    scene = Scene(backend, endpoint, network, namespace, [p for p in policies if p.id != policy.id])  # type: ignore[arg-type]
    DRIVERS[policy.type].remove(scene, policy)


__all__ = ["PolicyService", "PolicyView", "mapping_key", "remove_from_kernel"]
