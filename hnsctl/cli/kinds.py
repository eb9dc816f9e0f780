"""What the CLI knows about each kind of object it lists: its columns, the ID `-q` prints, its JSON by schema.

The list commands, `--columns`/`--filter` checking and help, and the column tables of docs/cli.md all read
these registries; nothing else spells a list header. Codecs are imported when a JSON body is made, so a
table or `-q` listing does not load them. Plain classes rather than dataclasses: every list command
imports this module, and making a dataclass costs most of a millisecond of start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic

from hnsctl.cli.columns import Column, Columns, Item, id_prefix

if TYPE_CHECKING:
    from hnsctl.models.endpoint import EndpointState
    from hnsctl.models.network import Network
    from hnsctl.service.endpoint import EndpointView
    from hnsctl.service.loadbalancer import LoadBalancerView
    from hnsctl.service.namespace import NamespaceView
    from hnsctl.service.network import NetworkView
    from hnsctl.service.policy import PolicyView


class Kind(Generic[Item]):
    """One listed kind: its columns, the full ID `-q` prints, and its JSON in HNS V1 (schema 1) or HCN V2 (schema 2) shape."""

    __slots__ = ("columns", "object_id", "to_json")

    def __init__(self, columns: Columns[Item], *, object_id: Callable[[Item], str],
                 to_json: Callable[[Item, int], dict[str, Any]]) -> None:
        self.columns, self.object_id, self.to_json = columns, object_id, to_json


def _created(created_at: str | None) -> str:
    return created_at or "-"


# ------------------------------------------------------------------ networks


def subnets_text(network: Network) -> str:
    return ", ".join(str(s.prefix) for s in network.subnets) or "-"


def gateways_text(network: Network) -> str:
    return ", ".join(str(g) for g in network.gateways) or "-"


def network_json(view: NetworkView, schema: int) -> dict[str, Any]:
    from hnsctl.models import networkjson

    if schema == 2:
        return networkjson.network_to_v2(view.network, endpoint_count=view.endpoint_count, policies=view.policies)
    return networkjson.network_to_v1(view.network, endpoint_count=view.endpoint_count, policies=view.policies)


NETWORKS: Kind[NetworkView] = Kind(
    Columns("network", (
        Column("name", "NAME", lambda v: v.network.name, "the network's name"),
        Column("id", "ID", lambda v: v.network.id[:8], "the first 8 characters of its ID", match=id_prefix(lambda v: v.network.id)),
        Column("type", "TYPE", lambda v: v.network.type.value, "its type (V1 spelling)"),
        Column("subnets", "SUBNETS", lambda v: subnets_text(v.network), "its address prefixes"),
        Column("gateway", "GATEWAY", lambda v: gateways_text(v.network), "the gateway of each subnet"),
        Column("endpoints", "ENDPOINTS", lambda v: str(v.endpoint_count), "how many endpoints it has"),
        Column("bridge", "BRIDGE", lambda v: v.network.bridge_name, "its bridge in the kernel", default=False),
        Column("dns", "DNS", lambda v: ", ".join(v.network.dns_servers) or "-", "DNS servers handed to endpoints", default=False),
        Column("created", "CREATED", lambda v: _created(v.network.created_at), "when it was created", default=False),
    )),
    object_id=lambda v: v.network.id,
    to_json=network_json,
)


# ------------------------------------------------------------------ endpoints

def state_name(state: EndpointState) -> str:
    """`created`, `attached` or `detached`: the HNS state's name as people read it."""
    return state.name.lower()


def where(view: EndpointView) -> str:
    """Where an endpoint is attached, as people read it."""
    endpoint = view.endpoint
    if endpoint.remote:
        return f"(remote: {endpoint.provider_address})"
    if endpoint.host_attached:
        return "(host)"
    if view.namespace is not None and endpoint.is_attached:
        return view.namespace.name
    return "-"


