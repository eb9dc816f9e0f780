"""HNS JSON shapes of load balancers: V1 PolicyList (`ELB` policies) and V2 `HostComputeLoadBalancer`, out and in.

Route objects (PolicyLists of `ROUTE` policies, `HostComputeRoute`) are in routejson.py; they share the
PolicyList keys and the endpoint-reference helpers below."""

from __future__ import annotations

from typing import Any

from hnsctl.errors import InvalidInput
from hnsctl.models.hnsjson import reject_unknown
from hnsctl.models.loadbalancer import (
    FLAG_DSR,
    PM_ILB,
    PM_LOCAL_ROUTED_VIP,
    LoadBalancer,
    LoadBalancerRequest,
    PortMappingRequest,
)

V2_SCHEMA = {"Major": 2, "Minor": 0}
V1_KEYS = {"ID", "References", "Policies", "IsApplied", "State", "Version", "Resources", "ActivityId", "HostComputeNetwork",
           "SchemaVersion"}
V1_ELB_KEYS = {"Type", "Protocol", "InternalPort", "ExternalPort", "SourceVIP", "VIPs", "ILB", "IsDSR", "LocalRoutedVip",
               "DistributionType", "ExternalPortReserved"}
V2_KEYS = {"ID", "HostComputeEndpoints", "HostComputeNetwork", "SourceVIP", "FrontendVIPs", "PortMappings", "Flags",
           "SchemaVersion", "State", "Version"}
V2_PM_KEYS = {"Protocol", "InternalPort", "ExternalPort", "DistributionType", "Flags"}


def _fail(message: str) -> InvalidInput:
    return InvalidInput(message, hns_name="HCN_E_INVALID_JSON")


def loadbalancer_to_v1(lb: LoadBalancer) -> dict[str, Any]:
    """A V1 PolicyList: one ELB policy per port mapping, backends as `/endpoints/<id>` references."""
    policies = []
    for m in lb.port_mappings:
        policies.append({
            "Type": "ELB",
            "Protocol": m.protocol_number,
            "InternalPort": m.internal_port,
            "ExternalPort": m.external_port,
            "VIPs": [str(v) for v in lb.frontend_vips],
            "SourceVIP": str(lb.source_vip) if lb.source_vip else "",
            "ILB": m.ilb,
            "IsDSR": lb.dsr,
            "LocalRoutedVip": m.local_routed,
            "DistributionType": int(m.distribution),
        })
    return {"ID": lb.id, "References": [f"/endpoints/{e}" for e in lb.backends], "Policies": policies, "IsApplied": True}


def loadbalancer_to_v2(lb: LoadBalancer) -> dict[str, Any]:
    return {
        "ID": lb.id,
        "HostComputeEndpoints": list(lb.backends),
        "HostComputeNetwork": lb.network_id,
        "SourceVIP": str(lb.source_vip) if lb.source_vip else "",
        "FrontendVIPs": [str(v) for v in lb.frontend_vips],
        "PortMappings": [
            {"Protocol": m.protocol_number, "InternalPort": m.internal_port, "ExternalPort": m.external_port,
             "DistributionType": int(m.distribution), "Flags": m.flags}
            for m in lb.port_mappings
        ],
        "Flags": lb.flags,
        "SchemaVersion": V2_SCHEMA,
    }


def string_list(doc: dict[str, Any], key: str, path: str = "") -> list[str]:
    """A list of strings, or one comma-separated string (as V1 documents sometimes carry them)."""
    value = doc.get(key) or []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"invalid JSON field {path}{key}: expected a list of strings")
    return [v.strip() for v in value]


def _unknown(doc: dict[str, Any], known: set[str], path: str) -> None:
    reject_unknown(doc, known, path=path, kind="load balancer")


def endpoint_reference(text: str) -> str:
    """`/endpoints/<id>` (V1 References) or a bare ID."""
    return text.rsplit("/", 1)[-1] if text.lower().startswith("/endpoints/") else text


def loadbalancer_request_from_document(doc: dict[str, Any]) -> LoadBalancerRequest:
    """A V2 HostComputeLoadBalancer or a V1 PolicyList holding ELB policies."""
    if "Policies" in doc and "PortMappings" not in doc:
        return _from_v1(doc)
    _unknown(doc, V2_KEYS, "")
    mappings = doc.get("PortMappings") or []
    if not isinstance(mappings, list) or not all(isinstance(m, dict) for m in mappings):
        raise _fail("invalid JSON field PortMappings: expected a list of objects")
    requests = []
    for index, m in enumerate(mappings):
        _unknown(m, V2_PM_KEYS, f"PortMappings[{index}].")
        requests.append(PortMappingRequest(m.get("Protocol"), m.get("InternalPort"), m.get("ExternalPort"),
                                           m.get("DistributionType"), m.get("Flags")))
    flags = doc.get("Flags") or 0
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise _fail("invalid JSON field Flags: expected an integer")
    return LoadBalancerRequest(
        endpoints=tuple(string_list(doc, "HostComputeEndpoints")),
        port_mappings=tuple(requests),
        vips=tuple(string_list(doc, "FrontendVIPs")),
        source_vip=doc.get("SourceVIP") or None,
        dsr=bool(flags & FLAG_DSR),
        id=doc.get("ID") or None,
        extra_flags=flags & ~FLAG_DSR,
    )


def _from_v1(doc: dict[str, Any]) -> LoadBalancerRequest:
    _unknown(doc, V1_KEYS, "")
    policies = doc.get("Policies")
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise _fail("invalid JSON field Policies: expected a list of objects")
    requests: list[PortMappingRequest] = []
    vips: list[str] | None = None
    source_vip: str | None = None
    dsr = False
    for index, policy in enumerate(policies):
        path = f"Policies[{index}]."
        kind = str(policy.get("Type", "")).upper()
        if kind == "ROUTE":
            raise _fail(f"invalid JSON field {path}Type ROUTE: route policy lists are made with `hnsctl route create --json`")
        if kind != "ELB":
            raise _fail(f"invalid JSON field {path}Type {policy.get('Type')!r}: a load balancer policy list holds ELB policies")
        _unknown(policy, V1_ELB_KEYS, path)
        for key in ("ILB", "IsDSR", "LocalRoutedVip"):
            if key in policy and not isinstance(policy[key], bool):
                raise _fail(f"invalid JSON field {path}{key}: expected true or false")
        these = string_list(policy, "VIPs", path)
        if vips is not None and sorted(these) != sorted(vips):
            raise _fail(f"invalid JSON field {path}VIPs: every ELB policy of one list must name the same VIPs")
        vips = these
        if index and ((policy.get("SourceVIP") or None) != source_vip or bool(policy.get("IsDSR")) != dsr):
            raise _fail(f"invalid JSON field {path}SourceVIP/IsDSR: every ELB policy of one list must have the same ones")
        source_vip = policy.get("SourceVIP") or None
        dsr = bool(policy.get("IsDSR"))
        flags = (PM_ILB if policy.get("ILB") else 0) | (PM_LOCAL_ROUTED_VIP if policy.get("LocalRoutedVip") or not these else 0)
        requests.append(PortMappingRequest(policy.get("Protocol"), policy.get("InternalPort"), policy.get("ExternalPort"),
                                           policy.get("DistributionType"), flags))
    references = string_list(doc, "References")
    return LoadBalancerRequest(
        endpoints=tuple(endpoint_reference(r) for r in references),
        port_mappings=tuple(requests),
        vips=tuple(vips or ()),
        source_vip=source_vip,
        dsr=dsr,
        id=doc.get("ID") or None,
    )
