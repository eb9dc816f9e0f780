"""Load balancers (New-HnsLoadBalancer / HostComputeLoadBalancer): create, update in place, delete.

Every mutation follows the usual path: validate, lock, check against every other frontend (load
balancers and port-mapping policies), change the kernel in one nftables transaction with undo, and
write the record last. A backend change rewrites one load balancer's map and chain, whatever the
number of load balancers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hnsctl.backend.base import LbFrontend, LoadBalancerSpec
from hnsctl.errors import Conflict, InvalidInput, NotFound
from hnsctl.models import ids
from hnsctl.models.loadbalancer import (
    LoadBalancer,
    LoadBalancerRequest,
    validate_request,
)
from hnsctl.models.policy import PolicyType
from hnsctl.service.faults import fault_point
from hnsctl.service.intents import deleting
from hnsctl.service.lookup import resolve_endpoint, resolve_loadbalancer
from hnsctl.service.policies.nat import mapping_key
from hnsctl.service.revert import Reverter

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.store import Store

DSR_NOTE = ("--dsr: backends here sit behind this host's bridge, so their replies pass through it anyway and the "
            "reverse NAT stays on the host (no extra hop); what DSR keeps is the client's own address "
            "(no --source-vip SNAT)")


def lb_spec(lb: LoadBalancer, endpoints: dict[str, Endpoint]) -> LoadBalancerSpec:
    """What the kernel must hold: backends are the recorded endpoints' addresses (missing ones skipped)."""
    frontends = tuple(
        LbFrontend(str(vip) if vip else None, m.protocol, m.external_port, m.internal_port, int(m.distribution))
        for m in lb.port_mappings for vip in (lb.frontend_vips or (None,))
    )
    backends = tuple(str(endpoints[e].ip) for e in lb.backends if e in endpoints and endpoints[e].ip.version == 4)
    snat = lb.source_vip is not None and not lb.dsr
    from hnsctl.backend.lbrules import snat_mark

    return LoadBalancerSpec(owner=lb.id, short=lb.short, frontends=frontends, backends=backends,
                            snat_mark=snat_mark(lb.sequence) if snat else None,
                            source_vip=str(lb.source_vip) if snat else None)


def drop_backend(store: Store, backend: Backend, endpoint_id: str) -> None:
    """An endpoint being deleted leaves every load balancer that used it (kernel first, then the record)."""
    users = [lb for lb in store.load_loadbalancers() if endpoint_id in lb.backends]
    if not users:
        return
    endpoints = {e.id: e for e in store.load_endpoints()}
    for lb in users:
        changed = replace(lb, backends=tuple(e for e in lb.backends if e != endpoint_id))
        backend.apply_load_balancer(lb_spec(changed, endpoints), previous=lb_spec(lb, endpoints))
        store.save_loadbalancer(changed)


@dataclass(frozen=True)
class LoadBalancerView:
    lb: LoadBalancer
    backend_names: tuple[str, ...]  # endpoint names (the ID when the endpoint is not recorded)


