"""Reconcile: compare the recorded state with the kernel, report every difference, repair it.

The recorded state is the truth; the kernel is brought back to what it implies (the same plans that
create uses). Kernel objects tagged `hnsctl:<id>` whose ID is recorded nowhere are orphans — what a
crash between a kernel change and the state write leaves — and are removed. Nothing without hnsctl's
tag is ever looked at twice, let alone touched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import AdapterState, PortMapSpec
from hnsctl.errors import HnsError
from hnsctl.models.endpoint import kernel_mac
from hnsctl.models.network import MAC_REWRITE_TYPES
from hnsctl.models.policy import Acl, OutboundNat, PortMapping, Qos, RemoteSubnetRoute
from hnsctl.service.endpoint import interface_config, port_spec, remote_entries
from hnsctl.service.namespace import resolv_conf_for
from hnsctl.service.plan import plan_network
from hnsctl.service.policy import (
    acl_spec,
    apply_interface_policies,
    attached_interface,
    outbound_spec,
    port_map_spec,
    remote_subnet_spec,
    route_entry,
)

if TYPE_CHECKING:
    from hnsctl.backend.base import OwnedLink
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.network import Network
    from hnsctl.models.policy import Policy
    from hnsctl.store import Store


@dataclass(frozen=True)
class Difference:
    """One way the kernel differs from the recorded state, and what reconcile does about it."""

    kind: str  # intent | namespace | network | endpoint | policy | orphan
    name: str
    object_id: str
    problem: str
    action: str


class ReconcileService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend

    def reconcile(self, *, repair: bool = True) -> list[Difference]:
        """Report (and with `repair`, fix) every difference; runs under the state lock like any mutation."""
        self.backend.require_privileges()
        with self.store.lock():
            interrupted = self._finish_intents(repair)
            run = _Run(self.store, self.backend, repair)
            run.differences.extend(interrupted)
            run.namespaces()
            run.networks()
            run.endpoints()
            run.host_endpoints()
            run.policies()
            run.loadbalancers()
            run.orphans()
            return run.differences


    def restore(self) -> list[Difference]:
        """Boot-time reconcile: non-persistent networks (Flags bit 8) are dropped with their endpoints, the rest rebuilt."""
        from hnsctl.models.network import NetworkFlags

        self.backend.require_privileges()
        dropped = []
        with self.store.lock():
            for network in self.store.load_networks():
                if not network.flags & NetworkFlags.NON_PERSISTENT:
                    continue
                endpoints = [e for e in self.store.load_endpoints() if e.network_id == network.id]
                for policy in self.store.load_policies():
                    if policy.endpoint_id in {e.id for e in endpoints} or policy.network_id == network.id:
                        self.store.remove_policy(policy.id)
                for endpoint in endpoints:
                    self.store.remove_endpoint(endpoint.id)
                self.store.remove_network(network.id)
                dropped.append(Difference("network", network.name, network.id, "non-persistent network at restore",
                                          "drop it and its endpoints"))
        return dropped + self.reconcile(repair=True)

    def _finish_intents(self, repair: bool) -> list[Difference]:
        """Deletes a crash interrupted: drop what is left of the records (orphans go in the same run)."""
        found = []
        for intent in self.store.load_intents():
            found.append(Difference("intent", intent.object_kind, intent.object_id, "a delete was interrupted",
                                    "finish the delete" if repair else "would finish the delete"))
            if not repair:
                continue
            kind, object_id = intent.object_kind, intent.object_id
            if kind == "network":
                network = next((n for n in self.store.load_networks() if n.id == object_id), None)
                if network is not None and network.uplink is not None and not network.switch_owner:  # the adapter gets its addresses back first
                    u = network.uplink
                    self.backend.give_back_adapter(network.bridge_name, u.adapter, AdapterState.from_records(u.addresses, u.routes))
                for policy in self.store.load_policies():
                    if policy.network_id == object_id:
                        self.store.remove_policy(policy.id)
                if any(n.id == object_id for n in self.store.load_networks()):
                    self.store.remove_network(object_id)
            elif kind == "endpoint":
                self._forget_remote_entries(object_id)
                for policy in self.store.load_policies():
                    if policy.endpoint_id == object_id:
                        self.store.remove_policy(policy.id)
                if any(e.id == object_id for e in self.store.load_endpoints()):
                    self.store.remove_endpoint(object_id)
            elif kind == "namespace":
                self._finish_namespace_delete(object_id)
            elif kind == "policy":
                self._finish_policy_delete(object_id)
            elif kind == "loadbalancer":
                if any(lb.id == object_id for lb in self.store.load_loadbalancers()):
                    self.store.remove_loadbalancer(object_id)
            self.store.remove_intent(intent.id)
        return found

    def _finish_namespace_delete(self, namespace_id: str) -> None:
        from dataclasses import replace

        from hnsctl.models.endpoint import EndpointState

        namespace = next((n for n in self.store.load_namespaces() if n.id == namespace_id), None)
        if namespace is None:
            return
        for endpoint in self.store.load_endpoints():
            if endpoint.namespace_id == namespace_id:
                self.store.save_endpoint(replace(endpoint, state=EndpointState.DETACHED, namespace_id=None))
        if namespace.owned and self.backend.namespace_exists(namespace.name):
            self.backend.delete_namespace(namespace.name)
        self.store.remove_namespace(namespace_id)

    def _forget_remote_entries(self, endpoint_id: str) -> None:
        """A remote endpoint's FDB/neighbour/route entries carry no owner tag: remove them before the record."""
        endpoint = next((e for e in self.store.load_endpoints() if e.id == endpoint_id), None)
        network = next((n for n in self.store.load_networks() if endpoint and n.id == endpoint.network_id), None)
        entries = remote_entries(endpoint, network, self.store.load_endpoints()) if endpoint and endpoint.remote and network else None
        if entries is not None:
            self.backend.remove_remote(entries)

    def _finish_policy_delete(self, policy_id: str) -> None:
        policy = next((p for p in self.store.load_policies() if p.id == policy_id), None)
        if policy is None:
            return
        if policy.network_id:  # RemoteSubnetRoute: untagged entries, removed before the record
            network = next((n for n in self.store.load_networks() if n.id == policy.network_id), None)
            if network is not None and isinstance(policy.settings, RemoteSubnetRoute):
                self.backend.remove_remote(remote_subnet_spec(policy, network, self.store.load_policies(), self.store.load_endpoints()))
            self.store.remove_policy(policy_id)
            return
        endpoint = next((e for e in self.store.load_endpoints() if e.id == policy.endpoint_id), None)
        namespace = next((n for n in self.store.load_namespaces() if endpoint and n.id == endpoint.namespace_id), None)
        where = attached_interface(endpoint, namespace) if endpoint else None
        if where is not None and isinstance(policy.settings, Qos):
            self.backend.set_qos(where[0], where[1], None)
        elif where is not None and endpoint is not None and not isinstance(policy.settings, (PortMapping, OutboundNat, Acl)):
            self.backend.set_routes(where[0], where[1], [], [route_entry(policy, endpoint)[0]])
        self.store.remove_policy(policy_id)
        if endpoint is not None and isinstance(policy.settings, Acl):
            self.backend.apply_endpoint_acls(acl_spec(endpoint, self.store.load_policies()))


