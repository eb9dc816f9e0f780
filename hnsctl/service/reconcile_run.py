"""One reconcile pass, kind by kind: what the records imply against what the kernel holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import AdapterState, PortMapSpec
from hnsctl.errors import HnsError
from hnsctl.models.addresses import kernel_mac
from hnsctl.models.network import MAC_REWRITE_TYPES
from hnsctl.models.policy import PolicyType
from hnsctl.service.dns import resolv_conf_for
from hnsctl.service.plan import (
    interface_config,
    plan_network,
    port_spec,
    remote_entries,
)
from hnsctl.service.policies import (
    DRIVERS,
    NETWORK_DRIVERS,
    Scene,
    apply_interface_policies,
)
from hnsctl.service.policies.base import Observed
from hnsctl.service.policies.nat import mapping_key
from hnsctl.service.policies.overlay import NetworkScene

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
    failure: HnsError | None = field(default=None, compare=False)  # the error that stopped its repair


class ReconcileRun:
    """One reconcile pass: the records read once, each kind compared with the kernel and, with `repair`, fixed."""

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

    def found(self, kind: str, name: str, object_id: str, problem: str, action: str,
              fix: Callable[[], object] | None = None, *, listed: bool = True) -> None:
        """Report a difference and, when repairing, run its `fix`. A fix that fails is reported with its
        error and the run goes on: one object's trouble never leaves the others unrepaired.
        `listed=False`: the difference was already reported (by an earlier finding on the same object);
        only its fix runs, and only its failure is listed."""
        difference = Difference(kind, name, object_id, problem, action if self.repair else f"would {action}")
        if self.repair and fix is not None:
            try:
                fix()
            except HnsError as exc:
                difference = replace(difference, action=f"could not {action}", failure=exc)
                listed = True
        if listed:
            self.differences.append(difference)

    def namespaces(self) -> None:
        for namespace in self.namespace_list:
            if self.backend.namespace_exists(namespace.name):
                continue
            if namespace.owned:
                self.found("namespace", namespace.name, namespace.id, f"/run/netns/{namespace.name} is missing", "recreate it", fix=lambda: self.backend.create_namespace(namespace.name))
            else:
                self.found("namespace", namespace.name, namespace.id, "adopted namespace is gone", "nothing (hnsctl did not create it)")

    def networks(self) -> None:
        for network in self.network_list:
            plan = plan_network(network)
            link = self.links.get(plan.bridge.name)
            if plan.shares_bridge:
                pass  # the switch's own network checks the bridge and the adapter
            elif link is None:
                self.found("network", network.name, network.id, f"bridge {plan.bridge.name} is missing", "recreate the bridge", fix=lambda: self.backend.create_bridge(plan.bridge))
            elif link.owner != network.id:
                self.found("network", network.name, network.id,
                           f"{plan.bridge.name} is tagged for {link.owner}", "nothing (resolve by hand)")
                continue
            elif not set(plan.bridge.addresses) <= link.addresses or not link.up:
                self.found("network", network.name, network.id,
                           f"bridge {plan.bridge.name} lost its address or is down", "restore address and state", fix=lambda: self.backend.repair_bridge(plan.bridge))
            if plan.vxlan is not None:
                vxlan = self.links.get(plan.vxlan.name)
                if vxlan is None or not vxlan.up:
                    repair_vxlan = self.backend.create_vxlan if vxlan is None else self.backend.repair_vxlan
                    self.found("network", network.name, network.id, f"VXLAN device {plan.vxlan.name} is missing or down",
                               "recreate it" if vxlan is None else "bring it back up", fix=lambda: repair_vxlan(plan.vxlan))
            if network.uplink is not None and not plan.shares_bridge and not self.backend.adapter_held(plan.bridge.name, network.uplink.adapter):
                u = network.uplink
                self.found("network", network.name, network.id, f"adapter {u.adapter} is not in bridge {plan.bridge.name}",
                           f"move {u.adapter} and its recorded addresses and routes back into the bridge", 
                           fix=lambda: self.backend.move_to_bridge(plan.bridge.name, u.adapter, AdapterState.from_records(u.addresses, u.routes)))
            if network.type in MAC_REWRITE_TYPES:
                mine = [e for e in self.endpoint_list if e.network_id == network.id]
                l2 = plan_network(network, mine).l2bridge
                if l2 is not None and self.backend.l2bridge_state(network.id, l2.short) != (4, frozenset(l2.endpoints)):
                    self.found("network", network.name, network.id, "MAC rewriting rules or endpoint entries differ", "rewrite them", fix=lambda: self.backend.apply_l2bridge(l2))
            if plan.firewall is not None and network.id not in self.firewall_owners:
                self.found("network", network.name, network.id, "nftables rules are missing", "re-apply the rules", fix=lambda: self.backend.apply_network_firewall(plan.firewall))
            if self.repair:
                for version in sorted(plan.forwarding):
                    self.backend.enable_forwarding(version)

    def _nat_prerequisites(self, endpoints: dict[str, Endpoint], networks: dict[str, Network]) -> None:
        """After a reboot the sysctls are back at their defaults: NAT policies need forwarding, and on
        l2bridge/l2tunnel br_netfilter, as when they were added."""
        nat_networks = {endpoints[p.endpoint_id].network_id for p in self.policy_list
                        if not p.network_id and DRIVERS[p.type].needs_mapping and p.endpoint_id in endpoints}
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
                    self.found("endpoint", endpoint.name, endpoint.id, "overlay FDB/neighbour/route entries are missing", "re-add them", fix=lambda: self.backend.apply_remote(spec))
                continue
            namespace = namespaces.get(endpoint.namespace_id) if endpoint.namespace_id else None
            port_missing = endpoint.host_side not in self.links
            if port_missing:
                self.found("endpoint", endpoint.name, endpoint.id, f"port {endpoint.host_side} is missing",
                           "recreate the port" + (" and re-attach" if endpoint.is_attached else ""), fix=lambda: self.backend.create_port(port_spec(endpoint, network)))
            if not endpoint.is_attached:
                continue
            if endpoint.host_attached:
                if port_missing or endpoint.host_ifname not in self.links:
                    self.found("endpoint", endpoint.name, endpoint.id, f"host interface {endpoint.host_ifname} is missing", "re-attach to the host",
                               fix=lambda: self._reattach(endpoint, network, None, port_missing), listed=not port_missing)
                continue
            if namespace is None:
                continue
            if not port_missing and self.backend.port_addresses(namespace.name, endpoint.id):
                continue
            if port_missing and not self.backend.namespace_exists(namespace.name):
                continue  # its namespace is recreated by the namespace pass (or gone for good): nothing to attach to
            self.found("endpoint", endpoint.name, endpoint.id, f"its interface is missing from namespace {namespace.name}",
                       f"re-attach to {namespace.name}", fix=lambda: self._reattach(endpoint, network, namespace, port_missing),
                       listed=not port_missing)

    def host_endpoints(self) -> None:
        """Every host-attached endpoint's (bridge, MAC) mark, and no other: without it, traffic that pods
        route through the host endpoint (cbr0_ep) is tracked on its bridged hop and escapes NAT."""
        networks = {n.id: n for n in self.network_list}
        wanted = {(networks[e.network_id].bridge_name, kernel_mac(e.mac)): e for e in self.endpoint_list
                  if e.host_attached and e.network_id in networks}
        present = self.backend.host_endpoint_marks()
        for key, endpoint in sorted(wanted.items()):
            if key not in present:
                self.found("endpoint", endpoint.name, endpoint.id, "its host endpoint mark (nftables set host-endpoints) is missing", "add it", fix=lambda: self.backend.mark_host_endpoint(*key, True))
        for bridge, mac in sorted(present - set(wanted)):
            self.found("orphan", "inet hnsctl host-endpoints", f"{bridge} {mac}", "host endpoint mark with no host endpoint recorded behind it", "remove it", fix=lambda: self.backend.mark_host_endpoint(bridge, mac, False))

    def _reattach(self, endpoint: Endpoint, network: Network, namespace: Namespace | None, port_just_made: bool) -> None:
        """Attach again from a fresh parked pair (the host when `namespace` is None), with its interface
        policies and, in a namespace, its resolv.conf."""
        if namespace is not None and not self.backend.namespace_exists(namespace.name):
            return  # an adopted namespace that is gone: nothing to attach to
        self._recreate_port(endpoint, network, port_just_made)
        if namespace is None:
            self.backend.attach_host(interface_config(endpoint, host=True))
        else:
            self.backend.attach_namespace(namespace.name, interface_config(endpoint, host=False))
        apply_interface_policies(self.backend, endpoint, namespace, self.policy_list)
        if namespace is not None:
            self.backend.write_resolv_conf(namespace.name, resolv_conf_for(namespace, self.endpoint_list))

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
        observed = Observed(self.backend, self.firewall_owners)
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
            network = networks.get(endpoint.network_id)
            if network is None:
                continue  # reported with the endpoint
            scene = Scene(self.backend, endpoint, network, namespaces.get(endpoint.namespace_id or ""), self.policy_list)
            driver = DRIVERS[policy.type]
            drift = driver.drift(scene, policy, observed)
            if drift is not None:
                self.found("policy", drift[0], policy.id, drift[1], drift[2], fix=lambda: driver.repair(scene, policy))
        wanted = {mapping_key(p.settings) for p in self.policy_list if p.type is PolicyType.PORT_MAPPING}
        for protocol, port, vip in sorted(observed.port_mappings - wanted, key=str):
            self.found("orphan", f"{protocol}/{port}", vip or "*", "port mapping with no policy behind it", "remove it", fix=lambda: self.backend.remove_port_mapping(PortMapSpec(protocol, port, vip, "0.0.0.0", 0)))

    def _network_policy(self, policy: Policy, network: Network | None) -> None:
        if network is None:
            self.found("policy", policy.id[:8], policy.id, "its network is not recorded", "drop the record", fix=lambda: self.store.remove_policy(policy.id))
            return
        driver = NETWORK_DRIVERS[policy.type]
        scene = NetworkScene(self.backend, network, self.policy_list, self.endpoint_list)
        drift = driver.drift(scene, policy)
        if drift is not None:
            self.found("policy", drift[0], policy.id, drift[1], drift[2], fix=lambda: driver.repair(scene, policy))

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
                if self.repair:  # the record itself: the kernel is rewritten below from the kept backends
                    lb = replace(lb, backends=tuple(e for e in lb.backends if e in endpoints))
                    self.store.save_loadbalancer(lb)
                    self.loadbalancer_list[index] = lb
            spec = lb_spec(lb, endpoints)
            rules = len({(f.protocol, f.external_port) for f in spec.frontends})
            wanted = (rules, frozenset(spec.backends), frozenset((f.vip, f.protocol, f.external_port) for f in spec.frontends))
            snat_missing = spec.snat_mark is not None and spec.snat_mark not in marks
            if kernel.get(lb.short) != wanted or gone or snat_missing:
                self.found("loadbalancer", lb.short, lb.id, "nftables chain, backend map, frontends or source-VIP mark differ",
                           "rewrite them", fix=lambda: self.backend.apply_load_balancer(spec), listed=not gone)

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
                           "delete it", fix=lambda: self.backend.delete_link(link.name, link.owner))
        for owner in sorted(self.firewall_owners - known):
            self.found("orphan", "inet hnsctl", owner, "nftables rules of an object hnsctl has no record of", "remove them", fix=lambda: self.backend.remove_firewall(owner))
        if self.repair:
            self.backend.remove_acl_chains_except({e.short for e in self.endpoint_list})
        if not self.repair:
            known_lbs = {lb.short for lb in self.loadbalancer_list}
            for short in sorted(set(self.backend.load_balancer_state()) - known_lbs):
                self.found("orphan", f"lb-{short}", short, "load balancer in nftables with no record behind it", "would remove it")
