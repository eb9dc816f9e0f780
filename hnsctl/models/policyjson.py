"""HNS JSON shapes of policies, out and in: V1 flat objects (`{"Type": "NAT", "InternalPort": 80, …}`) and
HCN V2 `{"Type", "Settings"}`; endpoint policies, and the network policies (RemoteSubnetRoute, HostRoute)
that networks print among their `Policies`.

Input also unwraps what callers wrap a policy in: HCN modify requests (`policy add --json`) and CNI
`EndpointPolicy` objects (endpoint documents). The policy model loads only when a policy is read or printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models.hnsjson import reject_unknown

if TYPE_CHECKING:
    from hnsctl.models.policy import Policy, PolicyRequest


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
        body.update(network_policy_settings(s))
    else:
        body.update(DestinationPrefix=str(s.destination), NextHop=str(s.next_hop) if s.next_hop else "", NeedEncap=s.encap)
    return body


def network_policy_settings(s: Any, *, vsid: int | None = None) -> dict[str, Any]:
    """RemoteSubnetRoute / HostRoute settings, as networks print them in `Policies` and V1/V2 policy objects do."""
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
        settings = network_policy_settings(s)
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
    reject_unknown(doc, POLICY_KEYS, path="", kind="policy")
    if body is not doc:
        reject_unknown(body, POLICY_KEYS, path="Settings.", kind="policy")
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

