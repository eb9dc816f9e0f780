"""ACLs: per-endpoint nftables chains, rebuilt whole (in priority order) on every change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.backend.base import EndpointAclSpec
from hnsctl.models.policy import PolicyType
from hnsctl.service.policies.base import Observed, PolicyDriver, Scene

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.policy import Policy
    from hnsctl.service.revert import Reverter


def acl_spec(endpoint: Endpoint, policies: list[Policy]) -> EndpointAclSpec:
    """The endpoint's ACLs in evaluation order: priority, then creation order."""
    acls = sorted((p for p in policies if p.endpoint_id == endpoint.id and p.type is PolicyType.ACL),
                  key=lambda p: (p.settings.priority, p.sequence))
    return EndpointAclSpec(
        owner=endpoint.id,
        short=endpoint.short,
        endpoint_ip=str(endpoint.ip),
        rules_in=tuple((p.id, p.settings) for p in acls if p.settings.direction == "in"),
        rules_out=tuple((p.id, p.settings) for p in acls if p.settings.direction == "out"),
    )


class AclDriver(PolicyDriver):
    kind = PolicyType.ACL
    ipv4_only = True

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        backend = scene.backend
        if not backend.enable_bridge_filtering():
            scene.warnings.append("this kernel has no br_netfilter: ACLs apply to routed traffic only, not between endpoints of one bridge")
        before = [p for p in scene.policies if p.id != policy.id]
        backend.apply_endpoint_acls(acl_spec(scene.endpoint, [*before, policy]))
        revert.add("restore the previous ACLs", lambda: backend.apply_endpoint_acls(acl_spec(scene.endpoint, before)))

    def remove(self, scene: Scene, policy: Policy) -> None:
        scene.backend.apply_endpoint_acls(acl_spec(scene.endpoint, [p for p in scene.policies if p.id != policy.id]))

    def effective(self, scene: Scene, policy: Policy) -> dict[str, Any]:
        return {"Present": policy.id in scene.backend.firewall_owners()}

    def drift(self, scene: Scene, policy: Policy, observed: Observed) -> tuple[str, str, str] | None:
        """One finding per endpoint: its chains are rebuilt whole, from all of its ACLs."""
        endpoint = scene.endpoint
        if endpoint.id in observed.firewall_owners or endpoint.id in observed.rebuilt_acls:
            return None
        observed.rebuilt_acls.add(endpoint.id)
        return f"{endpoint.name} acl", "ACL chains missing", "rebuild them"

    def repair(self, scene: Scene, policy: Policy) -> None:
        scene.backend.apply_endpoint_acls(acl_spec(scene.endpoint, scene.policies))
