"""HNS-shaped JSON: V1 (`Get-HnsNetwork | ConvertTo-Json`) and HCN V2 documents, in and out.

Scripts ported from Windows read these field names, so they are a contract (docs/json.md).
Input is lenient where HNS is (string or integer enums, V1 or V2 shape, read-only fields that
`Get-HnsNetwork` prints) and strict where a typo would silently change the result (unknown keys).
"""

from __future__ import annotations

import json
from typing import Any

from hnsctl.errors import InvalidInput
from hnsctl.models.network import Network, NetworkRequest, SubnetRequest

V2_SCHEMA = {"Major": 2, "Minor": 0}

# Keys a V1 document may carry. Read-only ones (printed by Get-HnsNetwork) are accepted and ignored
# so that the output of one host can be fed to another.
V1_WRITABLE = {
    "ID", "Name", "Type", "Subnets", "DNSServerList", "DNSSuffix", "Policies", "Flags",
    "NetworkAdapterName", "SourceMac", "MacPools", "DNSServerCompartment", "ManagementIP",
    "AutomaticDNS", "IPv6", "AdditionalParams", "Extensions",
}
V1_READ_ONLY = {
    "ActivityId", "CurrentEndpointCount", "TotalEndpoints", "MaxConcurrentEndpoints", "DrMacAddress",
    "GatewayMac", "ExternalInterfaceConstraint", "Health", "LayeredOn", "NatName", "Resources", "State",
    "SwitchGuid", "Version", "DNSDomain", "BridgeName", "CreatedAt",
}
V2_KEYS = {
    "ID", "Name", "Type", "Policies", "MacPool", "Dns", "Ipams", "Flags", "Health", "SchemaVersion",
    "AdditionalParams", "Owner", "Version", "State", "Telemetry", "BridgeName", "CreatedAt",
}
SUBNET_V1_KEYS = {"ID", "AddressPrefix", "GatewayAddress", "Policies", "IpSubnets", "Flags", "ObjectType", "State"}
SUBNET_V2_KEYS = {"ID", "Name", "IpAddressPrefix", "Policies", "Routes", "IpSubnets", "Flags"}


# ---------------------------------------------------------------- output

def network_to_v1(network: Network, *, endpoint_count: int = 0) -> dict[str, Any]:
    return {
        "ID": network.id,
        "Name": network.name,
        "Type": network.type.value,
        "Subnets": [
            {
                "AddressPrefix": str(s.prefix),
                "GatewayAddress": str(s.gateway) if s.gateway else "",
                "Policies": [],
            }
            for s in network.subnets
        ],
        "DNSServerList": ",".join(network.dns_servers),
        "DNSSuffix": network.dns_suffix,
        "Policies": [dict(p) for p in network.policies],
        "Flags": network.flags,
        "IPv6": any(s.prefix.version == 6 for s in network.subnets),
        "ManagementIP": str(network.gateways[0]) if network.gateways else "",
        "CurrentEndpointCount": endpoint_count,
        "State": 1,
        "BridgeName": network.bridge_name,
        "CreatedAt": network.created_at,
    }


def network_to_v2(network: Network, *, endpoint_count: int = 0) -> dict[str, Any]:
    subnets = []
    for s in network.subnets:
        routes = []
        if s.gateway is not None:
            default = "0.0.0.0/0" if s.prefix.version == 4 else "::/0"
            routes.append({"NextHop": str(s.gateway), "DestinationPrefix": default, "Metric": 0})
        subnets.append({"IpAddressPrefix": str(s.prefix), "Routes": routes, "Policies": []})
    dns: dict[str, Any] = {"ServerList": list(network.dns_servers)}
    if network.dns_suffix:
        dns["Domain"] = network.dns_suffix
        dns["Search"] = [network.dns_suffix]
    return {
        "ID": network.id,
        "Name": network.name,
        "Type": network.type.v2_name,
        "Flags": network.flags,
        "SchemaVersion": dict(V2_SCHEMA),
        "Ipams": [{"Type": "Static", "Subnets": subnets}],
        "Dns": dns,
        "Policies": [dict(p) for p in network.policies],
        "State": 1,
        "Health": {"Extra": {"Resources": {"EndpointCount": endpoint_count}}},
        "BridgeName": network.bridge_name,
        "CreatedAt": network.created_at,
    }


# ---------------------------------------------------------------- input

