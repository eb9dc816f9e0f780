"""Policy <-> TOML record: one settings table per policy type. Strict, as every record (codec.py).

The policy model is imported inside the functions: commands that read only other kinds never load it."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from hnsctl.models.codec import (
    SCHEMA_VERSION,
    CodecError,
    check_schema_version,
    non_negative_int,
    required_str,
    str_list,
)

if TYPE_CHECKING:
    from hnsctl.models.policy import Policy


def policy_to_record(policy: Policy) -> dict[str, Any]:
    from hnsctl.models.policy import (
        Acl,
        HostRoute,
        OutboundNat,
        PortMapping,
        Qos,
        RemoteSubnetRoute,
    )

    settings: dict[str, Any]
    s = policy.settings
    if isinstance(s, PortMapping):
        settings = {"protocol": s.protocol, "internal_port": s.internal_port, "external_port": s.external_port}
        if s.vip is not None:
            settings["vip"] = str(s.vip)
    elif isinstance(s, OutboundNat):
        settings = {"exceptions": [str(p) for p in s.exceptions]}
        if s.vip is not None:
            settings["vip"] = str(s.vip)
    elif isinstance(s, Qos):
        settings = {"max_bandwidth": s.max_bandwidth}
    elif isinstance(s, Acl):
        settings = {
            "action": s.action,
            "direction": s.direction,
            "protocol": s.protocol or 0,
            "local_addresses": [str(a) for a in s.local_addresses],
            "remote_addresses": [str(a) for a in s.remote_addresses],
            "local_ports": [list(r) for r in s.local_ports],
            "remote_ports": [list(r) for r in s.remote_ports],
            "priority": s.priority,
        }
    elif isinstance(s, RemoteSubnetRoute):
        settings = {"destination": str(s.destination), "provider_address": str(s.provider_address), "dr_mac": s.dr_mac}
    elif isinstance(s, HostRoute):
        settings = {}
    else:
        settings = {"destination": str(s.destination), "encap": s.encap}
        if s.next_hop is not None:
            settings["next_hop"] = str(s.next_hop)
    return {
        **({"network_id": policy.network_id} if policy.network_id else {}),
        "schema_version": SCHEMA_VERSION,
        "id": policy.id,
        "endpoint_id": policy.endpoint_id,
        "type": policy.type.value,
        "sequence": policy.sequence,
        "created_at": policy.created_at,
        "settings": settings,
    }


def policy_from_record(record: dict[str, Any]) -> Policy:
    from hnsctl.models.policy import (
        Acl,
        HostRoute,
        OutboundNat,
        Policy,
        PolicyType,
        PortMapping,
        Qos,
        RemoteSubnetRoute,
        Route,
    )
    from hnsctl.models.policy import Settings as PolicySettings

    check_schema_version(record)
    try:
        kind = PolicyType(required_str(record, "type"))
        raw = record.get("settings")
        if not isinstance(raw, dict):
            raise CodecError("field 'settings' must be a table")
        settings: PolicySettings
        if kind is PolicyType.PORT_MAPPING:
            settings = PortMapping(
                protocol=str(raw["protocol"]),
                internal_port=non_negative_int(raw, "internal_port"),
                external_port=non_negative_int(raw, "external_port"),
                vip=ipaddress.ip_address(raw["vip"]) if raw.get("vip") else None,
            )
        elif kind is PolicyType.OUTBOUND_NAT:
            settings = OutboundNat(
                exceptions=tuple(ipaddress.ip_network(p) for p in str_list(raw, "exceptions")),
                vip=ipaddress.ip_address(raw["vip"]) if raw.get("vip") else None,
            )
        elif kind is PolicyType.QOS:
            settings = Qos(max_bandwidth=non_negative_int(raw, "max_bandwidth"))
        elif kind is PolicyType.ACL:
            settings = Acl(
                action=required_str(raw, "action"),
                direction=required_str(raw, "direction"),
                protocol=non_negative_int(raw, "protocol") or None,
                local_addresses=tuple(ipaddress.ip_network(a) for a in str_list(raw, "local_addresses")),
                remote_addresses=tuple(ipaddress.ip_network(a) for a in str_list(raw, "remote_addresses")),
                local_ports=tuple((int(a), int(b)) for a, b in raw.get("local_ports", [])),
                remote_ports=tuple((int(a), int(b)) for a, b in raw.get("remote_ports", [])),
                priority=non_negative_int(raw, "priority"),
            )
        elif kind is PolicyType.ROUTE:
            settings = Route(
                destination=ipaddress.ip_network(required_str(raw, "destination")),
                next_hop=ipaddress.ip_address(raw["next_hop"]) if raw.get("next_hop") else None,
                encap=bool(raw.get("encap", False)),
            )
        elif kind is PolicyType.REMOTE_SUBNET_ROUTE:
            settings = RemoteSubnetRoute(
                destination=ipaddress.ip_network(required_str(raw, "destination")),
                provider_address=ipaddress.ip_address(required_str(raw, "provider_address")),
                dr_mac=required_str(raw, "dr_mac"),
            )
        elif kind is PolicyType.HOST_ROUTE:
            settings = HostRoute()
        else:
            raise CodecError(f"policy type {kind.value} cannot be stored by this version")
        network_id = str(record.get("network_id", ""))
        return Policy(
            network_id=network_id,
            id=required_str(record, "id"),
            endpoint_id=str(record.get("endpoint_id", "")) if network_id else required_str(record, "endpoint_id"),
            type=kind,
            settings=settings,
            created_at=str(record.get("created_at", "")),
            sequence=non_negative_int(record, "sequence"),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"invalid policy record: {exc}") from exc

