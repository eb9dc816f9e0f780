"""Endpoint operations (New-/Get-/Remove-HnsEndpoint, Attach-/Detach-HnsEndpoint, Attach-HnsHostEndpoint,
Get-HnsEndpointStats, Get-HnsEndpointAddresses)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import InterfaceCounters
from hnsctl.backend.protocols import Backend
from hnsctl.errors import Conflict, InvalidInput, NotFound
from hnsctl.models import ids
from hnsctl.models.addresses import kernel_mac, parse_address
from hnsctl.models.endpoint import (
    Endpoint,
    EndpointRequest,
    EndpointState,
    validate_ifname,
)
from hnsctl.models.namespace import Namespace
from hnsctl.models.network import (
    MAC_REWRITE_TYPES,
    Network,
    NetworkRequest,
    NetworkType,
)
from hnsctl.models.policy import Policy
from hnsctl.service.endpoint_addressing import (
    NO_GATEWAY,
    ValidatedEndpoint,
    check_lan_address,
    choose_address,
    choose_mac,
    endpoint_addressing,
    subnet_for,
    validate_endpoint_request,
)
from hnsctl.service.faults import fault_point
from hnsctl.service.lookup import resolve_endpoint, resolve_network
from hnsctl.service.namespace import NamespaceService
from hnsctl.service.network import (
    DEFAULT_NETWORK_NAME,
    NetworkService,
    validate_request,
)
from hnsctl.service.plan import interface_config, port_spec, remote_entries
from hnsctl.service.policies import apply_interface_policies
from hnsctl.service.revert import Reverter
from hnsctl.service.teardown import detach_endpoint, teardown_endpoints
from hnsctl.store import Store

if TYPE_CHECKING:
    from hnsctl.service.policy import PolicyService

REMOTE_ENDPOINT_TYPES = frozenset({NetworkType.OVERLAY, NetworkType.L2BRIDGE, NetworkType.L2TUNNEL})


@dataclass(frozen=True)
class EndpointView:
    endpoint: Endpoint
    network: Network | None
    namespace: Namespace | None
    policies: tuple[Policy, ...] = ()


class EndpointService:
    def __init__(self, store: Store, backend: Backend, networks: NetworkService, namespaces: NamespaceService,
                 policies: PolicyService) -> None:
        self.store = store
        self.backend = backend
        self.networks = networks
        self.namespaces = namespaces
        self.policies = policies

    # -- reads

    def list_endpoints(self, network: str | None = None) -> list[EndpointView]:
        networks = self.store.load_networks()
        endpoints = self.store.load_endpoints()
        if network is not None:
            wanted = resolve_network(network, networks)
            endpoints = [e for e in endpoints if e.network_id == wanted.id]
        views = self._views(endpoints, networks, self.store.load_namespaces(), self.store.load_policies())
        return sorted(views, key=lambda v: v.endpoint.name)

    def get_endpoint(self, reference: str) -> EndpointView:
        endpoint = resolve_endpoint(reference, self.store.load_endpoints())
        return self._views([endpoint], self.store.load_networks(), self.store.load_namespaces(), self.store.load_policies())[0]

    @staticmethod
    def _views(endpoints: list[Endpoint], networks: list[Network], namespaces: list[Namespace], policies: list[Policy]) -> list[EndpointView]:
        by_network = {n.id: n for n in networks}
        by_namespace = {n.id: n for n in namespaces}
        by_endpoint: dict[str, list[Policy]] = {}
        for policy in sorted(policies, key=lambda p: p.sequence):
            by_endpoint.setdefault(policy.endpoint_id, []).append(policy)
        return [
            EndpointView(e, by_network.get(e.network_id), by_namespace.get(e.namespace_id) if e.namespace_id else None,
                         tuple(by_endpoint.get(e.id, ())))
            for e in endpoints
        ]

    def stats(self, reference: str) -> tuple[Endpoint, InterfaceCounters]:
        endpoint = resolve_endpoint(reference, self.store.load_endpoints())
        counters = self.backend.port_counters(endpoint.host_side)
        if counters is None:
            raise NotFound(
                f"reading counters of endpoint {endpoint.name!r}: its port {endpoint.host_side} is missing",
                hint="run `hnsctl reconcile`", hns_name="HCN_E_PORT_NOT_FOUND",
            )
        return endpoint, counters

    def addresses(self, reference: str) -> tuple[EndpointView, list[tuple[str, str, str]]]:
        view = self.get_endpoint(reference)
        endpoint = view.endpoint
        if not endpoint.is_attached:
            return view, []
        namespace = view.namespace.name if view.namespace and not endpoint.host_attached else None
        return view, self.backend.port_addresses(namespace, endpoint.id)

    # -- mutations

    def create_endpoint(self, request: EndpointRequest, *, exist_ok: bool = False) -> Endpoint:
        """New-HnsEndpoint. With `exist_ok` (`--if-not-exists`) an endpoint of that name that matches the
        request is returned as it is; one that contradicts it is a conflict."""
        wanted = validate_endpoint_request(request)
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            if any(e.name == wanted.name for e in endpoints):
                other = next(e for e in endpoints if e.name == wanted.name)
                if exist_ok:
                    self._check_matches(other, request, wanted)
                    self._check_policies_match(other, request)
                    return other
                raise Conflict(f"endpoint {wanted.name!r} already exists (ID {other.id})", hns_name="HCN_E_PORT_ALREADY_EXISTS")
            network = self._network_locked(request.network)
            if request.remote:
                return self._create_remote(wanted, request, network, endpoints)
            if network.uplink is not None:
                check_lan_address(network, wanted.ip)
            subnet = subnet_for(network, wanted.ip, request)
            same_network = [e for e in endpoints if e.network_id == network.id]
            local = [e for e in same_network if not e.remote]
            if network.max_endpoints and len(local) >= network.max_endpoints:
                raise Conflict(f"network {network.name!r} already has {len(local)} endpoints, its MaxConcurrentEndpoints",
                               hint="delete an endpoint first", hns_name="HCN_E_ENTITY_HAS_REFERENCES")
            ip = choose_address(network, subnet, wanted.ip, same_network)
            mac = choose_mac(network, ip, wanted.mac, same_network)
            prefix_len, gateway = endpoint_addressing(request, subnet, ip)
            endpoint = Endpoint(
                id=self._new_id(wanted.id, endpoints),
                name=wanted.name,
                network_id=network.id,
                ip=ip,
                prefix_len=prefix_len,
                mac=mac,
                gateway=gateway,
                dns_servers=wanted.dns_servers if wanted.dns_servers is not None else network.endpoint_dns_servers,
                dns_suffix=wanted.dns_suffix if wanted.dns_suffix is not None else network.dns_suffix,
                ifname=wanted.ifname,
                created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            )
            with Reverter() as revert:
                self.backend.create_port(port_spec(endpoint, network))
                revert.add(f"delete port {endpoint.host_side}", lambda: self.backend.delete_port(endpoint.host_side, endpoint.id))
                if network.type in MAC_REWRITE_TYPES and endpoint.ip.version == 4:
                    revert.add("remove the endpoint from the MAC rewriting",
                               lambda: self.backend.l2bridge_endpoint(network.short, str(endpoint.ip), None))
                    self.backend.l2bridge_endpoint(network.short, str(endpoint.ip), kernel_mac(endpoint.mac))
                fault_point("endpoint-create:port")
                if request.policies:
                    # before the attach, which applies the interface policies (QoS, routes) from their records
                    self.policies.add_to_new_endpoint(request.policies, endpoint, network, None, [*endpoints, endpoint], revert)
                    fault_point("endpoint-create:policies")
                if request.namespace or request.host:
                    endpoint = self._attach_locked(endpoint, network, request.namespace, host=request.host, revert=revert, others=endpoints)
                else:
                    self.store.save_endpoint(endpoint)
                fault_point("endpoint-create:saved")
                revert.success()
        return endpoint

    def _create_remote(self, wanted: ValidatedEndpoint, request: EndpointRequest, network: Network, endpoints: list[Endpoint]) -> Endpoint:
        """New-HnsRemoteEndpoint: a record and, on overlay, its FDB/neighbour entries; no interface (lock held)."""
        if network.type not in REMOTE_ENDPOINT_TYPES:
            raise InvalidInput(f"remote endpoints belong on overlay, l2bridge or l2tunnel networks; {network.name!r} is {network.type.value}",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if network.overlay is not None and not request.provider_address:
            raise InvalidInput("a remote endpoint on an overlay network needs --provider-address: the underlay address of the host it lives on",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if network.overlay is not None and wanted.mac is None:
            raise InvalidInput("a remote endpoint on an overlay network needs --mac: frames are addressed to its real MAC",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        assert wanted.ip is not None
        provider = str(parse_address(request.provider_address, field="--provider-address")) if request.provider_address else ""
        if provider and provider == self._own_provider_address(network):
            raise InvalidInput(f"invalid --provider-address {provider}: that is this host's own provider address",
                               hint="a remote endpoint lives on another host; create a local endpoint instead")
        same_network = [e for e in endpoints if e.network_id == network.id]
        mac = wanted.mac or choose_mac(network, wanted.ip, None, same_network)
        for other in same_network:
            if other.ip == wanted.ip:
                raise Conflict(f"address {wanted.ip} is already used by endpoint {other.name!r} on network {network.name!r}",
                               hns_name="HCN_E_ADDR_INVALID_OR_RESERVED")
            if other.mac == mac and not (other.remote and other.provider_address == provider):
                raise Conflict(f"MAC {mac} is already used by endpoint {other.name!r}", hns_name="HCN_E_INVALID_ENDPOINT")
        subnet = next((s for s in network.subnets if wanted.ip in s.prefix), None)
        endpoint = Endpoint(
            id=self._new_id(wanted.id, endpoints),
            name=wanted.name,
            network_id=network.id,
            ip=wanted.ip,
            prefix_len=(subnet or network.subnets[0]).prefix.prefixlen if network.subnets else 32,  # as HNS shows it
            mac=mac,
            created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            provider_address=provider,
            on_other_host=not provider,
        )
        entries = remote_entries(endpoint, network, endpoints)
        with Reverter() as revert:
            # the record first: its kernel entries carry no owner tag, so only a record lets reconcile find them
            self.store.save_endpoint(endpoint)
            revert.add(f"forget endpoint {endpoint.name}", lambda: self.store.remove_endpoint(endpoint.id))
            fault_point("endpoint-create:port")
            if entries is not None:
                revert.add(f"remove the overlay entries of {endpoint.ip}", lambda: self.backend.remove_remote(entries))
                self.backend.apply_remote(entries)
            fault_point("endpoint-create:saved")
            revert.success()
        return endpoint

    @staticmethod
    def _own_provider_address(network: Network) -> str:
        if network.overlay is not None:
            return network.overlay.provider_address
        found = network.uplink.ipv4_interfaces if network.uplink else []
        return str(found[0].ip) if found else ""

    def attach(self, reference: str, *, namespace: str | None = None, host: bool = False, ifname: str | None = None) -> Endpoint:
        if bool(namespace) == bool(host):
            raise InvalidInput("attach needs exactly one of --namespace NAME or --host")
        new_ifname = validate_ifname(ifname) if ifname else None
        self.backend.require_privileges()
        with self.store.lock():
            endpoints = self.store.load_endpoints()
            endpoint = resolve_endpoint(reference, endpoints)
            if endpoint.remote:
                raise InvalidInput(f"endpoint {endpoint.name!r} is remote (it lives on host {endpoint.provider_address}): it cannot be attached here",
                                   hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
            if new_ifname and not endpoint.is_attached:
                endpoint = replace(endpoint, ifname=new_ifname)
            if endpoint.is_attached:
                if host and endpoint.host_attached:
                    return endpoint
                current = self._namespace_of(endpoint)
                if namespace and current is not None and namespace in (current.name, current.id):
                    return endpoint
                where = "the host" if endpoint.host_attached else f"namespace {current.name if current else endpoint.namespace_id!r}"
                raise Conflict(
                    f"attaching endpoint {endpoint.name!r}: it is already attached to {where}",
                    hint=f"detach it first: hnsctl endpoint detach {endpoint.name}",
                    hns_name="HCN_E_ENDPOINT_ALREADY_ATTACHED",
                )
            network = resolve_network(endpoint.network_id, self.store.load_networks())
            with Reverter() as revert:
                if not self.backend.port_exists(endpoint.host_side):
                    # the namespace it was in was deleted behind our back and took the pair with it
                    self.backend.create_port(port_spec(endpoint, network))
                    revert.add(f"delete port {endpoint.host_side}", lambda: self.backend.delete_port(endpoint.host_side, endpoint.id))
                others = [e for e in endpoints if e.id != endpoint.id]
                endpoint = self._attach_locked(endpoint, network, namespace, host=host, revert=revert, others=others)
                revert.success()
        return endpoint

    def detach(self, reference: str) -> Endpoint:
        self.backend.require_privileges()
        with self.store.lock():
            endpoint = resolve_endpoint(reference, self.store.load_endpoints())
            if not endpoint.is_attached:
                return endpoint
            return detach_endpoint(self.store, self.backend, endpoint, self._namespace_of(endpoint))

    def delete_endpoint(self, reference: str) -> Endpoint:
        self.backend.require_privileges()
        with self.store.lock():
            endpoint = resolve_endpoint(reference, self.store.load_endpoints())
            teardown_endpoints(self.store, self.backend, [endpoint])
        return endpoint

    # -- helpers (lock held)

    def _check_matches(self, current: Endpoint, request: EndpointRequest, wanted: ValidatedEndpoint) -> None:
        differences = []
        if request.network:
            network = resolve_network(request.network, self.store.load_networks())
            if network.id != current.network_id:
                differences.append(f"network {network.name}")
        if wanted.ip is not None and wanted.ip != current.ip:
            differences.append(f"--ip {wanted.ip} (it has {current.ip})")
        if wanted.mac is not None and wanted.mac != current.mac:
            differences.append(f"--mac {wanted.mac} (it has {current.mac})")
        if request.prefix_len is not None and request.prefix_len != current.prefix_len:
            differences.append(f"--prefix-length {request.prefix_len} (it has /{current.prefix_len})")
        gateway = (request.gateway or "").strip()
        if gateway and (None if gateway.lower() in NO_GATEWAY else parse_address(gateway, field="--gateway")) != current.gateway:
            differences.append(f"--gateway {gateway} (it has {current.gateway or 'none'})")
        namespace = self._namespace_of(current)
        if request.namespace and (namespace is None or request.namespace not in (namespace.name, namespace.id) or not current.is_attached):
            differences.append(f"--namespace {request.namespace}")
        if request.host and not current.host_attached:
            differences.append("--host")
        if differences:
            raise Conflict(
                f"endpoint {current.name!r} already exists and differs: " + ", ".join(differences),
                hint="drop the differing options to accept it, or pick another name",
                hns_name="HCN_E_PORT_ALREADY_EXISTS",
            )

    def _check_policies_match(self, current: Endpoint, request: EndpointRequest) -> None:
        """`--if-not-exists` keeps an endpoint only if it already has every policy asked for."""
        from hnsctl.models.policy import summary, validate_settings

        have = {(p.type, p.settings) for p in self.store.load_policies() if p.endpoint_id == current.id}
        for wanted in request.policies:
            kind, settings = validate_settings(wanted)
            if (kind, settings) not in have:
                probe = Policy(id="", endpoint_id=current.id, type=kind, settings=settings)
                raise Conflict(f"endpoint {current.name!r} already exists without the {kind.value} policy asked for ({summary(probe)})",
                               hint="add it with `hnsctl policy add`, or delete the endpoint first", hns_name="HCN_E_POLICY_NOT_FOUND")

    def _namespace_of(self, endpoint: Endpoint) -> Namespace | None:
        if endpoint.namespace_id is None:
            return None
        return next((n for n in self.store.load_namespaces() if n.id == endpoint.namespace_id), None)

    def _attach_locked(
        self, endpoint: Endpoint, network: Network, namespace_ref: str | None, *, host: bool, revert: Reverter, others: list[Endpoint]
    ) -> Endpoint:
        """Attach with the lock held; `others` are the recorded endpoints other than this one."""
        if host:
            self.backend.attach_host(interface_config(endpoint, host=True))
            revert.add("park the host interface", lambda: self.backend.detach_host(endpoint.id, endpoint.host_ifname, endpoint.parked_name))
            mac = kernel_mac(endpoint.mac)
            self.backend.mark_host_endpoint(network.bridge_name, mac, True)
            revert.add("unmark the host endpoint", lambda: self.backend.mark_host_endpoint(network.bridge_name, mac, False))
            attached = replace(endpoint, state=EndpointState.ATTACHED, host_attached=True, namespace_id=None)
            apply_interface_policies(self.backend, attached, None, self.store.load_policies())
            self.store.save_endpoint(attached)
            return attached
        assert namespace_ref is not None
        namespace, made = self.namespaces.ensure_locked(namespace_ref, self.store.load_namespaces())
        if made:
            revert.add(f"forget namespace {namespace.name}", lambda: self.namespaces.forget_locked(namespace))
        self.backend.attach_namespace(namespace.name, interface_config(endpoint, host=False))
        fault_point("endpoint-attach:kernel")
        revert.add(f"detach from {namespace.name}", lambda: self.backend.detach_namespace(namespace.name, endpoint.id, endpoint.parked_name))
        attached = replace(endpoint, state=EndpointState.ATTACHED, namespace_id=namespace.id, host_attached=False)
        apply_interface_policies(self.backend, attached, namespace, self.store.load_policies())
        self.namespaces.refresh_dns_locked(namespace, [*others, attached])
        revert.add(f"restore DNS of {namespace.name}", lambda: self.namespaces.refresh_dns_locked(namespace, others))
        self.store.save_endpoint(attached)  # last: state records only what the kernel has
        return attached

    def _network_locked(self, reference: str | None) -> Network:
        networks = self.store.load_networks()
        if reference is not None:
            return resolve_network(reference, networks)
        default = next((n for n in networks if n.name == DEFAULT_NETWORK_NAME), None)
        if default is not None:
            return default
        # Like a container host's default NAT network: made on first use.
        return self.networks.create_locked(validate_request(NetworkRequest(name=DEFAULT_NETWORK_NAME)), networks)

    @staticmethod
    def _new_id(requested: str | None, endpoints: list[Endpoint]) -> str:
        shorts = {e.short for e in endpoints}
        if requested:
            if any(e.id == requested for e in endpoints) or ids.short_id(requested) in shorts:
                raise Conflict(f"endpoint ID {requested} is already in use", hint="omit the ID to get a fresh one")
            return requested
        return ids.fresh_id(shorts)


__all__ = ["EndpointService", "EndpointView"]