class LoadBalancerService:
    def __init__(self, store: Store, backend: Backend) -> None:
        self.store = store
        self.backend = backend
        self.warnings: list[str] = []

    # -- reads

    def list_loadbalancers(self) -> list[LoadBalancerView]:
        names = {e.id: e.name for e in self.store.load_endpoints()}
        lbs = sorted(self.store.load_loadbalancers(), key=lambda lb: lb.sequence)
        return [LoadBalancerView(lb, tuple(names.get(e, e) for e in lb.backends)) for lb in lbs]

    def get_loadbalancer(self, reference: str) -> LoadBalancerView:
        lb = resolve_loadbalancer(reference, self.store.load_loadbalancers())
        names = {e.id: e.name for e in self.store.load_endpoints()}
        return LoadBalancerView(lb, tuple(names.get(e, e) for e in lb.backends))

    # -- mutations

    def create(self, request: LoadBalancerRequest) -> LoadBalancer:
        mappings, vips, source_vip, flags = validate_request(request)
        requested_id = None
        if request.id:
            requested_id = ids.normalize_id(str(request.id))
            if not ids.is_guid(requested_id):
                raise InvalidInput(f"invalid ID {request.id!r}: expected a GUID", hns_name="HCN_E_GUID_CONVERSION_FAILURE")
        self.backend.require_privileges()
        with self.store.lock():
            existing = self.store.load_loadbalancers()
            endpoints = self.store.load_endpoints()
            backends = self._resolve_backends(request.endpoints, endpoints)
            shorts = {lb.short: lb for lb in existing}
            if requested_id and ids.short_id(requested_id) in shorts:
                other = shorts[ids.short_id(requested_id)]
                raise Conflict(f"load balancer {requested_id}: " + ("it already exists" if other.id == requested_id else
                               f"its first 8 hex digits name the nftables objects of load balancer {other.id}"),
                               hint="omit the ID to get a fresh one", hns_name="HCN_E_POLICY_ALREADY_EXISTS")
            new_id = requested_id or ids.fresh_id(set(shorts))
            by_id = {e.id: e for e in endpoints}
            lb = LoadBalancer(
                id=new_id,
                backends=backends,
                port_mappings=mappings,
                frontend_vips=vips,
                source_vip=source_vip,
                flags=flags,
                network_id=by_id[backends[0]].network_id if backends else "",
                created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                sequence=self._next_sequence(existing),
            )
            self._check_frontends(lb, existing)
            if lb.dsr:
                self.warnings.append(DSR_NOTE)
            spec = lb_spec(lb, by_id)
            with Reverter() as revert:
                # the undo first: a create that fails half-way (chain made, frontend refused) leaves nothing
                revert.add("remove the load balancer's nftables objects", lambda: self.backend.remove_load_balancer(spec))
                self.backend.apply_load_balancer(spec, new=True)
                fault_point("loadbalancer-create:kernel")
                self.store.save_loadbalancer(lb)
                revert.success()
        return lb

    def update(self, reference: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> LoadBalancer:
        """Add and remove backends in place: the ID stays, connections to backends that stay are kept."""
        if not add and not remove:
            raise InvalidInput("nothing to update: give --add-endpoint and/or --remove-endpoint")
        self.backend.require_privileges()
        with self.store.lock():
            lb = resolve_loadbalancer(reference, self.store.load_loadbalancers())
            endpoints = self.store.load_endpoints()
            by_id = {e.id: e for e in endpoints}
            removed = {self._resolve_member(r, lb, endpoints) for r in remove}
            added = self._resolve_backends(add, endpoints)
            overlap = removed & set(added)
            if overlap:
                name = by_id[next(iter(overlap))].name
                raise InvalidInput(f"endpoint {name!r} is both added and removed", hint="give it once")
            backends = tuple(e for e in lb.backends if e not in removed)
            backends += tuple(e for e in added if e not in backends)
            changed = replace(lb, backends=backends, network_id=lb.network_id or (by_id[backends[0]].network_id if backends else ""))
            if changed.backends == lb.backends:
                return lb
            before, after = lb_spec(lb, by_id), lb_spec(changed, by_id)
            with Reverter() as revert:
                self.backend.apply_load_balancer(after, previous=before)
                revert.add("restore the previous backends", lambda: self.backend.apply_load_balancer(before, previous=after))
                fault_point("loadbalancer-update:kernel")
                self.store.save_loadbalancer(changed)
                revert.success()
        return changed

    def delete(self, reference: str) -> LoadBalancer:
        self.backend.require_privileges()
        with self.store.lock():
            lb = resolve_loadbalancer(reference, self.store.load_loadbalancers())
            spec = lb_spec(lb, {e.id: e for e in self.store.load_endpoints()})
            with deleting(self.store, "loadbalancer", lb.id):
                self.backend.remove_load_balancer(spec)
                fault_point("loadbalancer-delete:kernel")
                self.store.remove_loadbalancer(lb.id)
        return lb

    # -- helpers (lock held)

    def _next_sequence(self, existing: list[LoadBalancer]) -> int:
        """Above every recorded load balancer and every source-VIP mark still in the kernel (a crashed create
        or a deleted newest one must not hand its mark to the next)."""
        from hnsctl.backend.lbrules import SNAT_MARK_BASE

        in_kernel = [mark - SNAT_MARK_BASE for mark in self.backend.load_balancer_marks()]
        return max([x.sequence for x in existing] + in_kernel, default=0) + 1

    @staticmethod
    def _resolve_backends(references: tuple[str, ...], endpoints: list[Endpoint]) -> tuple[str, ...]:
        found: list[str] = []
        for reference in references:
            endpoint = resolve_endpoint(reference, endpoints)
            if endpoint.ip.version != 4:
                raise InvalidInput(f"invalid --endpoint {reference!r}: IPv6 backends are not supported yet")
            if endpoint.id not in found:
                found.append(endpoint.id)
        return tuple(found)

    @staticmethod
    def _resolve_member(reference: str, lb: LoadBalancer, endpoints: list[Endpoint]) -> str:
        """A backend to remove: by endpoint name/ID, or by the bare ID of an endpoint no longer recorded."""
        if reference.strip().lower() in lb.backends:
            return reference.strip().lower()
        endpoint = resolve_endpoint(reference, endpoints)
        if endpoint.id not in lb.backends:
            raise NotFound(f"endpoint {endpoint.name!r} is not a backend of load balancer {lb.id}",
                           hint=f"`hnsctl loadbalancer show {lb.id}` lists its backends")
        return endpoint.id

    def _check_frontends(self, lb: LoadBalancer, existing: list[LoadBalancer]) -> None:
        """Two load balancers (or a load balancer and a port mapping) cannot answer the same VIP, protocol and port.
        A VIP that is one of the host's own addresses also clashes with "every local address" on that port."""
        endpoint_ips = {str(e.ip): e.name for e in self.store.load_endpoints()}
        for vip in lb.frontend_vips:
            if str(vip) in endpoint_ips:
                raise InvalidInput(f"invalid --vip {vip}: it is the address of endpoint {endpoint_ips[str(vip)]!r}",
                                   hint="a VIP must be an address no endpoint holds")
        local = self.backend.host_addresses() if lb.frontend_vips or any(m.local_routed for m in lb.port_mappings) else set()
        taken: dict[tuple[str | None, str, int], str] = {}
        for other in existing:
            for key in other.frontend_keys():
                taken[key] = f"load balancer {other.id}"
        names = {e.id: e.name for e in self.store.load_endpoints()}
        for policy in self.store.load_policies():
            if policy.type is PolicyType.PORT_MAPPING:
                protocol, port, vip = mapping_key(policy.settings)
                taken[(vip, protocol, port)] = (
                    f"port mapping {policy.id} of endpoint {names.get(policy.endpoint_id, policy.endpoint_id)!r}")
        for key in lb.frontend_keys():
            vip, protocol, port = key
            holder = taken.get(key)
            if holder is None and vip in local:
                holder = taken.get((None, protocol, port))  # this VIP is a local address: every-local-address frontends clash
            if holder is None and vip is None:
                holder = next((h for (v, p, n), h in taken.items() if v in local and (p, n) == (protocol, port)), None)
            if holder:
                vip, protocol, port = key
                raise Conflict(
                    f"load balancer frontend {protocol} {vip or '*'}:{port}: already served by {holder}",
                    hint="choose another --external-port or --vip, or delete that one first",
                    hns_name="HCN_E_POLICY_ALREADY_EXISTS",
                )