class _Run:
    def __init__(self, store: Store, backend: Backend, repair: bool) -> None:
        self.store = store
        self.backend = backend
        self.repair = repair
        self.differences: list[Difference] = []
        self.network_list: list[Network] = store.load_networks()
        self.endpoint_list: list[Endpoint] = store.load_endpoints()
        self.namespace_list: list[Namespace] = store.load_namespaces()
        self.policy_list: list[Policy] = store.load_policies()
        self.loadbalancer_list: list[LoadBalancer] = store.load_loadbalancers()
        self.links: dict[str, OwnedLink] = {link.name: link for link in backend.list_owned_links()}
        self.firewall_owners = backend.firewall_owners()

    def found(self, kind: str, name: str, object_id: str, problem: str, action: str) -> None:
        self.differences.append(Difference(kind, name, object_id, problem, action if self.repair else f"would {action}"))

    def namespaces(self) -> None:
        for namespace in self.namespace_list:
            if self.backend.namespace_exists(namespace.name):
                continue
            if namespace.owned:
                self.found("namespace", namespace.name, namespace.id, f"/run/netns/{namespace.name} is missing", "recreate it")
                if self.repair:
                    self.backend.create_namespace(namespace.name)
            else:
                self.found("namespace", namespace.name, namespace.id, "adopted namespace is gone", "nothing (hnsctl did not create it)")

    def networks(self) -> None:
        for network in self.network_list:
            plan = plan_network(network)
            link = self.links.get(plan.bridge.name)
            if plan.shares_bridge:
                pass  # the switch's own network checks the bridge and the adapter
            elif link is None:
                self.found("network", network.name, network.id, f"bridge {plan.bridge.name} is missing", "recreate the bridge")
                if self.repair:
                    self.backend.create_bridge(plan.bridge)
            elif link.owner != network.id:
                self.found("network", network.name, network.id,
                           f"{plan.bridge.name} is tagged for {link.owner}", "nothing (resolve by hand)")
                continue
            elif not set(plan.bridge.addresses) <= link.addresses or not link.up:
                self.found("network", network.name, network.id,
                           f"bridge {plan.bridge.name} lost its address or is down", "restore address and state")
                if self.repair:
                    self.backend.repair_bridge(plan.bridge)
            if plan.vxlan is not None:
                vxlan = self.links.get(plan.vxlan.name)
                if vxlan is None or not vxlan.up:
                    self.found("network", network.name, network.id, f"VXLAN device {plan.vxlan.name} is missing or down",
                               "recreate it" if vxlan is None else "bring it back up")
                    if self.repair:
                        if vxlan is None:
                            self.backend.create_vxlan(plan.vxlan)
                        else:
                            self.backend.repair_vxlan(plan.vxlan)
            if network.uplink is not None and not plan.shares_bridge and not self.backend.adapter_held(plan.bridge.name, network.uplink.adapter):
                u = network.uplink
                self.found("network", network.name, network.id, f"adapter {u.adapter} is not in bridge {plan.bridge.name}",
                           f"move {u.adapter} and its recorded addresses and routes back into the bridge")
                if self.repair:
                    self.backend.move_to_bridge(plan.bridge.name, u.adapter, AdapterState.from_records(u.addresses, u.routes))
            if network.type in MAC_REWRITE_TYPES:
                mine = [e for e in self.endpoint_list if e.network_id == network.id]
                l2 = plan_network(network, mine).l2bridge
                if l2 is not None and self.backend.l2bridge_state(network.id, l2.short) != (4, frozenset(l2.endpoints)):
                    self.found("network", network.name, network.id, "MAC rewriting rules or endpoint entries differ", "rewrite them")
                    if self.repair:
                        self.backend.apply_l2bridge(l2)
            if plan.firewall is not None and network.id not in self.firewall_owners:
                self.found("network", network.name, network.id, "nftables rules are missing", "re-apply the rules")
                if self.repair:
                    self.backend.apply_network_firewall(plan.firewall)
            if self.repair:
                for version in sorted(plan.forwarding):
                    self.backend.enable_forwarding(version)

    def _nat_prerequisites(self, endpoints: dict[str, Endpoint], networks: dict[str, Network]) -> None:
        """After a reboot the sysctls are back at their defaults: NAT policies need forwarding, and on
        l2bridge/l2tunnel br_netfilter, as when they were added."""
        nat_networks = {endpoints[p.endpoint_id].network_id for p in self.policy_list
                        if isinstance(p.settings, (PortMapping, OutboundNat)) and p.endpoint_id in endpoints}
        if nat_networks:
            self.backend.enable_forwarding(4)
        if any(networks[n].type in MAC_REWRITE_TYPES for n in nat_networks if n in networks):
            self.backend.enable_bridge_filtering()

    def endpoints(self) -> None:
        networks = {n.id: n for n in self.network_list}
        namespaces = {n.id: n for n in self.namespace_list}
        for endpoint in self.endpoint_list:
            network = networks.get(endpoint.network_id)
            if network is None:
                self.found("endpoint", endpoint.name, endpoint.id, f"its network {endpoint.network_id} is not recorded",
                           f"nothing (delete it: hnsctl endpoint delete {endpoint.name})")
                continue
            if endpoint.remote:
                spec = remote_entries(endpoint, network, self.endpoint_list)
                if spec is not None and not self.backend.remote_present(spec):
                    self.found("endpoint", endpoint.name, endpoint.id, "overlay FDB/neighbour/route entries are missing", "re-add them")
                    if self.repair:
                        self.backend.apply_remote(spec)
                continue
            namespace = namespaces.get(endpoint.namespace_id) if endpoint.namespace_id else None
            port_missing = endpoint.host_side not in self.links
            if port_missing:
                self.found("endpoint", endpoint.name, endpoint.id, f"port {endpoint.host_side} is missing",
                           "recreate the port" + (" and re-attach" if endpoint.is_attached else ""))
                if self.repair:
                    self.backend.create_port(port_spec(endpoint, network))
            if not endpoint.is_attached:
                continue
            if endpoint.host_attached:
                if port_missing or endpoint.host_ifname not in self.links:
                    if not port_missing:
                        self.found("endpoint", endpoint.name, endpoint.id, f"host interface {endpoint.host_ifname} is missing", "re-attach to the host")
                    if self.repair:
                        self._recreate_port(endpoint, network, port_missing)
                        self.backend.attach_host(interface_config(endpoint, host=True))
                        apply_interface_policies(self.backend, endpoint, None, self.policy_list)
                continue
            if namespace is None:
                continue
            if not port_missing and self.backend.port_addresses(namespace.name, endpoint.id):
                continue
            if not port_missing:
                self.found("endpoint", endpoint.name, endpoint.id, f"its interface is missing from namespace {namespace.name}",
                           f"re-attach to {namespace.name}")
            if self.repair and self.backend.namespace_exists(namespace.name):
                self._recreate_port(endpoint, network, port_missing)
                self.backend.attach_namespace(namespace.name, interface_config(endpoint, host=False))
                apply_interface_policies(self.backend, endpoint, namespace, self.policy_list)
                self.backend.write_resolv_conf(namespace.name, resolv_conf_for(namespace, self.endpoint_list))

    def host_endpoints(self) -> None:
        """Every host-attached endpoint's (bridge, MAC) mark, and no other: without it, traffic that pods
        route through the host endpoint (cbr0_ep) is tracked on its bridged hop and escapes NAT."""
        networks = {n.id: n for n in self.network_list}
        wanted = {(networks[e.network_id].bridge_name, kernel_mac(e.mac)): e for e in self.endpoint_list
                  if e.host_attached and e.network_id in networks}
        present = self.backend.host_endpoint_marks()
        for key, endpoint in sorted(wanted.items()):
            if key not in present:
                self.found("endpoint", endpoint.name, endpoint.id, "its host endpoint mark (nftables set host-endpoints) is missing", "add it")
                if self.repair:
                    self.backend.mark_host_endpoint(*key, True)
        for bridge, mac in sorted(present - set(wanted)):
            self.found("orphan", "inet hnsctl host-endpoints", f"{bridge} {mac}", "host endpoint mark with no host endpoint recorded behind it", "remove it")
            if self.repair:
                self.backend.mark_host_endpoint(bridge, mac, False)

    def _recreate_port(self, endpoint: Endpoint, network: Network, just_made: bool) -> None:
        """Start the attach from a fresh parked pair unless one was made a moment ago."""
        if just_made:
            return
        self.backend.delete_port(endpoint.host_side, endpoint.id)
        self.backend.create_port(port_spec(endpoint, network))

    def policies(self) -> None:
        endpoints = {e.id: e for e in self.endpoint_list}
        networks = {n.id: n for n in self.network_list}
        namespaces = {n.id: n for n in self.namespace_list}
        mapped = self.backend.port_mappings()
        acl_repaired: set[str] = set()
        if self.repair:
            self._nat_prerequisites(endpoints, networks)
        for policy in self.policy_list:
            if policy.network_id:
                self._network_policy(policy, networks.get(policy.network_id))
                continue
            endpoint = endpoints.get(policy.endpoint_id)
            if endpoint is None:
                self.found("policy", policy.id[:8], policy.id, "its endpoint is not recorded", f"nothing (remove it: hnsctl policy remove {policy.id})")
                continue
            s = policy.settings
            if isinstance(s, PortMapping):
                spec = port_map_spec(policy, endpoint)
                if (spec.protocol, spec.external_port, spec.vip) not in mapped:
                    self.found("policy", f"{endpoint.name} {s.protocol}/{s.external_port}", policy.id, "port mapping missing from nftables", "re-add it")
                    if self.repair:
                        self.backend.add_port_mapping(spec)
            elif isinstance(s, Acl):
                if endpoint.id not in self.firewall_owners and endpoint.id not in acl_repaired:
                    acl_repaired.add(endpoint.id)
                    self.found("policy", f"{endpoint.name} acl", policy.id, "ACL chains missing", "rebuild them")
                    if self.repair:
                        self.backend.apply_endpoint_acls(acl_spec(endpoint, self.policy_list))
            elif isinstance(s, OutboundNat):
                network = networks.get(endpoint.network_id)
                if network is not None and policy.id not in self.firewall_owners:
                    self.found("policy", f"{endpoint.name} outboundnat", policy.id, "outbound NAT rules missing", "re-apply them")
                    if self.repair:
                        self.backend.apply_outbound_nat(outbound_spec(policy, endpoint, network))
            else:
                namespace = namespaces.get(endpoint.namespace_id) if endpoint.namespace_id else None
                where = attached_interface(endpoint, namespace)
                if where is None:
                    continue
                if isinstance(s, Qos):
                    missing = self.backend.qos_rate(where[0], where[1]) != s.max_bandwidth
                else:
                    missing = route_entry(policy, endpoint)[0] not in self.backend.interface_routes(where[0], where[1])
                if missing:
                    self.found("policy", f"{endpoint.name} {policy.type.value}", policy.id, f"{policy.type.value} not applied on {where[1]}", "re-apply it")
                    if self.repair:
                        apply_interface_policies(self.backend, endpoint, namespace, self.policy_list)
        wanted = {
            (p.settings.protocol, p.settings.external_port, str(p.settings.vip) if p.settings.vip else None)
            for p in self.policy_list if isinstance(p.settings, PortMapping)
        }
        for protocol, port, vip in sorted(mapped - wanted, key=str):
            self.found("orphan", f"{protocol}/{port}", vip or "*", "port mapping with no policy behind it", "remove it")
            if self.repair:
                self.backend.remove_port_mapping(PortMapSpec(protocol, port, vip, "0.0.0.0", 0))

    def _network_policy(self, policy: Policy, network: Network | None) -> None:
        if network is None:
            self.found("policy", policy.id[:8], policy.id, "its network is not recorded", "drop the record")
            if self.repair:
                self.store.remove_policy(policy.id)
            return
        if isinstance(policy.settings, RemoteSubnetRoute):
            spec = remote_subnet_spec(policy, network, self.policy_list, self.endpoint_list)
            if not self.backend.remote_present(spec):
                self.found("policy", f"{network.name} {policy.settings.destination}", policy.id,
                           "remote subnet route or its overlay entries are missing", "re-add them")
                if self.repair:
                    self.backend.apply_remote(spec)

    def loadbalancers(self) -> None:
        """Backends whose endpoint is gone leave the record; a kernel that differs from the record is rewritten."""
        from hnsctl.service.loadbalancer import lb_spec

        endpoints = {e.id: e for e in self.endpoint_list}
        if self.repair:  # leftovers first: an orphan may hold a frontend or mark a recorded load balancer needs
            self._remove_orphan_load_balancers()
        kernel = self.backend.load_balancer_state()
        marks = self.backend.load_balancer_marks()
        for index, lb in enumerate(self.loadbalancer_list):
            gone = [e for e in lb.backends if e not in endpoints]
            if gone:
                self.found("loadbalancer", lb.short, lb.id, f"{len(gone)} backend endpoint(s) no longer recorded", "drop them")
                if self.repair:
                    lb = replace(lb, backends=tuple(e for e in lb.backends if e in endpoints))
                    self.store.save_loadbalancer(lb)
                    self.loadbalancer_list[index] = lb
            spec = lb_spec(lb, endpoints)
            rules = len({(f.protocol, f.external_port) for f in spec.frontends})
            wanted = (rules, frozenset(spec.backends), frozenset((f.vip, f.protocol, f.external_port) for f in spec.frontends))
            snat_missing = spec.snat_mark is not None and spec.snat_mark not in marks
            if kernel.get(lb.short) != wanted or gone or snat_missing:
                if not gone:
                    self.found("loadbalancer", lb.short, lb.id, "nftables chain, backend map, frontends or source-VIP mark differ",
                               "rewrite them")
                if self.repair:
                    try:
                        self.backend.apply_load_balancer(spec)
                    except HnsError as exc:  # one load balancer's trouble must not stop the repair of the rest
                        self.found("loadbalancer", lb.short, lb.id, f"could not be rewritten: {exc.message}", "nothing (see the error)")

    def _remove_orphan_load_balancers(self) -> None:
        from hnsctl.service.loadbalancer import lb_spec

        keep_marks = {mark for lb in self.loadbalancer_list if (mark := lb_spec(lb, {}).snat_mark) is not None}
        known = {lb.short for lb in self.loadbalancer_list}
        for short in self.backend.remove_load_balancers_except(known, keep_marks):
            self.found("orphan", f"lb-{short}", short, "load balancer in nftables with no record behind it", "remove it")

    def orphans(self) -> None:
        known = {n.id for n in self.network_list} | {e.id for e in self.endpoint_list} | {p.id for p in self.policy_list}
        for link in self.links.values():
            if link.owner not in known:
                self.found("orphan", link.name, link.owner, f"{link.kind or 'interface'} tagged for an object hnsctl has no record of",
                           "delete it")
                if self.repair:
                    self.backend.delete_link(link.name, link.owner)
        for owner in sorted(self.firewall_owners - known):
            self.found("orphan", "inet hnsctl", owner, "nftables rules of an object hnsctl has no record of", "remove them")
            if self.repair:
                self.backend.remove_firewall(owner)
        if self.repair:
            self.backend.remove_acl_chains_except({e.short for e in self.endpoint_list})
        if not self.repair:
            known_lbs = {lb.short for lb in self.loadbalancer_list}
            for short in sorted(set(self.backend.load_balancer_state()) - known_lbs):
                self.found("orphan", f"lb-{short}", short, "load balancer in nftables with no record behind it", "would remove it")
