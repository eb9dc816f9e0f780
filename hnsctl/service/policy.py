"""Endpoint policies: port mappings and outbound NAT (nftables), QoS (tc) and routes, each its own object.

Add and remove follow the mutation path: validate, lock, check against every other policy, change the
kernel (one nftables transaction or one netlink request) with undo, write the record last.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.backend.base import (
    EndpointAclSpec,
    OutboundNatSpec,
    PortMapSpec,
    RemoteSpec,
)
from hnsctl.errors import Conflict, InvalidInput, NotFound
from hnsctl.models import ids
from hnsctl.models.endpoint import Endpoint
from hnsctl.models.network import MAC_REWRITE_TYPES, MAPPING_TYPES, Network
from hnsctl.models.policy import (
    Acl,
    OutboundNat,
    Policy,
    PolicyRequest,
    PolicyType,
    PortMapping,
    Qos,
    RemoteSubnetRoute,
    Route,
    validate_settings,
)
from hnsctl.service import checks
from hnsctl.service.faults import fault_point
from hnsctl.service.intents import deleting
from hnsctl.service.revert import Reverter

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.namespace import Namespace
    from hnsctl.store import Store


@dataclass(frozen=True)
class PolicyView:
    policy: Policy
    endpoint: Endpoint | None


def resolve_policy(reference: str, policies: list[Policy], only: PolicyType | None = None) -> Policy:
    """By ID or unique prefix; with `only`, among that type's policies (`hnsctl route` sees routes alone)."""
    if only is not None:
        policies = [p for p in policies if p.type is only]
    label = "route" if only is PolicyType.ROUTE else "policy"
    return checks.resolve(
        reference, policies, kind=label, key_id=lambda p: p.id, key_name=lambda p: p.id, hns_name="HCN_E_POLICY_NOT_FOUND"
    )


def port_map_spec(policy: Policy, endpoint: Endpoint) -> PortMapSpec:
    s = policy.settings
    assert isinstance(s, PortMapping)
    return PortMapSpec(s.protocol, s.external_port, str(s.vip) if s.vip else None, str(endpoint.ip), s.internal_port)


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


def uplink_host_ip(network: Network) -> str:
    """The host's own address on an uplink network's LAN: what NATed endpoint traffic shows."""
    found = network.uplink.ipv4_interfaces if network.uplink else []
    if not found:
        raise InvalidInput(f"network {network.name!r}: its adapter has no IPv4 address to NAT endpoint traffic to",
                           hint="give the adapter an address, or use --vip", hns_name="HCN_E_MAPPING_NOT_SUPPORTED")
    return str(found[0].ip)


def route_entry(policy: Policy, endpoint: Endpoint) -> tuple[str, str | None]:
    s = policy.settings
    assert isinstance(s, Route)
    next_hop = s.next_hop or endpoint.gateway
    return str(s.destination), str(next_hop) if next_hop else None


def remote_subnet_spec(policy: Policy, network: Network, policies: list[Policy], endpoints: list[Endpoint]) -> RemoteSpec:
    """The remote subnet as a route via its network address (onlink), which resolves to the other host's router MAC."""
    s = policy.settings
    assert isinstance(s, RemoteSubnetRoute)
    via = str(s.destination.network_address)
    shared = any(p.id != policy.id and p.network_id == network.id and isinstance(p.settings, RemoteSubnetRoute) and p.settings.dr_mac == s.dr_mac
                 for p in policies) or any(e.remote and e.network_id == network.id and e.mac == s.dr_mac for e in endpoints)
    return RemoteSpec(bridge=network.bridge_name, vxlan=network.vxlan_name, neighbour=via, mac=s.dr_mac.replace("-", ":").lower(),
                      provider_address=str(s.provider_address), route=str(s.destination), via=via, shared_mac=shared)


