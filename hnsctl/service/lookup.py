"""Finding a recorded object by what a user types: its ID, a unique ID prefix or its name.

Every service resolves references through these, so no service borrows another's helpers for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hnsctl.service import checks

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy, PolicyType


def resolve_network(reference: str, networks: list[Network]) -> Network:
    return checks.resolve(reference, networks, kind="network", key_id=lambda n: n.id, key_name=lambda n: n.name,
                          hns_name="HCN_E_NETWORK_NOT_FOUND")


def resolve_endpoint(reference: str, endpoints: list[Endpoint]) -> Endpoint:
    return checks.resolve(reference, endpoints, kind="endpoint", key_id=lambda e: e.id, key_name=lambda e: e.name,
                          hns_name="HCN_E_ENDPOINT_NOT_FOUND")


def resolve_namespace(reference: str, namespaces: list[Namespace]) -> Namespace:
    return checks.resolve(reference, namespaces, kind="namespace", key_id=lambda n: n.id, key_name=lambda n: n.name,
                          hns_name="ERROR_NOT_FOUND")


def resolve_policy(reference: str, policies: list[Policy], only: PolicyType | None = None) -> Policy:
    """By ID or unique prefix; with `only`, among that type's policies (`hnsctl route` sees routes alone)."""
    from hnsctl.models.policy import PolicyType

    if only is not None:
        policies = [p for p in policies if p.type is only]
    label = "route" if only is PolicyType.ROUTE else "policy"
    return checks.resolve(reference, policies, kind=label, key_id=lambda p: p.id, key_name=lambda p: p.id,
                          hns_name="HCN_E_POLICY_NOT_FOUND")


def resolve_loadbalancer(reference: str, lbs: list[LoadBalancer]) -> LoadBalancer:
    return checks.resolve(reference, lbs, kind="loadbalancer", key_id=lambda lb: lb.id, key_name=lambda lb: lb.id,
                          hns_name="HCN_E_POLICY_NOT_FOUND")
