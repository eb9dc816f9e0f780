"""Network operations (New-/Get-/Remove-HnsNetwork): validate, plan, apply with rollback, record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import AdapterState
from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models import ids
from hnsctl.models.network import (
    UPLINK_TYPES,
    VXLAN_OVERHEAD,
    Network,
    NetworkRequest,
    NetworkType,
    Overlay,
    Subnet,
    Uplink,
    dr_mac_for,
    first_host,
)
from hnsctl.service import checks, ipam
from hnsctl.service.faults import fault_point
from hnsctl.service.lookup import resolve_network
from hnsctl.service.network_request import (
    ValidatedRequest,
    check_matches,
    check_switch_subnets,
    lan_subnets,
    switch_of,
    validate_request,
)
from hnsctl.service.teardown import teardown_endpoints

if TYPE_CHECKING:
    from collections.abc import Callable

    from hnsctl.backend.protocols import Backend
    from hnsctl.models.policy import Policy, PolicyRequest
    from hnsctl.service.policy import PolicyService
    from hnsctl.store import Store

DEFAULT_NETWORK_NAME = "nat"
MAX_ID_ATTEMPTS = 16


@dataclass(frozen=True)
class NetworkView:
    """A network plus what is derived from other objects (never stored twice)."""

    network: Network
    endpoint_count: int = 0
    policies: tuple[Policy, ...] = ()  # its network policies (RemoteSubnetRoute, HostRoute)


class NetworkService:
    def __init__(self, store: Store, backend: Backend, policies: Callable[[], PolicyService] | None = None) -> None:
        """`policies`: the composition root's policy service, asked for only when a document carries network policies."""
        self.store = store
        self.backend = backend
        self.policies = policies or self._own_policy_service

    def _own_policy_service(self) -> PolicyService:
        from hnsctl.service.policy import PolicyService

        return PolicyService(self.store, self.backend)

    # -- reads (no lock, no kernel)

    def list_networks(self) -> list[NetworkView]:
        counts = self.store.endpoint_counts()
        networks = self.store.load_networks()
        policies = self._network_policies(networks)
        return [NetworkView(n, counts.get(n.id, 0), policies.get(n.id, ())) for n in sorted(networks, key=lambda n: n.name)]

    def get_network(self, reference: str) -> NetworkView:
        network = resolve_network(reference, self.store.load_networks())
        return NetworkView(network, self.store.endpoint_counts().get(network.id, 0), self._network_policies([network]).get(network.id, ()))

    def _network_policies(self, networks: list[Network]) -> dict[str, tuple[Policy, ...]]:
        """Only overlay networks carry policies: listings without one never read the policy records."""
        found: dict[str, list[Policy]] = {}
        if not any(n.overlay for n in networks):
            return {}
        for policy in self.store.load_policies():
            if policy.network_id:
                found.setdefault(policy.network_id, []).append(policy)
        return {k: tuple(sorted(v, key=lambda p: p.sequence)) for k, v in found.items()}

    # -- mutations

    def create_network(self, request: NetworkRequest) -> Network:
        return self._create(request, exist_ok=False)[0]

    def ensure_network(self, request: NetworkRequest) -> tuple[Network, bool]:
        """Create unless a network of that name exists (`--if-not-exists`); True when it was created.

        An existing network that contradicts the request (another type, other subnets) is a conflict,
        so a runbook never silently runs against something it did not ask for.
        """
        return self._create(request, exist_ok=True)

    def _create(self, request: NetworkRequest, *, exist_ok: bool) -> tuple[Network, bool]:
        wanted = validate_request(request)
        self.backend.require_privileges()
        with self.store.lock():
            existing = self.store.load_networks()
            if exist_ok:
                current = next((n for n in existing if n.name == wanted.name), None)
                if current is not None:
                    check_matches(current, wanted)
                    return current, False
            network = self.create_locked(wanted, existing)
            if wanted.network_policies:
                self._add_document_policies(network, wanted.network_policies)
            return network, True

    def _add_document_policies(self, network: Network, requests: tuple[PolicyRequest, ...]) -> None:
        """A document's RemoteSubnetRoute / HostRoute policies, in the same lock: if one fails, the network goes too."""
        from hnsctl.service.revert import Reverter

        with Reverter() as revert:
            revert.add(f"delete network {network.name}", lambda: self.delete_locked(network, force=True))
            for request in requests:
                self.policies().add_network_policy_locked(network, request, revert)
            revert.success()

    def create_locked(self, wanted: ValidatedRequest, existing: list[Network]) -> Network:
        """Create with the state lock already held (also used for the on-demand default network)."""
        checks.check_name_free(wanted.name, existing)
        if wanted.type in UPLINK_TYPES:
            return self._create_on_adapter(wanted, existing)
        routes = self.backend.list_routes()
        subnets = wanted.subnets or (self._free_subnet(wanted, existing, routes),)
        for subnet in wanted.subnets:
            checks.check_no_overlap(subnet.prefix, existing, routes, field="subnet")
        network = Network(
            id=self._new_id(wanted.id, existing),
            name=wanted.name,
            type=wanted.type,
            subnets=subnets,
            dns_servers=wanted.dns_servers,
            dns_suffix=wanted.dns_suffix,
            flags=wanted.flags,
            created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            mac_pools=wanted.mac_pools,
            max_endpoints=wanted.max_endpoints,
            hns_schema=wanted.hns_schema,
        )
        if wanted.type is NetworkType.OVERLAY:
            network = replace(network, overlay=self._overlay(wanted, network.id, existing))
        if wanted.type is NetworkType.ICS and not network.dns_servers:
            upstream = self.backend.host_nameservers()
            if not upstream:
                raise InvalidInput("an ics network forwards its endpoints' DNS to the host's resolver, and the host has no IPv4 "
                                   "nameserver in its resolver configuration", hint="give the resolver to forward to with --dns")
            network = replace(network, dns_servers=(upstream[0],))
        self._apply(network)
        return network

    def _create_on_adapter(self, wanted: ValidatedRequest, existing: list[Network]) -> Network:
        """transparent / l2bridge / l2tunnel: a bridge that takes the adapter over, with the adapter's addresses
        and routes moved onto it (recorded, to be given back exactly on delete). The subnet is the adapter's LAN.

        Without --adapter, the default route's adapter, as HNS does. An adapter (or the default route) that an
        earlier network already took over is shared: the new network joins that network's bridge (its switch)."""
        adapter = wanted.adapter or self.backend.default_route_interface()
        if adapter is None:
            raise InvalidInput(f"a {wanted.type.value} network needs an adapter, and this host has no IPv4 default route to take "
                               "it from", hint="give --adapter IF: the host interface whose LAN the endpoints join",
                               hns_name="HCN_E_ADAPTER_NOT_FOUND")
        switch = switch_of(adapter, existing)
        if wanted.vlan is not None:
            self._refuse_vlan(wanted.vlan)
        if switch is not None:
            assert switch.uplink is not None
            uplink = Uplink(switch.uplink.adapter, switch.uplink.addresses, mac=switch.uplink.mac, outbound_nat=wanted.outbound_nat,
                            outbound_nat_exceptions=wanted.outbound_nat_exceptions, switch_owner=switch.id)
            lan = lan_subnets(switch.uplink.addresses, switch.uplink.routes)
        else:
            self.backend.check_adapter_free(adapter)
            addresses, routes = self.backend.adapter_state(adapter).records()
            uplink = Uplink(adapter, addresses, routes, mac=self.backend.adapter_mac(adapter), outbound_nat=wanted.outbound_nat,
                            outbound_nat_exceptions=wanted.outbound_nat_exceptions)
            lan = lan_subnets(addresses, routes)
        network = Network(
            id=self._new_id(wanted.id, existing), name=wanted.name, type=wanted.type, subnets=wanted.subnets or lan,
            dns_servers=wanted.dns_servers, dns_suffix=wanted.dns_suffix, flags=wanted.flags,
            created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            mac_pools=wanted.mac_pools, max_endpoints=wanted.max_endpoints, uplink=uplink, hns_schema=wanted.hns_schema,
        )
        if not network.subnets:
            raise InvalidInput(f"--adapter {adapter} has no IPv4 address to take the LAN's subnet from: give --subnet (and --gateway)")
        if switch is not None:
            check_switch_subnets(network, switch, existing)
        self._apply(network)
        return network

    def _refuse_vlan(self, vlan: int) -> None:
        """Say exactly why --vlan cannot be honoured here, naming what the kernel lacks."""
        support = self.backend.vlan_support()
        missing = [name for name, (works, _detail) in sorted(support.items()) if not works]
        if len(missing) == len(support):
            raise InvalidInput(
                f"--vlan {vlan}: this kernel has neither 802.1Q VLAN interfaces (the 8021q module) nor bridge VLAN "
                "filtering (CONFIG_BRIDGE_VLAN_FILTERING), so traffic cannot be tagged",
                hint="load 8021q (modprobe 8021q) or use a kernel with bridge VLAN filtering; `hnsctl doctor` shows both probes",
                hns_name="HCN_E_REQUEST_UNSUPPORTED",
            )
        raise InvalidInput(f"--vlan {vlan}: VLAN tagging of an uplink is not built in hnsctl yet (the kernel could do it)",
                           hns_name="HCN_E_REQUEST_UNSUPPORTED")

    def _overlay(self, wanted: ValidatedRequest, network_id: str, existing: list[Network]) -> Overlay:
        """This host's end of the VXLAN segment: the underlay interface, its address and MTU."""
        assert wanted.vsid is not None
        for other in existing:
            if other.overlay and other.overlay.vsid == wanted.vsid and other.overlay.vxlan_port == wanted.vxlan_port:
                raise Conflict(f"VSID {wanted.vsid} is already used on this host by overlay network {other.name!r}",
                               hint="one host joins a VXLAN segment once; pick another --vsid", hns_name="HCN_E_NETWORK_ALREADY_EXISTS")
        adapter, address, mtu = self.backend.underlay(wanted.provider_address, wanted.adapter)
        return Overlay(vsid=wanted.vsid, provider_address=address, adapter=adapter, vxlan_port=wanted.vxlan_port,
                       mtu=mtu - VXLAN_OVERHEAD, dr_mac=dr_mac_for(network_id))

    def delete_network(self, reference: str, *, force: bool = False) -> Network:
        """Remove-HnsNetwork. A network with endpoints is in use (exit 4) unless `force` deletes them first."""
        self.backend.require_privileges()
        with self.store.lock():
            network = resolve_network(reference, self.store.load_networks())
            self.delete_locked(network, force=force)
        return network

    def delete_locked(self, network: Network, *, force: bool) -> None:
        """Remove-HnsNetwork with the lock held (also the undo of a create whose document policies failed)."""
        sharing = sorted(n.name for n in self.store.load_networks() if n.switch_owner == network.id)
        if sharing:
            raise Conflict(f"deleting network {network.name!r}: network(s) {', '.join(sharing)} share its switch "
                           f"(the bridge on {network.uplink.adapter if network.uplink else '?'})",
                           hint="delete them first; the adapter gets its addresses back with the last one",
                           hns_name="HCN_E_ENTITY_HAS_REFERENCES")
        endpoints = [e for e in self.store.load_endpoints() if e.network_id == network.id]
        if endpoints and not force:
            names = ", ".join(sorted(e.name for e in endpoints))
            raise Conflict(
                f"deleting network {network.name!r}: it still has {len(endpoints)} endpoint(s): {names}",
                hint="delete them first, or use --force to delete them with the network",
                hns_name="HCN_E_ENTITY_HAS_REFERENCES",
            )
        if endpoints:
            teardown_endpoints(self.store, self.backend, endpoints)
        from hnsctl.service.intents import deleting
        from hnsctl.service.plan import plan_network

        plan = plan_network(network)
        with deleting(self.store, "network", network.id):
            if network.uplink is not None and not plan.shares_bridge:
                u = network.uplink
                self.backend.give_back_adapter(plan.bridge.name, u.adapter, AdapterState.from_records(u.addresses, u.routes))
            if plan.l2bridge is not None:
                self.backend.remove_l2bridge(network.id, network.short)
            self.backend.remove_firewall(network.id)
            fault_point("network-delete:firewall")
            if plan.vxlan is not None:
                self.backend.delete_link(plan.vxlan.name, network.id)
            if not plan.shares_bridge:
                self.backend.delete_link(plan.bridge.name, network.id)
            fault_point("network-delete:bridge")
            for policy in self.store.load_policies():  # network policies: their entries went with the bridge
                if policy.network_id == network.id:
                    self.store.remove_policy(policy.id)
            self.store.remove_network(network.id)
            fault_point("network-delete:state")

    # -- helpers

    def _apply(self, network: Network) -> None:
        """Kernel first (with undo), state last: a crash in between leaves only tagged kernel objects.

        Except an adapter's addresses and routes, which carry no tag: a network that takes over an adapter
        is recorded before anything moves, so delete and reconcile always know what to give back.
        """
        from hnsctl.service.plan import plan_network
        from hnsctl.service.revert import Reverter

        plan = plan_network(network)
        uplink = network.uplink if not plan.shares_bridge else None
        with Reverter() as revert:
            if not plan.shares_bridge:
                self.backend.create_bridge(plan.bridge)
                revert.add(f"delete bridge {plan.bridge.name}", lambda: self.backend.delete_link(plan.bridge.name, network.id))
            fault_point("network-create:bridge")
            if plan.vxlan is not None:
                self.backend.create_vxlan(plan.vxlan)
                revert.add(f"delete VXLAN device {plan.vxlan.name}", lambda: self.backend.delete_link(plan.vxlan.name, network.id))  # type: ignore[union-attr]
            if uplink is not None:
                self.store.save_network(network)
                revert.add(f"forget network {network.name}", lambda: self.store.remove_network(network.id))
            if plan.firewall is not None:
                revert.add(f"remove rules of {network.id}", lambda: self.backend.remove_firewall(network.id))
                self.backend.apply_network_firewall(plan.firewall)
            fault_point("network-create:firewall")
            if uplink is not None:
                moved = AdapterState.from_records(uplink.addresses, uplink.routes)
                revert.add(f"give {uplink.adapter} back its addresses",
                           lambda: self.backend.give_back_adapter(plan.bridge.name, uplink.adapter, moved))
                self.backend.move_to_bridge(plan.bridge.name, uplink.adapter, moved)
            for version in sorted(plan.forwarding):
                self.backend.enable_forwarding(version)
            if plan.firewall is not None and any(upstream.startswith("127.") for _, upstream in plan.firewall.dns_forward):
                self.backend.allow_loopback_destinations(plan.bridge.name)
            if plan.l2bridge is not None:
                revert.add("remove the MAC rewriting", lambda: self.backend.remove_l2bridge(network.id, network.short))
                self.backend.apply_l2bridge(plan.l2bridge)
            self.store.save_network(network)
            fault_point("network-create:saved")
            revert.success()

    def _free_subnet(self, wanted: ValidatedRequest, existing: list[Network], routes: list) -> Subnet:
        used = [s.prefix for n in existing for s in n.subnets] + [r.prefix for r in routes]
        prefix = ipam.pick_free_subnet(used)
        if prefix is None:
            raise Conflict(
                "choosing a subnet: every /20 in 172.16.0.0/12 overlaps a network or route",
                hint="give one explicitly with --subnet",
                hns_name="HCN_E_INVALID_SUBNET",
            )
        return Subnet(prefix, first_host(prefix) if wanted.type.has_host_address else None)

    def _new_id(self, requested: str | None, existing: list[Network]) -> str:
        """A GUID whose bridge name (first 8 hex digits) is free in state and in the kernel."""
        taken_bridges = {n.bridge_name for n in existing}
        if requested:
            if any(n.id == requested for n in existing):
                raise Conflict(f"network ID {requested} already exists", hns_name="HCN_E_NETWORK_ALREADY_EXISTS")
            bridge = ids.bridge_name(requested)
            if bridge in taken_bridges or self.backend.link_exists(bridge):
                raise Conflict(f"network ID {requested}: its bridge name {bridge} is already in use", hint="omit the ID to get a fresh one")
            return requested
        for _ in range(MAX_ID_ATTEMPTS):
            candidate = ids.new_id()
            bridge = ids.bridge_name(candidate)
            if bridge not in taken_bridges and not self.backend.link_exists(bridge):
                return candidate
        raise Conflict("choosing a network ID: no free bridge name found", hint="run `hnsctl reconcile` to remove leftovers")


__all__ = ["DEFAULT_NETWORK_NAME", "NetworkService", "NetworkView", "validate_request"]
