"""HNS JSON shapes of route objects, out and in: a V1 PolicyList holding `ROUTE` policies (what hns.psm1
New-HnsRoute posts) and a V2 `HostComputeRoute` (hcsshim lists the routes under `Setting`, hns.v2.psm1
and the schema document under `Routes`; both are read, both are printed).

A route object here is one endpoint's ROUTE policy. A document names endpoints and routes separately, so
it stands for every (endpoint, route) pair: `RouteDocument.requests()` gives one policy request per pair,
and `route create` makes them all in one service call (one lock, all or nothing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models.addresses import parse_host_address, parse_prefix
from hnsctl.models.hnsjson import list_of_objects, reject_unknown
from hnsctl.models.lbjson import V1_KEYS, V2_SCHEMA, endpoint_reference, string_list
from hnsctl.models.policy import PolicyRequest

if TYPE_CHECKING:
    from hnsctl.models.policy import Policy

# V2 keys: hcsshim's HostComputeRoute, the schema document's, and the read-only ones HCN prints.
V2_KEYS = {"ID", "HostComputeEndpoints", "HostComputeNetwork", "Setting", "Routes", "SchemaVersion", "State", "Version"}
V1_ROUTE_KEYS = {"Type", "DestinationPrefix", "NextHop", "NeedEncap", "AutomaticEndpointMonitor"}
SETTING_KEYS = {"DestinationPrefix", "NextHop", "NeedEncap", "AutomaticEndpointMonitor", "Metric"}
KIND = "route"


def _fail(message: str) -> InvalidInput:
    return InvalidInput(message, hns_name="HCN_E_INVALID_JSON")


# ---------------------------------------------------------------- output

def _setting(policy: Policy) -> dict[str, Any]:
    s = policy.settings
    return {"DestinationPrefix": str(s.destination), "NextHop": str(s.next_hop) if s.next_hop else "",  # type: ignore[union-attr]
            "NeedEncap": s.encap}  # type: ignore[union-attr]


def route_to_v1(policy: Policy) -> dict[str, Any]:
    """A route object as a V1 PolicyList with one ROUTE policy."""
    return {
        "ID": policy.id,
        "References": [f"/endpoints/{policy.endpoint_id}"],
        "Policies": [{"Type": "ROUTE", **_setting(policy)}],
        "IsApplied": True,
    }


def route_to_v2(policy: Policy) -> dict[str, Any]:
    """HCN's `Setting` list (what hcsshim reads), and `Routes` as well: hnsctl printed that first and scripts read it."""
    return {
        "ID": policy.id,
        "HostComputeEndpoints": [policy.endpoint_id],
        "Setting": [_setting(policy)],
        "Routes": [_setting(policy)],
        "SchemaVersion": dict(V2_SCHEMA),
    }


# ---------------------------------------------------------------- input

@dataclass(frozen=True)
class RouteSetting:
    """One route of a document, raw; `*_field` name where each value came from, for error messages."""

    destination: str | None
    next_hop: str | None = None
    encap: bool = False
    destination_field: str = "--destination"
    next_hop_field: str = "--next-hop"


@dataclass(frozen=True)
class RouteDocument:
    """The endpoints and routes a route document names; every route goes into every endpoint."""

    endpoints: tuple[str, ...]
    routes: tuple[RouteSetting, ...]

    def overridden(self, *, endpoint: str | None, destination: str | None, next_hop: str | None,
                   encap: bool | None) -> RouteDocument:
        """Flags win over the document: `--endpoint` replaces its endpoints, the route flags a field of each route."""
        doc = self
        if endpoint is not None:
            doc = dataclasses.replace(doc, endpoints=(endpoint,))
        if not doc.routes and destination is not None:
            doc = dataclasses.replace(doc, routes=(RouteSetting(None),))
        if destination is not None and len(doc.routes) > 1:
            raise InvalidInput(f"--destination replaces the destination of a one-route document; this one has {len(doc.routes)} "
                               "routes: drop --destination or give one route per document", hns_name="HCN_E_INVALID_POLICY")
        changes: dict[str, Any] = {}
        if destination is not None:
            changes.update(destination=destination, destination_field="--destination")
        if next_hop is not None:
            changes.update(next_hop=next_hop or None, next_hop_field="--next-hop")
        if encap is not None:
            changes["encap"] = encap
        return dataclasses.replace(doc, routes=tuple(dataclasses.replace(r, **changes) for r in doc.routes))

    def requests(self) -> tuple[PolicyRequest, ...]:
        """One ROUTE policy request per (endpoint, route); values checked here so errors name the JSON field."""
        if not self.endpoints:
            raise InvalidInput("a route needs an endpoint: give HostComputeEndpoints (V2), References (V1) or --endpoint",
                               hns_name="HCN_E_INVALID_JSON")
        if not self.routes:
            raise InvalidInput("a route needs a destination: give Setting or Routes (V2), a ROUTE policy (V1) or --destination",
                               hns_name="HCN_E_INVALID_JSON")
        return tuple(_request(endpoint, route) for endpoint in self.endpoints for route in self.routes)


