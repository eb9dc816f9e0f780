"""hnsctl's nftables state: network rules, port mappings, OutBoundNAT, ACLs, load balancers, l2bridge MAC
rewriting and host-endpoint marks. Every rule carries its owner's ID in its comment."""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.base import (
    EndpointAclSpec,
    L2BridgeSpec,
    LoadBalancerSpec,
    NetworkFirewall,
    OutboundNatSpec,
    PortMapSpec,
)


class FirewallOps(Protocol):
    """Each apply is one nftables transaction that replaces what its owner had, so applying twice is applying once."""

    def firewall_owners(self) -> set[str]:
        """IDs that own at least one rule in hnsctl's table."""

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        """Replace every rule owned by `firewall.owner` with the rendered set, in one transaction."""

    def remove_firewall(self, owner: str) -> None:
        """Delete every rule owned by `owner`; drop hnsctl's table once no owned rule or mapping is left."""

    # -- port mappings and host endpoints

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        """One map element, one transaction. Raises Conflict if the key is already mapped in the kernel."""

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        """Remove the element; already gone counts as done."""

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        """(protocol, external port, vip) keys present in the kernel, for reconcile."""

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        """Keep (present) or stop keeping one host endpoint's bridged hop out of conntrack, so that NAT
        of traffic routed through it happens on the host's routed pass."""

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        """(bridge, MAC) of the host endpoints marked in the kernel, for reconcile."""

    # -- endpoint policies

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        """Replace the rules owned by `spec.owner` with this endpoint's OutBoundNAT rules."""

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        """Rebuild the endpoint's ACL chains (none left when it has no ACLs), one transaction."""

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        """Delete ACL chains of endpoints whose 8-hex short ID is not in `keep`; returns their names."""

    # -- load balancers

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        """Create (`new`) or bring the load balancer's chain, backend map and frontend elements to `spec`
        (idempotent). With `previous` (a backend change) only what differs is rewritten."""

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        """Remove everything the load balancer put in the kernel; already gone counts as done."""

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        """Per load-balancer short ID found in the kernel: (rules in its chain, backend addresses, frontend keys)."""

    def load_balancer_marks(self) -> set[int]:
        """Connection marks present in the source-VIP map (`lb-snat`)."""

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        """Delete load-balancer chains, maps and elements whose short ID is not in `keep` (and source-VIP
        elements whose mark is not in `keep_marks`); returns the short IDs removed."""

    # -- l2bridge MAC rewriting (table `bridge hnsctl`)

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        """Replace the network's MAC-rewrite rules and endpoint map in `bridge hnsctl` (idempotent)."""

    def remove_l2bridge(self, owner: str, short: str) -> None:
        """Remove the network's rules and map; the table goes with the last network. Gone counts as done."""

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        """Add (with mac) or remove (mac None) one endpoint's IP -> MAC element."""

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        """(rules the owner has, endpoint elements) in the bridge table, for reconcile."""
