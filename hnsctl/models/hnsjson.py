"""HNS-shaped JSON: V1 (`Get-HnsNetwork | ConvertTo-Json`) and HCN V2 documents, in and out.

Scripts ported from Windows read these field names, so they are a contract (docs/json.md).
Input is lenient where HNS is (string or integer enums, V1 or V2 shape, read-only fields that
`Get-HnsNetwork` prints) and strict where a typo would silently change the result (unknown keys).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models.network import Network, NetworkRequest, SubnetRequest

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint, EndpointRequest
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.policy import Policy, PolicyRequest

V2_SCHEMA = {"Major": 2, "Minor": 0}

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
SUBNET_V1_KEYS = {"ID", "AddressPrefix", "GatewayAddress", "Policies", "IpSubnets", "Flags", "ObjectType", "State",
                  "AdditionalParams", "Health"}
SUBNET_V2_KEYS = {"ID", "Name", "IpAddressPrefix", "Policies", "Routes", "IpSubnets", "Flags", "AdditionalParams", "Health"}


# ---------------------------------------------------------------- output

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
        + [{"Type": p.type.v2_name, **_network_policy_settings(p.settings)} for p in policies],
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
        + [{"Type": p.type.v2_name, "Settings": _network_policy_settings(p.settings, vsid=network.overlay.vsid if network.overlay else None)}
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


# ---------------------------------------------------------------- input

MAX_DEPTH = 32  # the deepest real HNS document is about 6 levels; deeper input would only strain the parsers


def _depth(value: Any) -> int:
    """Nesting depth, iteratively: a hostile document must not exhaust the stack here either."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_document(text: str, *, source: str) -> dict[str, Any]:
    """Parse a `--json` argument's contents; the error names the source (file or stdin)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"reading {source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hns_name="HCN_E_INVALID_JSON",
        ) from None
    except RecursionError:
        raise InvalidInput(f"reading {source}: the JSON is nested too deeply to be an HNS document",
                           hns_name="HCN_E_INVALID_JSON") from None
    if _depth(doc) > MAX_DEPTH:
        raise InvalidInput(f"reading {source}: the JSON is nested more than {MAX_DEPTH} levels deep; no HNS document is",
                           hns_name="HCN_E_INVALID_JSON")
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
    schema = _schema_version(doc)  # first: a bad one would otherwise pick the shape, and the error would name another key
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
    isolation = _Isolation()
    if v2:
        subnets, dns_servers, dns_suffix = _v2_addressing(doc, isolation)
    else:
        subnets, dns_servers, dns_suffix = _v1_addressing(doc, isolation)
    policies = _network_policies(doc, isolation, v2=v2)
    adapter = policies.adapter or (doc.get("NetworkAdapterName") if not v2 else None)
    if adapter is not None and not isinstance(adapter, str):
        raise InvalidInput("invalid JSON field NetworkAdapterName: expected a string", hns_name="HCN_E_INVALID_JSON")
    max_endpoints = _optional_int(doc, "MaxConcurrentEndpoints")
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


class _Isolation:
    """VSID and VLAN, wherever a document puts them (network or subnet policies); they must agree."""

    def __init__(self) -> None:
        self.vsid: int | None = None
        self.vlan: int | None = None

    def take(self, policy: dict[str, Any], path: str) -> bool:
        """True when `policy` was a VSID or VLAN policy (V1 `{"VSID": n}` or V2 `{"Settings": {"IsolationId": n}}`)."""
        kind = str(policy.get("Type", "")).strip().lower()
        if kind not in ("vsid", "vlan"):
            return False
        settings = policy.get("Settings") if isinstance(policy.get("Settings"), dict) else policy
        value = settings.get("IsolationId", settings.get(kind.upper()))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"invalid JSON field {path}: a {kind.upper()} policy needs an integer ID", hns_name="HCN_E_INVALID_POLICY")
        if kind == "vlan" and value in (0, 1):
            return True  # VLAN 1 is the untagged default Get-HnsNetwork prints on networks without a VLAN
        current = getattr(self, kind)
        if current is not None and current != value:
            raise InvalidInput(f"invalid JSON field {path}: {kind.upper()} {value} contradicts {kind.upper()} {current} given earlier "
                               "(one per network)", hns_name="HCN_E_INVALID_POLICY")
        setattr(self, kind, value)
        return True


@dataclass
class _NetworkPolicies:
    adapter: str | None = None
    provider_address: str | None = None
    vxlan_port: int | None = None
    requests: tuple[PolicyRequest, ...] = ()


def _network_policies(doc: dict[str, Any], isolation: _Isolation, *, v2: bool) -> _NetworkPolicies:
    """The network's `Policies`: the ones that are settings of the network, the ones that become network
    policies (RemoteSubnetRoute, HostRoute), the ones without effect here, and refusals naming why."""
    from hnsctl.models.policy import PolicyRequest

    found = _NetworkPolicies()
    requests = []
    for i, policy in enumerate(_list_of_objects(doc, "Policies")):
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
        ranges, path = _list_of_objects(pool, "Ranges", path="MacPool."), "MacPool.Ranges"
    else:
        ranges, path = _list_of_objects(doc, "MacPools"), "MacPools"
    pools = []
    for i, entry in enumerate(ranges):
        start, end = entry.get("StartMacAddress"), entry.get("EndMacAddress")
        if not isinstance(start, str) or not isinstance(end, str):
            raise InvalidInput(f"invalid JSON field {path}[{i}]: expected StartMacAddress and EndMacAddress", hns_name="HCN_E_INVALID_JSON")
        pools.append((start, end))
    return tuple(pools)


def _v1_addressing(doc: dict[str, Any], isolation: _Isolation) -> tuple[list[SubnetRequest], list[str], str]:
    subnets: list[SubnetRequest] = []
    for i, entry in enumerate(_list_of_objects(doc, "Subnets")):
        path = f"Subnets[{i}]"
        _reject_unknown(entry, SUBNET_V1_KEYS, path=path + ".")
        _subnet_policies(entry, path, isolation)
        prefix = entry.get("AddressPrefix")
        if not isinstance(prefix, str):
            raise InvalidInput(f"invalid JSON field {path}.AddressPrefix: expected a CIDR string", hns_name="HCN_E_INVALID_SUBNET")
        if prefix.strip() in ANY_SUBNET:
            continue  # Docker's way of saying "pick one"
        gateway = entry.get("GatewayAddress") or None
        subnets.append(SubnetRequest(prefix=prefix, gateway=gateway, field=f"{path}.AddressPrefix"))
    servers = doc.get("DNSServerList") or ""
    if not isinstance(servers, str):
        raise InvalidInput("invalid JSON field DNSServerList: expected a comma-separated string", hns_name="HCN_E_INVALID_JSON")
    suffix = doc.get("DNSSuffix") or ""
    if not isinstance(suffix, str):
        raise InvalidInput("invalid JSON field DNSSuffix: expected a string", hns_name="HCN_E_INVALID_JSON")
    return subnets, [s.strip() for s in servers.split(",") if s.strip()], suffix


ANY_SUBNET = ("0.0.0.0/0", "::/0")


def _v2_addressing(doc: dict[str, Any], isolation: _Isolation) -> tuple[list[SubnetRequest], list[str], str]:
    subnets: list[SubnetRequest] = []
    for i, ipam in enumerate(_list_of_objects(doc, "Ipams")):
        if str(ipam.get("Type", "Static")).lower() != "static":
            raise InvalidInput(
                f"invalid JSON field Ipams[{i}].Type {ipam.get('Type')!r}: only Static addressing is supported (hnsctl runs no DHCP)",
                hns_name="HCN_E_REQUEST_UNSUPPORTED",
            )
        for j, entry in enumerate(_list_of_objects(ipam, "Subnets", path=f"Ipams[{i}].")):
            path = f"Ipams[{i}].Subnets[{j}]"
            _reject_unknown(entry, SUBNET_V2_KEYS, path=path + ".")
            _subnet_policies(entry, path, isolation)
            prefix = entry.get("IpAddressPrefix")
            if not isinstance(prefix, str):
                raise InvalidInput(f"invalid JSON field {path}.IpAddressPrefix: expected a CIDR string", hns_name="HCN_E_INVALID_SUBNET")
            if prefix.strip() in ANY_SUBNET:
                continue
            gateway = None
            for route in _list_of_objects(entry, "Routes", path=path + "."):
                if route.get("DestinationPrefix") in ANY_SUBNET and route.get("NextHop"):
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


def _subnet_policies(subnet: dict[str, Any], path: str, isolation: _Isolation) -> None:
    """A subnet's VSID / VLAN policies become the network's; anything else is refused with its path."""
    for k, policy in enumerate(_list_of_objects(subnet, "Policies", path=path + ".")):
        if not isolation.take(policy, f"{path}.Policies[{k}]"):
            raise InvalidInput(
                f"invalid JSON field {path}.Policies[{k}]: subnet policy {policy.get('Type')!r} is not supported (VSID and VLAN are)",
                hns_name="HCN_E_INVALID_POLICY_TYPE",
            )
    flags = subnet.get("Flags") or 0
    if flags:
        raise InvalidInput(f"invalid JSON field {path}.Flags {flags}: subnet flags are not supported (the gateway address is always "
                           "reserved)", hns_name="HCN_E_INVALID_SUBNET")


def _list_of_objects(doc: dict[str, Any], key: str, *, path: str = "") -> list[dict[str, Any]]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected a list of objects", hns_name="HCN_E_INVALID_JSON")
    return value


def _reject_unknown(doc: dict[str, Any], known: set[str], *, path: str, kind: str = "network") -> None:
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(
            f"invalid JSON field {path}{unknown[0]}: not a field of an HNS {kind} document (check its spelling)",
            hns_name="HCN_E_INVALID_JSON",
        )


# ---------------------------------------------------------------- endpoints and namespaces

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
    _reject_unknown(doc, ENDPOINT_V2_KEYS if v2 else ENDPOINT_V1_KEYS, path="", kind="endpoint")
    name = _optional_str(doc, "Name") or ""
    endpoint_id = _optional_str(doc, "ID")
    if not name:
        # HCN endpoints are often nameless (callers know them by ID): give them a name from it
        from hnsctl.models import ids

        endpoint_id = endpoint_id or ids.new_id()
        name = "endpoint-" + ids.short_id(ids.normalize_id(endpoint_id))
    policies, provider_address = endpoint_policies_from_document(doc, endpoint=name)
    if v2:
        flags = _optional_int(doc, "Flags") or 0
        if flags & ~1:
            raise InvalidInput(f"invalid JSON field Flags {flags}: only RemoteEndpoint (1) is supported among the endpoint flags",
                               hns_name="HCN_E_INVALID_ENDPOINT")
        remote = bool(flags & 1)
        ip = prefix_len = None
        configs = _list_of_objects(doc, "IpConfigurations")
        if len(configs) > 1:
            raise InvalidInput("invalid JSON field IpConfigurations: one address per endpoint is supported (dual stack is not built yet)",
                               hns_name="HCN_E_INVALID_ENDPOINT")
        if configs:
            _reject_unknown(configs[0], {"IpAddress", "PrefixLength", "IpSubnetId"}, path="IpConfigurations[0].", kind="endpoint")
            ip = _optional_str(configs[0], "IpAddress", path="IpConfigurations[0].")
            prefix_len = _optional_int(configs[0], "PrefixLength", path="IpConfigurations[0].")
        # Routes given without a default route (what a gateway-less endpoint prints): no default route
        gateway = "0.0.0.0" if isinstance(doc.get("Routes"), list) and configs else None
        for route in _list_of_objects(doc, "Routes"):
            if route.get("DestinationPrefix") in ("0.0.0.0/0", "::/0") and route.get("NextHop"):
                gateway = str(route["NextHop"])
        dns = doc.get("Dns") or {}
        if not isinstance(dns, dict):
            raise InvalidInput("invalid JSON field Dns: expected an object", hns_name="HCN_E_INVALID_JSON")
        servers = tuple(str(s) for s in dns.get("ServerList") or [])
        suffix = dns.get("Domain") or ((dns.get("Search") or [None])[0])
        return EndpointRequest(
            name=name, network=_optional_str(doc, "HostComputeNetwork"), ip=ip, prefix_len=prefix_len,
            mac=_optional_str(doc, "MacAddress"), dns_servers=servers, dns_suffix=suffix, gateway=gateway,
            id=endpoint_id, ifname=_optional_str(doc, "InterfaceName"), remote=remote,
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
    servers_text = _optional_str(doc, "DNSServerList") or ""
    return EndpointRequest(
        name=name,
        network=_optional_str(doc, "VirtualNetwork") or _optional_str(doc, "VirtualNetworkName"),
        ip=_optional_str(doc, "IPAddress"),
        prefix_len=_optional_int(doc, "PrefixLength"),
        gateway=_optional_str(doc, "GatewayAddress"),
        mac=_optional_str(doc, "MacAddress"),
        dns_servers=tuple(s.strip() for s in servers_text.split(",") if s.strip()),
        dns_suffix=_optional_str(doc, "DNSSuffix") or _optional_str(doc, "DNSDomain"),
        id=endpoint_id,
        ifname=_optional_str(doc, "InterfaceName"),
        remote=remote,
        provider_address=provider_address if remote else None,
        policies=policies,
    )


def endpoint_policies_from_document(doc: dict[str, Any], *, endpoint: str) -> tuple[tuple[PolicyRequest, ...], str | None]:
    """An endpoint document's `Policies`: requests for the ones hnsctl builds, the provider address (PA /
    ProviderAddress) apart, the ones without effect here skipped, and any other refused naming why."""
    requests = []
    provider_address = None
    for i, raw in enumerate(_list_of_objects(doc, "Policies")):
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


def unwrap_modify_request(doc: dict[str, Any]) -> dict[str, Any]:
    """HCN modify documents carry policies as `{"Policies": [...]}`, possibly inside
    `{"ResourceType": "Policy", "RequestType": "Add", "Settings": {...}}`: one policy per command here."""
    if isinstance(doc.get("Settings"), dict) and "ResourceType" in doc:
        if str(doc.get("RequestType", "Add")).lower() not in ("add", "0"):
            raise InvalidInput(f"invalid JSON field RequestType {doc.get('RequestType')!r}: `policy add` adds; remove with `policy remove`",
                               hns_name="HCN_E_INVALID_JSON")
        doc = doc["Settings"]
    if set(doc) == {"Policies"} and isinstance(doc["Policies"], list):
        if len(doc["Policies"]) != 1 or not isinstance(doc["Policies"][0], dict):
            raise InvalidInput("invalid JSON field Policies: give one policy per `policy add`", hns_name="HCN_E_INVALID_JSON")
        return doc["Policies"][0]
    return doc


def unwrap_cni_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """CNI configs for Windows (win-bridge, win-overlay, WMCO, Azure) carry HNS policies as
    `{"Name": "EndpointPolicy", "Value": {…}}`; the HNS policy is the `Value`."""
    if set(policy) == {"Name", "Value"} and isinstance(policy.get("Value"), dict):
        return policy["Value"]
    return policy


def _optional_str(doc: dict[str, Any], key: str, *, path: str = "") -> str | None:
    value = doc.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected a string", hns_name="HCN_E_INVALID_JSON")
    return value


def _optional_int(doc: dict[str, Any], key: str, *, path: str = "") -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected an integer", hns_name="HCN_E_INVALID_JSON")
    return value


# ---------------------------------------------------------------- policies

def _acl_fields(s: Any) -> dict[str, Any]:
    from hnsctl.models.policy import ports_text

    return {
        "Action": s.action.capitalize(),
        "Direction": s.direction.capitalize(),
        "Protocols": str(s.protocol) if s.protocol else "",
        "LocalAddresses": ",".join(str(a) for a in s.local_addresses),
        "RemoteAddresses": ",".join(str(a) for a in s.remote_addresses),
        "LocalPorts": ports_text(s.local_ports),
        "RemotePorts": ports_text(s.remote_ports),
        "RuleType": "Switch",
        "Priority": s.priority,
    }


def policy_to_v1(policy: Policy) -> dict[str, Any]:
    from hnsctl.models.policy import (
        Acl,
        HostRoute,
        OutboundNat,
        PortMapping,
        Qos,
        RemoteSubnetRoute,
    )

    s = policy.settings
    body: dict[str, Any] = {"ID": policy.id, "Type": policy.type.v1_name}
    if isinstance(s, Acl):
        body.update(_acl_fields(s))
    elif isinstance(s, PortMapping):
        body.update(Protocol=s.protocol, InternalPort=s.internal_port, ExternalPort=s.external_port, VIP=str(s.vip) if s.vip else "")
    elif isinstance(s, OutboundNat):
        body.update(ExceptionList=[str(e) for e in s.exceptions], VIP=str(s.vip) if s.vip else "")
    elif isinstance(s, Qos):
        body.update(MaximumOutgoingBandwidthInBytes=s.max_bandwidth)
    elif isinstance(s, (RemoteSubnetRoute, HostRoute)):
        body.update(_network_policy_settings(s))
    else:
        body.update(DestinationPrefix=str(s.destination), NextHop=str(s.next_hop) if s.next_hop else "", NeedEncap=s.encap)
    return body


def _network_policy_settings(s: Any, *, vsid: int | None = None) -> dict[str, Any]:
    from hnsctl.models.policy import HostRoute

    if isinstance(s, HostRoute):
        return {}
    return {"DestinationPrefix": str(s.destination), **({"IsolationId": vsid} if vsid is not None else {}),
            "ProviderAddress": str(s.provider_address), "DistributedRouterMacAddress": s.dr_mac}


def policy_to_v2(policy: Policy) -> dict[str, Any]:
    from hnsctl.models.policy import (
        PROTOCOL_NUMBERS,
        Acl,
        HostRoute,
        OutboundNat,
        PortMapping,
        Qos,
        RemoteSubnetRoute,
    )

    s = policy.settings
    settings: dict[str, Any]
    if isinstance(s, Acl):
        settings = {"Id": policy.id, **_acl_fields(s)}
    elif isinstance(s, PortMapping):
        settings = {"Protocol": PROTOCOL_NUMBERS[s.protocol], "InternalPort": s.internal_port, "ExternalPort": s.external_port,
                    "VIP": str(s.vip) if s.vip else "", "Flags": 0}
    elif isinstance(s, OutboundNat):
        settings = {"VirtualIP": str(s.vip) if s.vip else "", "Exceptions": [str(e) for e in s.exceptions]}
    elif isinstance(s, Qos):
        settings = {"MaximumOutgoingBandwidthInBytes": s.max_bandwidth}
    elif isinstance(s, (RemoteSubnetRoute, HostRoute)):
        settings = _network_policy_settings(s)
    else:
        settings = {"DestinationPrefix": str(s.destination), "NextHop": str(s.next_hop) if s.next_hop else "", "NeedEncap": s.encap}
    return {"ID": policy.id, "Type": policy.type.v2_name, "Settings": settings}


POLICY_KEYS = {
    "ID", "Type", "Settings", "Protocol", "Protocols", "InternalPort", "ExternalPort", "ExternalPortReserved", "VIP",
    "VirtualIP", "Flags", "ExceptionList", "Exceptions", "MaximumOutgoingBandwidthInBytes", "DestinationPrefix",
    "NextHop", "NeedEncap", "Id", "Action", "Direction", "LocalAddresses", "RemoteAddresses", "LocalPorts",
    "RemotePorts", "LocalPort", "RemotePort", "RuleType", "Priority", "ServiceName", "Destinations", "MaxPortPoolUsage",
    "ProviderAddress", "IsolationId", "DistributedRouterMacAddress", "PA",
}


def policy_request_from_document(doc: dict[str, Any], *, type_hint: str | None, endpoint: str) -> PolicyRequest:
    """An HNS policy object, V1 flat (`{"Type": "NAT", "InternalPort": 80, …}`) or V2 (`{"Type", "Settings"}`)."""
    from hnsctl.models.policy import PolicyRequest, PolicyType

    doc = unwrap_cni_policy(unwrap_modify_request(doc))
    if not doc.get("Type") and type_hint is None:
        raise InvalidInput("invalid JSON field Type: a policy needs its type", hns_name="HCN_E_INVALID_POLICY_TYPE")
    kind = PolicyType.parse(str(doc.get("Type") or type_hint), field="JSON field Type")
    if type_hint is not None and kind is not PolicyType.parse(type_hint):
        raise InvalidInput(f"invalid JSON field Type {doc.get('Type')!r}: the command says {type_hint}", hns_name="HCN_E_INVALID_POLICY_TYPE")
    body = doc.get("Settings") if isinstance(doc.get("Settings"), dict) else doc
    _reject_unknown(doc, POLICY_KEYS, path="", kind="policy")
    if body is not doc:
        _reject_unknown(body, POLICY_KEYS, path="Settings.", kind="policy")
    if body.get("Destinations") and kind is PolicyType.OUTBOUND_NAT and not (body.get("ExceptionList") or body.get("Exceptions")):
        raise InvalidInput("invalid JSON field Destinations: an OutBoundNAT for listed destinations only (CNI loopbackDSR) is not built; "
                           "hairpin traffic already reaches the endpoint here", hns_name="HCN_E_INVALID_POLICY")
    if body.get("Destinations"):
        raise InvalidInput("invalid JSON field Destinations: OutBoundNAT limited to listed destinations is not built; "
                           "use Exceptions for what keeps the endpoint's address", hns_name="HCN_E_INVALID_POLICY")
    exceptions = body.get("ExceptionList") or body.get("Exceptions") or []
    if not isinstance(exceptions, list):
        raise InvalidInput("invalid JSON field ExceptionList: expected a list of CIDRs", hns_name="HCN_E_INVALID_POLICY")
    flags = body.get("Flags") or 0
    if isinstance(flags, int) and flags & 2:
        raise InvalidInput("invalid JSON field Flags: IPv6 port mappings and outbound NAT are not supported yet", hns_name="HCN_E_INVALID_POLICY")
    vip = body.get("VIP") or body.get("VirtualIP") or None
    if str(body.get("RuleType", "Switch")).lower() not in ("switch", ""):
        raise InvalidInput("invalid JSON field RuleType: only Switch ACLs (per endpoint) are supported", hns_name="HCN_E_INVALID_POLICY")
    protocol = body.get("Protocol") if body.get("Protocol") is not None else (body.get("Protocols") or None)
    if kind is PolicyType.ACL and isinstance(protocol, str) and "," in protocol:
        raise InvalidInput("invalid JSON field Protocols: one protocol per ACL is supported; add one ACL per protocol", hns_name="HCN_E_INVALID_POLICY")

    def text_list(*keys: str) -> tuple[str, ...]:
        values = [body.get(k) for k in keys if body.get(k) not in (None, "")]
        return tuple(str(v) for v in values)

    return PolicyRequest(
        type=kind.value,
        endpoint=endpoint,
        protocol=str(protocol) if protocol is not None else None,
        action=body.get("Action"),
        direction=body.get("Direction"),
        local_addresses=text_list("LocalAddresses"),
        remote_addresses=text_list("RemoteAddresses"),
        local_ports=text_list("LocalPorts", "LocalPort"),
        remote_ports=text_list("RemotePorts", "RemotePort"),
        priority=body.get("Priority"),
        internal_port=body.get("InternalPort"),
        external_port=body.get("ExternalPort"),
        vip=str(vip) if vip else None,
        exceptions=tuple(str(e) for e in exceptions),
        max_bandwidth=body.get("MaximumOutgoingBandwidthInBytes"),
        destination=body.get("DestinationPrefix"),
        next_hop=body.get("NextHop") or None,
        encap=bool(body.get("NeedEncap", False)),
        provider_address=body.get("ProviderAddress") or None,
        dr_mac=body.get("DistributedRouterMacAddress") or None,
    )
