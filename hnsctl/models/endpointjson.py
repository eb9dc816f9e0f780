"""HNS JSON shapes of endpoints, out and in: V1 `HNSEndpoint` and HCN V2 `HostComputeEndpoint`.

An endpoint document may carry its policies (V1, V2, or CNI `EndpointPolicy` wrappers), which are read
one by one by policyjson.py and made with the endpoint, and a provider address (PA) that makes it a remote
endpoint. Policy types without effect here are skipped; the others hnsctl does not build are refused
naming why, so a document never makes something other than what it asks for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models.hnsjson import (
    V2_SCHEMA,
    is_v2_document,
    list_of_objects,
    optional_int,
    optional_str,
    reject_unknown,
)
from hnsctl.models.policyjson import (
    policy_request_from_document,
    policy_to_v1,
    policy_to_v2,
    unwrap_cni_policy,
)

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint, EndpointRequest
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.policy import Policy, PolicyRequest


ENDPOINT_V1_KEYS = {
    "ID", "Name", "VirtualNetwork", "VirtualNetworkName", "IPAddress", "PrefixLength", "GatewayAddress",
    "MacAddress", "DNSServerList", "DNSSuffix", "DNSDomain", "Policies", "IsRemoteEndpoint", "State", "Namespace",
    "SharedContainers", "Resources", "Version", "ActivityId", "EnableInternalDNS", "EnableLowMetric",
    "Health", "CreateProcessingStartTime", "InterfaceName", "HostInterfaceName", "HostAttached", "CreatedAt",
    "Type", "PortFriendlyName", "IPSubnetId", "EncapOverhead", "DisableICC", "IPv6Address", "IPv6PrefixLength",
    "GatewayAddressV6", "VirtualMachine", "InterfaceConstraint", "AdditionalParams",
}
ENDPOINT_V2_KEYS = {
    "ID", "Name", "HostComputeNetwork", "HostComputeNamespace", "IpConfigurations", "Routes", "Dns",
    "MacAddress", "Flags", "Policies", "SchemaVersion", "Health", "Owner", "Version", "State",
    "InterfaceName", "HostInterfaceName", "HostAttached", "CreatedAt", "AdditionalParams", "Telemetry",
}

# Endpoint policy types that change nothing here: the overlay MTU already leaves room for the
# encapsulation (EncapOverhead), and L2Driver has no documented settings.
ENDPOINT_POLICIES_WITHOUT_EFFECT = {"encapoverhead", "l2driver"}
ENDPOINT_POLICIES_REFUSED = {
    "l4proxy": "L4 proxy redirection is not built",
    "proxy": "L4 proxy redirection is not built",
    "l4wfpproxy": "WFP proxy redirection has no Linux equivalent here",
    "vlan": "VLAN tagging is not built (see `network create --vlan`)",
    "vsid": "an endpoint takes its network's VSID",
    "iov": "SR-IOV offload has no equivalent here",
    "encryption": "IPsec between endpoints is not built",
    "firewall": "the Hyper-V firewall has no equivalent here; use ACL policies",
    "tieracl": "tiered ACLs are not built; use ACL policies",
    "interfaceconstraint": "interface constraints have no equivalent here",
    "interfaceparameters": "interface parameters are not built",
    "portname": "switch port names have no equivalent here",
    "vnet": "VNET isolation is not built",
    "isolation": "VNET isolation is not built",
}


def endpoint_to_v1(endpoint: Endpoint, *, network_name: str, namespace: Namespace | None, policies: tuple[Policy, ...] = (),
                   network_type: str = "") -> dict[str, Any]:
    return {
        "ID": endpoint.id,
        "Name": endpoint.name,
        "Type": network_type,
        "VirtualNetwork": endpoint.network_id,
        "VirtualNetworkName": network_name,
        "IPAddress": str(endpoint.ip),
        "PrefixLength": endpoint.prefix_len,
        # no gateway prints as New-HnsEndpoint -Gateway 0.0.0.0 takes it, so the document round-trips
        "GatewayAddress": str(endpoint.gateway) if endpoint.gateway else ("0.0.0.0" if endpoint.ip.version == 4 else "::"),
        "MacAddress": endpoint.mac,
        "DNSServerList": ",".join(endpoint.dns_servers),
        "DNSSuffix": endpoint.dns_suffix,
        "State": int(endpoint.state),
        "Namespace": {"ID": namespace.id, "Name": namespace.name} if namespace else None,
        "IsRemoteEndpoint": endpoint.remote,
        "Policies": [policy_to_v1(p) for p in policies] + _v1_provider_address(endpoint),
        **_interfaces(endpoint),
        "CreatedAt": endpoint.created_at,
    }


def _v1_provider_address(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [{"Type": "PA", "PA": endpoint.provider_address}] if endpoint.provider_address else []


def _interfaces(endpoint: Endpoint) -> dict[str, Any]:
    """A remote endpoint has no interface on this host, so it shows none (as HNS)."""
    if endpoint.remote:
        return {}
    return {"InterfaceName": endpoint.host_ifname if endpoint.host_attached else endpoint.ifname,
            "HostInterfaceName": endpoint.host_side, "HostAttached": endpoint.host_attached}


def endpoint_to_v2(endpoint: Endpoint, *, network_name: str, namespace: Namespace | None, policies: tuple[Policy, ...] = ()) -> dict[str, Any]:
    routes = []
    if endpoint.gateway is not None:
        default = "0.0.0.0/0" if endpoint.ip.version == 4 else "::/0"
        routes.append({"NextHop": str(endpoint.gateway), "DestinationPrefix": default, "Metric": 0})
    dns: dict[str, Any] = {"ServerList": list(endpoint.dns_servers)}
    if endpoint.dns_suffix:
        dns["Domain"] = endpoint.dns_suffix
        dns["Search"] = [endpoint.dns_suffix]
    return {
        "ID": endpoint.id,
        "Name": endpoint.name,
        "HostComputeNetwork": endpoint.network_id,
        "HostComputeNamespace": namespace.id if namespace else "",
        "IpConfigurations": [{"IpAddress": str(endpoint.ip), "PrefixLength": endpoint.prefix_len}],
        "Routes": routes,
        "Dns": dns,
        "MacAddress": endpoint.mac,
        "Flags": 1 if endpoint.remote else 0,  # EndpointFlags 1: RemoteEndpoint
        "Policies": [policy_to_v2(p) for p in policies]
        + ([{"Type": "ProviderAddress", "Settings": {"ProviderAddress": endpoint.provider_address}}] if endpoint.provider_address else []),
        "State": int(endpoint.state),
        "SchemaVersion": dict(V2_SCHEMA),
        **_interfaces(endpoint),
        "CreatedAt": endpoint.created_at,
    }


def endpoint_request_from_document(doc: dict[str, Any]) -> EndpointRequest:
    """An HNS endpoint document (V1 `HNSEndpoint` or V2 `HostComputeEndpoint`) as a request, with its policies."""
    from hnsctl.models.endpoint import EndpointRequest

    v2 = is_v2_document(doc) or "IpConfigurations" in doc or "HostComputeNetwork" in doc
    reject_unknown(doc, ENDPOINT_V2_KEYS if v2 else ENDPOINT_V1_KEYS, path="", kind="endpoint")
    name = optional_str(doc, "Name") or ""
    endpoint_id = optional_str(doc, "ID")
    if not name:
        # HCN endpoints are often nameless (callers know them by ID): give them a name from it
        from hnsctl.models import ids

        endpoint_id = endpoint_id or ids.new_id()
        name = "endpoint-" + ids.short_id(ids.normalize_id(endpoint_id))
    policies, provider_address = endpoint_policies_from_document(doc, endpoint=name)
    if v2:
        flags = optional_int(doc, "Flags") or 0
        if flags & ~1:
            raise InvalidInput(f"invalid JSON field Flags {flags}: only RemoteEndpoint (1) is supported among the endpoint flags",
                               hns_name="HCN_E_INVALID_ENDPOINT")
        remote = bool(flags & 1)
        ip = prefix_len = None
        configs = list_of_objects(doc, "IpConfigurations")
        if len(configs) > 1:
            raise InvalidInput("invalid JSON field IpConfigurations: one address per endpoint is supported (dual stack is not built yet)",
                               hns_name="HCN_E_INVALID_ENDPOINT")
        if configs:
            reject_unknown(configs[0], {"IpAddress", "PrefixLength", "IpSubnetId"}, path="IpConfigurations[0].", kind="endpoint")
            ip = optional_str(configs[0], "IpAddress", path="IpConfigurations[0].")
            prefix_len = optional_int(configs[0], "PrefixLength", path="IpConfigurations[0].")
        # Routes given without a default route (what a gateway-less endpoint prints): no default route
        gateway = "0.0.0.0" if isinstance(doc.get("Routes"), list) and configs else None
        for route in list_of_objects(doc, "Routes"):
            if route.get("DestinationPrefix") in ("0.0.0.0/0", "::/0") and route.get("NextHop"):
                gateway = str(route["NextHop"])
        dns = doc.get("Dns") or {}
        if not isinstance(dns, dict):
            raise InvalidInput("invalid JSON field Dns: expected an object", hns_name="HCN_E_INVALID_JSON")
        servers = tuple(str(s) for s in dns.get("ServerList") or [])
        suffix = dns.get("Domain") or ((dns.get("Search") or [None])[0])
        return EndpointRequest(
            name=name, network=optional_str(doc, "HostComputeNetwork"), ip=ip, prefix_len=prefix_len,
            mac=optional_str(doc, "MacAddress"), dns_servers=servers, dns_suffix=suffix, gateway=gateway,
            id=endpoint_id, ifname=optional_str(doc, "InterfaceName"), remote=remote,
            provider_address=provider_address if remote else None, policies=policies,
        )
    for key in ("IPv6Address", "GatewayAddressV6"):
        if doc.get(key):
            raise InvalidInput(f"invalid JSON field {key}: dual-stack endpoints are not built yet (one address per endpoint)",
                               hns_name="HCN_E_INVALID_ENDPOINT")
    if doc.get("DisableICC") is True:
        raise InvalidInput("invalid JSON field DisableICC: isolating endpoints of one network from each other is not built; "
                           "use ACL policies", hns_name="HCN_E_INVALID_ENDPOINT")
    remote = doc.get("IsRemoteEndpoint", False)
    if not isinstance(remote, bool):
        raise InvalidInput("invalid JSON field IsRemoteEndpoint: expected true or false", hns_name="HCN_E_INVALID_JSON")
    servers_text = optional_str(doc, "DNSServerList") or ""
    return EndpointRequest(
        name=name,
        network=optional_str(doc, "VirtualNetwork") or optional_str(doc, "VirtualNetworkName"),
        ip=optional_str(doc, "IPAddress"),
        prefix_len=optional_int(doc, "PrefixLength"),
        gateway=optional_str(doc, "GatewayAddress"),
        mac=optional_str(doc, "MacAddress"),
        dns_servers=tuple(s.strip() for s in servers_text.split(",") if s.strip()),
        dns_suffix=optional_str(doc, "DNSSuffix") or optional_str(doc, "DNSDomain"),
        id=endpoint_id,
        ifname=optional_str(doc, "InterfaceName"),
        remote=remote,
        provider_address=provider_address if remote else None,
        policies=policies,
    )


def endpoint_policies_from_document(doc: dict[str, Any], *, endpoint: str) -> tuple[tuple[PolicyRequest, ...], str | None]:
    """An endpoint document's `Policies`: requests for the ones hnsctl builds, the provider address (PA /
    ProviderAddress) apart, the ones without effect here skipped, and any other refused naming why."""
    requests = []
    provider_address = None
    for i, raw in enumerate(list_of_objects(doc, "Policies")):
        path = f"Policies[{i}]"
        policy = unwrap_cni_policy(raw)
        kind = str(policy.get("Type", "")).strip().lower()
        settings = policy.get("Settings") if isinstance(policy.get("Settings"), dict) else policy
        if kind in ("pa", "provideraddress"):
            value = settings.get("PA", settings.get("ProviderAddress"))
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"invalid JSON field {path}: a {policy.get('Type')} policy needs the provider address as a string",
                                   hns_name="HCN_E_INVALID_POLICY")
            provider_address = value
            continue
        if kind in ENDPOINT_POLICIES_WITHOUT_EFFECT or _hairpin_outbound_nat(kind, settings):
            continue
        if kind in ENDPOINT_POLICIES_REFUSED:
            raise InvalidInput(f"invalid JSON field {path}: policy type {policy.get('Type')!r} is not supported: {ENDPOINT_POLICIES_REFUSED[kind]}",
                               hns_name="HCN_E_INVALID_POLICY_TYPE")
        try:
            requests.append(policy_request_from_document(policy, type_hint=None, endpoint=endpoint))
        except InvalidInput as error:
            raise InvalidInput(f"{path}: {error.message}", hint=error.hint, hns_name=error.hns_name) from None
    return tuple(requests), provider_address


def _hairpin_outbound_nat(kind: str, settings: dict[str, Any]) -> bool:
    """CNI's loopbackDSR adds an OutBoundNAT whose Destinations is the endpoint's own address, so that it can
    reach itself through a DSR service; endpoint ports here are in hairpin mode, which does that already."""
    return kind == "outboundnat" and bool(settings.get("Destinations")) and not (settings.get("ExceptionList") or settings.get("Exceptions"))