def endpoint_json(view: EndpointView, schema: int) -> dict[str, Any]:
    from hnsctl.models import endpointjson

    network_name = view.network.name if view.network else ""
    if schema == 2:
        return endpointjson.endpoint_to_v2(view.endpoint, network_name=network_name, namespace=view.namespace, policies=view.policies)
    return endpointjson.endpoint_to_v1(view.endpoint, network_name=network_name, namespace=view.namespace, policies=view.policies,
                                  network_type=view.network.type.value if view.network else "")


ENDPOINTS: Kind[EndpointView] = Kind(
    Columns("endpoint", (
        Column("name", "NAME", lambda v: v.endpoint.name, "the endpoint's name"),
        Column("id", "ID", lambda v: v.endpoint.id[:8], "the first 8 characters of its ID", match=id_prefix(lambda v: v.endpoint.id)),
        Column("network", "NETWORK", lambda v: v.network.name if v.network else v.endpoint.network_id[:8],
               "its network's name (an ID prefix when the network is not recorded)"),
        Column("ip", "IP", lambda v: f"{v.endpoint.ip}/{v.endpoint.prefix_len}", "its address and prefix length"),
        Column("mac", "MAC", lambda v: v.endpoint.mac, "its MAC address"),
        Column("state", "STATE", lambda v: state_name(v.endpoint.state), "created, attached or detached"),
        Column("namespace", "NAMESPACE", where, "the namespace it is attached to; (host), (remote: …) or -"),
        Column("gateway", "GATEWAY", lambda v: str(v.endpoint.gateway) if v.endpoint.gateway else "-", "its default gateway", default=False),
        Column("dns", "DNS", lambda v: ", ".join(v.endpoint.dns_servers) or "-", "its DNS servers", default=False),
        Column("created", "CREATED", lambda v: _created(v.endpoint.created_at), "when it was created", default=False),
    )),
    object_id=lambda v: v.endpoint.id,
    to_json=endpoint_json,
)


# ------------------------------------------------------------------ namespaces


class NamespaceItem:
    """A namespace view plus endpoint names: the service's namespace views carry endpoint IDs only."""

    __slots__ = ("view", "endpoint_names")

    def __init__(self, view: NamespaceView, endpoint_names: dict[str, str]) -> None:
        self.view, self.endpoint_names = view, endpoint_names


def namespace_json(view: NamespaceView, schema: int) -> dict[str, Any]:
    from hnsctl.models import namespacejson

    if schema == 2:
        return namespacejson.namespace_to_v2(view.namespace, list(view.endpoint_ids))
    return namespacejson.namespace_to_v1(view.namespace, list(view.endpoint_ids))


def _kernel_state(item: NamespaceItem) -> str:
    return ("present" if item.view.present else "missing") + ("" if item.view.namespace.owned else " (adopted)")


NAMESPACES: Kind[NamespaceItem] = Kind(
    Columns("namespace", (
        Column("name", "NAME", lambda i: i.view.namespace.name, "the namespace's name (/run/netns/NAME)"),
        Column("id", "ID", lambda i: i.view.namespace.id[:8], "the first 8 characters of its ID",
               match=id_prefix(lambda i: i.view.namespace.id)),
        Column("namespaceid", "NAMESPACEID", lambda i: str(i.view.namespace.compartment_id), "its HNS NamespaceId"),
        Column("endpoints", "ENDPOINTS", lambda i: ", ".join(i.endpoint_names.get(e, e[:8]) for e in i.view.endpoint_ids) or "-",
               "the endpoints attached to it"),
        Column("kernel", "KERNEL", _kernel_state, "present or missing in the kernel; (adopted) when hnsctl did not create it",
               match=lambda i, wanted: wanted in (_kernel_state(i), _kernel_state(i).split(" (")[0])),
        Column("created", "CREATED", lambda i: _created(i.view.namespace.created_at), "when it was created", default=False),
    )),
    object_id=lambda i: i.view.namespace.id,
    to_json=lambda i, schema: namespace_json(i.view, schema),
)


# ------------------------------------------------------------------ policies and routes


