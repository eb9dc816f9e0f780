"""Taking endpoints down: detach (the port parks, the address stays reserved) and delete (policies, load
balancer memberships, kernel objects, records). Endpoint, network and namespace deletes all come here."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hnsctl.models.addresses import kernel_mac
from hnsctl.models.endpoint import EndpointState
from hnsctl.models.network import MAC_REWRITE_TYPES
from hnsctl.service.dns import refresh_dns
from hnsctl.service.faults import fault_point
from hnsctl.service.intents import deleting
from hnsctl.service.loadbalancer import drop_backend
from hnsctl.service.plan import remote_entries
from hnsctl.service.policies import remove_endpoint_policies

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.namespace import Namespace
    from hnsctl.store import Store


def detach_endpoint(store: Store, backend: Backend, endpoint: Endpoint, namespace: Namespace | None) -> Endpoint:
    """Park the container side and record the endpoint as detached; its address stays reserved (lock held)."""
    if endpoint.host_attached:
        backend.detach_host(endpoint.id, endpoint.host_ifname, endpoint.parked_name)
        network = next((n for n in store.load_networks() if n.id == endpoint.network_id), None)
        if network is not None:
            backend.mark_host_endpoint(network.bridge_name, kernel_mac(endpoint.mac), False)
    elif namespace is not None:
        backend.detach_namespace(namespace.name, endpoint.id, endpoint.parked_name)
    detached = replace(endpoint, state=EndpointState.DETACHED, namespace_id=None, host_attached=False)
    store.save_endpoint(detached)
    if namespace is not None:
        refresh_dns(backend, namespace, [e for e in store.load_endpoints() if e.id != endpoint.id])
    return detached


def teardown_endpoints(store: Store, backend: Backend, endpoints: list[Endpoint]) -> None:
    """Delete endpoints (`endpoint delete`, `network delete --force`): policies, ports, DNS files, records (lock held)."""
    namespaces = {n.id: n for n in store.load_namespaces()}
    networks = {n.id: n for n in store.load_networks()}
    touched: dict[str, Namespace] = {}
    for endpoint in endpoints:
        network = networks.get(endpoint.network_id)
        namespace = namespaces.get(endpoint.namespace_id or "")
        with deleting(store, "endpoint", endpoint.id):
            for policy in remove_endpoint_policies(store.load_policies(), backend, endpoint, network, namespace):
                store.remove_policy(policy.id)
            drop_backend(store, backend, endpoint.id)
            fault_point("endpoint-delete:policies")
            if endpoint.remote:
                entries = remote_entries(endpoint, network, store.load_endpoints()) if network is not None else None
                if entries is not None:
                    backend.remove_remote(entries)
            else:
                if network is not None and network.type in MAC_REWRITE_TYPES and endpoint.ip.version == 4:
                    backend.l2bridge_endpoint(network.short, str(endpoint.ip), None)
                if network is not None and endpoint.host_attached:
                    backend.mark_host_endpoint(network.bridge_name, kernel_mac(endpoint.mac), False)
                backend.delete_port(endpoint.host_side, endpoint.id)
            fault_point("endpoint-delete:port")
            store.remove_endpoint(endpoint.id)
            fault_point("endpoint-delete:state")
        if namespace is not None:
            touched[namespace.id] = namespace
    remaining = store.load_endpoints()
    for namespace in touched.values():
        refresh_dns(backend, namespace, remaining)
