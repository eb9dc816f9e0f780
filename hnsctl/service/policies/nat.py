"""Port mappings (V1 NAT, hostPort) and OutBoundNAT: nftables map elements and per-policy rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.backend.base import OutboundNatSpec, PortMapSpec
from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models.network import MAC_REWRITE_TYPES
from hnsctl.models.policy import OutboundNat, PolicyType, PortMapping
from hnsctl.service.policies.base import (
    CheckContext,
    Observed,
    PolicyDriver,
    Scene,
    prepare_nat,
)

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy
    from hnsctl.service.revert import Reverter


def port_map_spec(policy: Policy, endpoint: Endpoint) -> PortMapSpec:
    s = policy.settings
    assert isinstance(s, PortMapping)
    return PortMapSpec(s.protocol, s.external_port, str(s.vip) if s.vip else None, str(endpoint.ip), s.internal_port)


def mapping_key(settings: PortMapping) -> tuple[str, int, str | None]:
    """The kernel's key of a port mapping: (protocol, external port, VIP or None)."""
    return settings.protocol, settings.external_port, str(settings.vip) if settings.vip else None


def uplink_host_ip(network: Network) -> str:
    """The host's own address on an uplink network's LAN: what NATed endpoint traffic shows."""
    found = network.uplink.ipv4_interfaces if network.uplink else []
    if not found:
        raise InvalidInput(f"network {network.name!r}: its adapter has no IPv4 address to NAT endpoint traffic to",
                           hint="give the adapter an address, or use --vip", hns_name="HCN_E_MAPPING_NOT_SUPPORTED")
    return str(found[0].ip)


def outbound_spec(policy: Policy, endpoint: Endpoint, network: Network) -> OutboundNatSpec:
    """On l2bridge/l2tunnel the endpoint is bridged onto the LAN: SNAT to the host's LAN address what
    leaves the LAN's subnets; elsewhere masquerade what leaves by another interface than the bridge."""
    s = policy.settings
    assert isinstance(s, OutboundNat)
    vip = str(s.vip) if s.vip else None
    if network.type in MAC_REWRITE_TYPES:
        return OutboundNatSpec(policy.id, str(endpoint.ip), network.bridge_name, s.exceptions, vip,
                               host_ip=uplink_host_ip(network), local=tuple(sub.prefix for sub in network.subnets))
    return OutboundNatSpec(policy.id, str(endpoint.ip), network.bridge_name, s.exceptions, vip)


class PortMappingDriver(PolicyDriver):
    kind = PolicyType.PORT_MAPPING
    needs_mapping = True
    ipv4_only = True

    def check(self, scene: Scene, settings: Any, context: CheckContext) -> None:
        where = f"port mapping {settings.protocol}/{settings.external_port}" + (f" on {settings.vip}" if settings.vip else "")
        other = context.mapping_keys.get((settings.protocol, settings.external_port, settings.vip))
        if other is not None:
            holder = context.endpoint_names.get(other.endpoint_id, other.endpoint_id)
            raise Conflict(f"{where}: already mapped to endpoint {holder!r} (policy {other.id})",
                           hint="choose another --external-port, or remove that policy first", hns_name="HCN_E_PORT_ALREADY_EXISTS")
        key = (str(settings.vip) if settings.vip else None, settings.protocol, settings.external_port)
        balancer = next((lb for lb in context.loadbalancers() if key in lb.frontend_keys()), None)
        if balancer is not None:
            raise Conflict(f"{where}: already served by load balancer {balancer.id}",
                           hint="choose another --external-port, or delete that load balancer first", hns_name="HCN_E_PORT_ALREADY_EXISTS")
        if settings.vip is None and scene.backend.port_in_use(settings.protocol, settings.external_port):
            scene.warnings.append(f"a local process already listens on {settings.protocol} port {settings.external_port}; "
                                  "connections from other machines to that port now reach the endpoint instead")

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        prepare_nat(scene.backend, scene.network)
        spec = port_map_spec(policy, scene.endpoint)
        scene.backend.add_port_mapping(spec)
        revert.add("remove the port mapping", lambda: scene.backend.remove_port_mapping(spec))

    def remove(self, scene: Scene, policy: Policy) -> None:
        scene.backend.remove_port_mapping(port_map_spec(policy, scene.endpoint))

    def effective(self, scene: Scene, policy: Policy) -> dict[str, Any]:
        spec = port_map_spec(policy, scene.endpoint)
        present = (spec.protocol, spec.external_port, spec.vip) in scene.backend.port_mappings()
        kernel = f"{spec.protocol} {spec.vip or '*'}:{spec.external_port} -> {spec.target_ip}:{spec.target_port}" if present else ""
        return {"Present": present, "Kernel": kernel}

    def drift(self, scene: Scene, policy: Policy, observed: Observed) -> tuple[str, str, str] | None:
        if mapping_key(policy.settings) in observed.port_mappings:
            return None
        s = policy.settings
        return f"{scene.endpoint.name} {s.protocol}/{s.external_port}", "port mapping missing from nftables", "re-add it"

    def repair(self, scene: Scene, policy: Policy) -> None:
        scene.backend.add_port_mapping(port_map_spec(policy, scene.endpoint))


class OutboundNatDriver(PolicyDriver):
    kind = PolicyType.OUTBOUND_NAT
    needs_mapping = True
    ipv4_only = True
    one_per_endpoint = "an OutBoundNAT"

    def check(self, scene: Scene, settings: Any, context: CheckContext) -> None:
        if scene.network.type in MAC_REWRITE_TYPES and settings.vip is None:
            uplink_host_ip(scene.network)

    def apply(self, scene: Scene, policy: Policy, revert: Reverter) -> None:
        prepare_nat(scene.backend, scene.network)
        scene.backend.apply_outbound_nat(outbound_spec(policy, scene.endpoint, scene.network))
        revert.add("remove the outbound NAT rules", lambda: scene.backend.remove_firewall(policy.id))

    def remove(self, scene: Scene, policy: Policy) -> None:
        scene.backend.remove_firewall(policy.id)

    def effective(self, scene: Scene, policy: Policy) -> dict[str, Any]:
        return {"Present": policy.id in scene.backend.firewall_owners()}

    def drift(self, scene: Scene, policy: Policy, observed: Observed) -> tuple[str, str, str] | None:
        if policy.id in observed.firewall_owners:
            return None
        return f"{scene.endpoint.name} outboundnat", "outbound NAT rules missing", "re-apply them"

    def repair(self, scene: Scene, policy: Policy) -> None:
        scene.backend.apply_outbound_nat(outbound_spec(policy, scene.endpoint, scene.network))
