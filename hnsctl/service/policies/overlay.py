"""Network policies of overlay networks: RemoteSubnetRoute (another host's subnet behind its provider
address) and HostRoute (a record: the bridge address already reaches local endpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from hnsctl.backend.base import RemoteSpec
from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models.policy import PolicyType

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy
    from hnsctl.service.revert import Reverter


@dataclass
class NetworkScene:
    backend: Backend
    network: Network
    policies: list[Policy]
    endpoints: list[Endpoint]


def remote_subnet_spec(policy: Policy, network: Network, policies: list[Policy], endpoints: list[Endpoint]) -> RemoteSpec:
    """The remote subnet as a route via its network address (onlink), which resolves to the other host's router MAC."""
    s = policy.settings
    via = str(s.destination.network_address)
    shared = any(p.id != policy.id and p.network_id == network.id and p.type is PolicyType.REMOTE_SUBNET_ROUTE and p.settings.dr_mac == s.dr_mac
                 for p in policies) or any(e.remote and e.network_id == network.id and e.mac == s.dr_mac for e in endpoints)
    return RemoteSpec(bridge=network.bridge_name, vxlan=network.vxlan_name, neighbour=via, mac=s.dr_mac.replace("-", ":").lower(),
                      provider_address=str(s.provider_address), route=str(s.destination), via=via, shared_mac=shared)


class NetworkPolicyDriver:
    """A network policy that holds nothing in the kernel (HostRoute)."""

    kind: ClassVar[PolicyType]

    def check(self, scene: NetworkScene, settings: Any) -> None:
        """Refusals beyond "one per network"; the default is one policy of the type per network."""
        network = scene.network
        if any(p.network_id == network.id and p.type is self.kind for p in scene.policies):
            raise Conflict(f"network {network.name!r} already has a {self.kind.value} policy", hns_name="HCN_E_POLICY_ALREADY_EXISTS")

    def apply(self, scene: NetworkScene, policy: Policy, revert: Reverter) -> None:
        """Kernel entries after the record (they carry no owner tag: only the record lets reconcile find them)."""

    def remove(self, scene: NetworkScene, policy: Policy) -> None:
        """Take the kernel entries out; what is gone already counts as done."""

    def effective(self, scene: NetworkScene, policy: Policy) -> dict[str, Any]:
        return {"Present": True, "Detail": "nothing to hold in the kernel: the bridge address reaches local endpoints"}

    def drift(self, scene: NetworkScene, policy: Policy) -> tuple[str, str, str] | None:
        return None

    def repair(self, scene: NetworkScene, policy: Policy) -> None:
        """Put back what `drift` found missing."""


class HostRouteDriver(NetworkPolicyDriver):
    kind = PolicyType.HOST_ROUTE


class RemoteSubnetRouteDriver(NetworkPolicyDriver):
    kind = PolicyType.REMOTE_SUBNET_ROUTE

    def check(self, scene: NetworkScene, settings: Any) -> None:
        network = scene.network
        for subnet in network.subnets:
            if settings.destination.overlaps(subnet.prefix):
                raise InvalidInput(f"invalid --destination {settings.destination}: it overlaps this host's own subnet {subnet.prefix}")
        if network.overlay is not None and str(settings.provider_address) == network.overlay.provider_address:
            raise InvalidInput(f"invalid --provider-address {settings.provider_address}: that is this host's own provider address")
        for other in scene.policies:
            if other.network_id == network.id and other.type is self.kind and other.settings.destination.overlaps(settings.destination):
                raise Conflict(f"remote subnet {settings.destination} overlaps {other.settings.destination} (policy {other.id}) on network {network.name!r}",
                               hint="remove that policy first", hns_name="HCN_E_POLICY_ALREADY_EXISTS")

    def _spec(self, scene: NetworkScene, policy: Policy) -> RemoteSpec:
        return remote_subnet_spec(policy, scene.network, scene.policies, scene.endpoints)

    def apply(self, scene: NetworkScene, policy: Policy, revert: Reverter) -> None:
        spec = self._spec(scene, policy)
        revert.add("remove the remote subnet's overlay entries", lambda: scene.backend.remove_remote(spec))
        scene.backend.apply_remote(spec)

    def remove(self, scene: NetworkScene, policy: Policy) -> None:
        scene.backend.remove_remote(self._spec(scene, policy))

    def effective(self, scene: NetworkScene, policy: Policy) -> dict[str, Any]:
        spec = self._spec(scene, policy)
        return {"Present": scene.backend.remote_present(spec),
                "Kernel": f"{spec.route} via {spec.via} onlink dev {spec.bridge}; {spec.mac} at {spec.provider_address}"}

    def drift(self, scene: NetworkScene, policy: Policy) -> tuple[str, str, str] | None:
        if scene.backend.remote_present(self._spec(scene, policy)):
            return None
        return f"{scene.network.name} {policy.settings.destination}", "remote subnet route or its overlay entries are missing", "re-add them"

    def repair(self, scene: NetworkScene, policy: Policy) -> None:
        scene.backend.apply_remote(self._spec(scene, policy))