def _request(endpoint: str, route: RouteSetting) -> PolicyRequest:
    if not route.destination:
        raise InvalidInput(f"missing {route.destination_field}: a route needs its destination CIDR", hns_name="HCN_E_INVALID_POLICY")
    destination = parse_prefix(route.destination, field=route.destination_field)
    next_hop = parse_host_address(route.next_hop, field=route.next_hop_field) if route.next_hop else None
    return PolicyRequest(type=KIND, endpoint=endpoint, destination=str(destination), next_hop=str(next_hop) if next_hop else None,
                         encap=route.encap)


def is_v2_route_document(doc: dict[str, Any]) -> bool:
    schema = doc.get("SchemaVersion")
    if isinstance(schema, dict) and isinstance(schema.get("Major"), int) and not isinstance(schema.get("Major"), bool):
        return bool(schema["Major"] >= 2)
    return any(key in doc for key in ("HostComputeEndpoints", "Setting", "Routes"))


def route_document_from_json(doc: dict[str, Any]) -> RouteDocument:
    """A V1 PolicyList of ROUTE policies or a V2 HostComputeRoute; read-only fields pass, unknown keys are refused."""
    if is_v2_route_document(doc):
        reject_unknown(doc, V2_KEYS, path="", kind=KIND)
        return RouteDocument(tuple(string_list(doc, "HostComputeEndpoints")), _v2_settings(doc))
    reject_unknown(doc, V1_KEYS, path="", kind=KIND)
    routes = []
    for index, policy in enumerate(list_of_objects(doc, "Policies")):
        path = f"Policies[{index}]."
        kind = policy.get("Type")
        if not isinstance(kind, str) or kind.strip().upper() != "ROUTE":
            raise _fail(f"invalid JSON field {path}Type {kind!r}: a route policy list holds ROUTE policies "
                        "(ELB policy lists are made with `hnsctl loadbalancer create --json`)")
        reject_unknown(policy, V1_ROUTE_KEYS, path=path, kind=KIND)
        routes.append(_setting_from(policy, path))
    return RouteDocument(tuple(endpoint_reference(r) for r in string_list(doc, "References")), tuple(routes))


def _v2_settings(doc: dict[str, Any]) -> tuple[RouteSetting, ...]:
    """`Setting` (hcsshim) or `Routes` (hns.v2.psm1); both may be there (hnsctl prints both) if they agree."""
    setting, routes = list_of_objects(doc, "Setting"), list_of_objects(doc, "Routes")
    if setting and routes and setting != routes:
        raise _fail("invalid JSON field Routes: it differs from Setting; give the routes once (Setting or Routes)")
    key, entries = ("Setting", setting) if setting else ("Routes", routes)
    found = []
    for index, entry in enumerate(entries):
        path = f"{key}[{index}]."
        reject_unknown(entry, SETTING_KEYS, path=path, kind=KIND)
        metric = entry.get("Metric", 0)
        if not isinstance(metric, int) or isinstance(metric, bool) or metric < 0:
            raise _fail(f"invalid JSON field {path}Metric: expected a non-negative integer")
        if metric:
            raise InvalidInput(f"invalid JSON field {path}Metric {metric}: route metrics are not built (the route is the "
                               "endpoint's only one to its destination); leave Metric out or 0", hns_name="HCN_E_INVALID_POLICY")
        found.append(_setting_from(entry, path))
    return tuple(found)


def _setting_from(entry: dict[str, Any], path: str) -> RouteSetting:
    destination, next_hop = entry.get("DestinationPrefix"), entry.get("NextHop")
    for key, value in (("DestinationPrefix", destination), ("NextHop", next_hop)):
        if value is not None and not isinstance(value, str):
            raise _fail(f"invalid JSON field {path}{key}: expected a string")
    for key in ("NeedEncap", "AutomaticEndpointMonitor"):
        if key in entry and not isinstance(entry[key], bool):
            raise _fail(f"invalid JSON field {path}{key}: expected true or false")
    if entry.get("AutomaticEndpointMonitor"):
        raise InvalidInput(f"invalid JSON field {path}AutomaticEndpointMonitor true: routes that follow endpoints made later "
                           "(MonitorDynamicEndpoints) are not built; name the endpoints and set it false", hns_name="HCN_E_INVALID_POLICY")
    return RouteSetting(destination or None, next_hop or None, bool(entry.get("NeedEncap", False)),
                        destination_field=f"{path}DestinationPrefix", next_hop_field=f"{path}NextHop")
