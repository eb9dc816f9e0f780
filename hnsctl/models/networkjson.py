"""HNS JSON shapes of networks, out and in: V1 (`Get-HnsNetwork | ConvertTo-Json`) and HCN V2
`HostComputeNetwork`.

Input is lenient where HNS is (string or integer enums, V1 or V2 shape, the read-only fields that
`Get-HnsNetwork` prints, so that one host's output feeds another) and strict where a typo would silently
change the result (unknown keys). A document's subnets and DNS are read in subnetjson.py; the network
policies that are objects of their own (RemoteSubnetRoute, HostRoute) print through policyjson.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models.hnsjson import (
    V2_SCHEMA,
    is_v2_document,
    list_of_objects,
    optional_int,
    reject_unknown,
)
from hnsctl.models.network import Network, NetworkRequest
from hnsctl.models.policyjson import network_policy_settings
from hnsctl.models.subnetjson import Isolation, v1_addressing, v2_addressing

if TYPE_CHECKING:
    from hnsctl.models.policy import Policy, PolicyRequest


# Keys a V1 document may carry. Read-only ones (printed by Get-HnsNetwork, or derived by hnsctl) are
# accepted and ignored so that the output of one host can be fed to another.
V1_WRITABLE = {
    "ID", "Name", "Type", "Subnets", "DNSServerList", "DNSSuffix", "Policies", "Flags",
    "NetworkAdapterName", "SourceMac", "MacPools", "DNSServerCompartment", "ManagementIP",
    "AutomaticDNS", "IPv6", "AdditionalParams", "Extensions", "MaxConcurrentEndpoints",
    "OutboundNat", "OutboundNatExceptions", "SchemaVersion", "IsolateSwitch",
}
V1_READ_ONLY = {
    "ActivityId", "CurrentEndpointCount", "TotalEndpoints", "DrMacAddress", "DRMacAddress",
    "GatewayMac", "ExternalInterfaceConstraint", "Health", "LayeredOn", "NatName", "Resources", "State",
    "SwitchGuid", "SwitchName", "Version", "DNSDomain", "BridgeName", "CreatedAt", "MTU", "MovedAddresses",
    "MovedRoutes",
}
V2_KEYS = {
    "ID", "Name", "Type", "Policies", "MacPool", "Dns", "Ipams", "Flags", "Health", "SchemaVersion",
    "AdditionalParams", "Owner", "Version", "State", "Telemetry", "BridgeName", "CreatedAt",
    "MaxConcurrentEndpoints", "OutboundNat", "OutboundNatExceptions",  # hnsctl additions, as in V1
}

# Network policies that change nothing here: the DR MAC is derived from the network ID, endpoints get the
# DNS servers the network or endpoint names (AutomaticDNS), extensions are Hyper-V switch add-ons.
NETWORK_POLICIES_WITHOUT_EFFECT = {"drmacaddress", "automaticdns", "vswitchextension"}
NETWORK_POLICIES_REFUSED = {
    "interfaceconstraint": "interface constraints have no equivalent here; name the adapter with NetAdapterName",
    "sourcemacaddress": "the l2bridge MAC rewrite always uses the adapter's own MAC",
    "l4proxy": "L4 proxy redirection is not built",
    "setpolicy": "IP set policies are not built",
    "networkacl": "network-wide ACLs are not built; add ACL policies to the endpoints",
    "layerconstraint": "layered networks are not built",
    "neighbordiscovery": "neighbour discovery policies are not built",
}


def network_to_v1(network: Network, *, endpoint_count: int = 0, policies: tuple[Policy, ...] = ()) -> dict[str, Any]:
    """`Get-HnsNetwork | ConvertTo-Json`: Windows prints a V1 network's ID in upper case (V1 endpoints and V2
    documents print theirs in lower case), and scripts compare it as printed."""
    vsid = [{"Type": "VSID", "VSID": network.overlay.vsid}] if network.overlay else []
    schema = _printed_schema(network, v2=False)
    return {
        "ID": network.id.upper(),
        "Name": network.name,
        "Type": network.type.value,
        "Subnets": [
            {
                "AddressPrefix": str(s.prefix),
                "GatewayAddress": str(s.gateway) if s.gateway else "",
                "Policies": list(vsid),  # where Windows prints the VSID
            }
            for s in network.subnets
        ],
        "DNSServerList": ",".join(network.dns_servers),
        "DNSSuffix": network.dns_suffix,
        "Policies": [dict(p) for p in network.policies] + _v1_overlay_policies(network)
        + [{"Type": p.type.v2_name, **network_policy_settings(p.settings)} for p in policies],
        "Flags": network.flags,
        **({"SchemaVersion": schema} if schema else {}),
        "IPv6": any(s.prefix.version == 6 for s in network.subnets),
        "ManagementIP": _management_ip(network),
        "MacPools": [{"StartMacAddress": first, "EndMacAddress": last} for first, last in network.mac_pools],
        "MaxConcurrentEndpoints": network.max_endpoints,
        **({"NetworkAdapterName": network.overlay.adapter, "DrMacAddress": network.overlay.dr_mac,
            "DRMacAddress": network.overlay.dr_mac, "MTU": network.overlay.mtu} if network.overlay else {}),
        **({"NetworkAdapterName": network.uplink.adapter, "MovedAddresses": list(network.uplink.addresses),
            "MovedRoutes": list(network.uplink.routes)} if network.uplink else {}),
        **({"OutboundNat": True, "OutboundNatExceptions": list(network.uplink.outbound_nat_exceptions)}
           if network.uplink and network.uplink.outbound_nat else {}),
        "CurrentEndpointCount": endpoint_count,
        "State": 1,
        "BridgeName": network.bridge_name,
        "CreatedAt": network.created_at,
    }


def network_to_v2(network: Network, *, endpoint_count: int = 0, policies: tuple[Policy, ...] = ()) -> dict[str, Any]:
    subnets = []
    for s in network.subnets:
        routes = []
        if s.gateway is not None:
            default = "0.0.0.0/0" if s.prefix.version == 4 else "::/0"
            routes.append({"NextHop": str(s.gateway), "DestinationPrefix": default, "Metric": 0})
        subnet_policies = [{"Type": "VSID", "Settings": {"IsolationId": network.overlay.vsid}}] if network.overlay else []
        subnets.append({"IpAddressPrefix": str(s.prefix), "Routes": routes, "Policies": subnet_policies})
    dns: dict[str, Any] = {"ServerList": list(network.dns_servers)}
    if network.dns_suffix:
        dns["Domain"] = network.dns_suffix
        dns["Search"] = [network.dns_suffix]
    return {
        "ID": network.id,
        "Name": network.name,
        "Type": network.type.v2_name,
        "Flags": network.flags,
        "SchemaVersion": _printed_schema(network, v2=True),
        "Ipams": [{"Type": "Static", "Subnets": subnets}],
        "Dns": dns,
        "Policies": [dict(p) for p in network.policies] + _v2_overlay_policies(network)
        + ([{"Type": "NetAdapterName", "Settings": {"NetworkAdapterName": network.uplink.adapter}}] if network.uplink else [])
        + [{"Type": p.type.v2_name, "Settings": network_policy_settings(p.settings, vsid=network.overlay.vsid if network.overlay else None)}
           for p in policies],
        "MacPool": {"Ranges": [{"StartMacAddress": first, "EndMacAddress": last} for first, last in network.mac_pools]},
        # HCN has no field for these: printed under V1's names (hnsctl additions) so a V2 print loses nothing
        **({"MaxConcurrentEndpoints": network.max_endpoints} if network.max_endpoints else {}),
        **({"OutboundNat": True, "OutboundNatExceptions": list(network.uplink.outbound_nat_exceptions)}
           if network.uplink and network.uplink.outbound_nat else {}),
        "State": 1,
        "Health": {"Extra": {"Resources": {"EndpointCount": endpoint_count}}},
        "BridgeName": network.bridge_name,
        "CreatedAt": network.created_at,
    }


def _printed_schema(network: Network, *, v2: bool) -> dict[str, int] | None:
    """The SchemaVersion a print of this shape carries: the one of the document the network was made from when
    it belongs to the shape (Major 2 or more is V2's), else V2's default and none in V1 (as Get-HnsNetwork).

    A V2 print never says Major 1, nor a V1 print Major 2: the document would read back as the other shape."""
    given = network.hns_schema
    if given is not None and (given[0] >= 2) == v2:
        return {"Major": given[0], "Minor": given[1]}
    return dict(V2_SCHEMA) if v2 else None


def _management_ip(network: Network) -> str:
    """The host's own address on the network: provider address (overlay), the adapter's (transparent), the gateway."""
    if network.overlay:
        return network.overlay.provider_address
    if network.uplink:
        v4 = network.uplink.ipv4_interfaces
        return str(v4[0].ip) if v4 else ""
    return str(network.gateways[0]) if network.gateways else ""


def _v1_overlay_policies(network: Network) -> list[dict[str, Any]]:
    if network.overlay is None:
        return []
    o = network.overlay
    return [{"Type": "VSID", "VSID": o.vsid}, {"Type": "VxlanPort", "Port": o.vxlan_port}]


def _v2_overlay_policies(network: Network) -> list[dict[str, Any]]:
    if network.overlay is None:
        return []
    o = network.overlay
    return [
        {"Type": "NetAdapterName", "Settings": {"NetworkAdapterName": o.adapter}},
        {"Type": "ProviderAddress", "Settings": {"ProviderAddress": o.provider_address}},
        {"Type": "VxlanPort", "Settings": {"Port": o.vxlan_port}},
        {"Type": "DrMacAddress", "Settings": {"Address": o.dr_mac}},
    ]


def network_request_from_document(doc: dict[str, Any]) -> NetworkRequest:
    """Turn an HNS network document (V1 or V2 shape) into a request; field errors name the JSON path."""
    schema = _schema_version(doc)  # first: a bad one would otherwise pick the shape, and the error would name another key
    v2 = is_v2_document(doc)
    reject_unknown(doc, V2_KEYS if v2 else V1_WRITABLE | V1_READ_ONLY, path="")
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
    isolation = Isolation()
    if v2:
        subnets, dns_servers, dns_suffix = v2_addressing(doc, isolation)
    else:
        subnets, dns_servers, dns_suffix = v1_addressing(doc, isolation)
    policies = _network_policies(doc, isolation, v2=v2)
    adapter = policies.adapter or (doc.get("NetworkAdapterName") if not v2 else None)
    if adapter is not None and not isinstance(adapter, str):
        raise InvalidInput("invalid JSON field NetworkAdapterName: expected a string", hns_name="HCN_E_INVALID_JSON")
    max_endpoints = optional_int(doc, "MaxConcurrentEndpoints")
    if max_endpoints is not None and max_endpoints < 0:
        raise InvalidInput("invalid JSON field MaxConcurrentEndpoints: expected 0 (no limit) or more", hns_name="HCN_E_INVALID_JSON")
    outbound_nat = doc.get("OutboundNat", False)
    if not isinstance(outbound_nat, bool):
        raise InvalidInput("invalid JSON field OutboundNat: expected true or false", hns_name="HCN_E_INVALID_JSON")
    exceptions = doc.get("OutboundNatExceptions") or []
    if not isinstance(exceptions, list) or not all(isinstance(e, str) for e in exceptions):
        raise InvalidInput("invalid JSON field OutboundNatExceptions: expected a list of CIDRs", hns_name="HCN_E_INVALID_JSON")
    if not v2:
        _isolate_switch(doc)
    return NetworkRequest(
        name=name,
        type=str(type_value),
        subnets=tuple(subnets),
        dns_servers=tuple(dns_servers),
        dns_suffix=dns_suffix,
        flags=flags,
        id=doc_id,
        adapter=adapter or None,
        vsid=isolation.vsid,
        vlan=isolation.vlan,
        vxlan_port=policies.vxlan_port,
        provider_address=None if adapter else policies.provider_address,
        mac_pools=_mac_pools(doc, v2=v2),
        max_endpoints=max_endpoints or 0,
        network_policies=policies.requests,
        outbound_nat=outbound_nat,
        outbound_nat_exceptions=tuple(exceptions),
        hns_schema=schema,
    )


def _schema_version(doc: dict[str, Any]) -> tuple[int, int] | None:
    """The document's `SchemaVersion`, kept so that the network prints it back as given. `Minor` may be left
    out (HCN reads it as 0); anything but non-negative integers is refused: it would be printed back as is."""
    raw = doc.get("SchemaVersion")
    if raw is None:
        return None

    def version_number(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(raw, dict) or set(raw) - {"Major", "Minor"} or not version_number(raw.get("Major")) \
            or not version_number(raw.get("Minor", 0)):
        raise InvalidInput('invalid JSON field SchemaVersion: expected {"Major": n, "Minor": n} with non-negative integers, '
                           'e.g. {"Major": 2, "Minor": 0}', hns_name="HCN_E_INVALID_JSON")
    return raw["Major"], raw.get("Minor", 0)


def _isolate_switch(doc: dict[str, Any]) -> None:
    """V1 `IsolateSwitch`: `false` is what every network here is; `true` is refused, naming what is missing."""
    value = doc.get("IsolateSwitch", False)
    if not isinstance(value, bool):
        raise InvalidInput("invalid JSON field IsolateSwitch: expected true or false", hns_name="HCN_E_INVALID_JSON")
    if value:
        raise InvalidInput("invalid JSON field IsolateSwitch: isolating a network's switch from the host is not built",
                           hint="a private network is a switch the host has no address on: give Type private",
                           hns_name="HCN_E_REQUEST_UNSUPPORTED")


@dataclass
class _NetworkPolicies:
    adapter: str | None = None
    provider_address: str | None = None
    vxlan_port: int | None = None
    requests: tuple[PolicyRequest, ...] = ()


def _network_policies(doc: dict[str, Any], isolation: Isolation, *, v2: bool) -> _NetworkPolicies:
    """The network's `Policies`: the ones that are settings of the network, the ones that become network
    policies (RemoteSubnetRoute, HostRoute), the ones without effect here, and refusals naming why."""
    from hnsctl.models.policy import PolicyRequest

    found = _NetworkPolicies()
    requests = []
    for i, policy in enumerate(list_of_objects(doc, "Policies")):
        path = f"Policies[{i}]"
        if isolation.take(policy, path):
            continue
        kind = str(policy.get("Type", "")).strip().lower()
        settings = policy.get("Settings") if isinstance(policy.get("Settings"), dict) else policy
        if kind == "netadaptername":
            found.adapter = _setting_str(settings, "NetworkAdapterName", path)
        elif kind == "provideraddress":
            found.provider_address = _setting_str(settings, "ProviderAddress", path)
        elif kind == "vxlanport":
            port = settings.get("Port")
            if not isinstance(port, int) or isinstance(port, bool):
                raise InvalidInput(f"invalid JSON field {path}.Port: expected a port number", hns_name="HCN_E_INVALID_POLICY")
            found.vxlan_port = port
        elif kind in ("remotesubnetroute", "hostroute"):
            unknown = set(settings) - {"Type", "Settings", "ID", "DestinationPrefix", "IsolationId", "ProviderAddress",
                                       "DistributedRouterMacAddress"}
            if unknown:
                raise InvalidInput(f"invalid JSON field {path}.{min(unknown)}: not a field of a {policy.get('Type')} policy",
                                   hns_name="HCN_E_INVALID_JSON")
            requests.append(PolicyRequest(type=kind, endpoint="", destination=settings.get("DestinationPrefix"),
                                          provider_address=settings.get("ProviderAddress"),
                                          dr_mac=settings.get("DistributedRouterMacAddress"), isolation_id=settings.get("IsolationId")))
        elif kind in NETWORK_POLICIES_WITHOUT_EFFECT:
            continue
        elif kind in NETWORK_POLICIES_REFUSED:
            raise InvalidInput(f"invalid JSON field {path}: network policy {policy.get('Type')!r} is not supported: {NETWORK_POLICIES_REFUSED[kind]}",
                               hns_name="HCN_E_INVALID_POLICY_TYPE")
        else:
            raise InvalidInput(f"invalid JSON field {path}: {policy.get('Type')!r} is not a network policy type", hns_name="HCN_E_INVALID_POLICY_TYPE")
    found.requests = tuple(requests)
    return found


def _setting_str(settings: dict[str, Any], key: str, path: str) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"invalid JSON field {path}: expected {key} as a string", hns_name="HCN_E_INVALID_POLICY")
    return value


def _mac_pools(doc: dict[str, Any], *, v2: bool) -> tuple[tuple[str, str], ...]:
    """V1 `MacPools[]` / V2 `MacPool.Ranges[]`: where endpoint MACs come from."""
    if v2:
        pool = doc.get("MacPool") or {}
        if not isinstance(pool, dict):
            raise InvalidInput("invalid JSON field MacPool: expected an object with Ranges", hns_name="HCN_E_INVALID_JSON")
        ranges, path = list_of_objects(pool, "Ranges", path="MacPool."), "MacPool.Ranges"
    else:
        ranges, path = list_of_objects(doc, "MacPools"), "MacPools"
    pools = []
    for i, entry in enumerate(ranges):
        start, end = entry.get("StartMacAddress"), entry.get("EndMacAddress")
        if not isinstance(start, str) or not isinstance(end, str):
            raise InvalidInput(f"invalid JSON field {path}[{i}]: expected StartMacAddress and EndMacAddress", hns_name="HCN_E_INVALID_JSON")
        pools.append((start, end))
    return tuple(pools)