def load_document(text: str, *, source: str) -> dict[str, Any]:
    """Parse a `--json` argument's contents; the error names the source (file or stdin)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"reading {source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hns_name="HCN_E_INVALID_JSON",
        ) from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"reading {source}: expected a JSON object, got {type(doc).__name__}", hns_name="HCN_E_INVALID_JSON")
    return doc


def is_v2_document(doc: dict[str, Any]) -> bool:
    schema = doc.get("SchemaVersion")
    if isinstance(schema, dict) and isinstance(schema.get("Major"), int):
        return bool(schema["Major"] >= 2)
    return "Ipams" in doc or "Dns" in doc or "MacPool" in doc


def network_request_from_document(doc: dict[str, Any]) -> NetworkRequest:
    """Turn an HNS network document (V1 or V2 shape) into a request; field errors name the JSON path."""
    v2 = is_v2_document(doc)
    _reject_unknown(doc, V2_KEYS if v2 else V1_WRITABLE | V1_READ_ONLY, path="")
    name = doc.get("Name", "")
    if not isinstance(name, str):
        raise InvalidInput("invalid JSON field Name: expected a string", hns_name="HCN_E_INVALID_JSON")
    doc_id = doc.get("ID")
    if doc_id is not None and not isinstance(doc_id, str):
        raise InvalidInput("invalid JSON field ID: expected a GUID string", hns_name="HCN_E_INVALID_JSON")
    type_value = doc.get("Type", "nat")
    if not isinstance(type_value, (str, int)) or isinstance(type_value, bool):
        raise InvalidInput("invalid JSON field Type: expected a network type name", hns_name="HCN_E_INVALID_NETWORK_TYPE")
    flags = doc.get("Flags", 0)
    if not isinstance(flags, int) or isinstance(flags, bool) or flags < 0:
        raise InvalidInput("invalid JSON field Flags: expected a non-negative integer", hns_name="HCN_E_INVALID_JSON")
    policies = doc.get("Policies") or []
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise InvalidInput("invalid JSON field Policies: expected a list of objects", hns_name="HCN_E_INVALID_JSON")

    if v2:
        subnets, dns_servers, dns_suffix = _v2_addressing(doc)
    else:
        subnets, dns_servers, dns_suffix = _v1_addressing(doc)
    adapter = doc.get("NetworkAdapterName") if not v2 else None
    return NetworkRequest(
        name=name,
        type=str(type_value),
        subnets=tuple(subnets),
        dns_servers=tuple(dns_servers),
        dns_suffix=dns_suffix,
        flags=flags,
        id=doc_id,
        policies=tuple(policies),
        adapter=adapter if isinstance(adapter, str) and adapter else None,
    )


def _v1_addressing(doc: dict[str, Any]) -> tuple[list[SubnetRequest], list[str], str]:
    subnets: list[SubnetRequest] = []
    for i, entry in enumerate(_list_of_objects(doc, "Subnets")):
        path = f"Subnets[{i}]"
        _reject_unknown(entry, SUBNET_V1_KEYS, path=path + ".")
        prefix = entry.get("AddressPrefix")
        if not isinstance(prefix, str):
            raise InvalidInput(f"invalid JSON field {path}.AddressPrefix: expected a CIDR string", hns_name="HCN_E_INVALID_SUBNET")
        gateway = entry.get("GatewayAddress") or None
        subnets.append(SubnetRequest(prefix=prefix, gateway=gateway, field=f"{path}.AddressPrefix"))
    servers = doc.get("DNSServerList") or ""
    if not isinstance(servers, str):
        raise InvalidInput("invalid JSON field DNSServerList: expected a comma-separated string", hns_name="HCN_E_INVALID_JSON")
    suffix = doc.get("DNSSuffix") or ""
    if not isinstance(suffix, str):
        raise InvalidInput("invalid JSON field DNSSuffix: expected a string", hns_name="HCN_E_INVALID_JSON")
    return subnets, [s for s in servers.split(",") if s.strip()], suffix


def _v2_addressing(doc: dict[str, Any]) -> tuple[list[SubnetRequest], list[str], str]:
    subnets: list[SubnetRequest] = []
    for i, ipam in enumerate(_list_of_objects(doc, "Ipams")):
        for j, entry in enumerate(_list_of_objects(ipam, "Subnets", path=f"Ipams[{i}].")):
            path = f"Ipams[{i}].Subnets[{j}]"
            _reject_unknown(entry, SUBNET_V2_KEYS, path=path + ".")
            prefix = entry.get("IpAddressPrefix")
            if not isinstance(prefix, str):
                raise InvalidInput(f"invalid JSON field {path}.IpAddressPrefix: expected a CIDR string", hns_name="HCN_E_INVALID_SUBNET")
            gateway = None
            for route in _list_of_objects(entry, "Routes", path=path + "."):
                if route.get("DestinationPrefix") in ("0.0.0.0/0", "::/0") and route.get("NextHop"):
                    gateway = str(route["NextHop"])
            subnets.append(SubnetRequest(prefix=prefix, gateway=gateway, field=f"{path}.IpAddressPrefix"))
    dns = doc.get("Dns") or {}
    if not isinstance(dns, dict):
        raise InvalidInput("invalid JSON field Dns: expected an object", hns_name="HCN_E_INVALID_JSON")
    servers = dns.get("ServerList") or []
    if not isinstance(servers, list):
        raise InvalidInput("invalid JSON field Dns.ServerList: expected a list of addresses", hns_name="HCN_E_INVALID_JSON")
    suffix = dns.get("Domain") or ""
    if not suffix and isinstance(dns.get("Search"), list) and dns["Search"]:
        suffix = dns["Search"][0]
    return subnets, [str(s) for s in servers], str(suffix)


def _list_of_objects(doc: dict[str, Any], key: str, *, path: str = "") -> list[dict[str, Any]]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected a list of objects", hns_name="HCN_E_INVALID_JSON")
    return value


def _reject_unknown(doc: dict[str, Any], known: set[str], *, path: str) -> None:
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(
            f"invalid JSON field {path}{unknown[0]}: not a field of an HNS network document (check its spelling)",
            hns_name="HCN_E_INVALID_JSON",
        )