def policy_summary(policy: Any) -> str:
    from hnsctl.models.policy import summary

    return summary(policy)


def policy_json(policy: Any, schema: int) -> dict[str, Any]:
    from hnsctl.models import policyjson

    return policyjson.policy_to_v2(policy) if schema == 2 else policyjson.policy_to_v1(policy)


def with_owner(body: dict[str, Any], policy: Any) -> dict[str, Any]:
    """hnsctl additions: which endpoint (or, for network policies, which network) the policy belongs to."""
    return {**body, "EndpointId": policy.endpoint_id, **({"NetworkId": policy.network_id} if policy.network_id else {})}


def policy_owner(view: PolicyView) -> str:
    if view.policy.network_id:
        return f"network {view.policy.network_id[:8]}"
    return view.endpoint.name if view.endpoint else view.policy.endpoint_id[:8]


POLICIES: Kind[PolicyView] = Kind(
    Columns("policy", (
        Column("id", "ID", lambda v: v.policy.id[:8], "the first 8 characters of its ID", match=id_prefix(lambda v: v.policy.id)),
        Column("endpoint", "ENDPOINT", policy_owner, "its endpoint's name; network and an ID prefix for network policies"),
        Column("type", "TYPE", lambda v: v.policy.type.value, "its type"),
        Column("policy", "POLICY", lambda v: policy_summary(v.policy), "what it does, in one line"),
        Column("created", "CREATED", lambda v: _created(v.policy.created_at), "when it was created", default=False),
    )),
    object_id=lambda v: v.policy.id,
    to_json=lambda v, schema: with_owner(policy_json(v.policy, schema), v.policy),
)


def route_json(policy: Any, schema: int) -> dict[str, Any]:
    from hnsctl.models import routejson

    return routejson.route_to_v2(policy) if schema == 2 else routejson.route_to_v1(policy)


def route_endpoint(view: PolicyView) -> str:
    return view.endpoint.name if view.endpoint else view.policy.endpoint_id[:8]


ROUTES: Kind[PolicyView] = Kind(
    Columns("route", (
        Column("id", "ID", lambda v: v.policy.id[:8], "the first 8 characters of its ID", match=id_prefix(lambda v: v.policy.id)),
        Column("endpoint", "ENDPOINT", route_endpoint, "the endpoint it is installed in"),
        Column("route", "ROUTE", lambda v: policy_summary(v.policy), "destination and next hop"),
        Column("created", "CREATED", lambda v: _created(v.policy.created_at), "when it was created", default=False),
    )),
    object_id=lambda v: v.policy.id,
    to_json=lambda v, schema: route_json(v.policy, schema),
)


# ------------------------------------------------------------------ load balancers


def loadbalancer_json(lb: Any, schema: int) -> dict[str, Any]:
    from hnsctl.models import lbjson

    return lbjson.loadbalancer_to_v2(lb) if schema == 2 else lbjson.loadbalancer_to_v1(lb)


def loadbalancer_summary(lb: Any) -> str:
    from hnsctl.models.loadbalancer import summary

    return summary(lb)


LOADBALANCERS: Kind[LoadBalancerView] = Kind(
    Columns("loadbalancer", (
        Column("id", "ID", lambda v: v.lb.id[:8], "the first 8 characters of its ID", match=id_prefix(lambda v: v.lb.id)),
        Column("frontend", "FRONTEND", lambda v: loadbalancer_summary(v.lb), "protocol, VIPs and ports, in one line"),
        Column("backends", "BACKENDS", lambda v: ", ".join(v.backend_names) or "(none: refused)", "its backend endpoints"),
        Column("created", "CREATED", lambda v: _created(v.lb.created_at), "when it was created", default=False),
    )),
    object_id=lambda v: v.lb.id,
    to_json=lambda v, schema: loadbalancer_json(v.lb, schema),
)

KINDS: tuple[Kind[Any], ...] = (NETWORKS, ENDPOINTS, NAMESPACES, POLICIES, LOADBALANCERS, ROUTES)
