"""Model <-> plain dict for the TOML state files. Strict: a file that does not decode is corrupt, never guessed at."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from hnsctl.models.network import Network, NetworkType, Overlay, Subnet, Uplink

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.intent import Intent
    from hnsctl.models.loadbalancer import LoadBalancer
    from hnsctl.models.namespace import Namespace
    from hnsctl.models.policy import Policy

SCHEMA_VERSION = 1


class CodecError(ValueError):
    """The dict is not a valid record of this schema; the store adds the file path."""


def network_to_record(network: Network) -> dict[str, Any]:
    subnets = []
    for subnet in network.subnets:
        entry: dict[str, Any] = {"prefix": str(subnet.prefix)}
        if subnet.gateway is not None:
            entry["gateway"] = str(subnet.gateway)
        subnets.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "id": network.id,
        "name": network.name,
        "type": network.type.value,
        "flags": network.flags,
        "dns_servers": list(network.dns_servers),
        "dns_suffix": network.dns_suffix,
        "created_at": network.created_at,
        "subnets": subnets,
        **({"overlay": {"vsid": network.overlay.vsid, "provider_address": network.overlay.provider_address,
                        "adapter": network.overlay.adapter, "vxlan_port": network.overlay.vxlan_port,
                        "mtu": network.overlay.mtu, "dr_mac": network.overlay.dr_mac}} if network.overlay else {}),
        **({"uplink": {"adapter": network.uplink.adapter, "addresses": list(network.uplink.addresses),
                       "routes": list(network.uplink.routes), "mac": network.uplink.mac,
                       "outbound_nat": network.uplink.outbound_nat,
                       "outbound_nat_exceptions": list(network.uplink.outbound_nat_exceptions),
                       **({"switch_owner": network.uplink.switch_owner} if network.uplink.switch_owner else {})}}
           if network.uplink else {}),
        **({"mac_pools": [[first, last] for first, last in network.mac_pools]} if network.mac_pools else {}),
        **({"max_endpoints": network.max_endpoints} if network.max_endpoints else {}),
        **({"hns_schema": list(network.hns_schema)} if network.hns_schema is not None else {}),
    }


def check_schema_version(record: dict[str, Any]) -> None:
    version = record.get("schema_version")
    if not isinstance(version, int):
        raise CodecError("missing or non-integer schema_version")
    if version > SCHEMA_VERSION:
        raise CodecError(f"schema_version {version} is newer than this hnsctl understands ({SCHEMA_VERSION}); upgrade hnsctl")
    if version < 1:
        raise CodecError(f"unknown schema_version {version}")


def network_from_record(record: dict[str, Any]) -> Network:
    check_schema_version(record)
    try:
        subnets = tuple(
            Subnet(
                prefix=ipaddress.ip_network(entry["prefix"]),
                gateway=ipaddress.ip_address(entry["gateway"]) if entry.get("gateway") else None,
            )
            for entry in record.get("subnets", [])
        )
        return Network(
            id=_str(record, "id"),
            name=_str(record, "name"),
            type=NetworkType(_str(record, "type")),
            subnets=subnets,
            dns_servers=_str_list(record, "dns_servers"),
            dns_suffix=str(record.get("dns_suffix", "")),
            flags=_non_negative_int(record, "flags"),
            created_at=str(record.get("created_at", "")),
            overlay=_overlay_from_record(record.get("overlay")),
            uplink=_uplink_from_record(record.get("uplink")),
            mac_pools=tuple((str(first), str(last)) for first, last in record.get("mac_pools", [])),
            max_endpoints=int(record.get("max_endpoints", 0)),
            hns_schema=_hns_schema_from_record(record.get("hns_schema")),
        )
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise CodecError(f"invalid network record: {exc}") from exc


def _hns_schema_from_record(raw: Any) -> tuple[int, int] | None:
    """The document's SchemaVersion as `[major, minor]`; absent in records of networks made from flags (and of
    every network recorded before the field existed), which print the default SchemaVersion."""
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in raw)):
        raise CodecError("field 'hns_schema' must be [major, minor], two non-negative integers")
    return raw[0], raw[1]


def _uplink_from_record(raw: Any) -> Uplink | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CodecError("field 'uplink' must be a table")
    return Uplink(adapter=_str(raw, "adapter"), addresses=_str_list(raw, "addresses"), routes=_str_list(raw, "routes"),
                  mac=str(raw.get("mac", "")), outbound_nat=bool(raw.get("outbound_nat", False)),
                  outbound_nat_exceptions=_str_list(raw, "outbound_nat_exceptions"), switch_owner=str(raw.get("switch_owner", "")))


def _overlay_from_record(raw: Any) -> Overlay | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CodecError("field 'overlay' must be a table")
    return Overlay(
        vsid=_non_negative_int(raw, "vsid"),
        provider_address=_str(raw, "provider_address"),
        adapter=str(raw.get("adapter", "")),
        vxlan_port=_non_negative_int(raw, "vxlan_port"),
        mtu=_non_negative_int(raw, "mtu"),
        dr_mac=str(raw.get("dr_mac", "")),
    )


def _str_list(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodecError(f"field {key!r} must be a list of strings")
    return tuple(value)


def _non_negative_int(record: dict[str, Any], key: str) -> int:
    value = record.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CodecError(f"field {key!r} must be a non-negative integer")
    return value


def _str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise CodecError(f"field {key!r} must be a non-empty string")
    return value


def endpoint_to_record(endpoint: Endpoint) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": endpoint.id,
        "name": endpoint.name,
        "network_id": endpoint.network_id,
        "ip": str(endpoint.ip),
        "prefix_len": endpoint.prefix_len,
        "mac": endpoint.mac,
        "dns_servers": list(endpoint.dns_servers),
        "dns_suffix": endpoint.dns_suffix,
        "ifname": endpoint.ifname,
        "state": int(endpoint.state),
        "host_attached": endpoint.host_attached,
        "created_at": endpoint.created_at,
    }
    if endpoint.gateway is not None:
        record["gateway"] = str(endpoint.gateway)
    if endpoint.namespace_id is not None:
        record["namespace_id"] = endpoint.namespace_id
    if endpoint.provider_address:
        record["provider_address"] = endpoint.provider_address
    if endpoint.on_other_host:
        record["remote"] = True
    return record


def endpoint_from_record(record: dict[str, Any]) -> Endpoint:
    from hnsctl.models.endpoint import (  # each kind's model loads only when used
        Endpoint,
        EndpointState,
    )

    check_schema_version(record)
    try:
        return Endpoint(
            id=_str(record, "id"),
            name=_str(record, "name"),
            network_id=_str(record, "network_id"),
            ip=ipaddress.ip_address(_str(record, "ip")),
            prefix_len=_non_negative_int(record, "prefix_len"),
            mac=_str(record, "mac"),
            gateway=ipaddress.ip_address(record["gateway"]) if record.get("gateway") else None,
            dns_servers=_str_list(record, "dns_servers"),
            dns_suffix=str(record.get("dns_suffix", "")),
            ifname=_str(record, "ifname"),
            state=EndpointState(int(record["state"])),
            namespace_id=record.get("namespace_id") or None,
            host_attached=bool(record.get("host_attached", False)),
            created_at=str(record.get("created_at", "")),
            provider_address=str(record.get("provider_address", "")),
            on_other_host=record.get("remote") is True,
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"invalid endpoint record: {exc}") from exc


def namespace_to_record(namespace: Namespace) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": namespace.id,
        "name": namespace.name,
        "compartment_id": namespace.compartment_id,
        "owned": namespace.owned,
        "created_at": namespace.created_at,
    }


def namespace_from_record(record: dict[str, Any]) -> Namespace:
    from hnsctl.models.namespace import Namespace

    check_schema_version(record)
    try:
        return Namespace(
            id=_str(record, "id"),
            name=_str(record, "name"),
            compartment_id=_non_negative_int(record, "compartment_id"),
            owned=bool(record.get("owned", True)),
            created_at=str(record.get("created_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"invalid namespace record: {exc}") from exc


def intent_to_record(intent: Intent) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": intent.id,
        "operation": intent.operation,
        "object_kind": intent.object_kind,
        "object_id": intent.object_id,
        "created_at": intent.created_at,
    }


def intent_from_record(record: dict[str, Any]) -> Intent:
    from hnsctl.models.intent import Intent

    check_schema_version(record)
    try:
        return Intent(
            id=_str(record, "id"),
            operation=_str(record, "operation"),
            object_kind=_str(record, "object_kind"),
            object_id=_str(record, "object_id"),
            created_at=str(record.get("created_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"invalid intent record: {exc}") from exc


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
        kind = PolicyType(_str(record, "type"))
        raw = record.get("settings")
        if not isinstance(raw, dict):
            raise CodecError("field 'settings' must be a table")
        settings: PolicySettings
        if kind is PolicyType.PORT_MAPPING:
            settings = PortMapping(
                protocol=str(raw["protocol"]),
                internal_port=_non_negative_int(raw, "internal_port"),
                external_port=_non_negative_int(raw, "external_port"),
                vip=ipaddress.ip_address(raw["vip"]) if raw.get("vip") else None,
            )
        elif kind is PolicyType.OUTBOUND_NAT:
            settings = OutboundNat(
                exceptions=tuple(ipaddress.ip_network(p) for p in _str_list(raw, "exceptions")),
                vip=ipaddress.ip_address(raw["vip"]) if raw.get("vip") else None,
            )
        elif kind is PolicyType.QOS:
            settings = Qos(max_bandwidth=_non_negative_int(raw, "max_bandwidth"))
        elif kind is PolicyType.ACL:
            settings = Acl(
                action=_str(raw, "action"),
                direction=_str(raw, "direction"),
                protocol=_non_negative_int(raw, "protocol") or None,
                local_addresses=tuple(ipaddress.ip_network(a) for a in _str_list(raw, "local_addresses")),
                remote_addresses=tuple(ipaddress.ip_network(a) for a in _str_list(raw, "remote_addresses")),
                local_ports=tuple((int(a), int(b)) for a, b in raw.get("local_ports", [])),
                remote_ports=tuple((int(a), int(b)) for a, b in raw.get("remote_ports", [])),
                priority=_non_negative_int(raw, "priority"),
            )
        elif kind is PolicyType.ROUTE:
            settings = Route(
                destination=ipaddress.ip_network(_str(raw, "destination")),
                next_hop=ipaddress.ip_address(raw["next_hop"]) if raw.get("next_hop") else None,
                encap=bool(raw.get("encap", False)),
            )
        elif kind is PolicyType.REMOTE_SUBNET_ROUTE:
            settings = RemoteSubnetRoute(
                destination=ipaddress.ip_network(_str(raw, "destination")),
                provider_address=ipaddress.ip_address(_str(raw, "provider_address")),
                dr_mac=_str(raw, "dr_mac"),
            )
        elif kind is PolicyType.HOST_ROUTE:
            settings = HostRoute()
        else:
            raise CodecError(f"policy type {kind.value} cannot be stored by this version")
        network_id = str(record.get("network_id", ""))
        return Policy(
            network_id=network_id,
            id=_str(record, "id"),
            endpoint_id=str(record.get("endpoint_id", "")) if network_id else _str(record, "endpoint_id"),
            type=kind,
            settings=settings,
            created_at=str(record.get("created_at", "")),
            sequence=_non_negative_int(record, "sequence"),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"invalid policy record: {exc}") from exc


def loadbalancer_to_record(lb: LoadBalancer) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "id": lb.id,
        "network_id": lb.network_id,
        "backends": list(lb.backends),
        "frontend_vips": [str(v) for v in lb.frontend_vips],
        "source_vip": str(lb.source_vip) if lb.source_vip else "",
        "flags": lb.flags,
        "sequence": lb.sequence,
        "created_at": lb.created_at,
        "port_mappings": [
            {"protocol": m.protocol, "internal_port": m.internal_port, "external_port": m.external_port,
             "distribution": int(m.distribution), "flags": m.flags}
            for m in lb.port_mappings
        ],
    }


def loadbalancer_from_record(record: dict[str, Any]) -> LoadBalancer:
    from hnsctl.models.loadbalancer import Distribution, LbPortMapping, LoadBalancer

    check_schema_version(record)
    try:
        mappings = record.get("port_mappings")
        if not isinstance(mappings, list) or not mappings:
            raise CodecError("field 'port_mappings' must be a non-empty array")
        return LoadBalancer(
            id=_str(record, "id"),
            backends=_str_list(record, "backends"),
            port_mappings=tuple(
                LbPortMapping(
                    protocol=_str(m, "protocol"),
                    internal_port=_non_negative_int(m, "internal_port"),
                    external_port=_non_negative_int(m, "external_port"),
                    distribution=Distribution(_non_negative_int(m, "distribution")),
                    flags=_non_negative_int(m, "flags"),
                )
                for m in mappings
            ),
            frontend_vips=tuple(ipaddress.ip_address(v) for v in _str_list(record, "frontend_vips")),
            source_vip=ipaddress.ip_address(record["source_vip"]) if record.get("source_vip") else None,
            flags=_non_negative_int(record, "flags"),
            network_id=str(record.get("network_id", "")),
            created_at=str(record.get("created_at", "")),
            sequence=_non_negative_int(record, "sequence"),
        )
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise CodecError(f"invalid load balancer record: {exc}") from exc
