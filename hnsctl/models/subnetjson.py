"""A network document's addressing: V1 `Subnets` / V2 `Ipams`, its DNS servers and suffix, and the VSID /
VLAN isolation IDs that subnet and network policies carry (they must agree wherever a document puts them).

Apart from networkjson.py because it is the part of a network document with its own nesting (Ipams,
Subnets, Routes, subnet Policies) and its own keys; it reads, it never prints (networkjson.py does).
"""

from __future__ import annotations

from typing import Any

from hnsctl.errors import InvalidInput
from hnsctl.models.hnsjson import list_of_objects, reject_unknown
from hnsctl.models.network import SubnetRequest

SUBNET_V1_KEYS = {"ID", "AddressPrefix", "GatewayAddress", "Policies", "IpSubnets", "Flags", "ObjectType", "State",
                  "AdditionalParams", "Health"}
SUBNET_V2_KEYS = {"ID", "Name", "IpAddressPrefix", "Policies", "Routes", "IpSubnets", "Flags", "AdditionalParams", "Health"}
ANY_SUBNET = ("0.0.0.0/0", "::/0")


class Isolation:
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


def v1_addressing(doc: dict[str, Any], isolation: Isolation) -> tuple[list[SubnetRequest], list[str], str]:
    """V1 `Subnets[]` (AddressPrefix, GatewayAddress), `DNSServerList` (a comma list) and `DNSSuffix`."""
    subnets: list[SubnetRequest] = []
    for i, entry in enumerate(list_of_objects(doc, "Subnets")):
        path = f"Subnets[{i}]"
        reject_unknown(entry, SUBNET_V1_KEYS, path=path + ".")
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


def v2_addressing(doc: dict[str, Any], isolation: Isolation) -> tuple[list[SubnetRequest], list[str], str]:
    """V2 `Ipams[].Subnets[]` (the gateway is the default route's NextHop) and `Dns` (ServerList, Domain or Search)."""
    subnets: list[SubnetRequest] = []
    for i, ipam in enumerate(list_of_objects(doc, "Ipams")):
        if str(ipam.get("Type", "Static")).lower() != "static":
            raise InvalidInput(
                f"invalid JSON field Ipams[{i}].Type {ipam.get('Type')!r}: only Static addressing is supported (hnsctl runs no DHCP)",
                hns_name="HCN_E_REQUEST_UNSUPPORTED",
            )
        for j, entry in enumerate(list_of_objects(ipam, "Subnets", path=f"Ipams[{i}].")):
            path = f"Ipams[{i}].Subnets[{j}]"
            reject_unknown(entry, SUBNET_V2_KEYS, path=path + ".")
            _subnet_policies(entry, path, isolation)
            prefix = entry.get("IpAddressPrefix")
            if not isinstance(prefix, str):
                raise InvalidInput(f"invalid JSON field {path}.IpAddressPrefix: expected a CIDR string", hns_name="HCN_E_INVALID_SUBNET")
            if prefix.strip() in ANY_SUBNET:
                continue
            gateway = None
            for route in list_of_objects(entry, "Routes", path=path + "."):
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


def _subnet_policies(subnet: dict[str, Any], path: str, isolation: Isolation) -> None:
    """A subnet's VSID / VLAN policies become the network's; anything else is refused with its path."""
    for k, policy in enumerate(list_of_objects(subnet, "Policies", path=path + ".")):
        if not isolation.take(policy, f"{path}.Policies[{k}]"):
            raise InvalidInput(
                f"invalid JSON field {path}.Policies[{k}]: subnet policy {policy.get('Type')!r} is not supported (VSID and VLAN are)",
                hns_name="HCN_E_INVALID_POLICY_TYPE",
            )
    flags = subnet.get("Flags") or 0
    if flags:
        raise InvalidInput(f"invalid JSON field {path}.Flags {flags}: subnet flags are not supported (the gateway address is always "
                           "reserved)", hns_name="HCN_E_INVALID_SUBNET")

