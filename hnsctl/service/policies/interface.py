"""QoS and routes: they live on the endpoint's attached interface, so every attach (and reconcile)
puts them back; while the endpoint is detached they are records only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models.policy import PolicyType
from hnsctl.service.policies.base import CheckContext, Observed, PolicyDriver, Scene

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.policy import Policy
    from hnsctl.service.revert import Reverter


def route_entry(policy: Policy, endpoint: Endpoint) -> tuple[str, str | None]:
    """(destination, next hop or None for on-link): the next hop defaults to the endpoint's gateway."""
    s = policy.settings
    next_hop = s.next_hop or endpoint.gateway
    return str(s.destination), str(next_hop) if next_hop else None


class InterfacePolicyDriver(PolicyDriver):
    on_interface = True

    def applied(self, backend: Backend, where: tuple[str | None, str], policy: Policy, endpoint: Endpoint) -> bool:
        raise NotImplementedError

    def effective(self, scene: Scene, policy: Policy) -> dict[str, Any]:
        if scene.interface is None:
            return {"Present": False, "Detail": "the endpoint is not attached; applied on attach"}
        return self.read_back(scene, policy, scene.interface)

    def read_back(self, scene: Scene, policy: Policy, where: tuple[str | None, str]) -> dict[str, Any]:
        raise NotImplementedError

    def drift(self, scene: Scene, policy: Policy, observed: Observed) -> tuple[str, str, str] | None:
        where = scene.interface
        if where is None or self.applied(scene.backend, where, policy, scene.endpoint):
            return None
        return f"{scene.endpoint.name} {policy.type.value}", f"{policy.type.value} not applied on {where[1]}", "re-apply it"

    def repair(self, scene: Scene, policy: Policy) -> None:
        if scene.interface is not None:
            self.apply_to_interface(scene.backend, scene.interface, scene.endpoint, [policy])


class QosDriver(InterfacePolicyDriver):
    kind = PolicyType.QOS
    one_per_endpoint = "a QoS"

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        where = scene.interface
        if where is None:
            return
        scene.backend.set_qos(where[0], where[1], policy.settings.max_bandwidth)
        revert.add("remove the rate limit", lambda: scene.backend.set_qos(where[0], where[1], None))

    def remove(self, scene: Scene, policy: Policy) -> None:
        if scene.interface is not None:
            scene.backend.set_qos(scene.interface[0], scene.interface[1], None)

    def applied(self, backend: Backend, where: tuple[str | None, str], policy: Policy, endpoint: Endpoint) -> bool:
        return backend.qos_rate(where[0], where[1]) == policy.settings.max_bandwidth

    def read_back(self, scene: Scene, policy: Policy, where: tuple[str | None, str]) -> dict[str, Any]:
        rate = scene.backend.qos_rate(where[0], where[1])
        return {"Present": rate == policy.settings.max_bandwidth, "KernelRateBytesPerSecond": rate}

    def apply_to_interface(self, backend: Backend, where: tuple[str | None, str], endpoint: Endpoint, policies: list[Policy]) -> None:
        rate = next((p.settings.max_bandwidth for p in policies if p.type is self.kind), None)
        if rate is not None:
            backend.set_qos(where[0], where[1], rate)


class RouteDriver(InterfacePolicyDriver):
    kind = PolicyType.ROUTE

    def check(self, scene: Scene, settings: Any, context: CheckContext) -> None:
        endpoint = scene.endpoint
        if any(p.type is self.kind and p.settings.destination == settings.destination for p in context.mine):
            raise Conflict(f"endpoint {endpoint.name!r} already has a route to {settings.destination}", hns_name="HCN_E_POLICY_ALREADY_EXISTS")
        if settings.destination.version != endpoint.ip.version:
            raise InvalidInput(f"invalid --destination {settings.destination}: the endpoint is IPv{endpoint.ip.version}")

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        where = scene.interface
        if where is None:
            return
        entry = route_entry(policy, scene.endpoint)
        scene.backend.set_routes(where[0], where[1], [entry], [])
        revert.add("remove the route", lambda: scene.backend.set_routes(where[0], where[1], [], [entry[0]]))

    def remove(self, scene: Scene, policy: Policy) -> None:
        if scene.interface is not None:
            scene.backend.set_routes(scene.interface[0], scene.interface[1], [], [route_entry(policy, scene.endpoint)[0]])

    def applied(self, backend: Backend, where: tuple[str | None, str], policy: Policy, endpoint: Endpoint) -> bool:
        return route_entry(policy, endpoint)[0] in backend.interface_routes(where[0], where[1])

    def read_back(self, scene: Scene, policy: Policy, where: tuple[str | None, str]) -> dict[str, Any]:
        destination, next_hop = route_entry(policy, scene.endpoint)
        present = destination in scene.backend.interface_routes(where[0], where[1])
        return {"Present": present, "Kernel": f"{destination} via {next_hop or 'on-link'} dev {where[1]}" if present else ""}

    def apply_to_interface(self, backend: Backend, where: tuple[str | None, str], endpoint: Endpoint, policies: list[Policy]) -> None:
        routes = [route_entry(p, endpoint) for p in policies if p.type is self.kind]
        if routes:
            backend.set_routes(where[0], where[1], routes, [])