def attached_interface(endpoint: Endpoint, namespace: Namespace | None) -> tuple[str | None, str] | None:
    """(namespace name or None for the host, interface name) while attached; None when not attached."""
    if not endpoint.is_attached:
        return None
    if endpoint.host_attached:
        return None, endpoint.host_ifname
    if namespace is None:
        return None
    return namespace.name, endpoint.ifname


def apply_interface_policies(backend: Backend, endpoint: Endpoint, namespace: Namespace | None, policies: list[Policy]) -> None:
    """QoS and routes live on the container-side interface, so every attach (and reconcile) re-applies them."""
    where = attached_interface(endpoint, namespace)
    if where is None:
        return
    mine = [p for p in policies if p.endpoint_id == endpoint.id]
    rate = next((p.settings.max_bandwidth for p in mine if isinstance(p.settings, Qos)), None)
    if rate is not None:
        backend.set_qos(where[0], where[1], rate)
    routes = [route_entry(p, endpoint) for p in mine if isinstance(p.settings, Route)]
    if routes:
        backend.set_routes(where[0], where[1], routes, [])


def acl_spec(endpoint: Endpoint, policies: list[Policy]) -> EndpointAclSpec:
    """The endpoint's ACLs in evaluation order: priority, then creation order."""
    acls = sorted((p for p in policies if p.endpoint_id == endpoint.id and isinstance(p.settings, Acl)),
                  key=lambda p: (p.settings.priority, p.sequence))  # type: ignore[union-attr]
    return EndpointAclSpec(
        owner=endpoint.id,
        short=endpoint.short,
        endpoint_ip=str(endpoint.ip),
        rules_in=tuple((p.id, p.settings) for p in acls if p.settings.direction == "in"),  # type: ignore[union-attr]
        rules_out=tuple((p.id, p.settings) for p in acls if p.settings.direction == "out"),  # type: ignore[union-attr]
    )


def remove_endpoint_policies(store: Store, backend: Backend, endpoint: Endpoint) -> None:
    """Every policy of an endpoint that is being deleted: kernel objects first, then the records."""
    mine = [p for p in store.load_policies() if p.endpoint_id == endpoint.id]
    if any(isinstance(p.settings, Acl) for p in mine):
        backend.apply_endpoint_acls(acl_spec(endpoint, []))
    for policy in mine:
        if isinstance(policy.settings, PortMapping):
            backend.remove_port_mapping(port_map_spec(policy, endpoint))
        elif isinstance(policy.settings, OutboundNat):
            backend.remove_firewall(policy.id)
        store.remove_policy(policy.id)


@dataclass
class _MappingIndex:
    """Port-mapping keys and the highest sequence, kept per store version: an add costs O(1), not O(N)."""

    version: int | None
    keys: dict[tuple[str, int, object], Policy]
    max_sequence: int


