"""What a policy driver is, and the scene it works in.

Each policy type is one driver (hnsctl.service.policies.DRIVERS): its own checks, what it puts in the
kernel and takes out again, how `policy show --effective` reads it back and how `reconcile` finds it
missing. The policy service and reconcile loop over drivers; no other module asks what kind of settings
a policy holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from hnsctl.errors import InvalidInput
from hnsctl.models.network import MAC_REWRITE_TYPES

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy, PolicyType
    from hnsctl.service.revert import Reverter


def attached_interface(endpoint: Endpoint, namespace: Namespace | None) -> tuple[str | None, str] | None:
    """(namespace name or None for the host, interface name) while attached; None when not attached."""
    if not endpoint.is_attached:
        return None
    if endpoint.host_attached:
        return None, endpoint.host_ifname
    if namespace is None:
        return None
    return namespace.name, endpoint.ifname


@dataclass
class Scene:
    """An endpoint policy's surroundings. `policies`: every recorded policy, plus those made earlier in
    the same command and not yet recorded (an ACL set is rebuilt from all of them)."""

    backend: Backend
    endpoint: Endpoint
    network: Network
    namespace: Namespace | None
    policies: list[Policy]
    warnings: list[str] = field(default_factory=list)

    @property
    def interface(self) -> tuple[str | None, str] | None:
        return attached_interface(self.endpoint, self.namespace)


@dataclass
class CheckContext:
    """What the checks of a new policy compare it with, besides its own endpoint's policies (`mine`)."""

    mine: list[Policy]
    endpoint_names: dict[str, str]
    mapping_keys: dict[tuple[str, int, object], Policy]
    loadbalancers: Callable[[], list[LoadBalancer]]


class Observed:
    """The kernel as reconcile sees it, each part read once and only when a driver asks."""

    def __init__(self, backend: Backend, firewall_owners: set[str]) -> None:
        self.backend = backend
        self.firewall_owners = firewall_owners
        self.rebuilt_acls: set[str] = set()  # endpoints whose ACL chains this run already rebuilt

    @cached_property
    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        return self.backend.port_mappings()


class PolicyDriver:
    """A policy that holds nothing in the kernel. Subclasses override what their type needs."""

    kind: ClassVar[PolicyType]
    needs_mapping: ClassVar[bool] = False  # port mappings and outbound NAT: only on MAPPING_TYPES networks
    ipv4_only: ClassVar[bool] = False
    one_per_endpoint: ClassVar[str | None] = None  # e.g. "an OutBoundNAT": a second one is a conflict
    on_interface: ClassVar[bool] = False  # lives on the attached interface; re-applied on every attach

    def check(self, scene: Scene, settings: Any, context: CheckContext) -> None:
        """Type-specific refusals of a new policy, before anything changes."""

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        """Put the policy in the kernel, registering its undo."""

    def remove(self, scene: Scene, policy: Policy) -> None:
        """Take the policy out of the kernel; what is gone already counts as done."""

    def effective(self, scene: Scene, policy: Policy) -> dict[str, Any]:
        """`policy show --effective`: Present and what the kernel holds."""
        return {"Present": True}

    def drift(self, scene: Scene, policy: Policy, observed: Observed) -> tuple[str, str, str] | None:
        """(name, problem, action) when the kernel lacks the policy; None when it holds it."""
        return None

    def repair(self, scene: Scene, policy: Policy) -> None:
        """Put back what `drift` found missing."""
        from hnsctl.service.revert import Reverter

        self.apply(scene, policy, Reverter())

    def apply_to_interface(self, backend: Backend, where: tuple[str | None, str], endpoint: Endpoint, policies: list[Policy]) -> None:
        """Interface policies: set every policy of this type in `policies` on the attached interface."""


def prepare_nat(backend: Backend, network: Network) -> None:
    """NATed endpoint traffic is routed by the host: forwarding on; on l2bridge/l2tunnel the endpoint's
    own packets are bridged, and only br_netfilter shows them to nftables to be (de-)NATed."""
    backend.enable_forwarding(4)
    if network.type in MAC_REWRITE_TYPES and not backend.enable_bridge_filtering():
        raise InvalidInput(f"NAT on {network.type.value} network {network.name!r}: this kernel has no br_netfilter, so bridged "
                           "endpoint traffic never reaches nftables to be translated", hint="modprobe br_netfilter",
                           hns_name="HCN_E_MAPPING_NOT_SUPPORTED")
