"""PURE: the kernel objects a recorded object implies. Create, delete and reconcile all start from here."""

from __future__ import annotations

from hnsctl.backend.base import BridgeSpec, NetworkFirewall, NetworkPlan
from hnsctl.models.network import Network, NetworkType


def plan_network(network: Network) -> NetworkPlan:
    addresses: tuple[str, ...] = ()
    if network.type.has_host_address:
        addresses = tuple(f"{s.gateway}/{s.prefix.prefixlen}" for s in network.subnets if s.gateway is not None)
    bridge = BridgeSpec(name=network.bridge_name, owner=network.id, addresses=addresses)
    if network.type is NetworkType.NAT:
        firewall = NetworkFirewall(
            owner=network.id,
            bridge=network.bridge_name,
            masquerade=tuple(s.prefix for s in network.subnets),
            allow_forwarding=True,
        )
        forwarding = {s.prefix.version for s in network.subnets}
    else:
        # internal and private: reachable from the host (internal) or not at all (private), never routed onward
        firewall = NetworkFirewall(owner=network.id, bridge=network.bridge_name, isolate=True)
        forwarding = set()
    return NetworkPlan(bridge=bridge, firewall=firewall, forwarding=forwarding)