class PolicyService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self.warnings: list[str] = []
        self._index: _MappingIndex | None = None

    def _current_index(self) -> _MappingIndex | None:
        """The index, if nothing was written since it was built: a port-mapping add then loads nothing."""
        version = self.store.policies_version()
        if self._index is not None and version is not None and self._index.version == version:
            return self._index
        return None

    def _mapping_index(self, policies: list[Policy]) -> _MappingIndex:
        version = self.store.policies_version()
        if self._index is None or version is None or self._index.version != version:
            keys = {(p.settings.protocol, p.settings.external_port, p.settings.vip): p
                    for p in policies if isinstance(p.settings, PortMapping)}
            self._index = _MappingIndex(version, keys, max((p.sequence for p in policies), default=0))
        return self._index

    # -- reads

    def list_policies(self, endpoint: str | None = None, only: PolicyType | None = None) -> list[PolicyView]:
        endpoints = self.store.load_endpoints()
        policies = [p for p in self.store.load_policies() if only is None or p.type is only]
        if endpoint is not None:
            wanted = self._resolve_endpoint(endpoint, endpoints)
            policies = [p for p in policies if p.endpoint_id == wanted.id]
        by_id = {e.id: e for e in endpoints}
        return [PolicyView(p, by_id.get(p.endpoint_id)) for p in sorted(policies, key=lambda p: (p.endpoint_id, p.sequence))]

    def get_policy(self, reference: str, only: PolicyType | None = None) -> PolicyView:
        policy = resolve_policy(reference, self.store.load_policies(), only)
        endpoint = next((e for e in self.store.load_endpoints() if e.id == policy.endpoint_id), None)
        return PolicyView(policy, endpoint)

    def effective(self, reference: str) -> dict[str, Any]:
        """What the kernel holds for this policy right now (`policy show --effective`)."""
        view = self.get_policy(reference)
        policy, endpoint = view.policy, view.endpoint
        result: dict[str, Any] = {"ID": policy.id, "Type": policy.type.v1_name}
        if policy.network_id:
            network = next((n for n in self.store.load_networks() if n.id == policy.network_id), None)
            if network is None:
                return {**result, "Present": False, "Detail": "its network is not recorded"}
            if not isinstance(policy.settings, RemoteSubnetRoute):
                return {**result, "Present": True, "Detail": "nothing to hold in the kernel: the bridge address reaches local endpoints"}
            spec = remote_subnet_spec(policy, network, self.store.load_policies(), self.store.load_endpoints())
            return {**result, "Present": self.backend.remote_present(spec),
                    "Kernel": f"{spec.route} via {spec.via} onlink dev {spec.bridge}; {spec.mac} at {spec.provider_address}"}
        if endpoint is None:
            return {**result, "Present": False, "Detail": "its endpoint is not recorded"}
        s = policy.settings
        if isinstance(s, PortMapping):
            spec = port_map_spec(policy, endpoint)
            present = (spec.protocol, spec.external_port, spec.vip) in self.backend.port_mappings()
            return {**result, "Present": present, "Kernel": f"{spec.protocol} {spec.vip or '*'}:{spec.external_port} -> {spec.target_ip}:{spec.target_port}" if present else ""}
        if isinstance(s, (OutboundNat, Acl)):
            return {**result, "Present": policy.id in self.backend.firewall_owners()}
        namespace = next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)
        where = attached_interface(endpoint, namespace)
        if where is None:
            return {**result, "Present": False, "Detail": "the endpoint is not attached; applied on attach"}
        if isinstance(s, Qos):
            rate = self.backend.qos_rate(where[0], where[1])
            return {**result, "Present": rate == s.max_bandwidth, "KernelRateBytesPerSecond": rate}
        destination, next_hop = route_entry(policy, endpoint)
        present = destination in self.backend.interface_routes(where[0], where[1])
        return {**result, "Present": present, "Kernel": f"{destination} via {next_hop or 'on-link'} dev {where[1]}" if present else ""}

    # -- mutations

    def add_policy(self, request: PolicyRequest) -> Policy:
        kind, settings = validate_settings(request)
        if kind.on_network:
            if not request.network:
                raise InvalidInput(f"a {kind.value} policy belongs to a network: give --network (not --endpoint)")
            return self._add_network_policy(request.network, kind, settings)
        if not request.endpoint:
            raise InvalidInput(f"a {kind.value} policy belongs to an endpoint: give --endpoint")
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            endpoint = self._resolve_endpoint(request.endpoint, endpoints)
            network = next((n for n in self.store.load_networks() if n.id == endpoint.network_id), None)
            if network is None:
                raise NotFound(f"adding a policy to endpoint {endpoint.name!r}: its network is not recorded", hint="run `hnsctl reconcile`")
            index = self._current_index()
            policies = [] if index is not None and kind is PolicyType.PORT_MAPPING else self.store.load_policies()
            if index is None:
                index = self._mapping_index(policies)
            self._check(kind, settings, endpoint, network, policies, endpoints, index)
            policy = self._new_policy(endpoint, kind, settings, index)
            namespace = next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)
            with Reverter() as revert:
                self._apply(policy, endpoint, network, namespace, revert)
                fault_point("policy-add:kernel")
                self.store.save_policy(policy)
                self._indexed(policy, index)
                revert.success()
        return policy

    def add_policies(self, requests: tuple[PolicyRequest, ...]) -> list[Policy]:
        """Several endpoint policies, possibly on several endpoints, under one lock and one undo stack: all are
        made or none (`route create --json` with a document naming several endpoints or routes)."""
        wanted = [validate_settings(r) for r in requests]
        if any(kind.on_network for kind, _ in wanted):
            raise InvalidInput("network policies (remotesubnetroute, hostroute) are added one at a time with --network",
                               hns_name="HCN_E_INVALID_POLICY")
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            networks = {n.id: n for n in self.store.load_networks()}
            namespaces = {n.id: n for n in self.store.load_namespaces()}
            policies = self.store.load_policies()
            index = self._mapping_index(policies)
            made: list[Policy] = []
            with Reverter() as revert:
                for request, (kind, settings) in zip(requests, wanted):
                    endpoint = self._resolve_endpoint(request.endpoint, endpoints)
                    network = networks.get(endpoint.network_id)
                    if network is None:
                        raise NotFound(f"adding a policy to endpoint {endpoint.name!r}: its network is not recorded", hint="run `hnsctl reconcile`")
                    self._check(kind, settings, endpoint, network, [*policies, *made], endpoints, index)
                    policy = self._new_policy(endpoint, kind, settings, index)
                    self._apply(policy, endpoint, network, namespaces.get(endpoint.namespace_id or ""), revert, earlier=made)
                    self._indexed(policy, index, bump_version=False)
                    made.append(policy)
                fault_point("policy-add:kernel")
                for policy in made:
                    self.store.save_policy(policy)
                    revert.add(f"forget policy {policy.id}", lambda policy=policy: self.store.remove_policy(policy.id))
                revert.success()
            self._index = None  # rebuilt on the next add: the records above changed the store's version
        return made

    def add_to_new_endpoint(self, requests: tuple[PolicyRequest, ...], endpoint: Endpoint, network: Network,
                            namespace: Namespace | None, endpoints: list[Endpoint], revert: Reverter) -> list[Policy]:
        """The policies an `endpoint create` asks for, inside that command's own lock and undo stack: the
        endpoint and its policies are made (or undone) together. `endpoints` includes the new endpoint."""
        wanted = [validate_settings(r) for r in requests]
        if any(kind.on_network for kind, _ in wanted):
            raise InvalidInput("network policies (remotesubnetroute, hostroute) belong on a network document, not an endpoint's",
                               hns_name="HCN_E_INVALID_POLICY")
        policies = self.store.load_policies()
        index = self._mapping_index(policies)
        made: list[Policy] = []
        for kind, settings in wanted:
            self._check(kind, settings, endpoint, network, [*policies, *made], endpoints, index)
            policy = self._new_policy(endpoint, kind, settings, index)
            self._apply(policy, endpoint, network, namespace, revert, earlier=made)
            self._indexed(policy, index, bump_version=False)
            made.append(policy)
        for policy in made:
            self.store.save_policy(policy)
            revert.add(f"forget policy {policy.id}", lambda policy=policy: self.store.remove_policy(policy.id))
        self._index = None  # rebuilt on the next add: the records above changed the store's version
        return made

    @staticmethod
    def _new_policy(endpoint: Endpoint, kind: PolicyType, settings: Any, index: _MappingIndex) -> Policy:
        return Policy(
            id=ids.new_id(),
            endpoint_id=endpoint.id,
            type=kind,
            settings=settings,
            created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            sequence=index.max_sequence + 1,
        )

    def _indexed(self, policy: Policy, index: _MappingIndex, *, bump_version: bool = True) -> None:
        s = policy.settings
        if isinstance(s, PortMapping):
            index.keys[(s.protocol, s.external_port, s.vip)] = policy
        index.max_sequence = policy.sequence
        if bump_version:
            index.version = self.store.policies_version()

    def remove_policy(self, reference: str, only: PolicyType | None = None) -> Policy:
        self.backend.require_privileges()
        with self.store.lock():
            policy = resolve_policy(reference, self.store.load_policies(), only)
            endpoint = next((e for e in self.store.load_endpoints() if e.id == policy.endpoint_id), None)
            with deleting(self.store, "policy", policy.id):
                if policy.network_id:
                    network = next((n for n in self.store.load_networks() if n.id == policy.network_id), None)
                    if network is not None and isinstance(policy.settings, RemoteSubnetRoute):
                        self.backend.remove_remote(remote_subnet_spec(policy, network, self.store.load_policies(), self.store.load_endpoints()))
                elif endpoint is not None:
                    namespace = next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)
                    self._unapply(policy, endpoint, namespace)
                fault_point("policy-delete:kernel")
                self.store.remove_policy(policy.id)
        return policy

    def _add_network_policy(self, reference: str, kind: PolicyType, settings: Any) -> Policy:
        """RemoteSubnetRoute / HostRoute on an overlay network (New-HnsRemoteSubnetRoutePolicy, New-HnsHostRoutePolicy)."""
        from hnsctl.service.network import NetworkService

        self.backend.require_privileges()
        with self.store.lock():
            network = NetworkService.resolve(reference, self.store.load_networks())
            with Reverter() as revert:
                policy = self._network_policy_locked(network, kind, settings, revert)
                revert.success()
        return policy

    def add_network_policy_locked(self, network: Network, request: PolicyRequest, revert: Reverter) -> Policy:
        """A network document's RemoteSubnetRoute / HostRoute, inside the network create's lock and undo stack."""
        kind, settings = validate_settings(request)
        return self._network_policy_locked(network, kind, settings, revert)

    def _network_policy_locked(self, network: Network, kind: PolicyType, settings: Any, revert: Reverter) -> Policy:
        if network.overlay is None:
            raise InvalidInput(f"{kind.value} on network {network.name!r}: it is {network.type.value}; these policies are for overlay networks",
                               hns_name="HCN_E_INVALID_POLICY")
        policies = self.store.load_policies()
        mine = [p for p in policies if p.network_id == network.id]
        if isinstance(settings, RemoteSubnetRoute):
            for subnet in network.subnets:
                if settings.destination.overlaps(subnet.prefix):  # type: ignore[arg-type]
                    raise InvalidInput(f"invalid --destination {settings.destination}: it overlaps this host's own subnet {subnet.prefix}")
            if str(settings.provider_address) == network.overlay.provider_address:
                raise InvalidInput(f"invalid --provider-address {settings.provider_address}: that is this host's own provider address")
            for other in mine:
                if isinstance(other.settings, RemoteSubnetRoute) and other.settings.destination.overlaps(settings.destination):  # type: ignore[arg-type]
                    raise Conflict(f"remote subnet {settings.destination} overlaps {other.settings.destination} (policy {other.id}) on network {network.name!r}",
                                   hint="remove that policy first", hns_name="HCN_E_POLICY_ALREADY_EXISTS")
        elif any(p.type is kind for p in mine):
            raise Conflict(f"network {network.name!r} already has a {kind.value} policy", hns_name="HCN_E_POLICY_ALREADY_EXISTS")
        policy = Policy(
            id=ids.new_id(), endpoint_id="", network_id=network.id, type=kind, settings=settings,
            created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            sequence=max((p.sequence for p in policies), default=0) + 1,
        )
        # the record first: the overlay entries carry no owner tag, so only a record lets reconcile find them
        self.store.save_policy(policy)
        revert.add("forget the policy", lambda: self.store.remove_policy(policy.id))
        fault_point("policy-add:kernel")
        if isinstance(settings, RemoteSubnetRoute):
            spec = remote_subnet_spec(policy, network, policies, self.store.load_endpoints())
            revert.add("remove the remote subnet's overlay entries", lambda: self.backend.remove_remote(spec))
            self.backend.apply_remote(spec)
        return policy

    # -- helpers

    @staticmethod
    def _resolve_endpoint(reference: str, endpoints: list[Endpoint]) -> Endpoint:
        from hnsctl.service.endpoint import resolve_endpoint

        return resolve_endpoint(reference, endpoints)

    def _check(self, kind: PolicyType, settings: Any, endpoint: Endpoint, network: Network,
               policies: list[Policy], endpoints: list[Endpoint], index: _MappingIndex) -> None:
        names = {e.id: e.name for e in endpoints}
        mine = [p for p in policies if p.endpoint_id == endpoint.id] if not isinstance(settings, PortMapping) else []
        if endpoint.remote:
            raise InvalidInput(f"{kind.value} on endpoint {endpoint.name!r}: it is a remote endpoint; add its policies on its own host",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if kind is PolicyType.ACL and endpoint.ip.version != 4:
            raise InvalidInput(f"acl on endpoint {endpoint.name!r}: IPv6 endpoints are not supported yet")
        if kind in (PolicyType.PORT_MAPPING, PolicyType.OUTBOUND_NAT):
            if network.type not in MAPPING_TYPES:
                raise InvalidInput(
                    f"{kind.value} on endpoint {endpoint.name!r}: mapping not supported on {network.type.value} network "
                    f"{network.name!r}; port mappings and outbound NAT need a "
                    + ", ".join(sorted(t.value for t in MAPPING_TYPES)) + " network",
                    hns_name="HCN_E_MAPPING_NOT_SUPPORTED",
                )
            if endpoint.ip.version != 4:
                raise InvalidInput(f"{kind.value} on endpoint {endpoint.name!r}: IPv6 endpoints are not supported yet")
            if isinstance(settings, OutboundNat) and network.type in MAC_REWRITE_TYPES and settings.vip is None:
                uplink_host_ip(network)
        if isinstance(settings, PortMapping):
            other = index.keys.get((settings.protocol, settings.external_port, settings.vip))
            if other is not None:
                holder = names.get(other.endpoint_id, other.endpoint_id)
                raise Conflict(
                    f"port mapping {settings.protocol}/{settings.external_port}"
                    + (f" on {settings.vip}" if settings.vip else "")
                    + f": already mapped to endpoint {holder!r} (policy {other.id})",
                    hint="choose another --external-port, or remove that policy first",
                    hns_name="HCN_E_PORT_ALREADY_EXISTS",
                )
            key = (str(settings.vip) if settings.vip else None, settings.protocol, settings.external_port)
            balancer = next((lb for lb in self.store.load_loadbalancers() if key in lb.frontend_keys()), None)
            if balancer is not None:
                raise Conflict(
                    f"port mapping {settings.protocol}/{settings.external_port}"
                    + (f" on {settings.vip}" if settings.vip else "")
                    + f": already served by load balancer {balancer.id}",
                    hint="choose another --external-port, or delete that load balancer first",
                    hns_name="HCN_E_PORT_ALREADY_EXISTS",
                )
            if settings.vip is None and self.backend.port_in_use(settings.protocol, settings.external_port):
                self.warnings.append(
                    f"a local process already listens on {settings.protocol} port {settings.external_port}; "
                    "connections from other machines to that port now reach the endpoint instead"
                )
        single = {PolicyType.OUTBOUND_NAT: "an OutBoundNAT", PolicyType.QOS: "a QoS"}
        if kind in single and any(p.type is kind for p in mine):
            raise Conflict(f"endpoint {endpoint.name!r} already has {single[kind]} policy", hint="remove it first, then add the new one",
                           hns_name="HCN_E_POLICY_ALREADY_EXISTS")
        if isinstance(settings, Route):
            if any(isinstance(p.settings, Route) and p.settings.destination == settings.destination for p in mine):
                raise Conflict(f"endpoint {endpoint.name!r} already has a route to {settings.destination}", hns_name="HCN_E_POLICY_ALREADY_EXISTS")
            if settings.destination.version != endpoint.ip.version:
                raise InvalidInput(f"invalid --destination {settings.destination}: the endpoint is IPv{endpoint.ip.version}")

    def _apply(self, policy: Policy, endpoint: Endpoint, network: Network, namespace: Namespace | None, revert: Reverter,
               earlier: list[Policy] | None = None) -> None:
        """`earlier`: policies made in the same command and not yet recorded (their ACLs count too)."""
        s = policy.settings
        if isinstance(s, (PortMapping, OutboundNat)):
            self._prepare_nat(network)
        if isinstance(s, PortMapping):
            spec = port_map_spec(policy, endpoint)
            self.backend.add_port_mapping(spec)
            revert.add("remove the port mapping", lambda: self.backend.remove_port_mapping(spec))
        elif isinstance(s, OutboundNat):
            self.backend.apply_outbound_nat(outbound_spec(policy, endpoint, network))
            revert.add("remove the outbound NAT rules", lambda: self.backend.remove_firewall(policy.id))
        elif isinstance(s, Acl):
            if not self.backend.enable_bridge_filtering():
                self.warnings.append("this kernel has no br_netfilter: ACLs apply to routed traffic only, not between endpoints of one bridge")
            before = [*self.store.load_policies(), *(earlier or [])]
            self.backend.apply_endpoint_acls(acl_spec(endpoint, [*before, policy]))
            revert.add("restore the previous ACLs", lambda: self.backend.apply_endpoint_acls(acl_spec(endpoint, before)))
        else:
            where = attached_interface(endpoint, namespace)
            if where is None:
                return  # applied when the endpoint is attached
            if isinstance(s, Qos):
                self.backend.set_qos(where[0], where[1], s.max_bandwidth)
                revert.add("remove the rate limit", lambda: self.backend.set_qos(where[0], where[1], None))
            else:
                entry = route_entry(policy, endpoint)
                self.backend.set_routes(where[0], where[1], [entry], [])
                revert.add("remove the route", lambda: self.backend.set_routes(where[0], where[1], [], [entry[0]]))

    def _prepare_nat(self, network: Network) -> None:
        """NATed endpoint traffic is routed by the host: forwarding on; on l2bridge/l2tunnel the endpoint's
        own packets are bridged, and only br_netfilter shows them to nftables to be (de-)NATed."""
        self.backend.enable_forwarding(4)
        if network.type in MAC_REWRITE_TYPES and not self.backend.enable_bridge_filtering():
            raise InvalidInput(f"NAT on {network.type.value} network {network.name!r}: this kernel has no br_netfilter, so bridged "
                               "endpoint traffic never reaches nftables to be translated", hint="modprobe br_netfilter",
                               hns_name="HCN_E_MAPPING_NOT_SUPPORTED")

    def _unapply(self, policy: Policy, endpoint: Endpoint, namespace: Namespace | None) -> None:
        s = policy.settings
        if isinstance(s, PortMapping):
            self.backend.remove_port_mapping(port_map_spec(policy, endpoint))
        elif isinstance(s, OutboundNat):
            self.backend.remove_firewall(policy.id)
        elif isinstance(s, Acl):
            others = [p for p in self.store.load_policies() if p.id != policy.id]
            self.backend.apply_endpoint_acls(acl_spec(endpoint, others))
        else:
            where = attached_interface(endpoint, namespace)
            if where is None:
                return
            if isinstance(s, Qos):
                self.backend.set_qos(where[0], where[1], None)
            else:
                self.backend.set_routes(where[0], where[1], [], [route_entry(policy, endpoint)[0]])
