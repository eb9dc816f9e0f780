"""The policy drivers, one per policy type: the registry the policy service, reconcile and teardown loop over."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from hnsctl.models.policy import PolicyType
from hnsctl.service.policies.acl import AclDriver
from hnsctl.service.policies.base import PolicyDriver, Scene, attached_interface
from hnsctl.service.policies.interface import QosDriver, RouteDriver
from hnsctl.service.policies.nat import OutboundNatDriver, PortMappingDriver
from hnsctl.service.policies.overlay import (
    HostRouteDriver,
    NetworkPolicyDriver,
    RemoteSubnetRouteDriver,
)

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy

# Interface policies in the order an attach applies them: the rate limit before the routes.
DRIVERS: dict[PolicyType, PolicyDriver] = {
    driver.kind: driver
    for driver in (PortMappingDriver(), OutboundNatDriver(), AclDriver(), QosDriver(), RouteDriver())
}
NETWORK_DRIVERS: dict[PolicyType, NetworkPolicyDriver] = {
    driver.kind: driver for driver in (RemoteSubnetRouteDriver(), HostRouteDriver())
}
assert set(DRIVERS) | set(NETWORK_DRIVERS) == set(PolicyType), "every policy type has a driver"


def apply_interface_policies(backend: Backend, endpoint: Endpoint, namespace: Namespace | None, policies: list[Policy]) -> None:
    """QoS and routes live on the container-side interface, so every attach (and reconcile) re-applies them."""
    where = attached_interface(endpoint, namespace)
    if where is None:
        return
    mine = [p for p in policies if p.endpoint_id == endpoint.id]
    for driver in DRIVERS.values():
        if driver.on_interface:
            driver.apply_to_interface(backend, where, endpoint, mine)


def remove_endpoint_policies(store_policies: list[Policy], backend: Backend, endpoint: Endpoint, network: Network | None,
                             namespace: Namespace | None) -> list[Policy]:
    """Take every policy of an endpoint that is being deleted out of the kernel; returns them, for the
    caller to drop their records. ACL chains go in one step (the endpoint's whole set)."""
    mine = [p for p in store_policies if p.endpoint_id == endpoint.id]
    # removal needs no network (the nftables objects are keyed by endpoint, policy and port): one whose
    # network record is gone still loses its rules
    scene = Scene(backend, endpoint, cast("Network", network), namespace, [p for p in store_policies if p.endpoint_id != endpoint.id])
    done: set[PolicyType] = set()
    for policy in mine:
        if policy.type is PolicyType.ACL:
            if PolicyType.ACL not in done:
                DRIVERS[PolicyType.ACL].remove(scene, policy)  # the scene holds none of its ACLs: its chains go
                done.add(PolicyType.ACL)
        elif not DRIVERS[policy.type].on_interface:
            DRIVERS[policy.type].remove(scene, policy)
    return mine


__all__ = ["DRIVERS", "NETWORK_DRIVERS", "PolicyDriver", "Scene", "apply_interface_policies", "attached_interface",
           "remove_endpoint_policies"]
