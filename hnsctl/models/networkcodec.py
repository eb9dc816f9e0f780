"""Network <-> TOML record: subnets, the overlay (VXLAN) and uplink (adapter taken over) parts, and the
SchemaVersion of the document the network was made from. Strict, as every record (codec.py)."""

from __future__ import annotations

import ipaddress
from typing import Any

from hnsctl.models.codec import (
    SCHEMA_VERSION,
    CodecError,
    check_schema_version,
    non_negative_int,
    required_str,
    str_list,
)
from hnsctl.models.network import Network, NetworkType, Overlay, Subnet, Uplink


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
            id=required_str(record, "id"),
            name=required_str(record, "name"),
            type=NetworkType(required_str(record, "type")),
            subnets=subnets,
            dns_servers=str_list(record, "dns_servers"),
            dns_suffix=str(record.get("dns_suffix", "")),
            flags=non_negative_int(record, "flags"),
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
    return Uplink(adapter=required_str(raw, "adapter"), addresses=str_list(raw, "addresses"), routes=str_list(raw, "routes"),
                  mac=str(raw.get("mac", "")), outbound_nat=bool(raw.get("outbound_nat", False)),
                  outbound_nat_exceptions=str_list(raw, "outbound_nat_exceptions"), switch_owner=str(raw.get("switch_owner", "")))


def _overlay_from_record(raw: Any) -> Overlay | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CodecError("field 'overlay' must be a table")
    return Overlay(
        vsid=non_negative_int(raw, "vsid"),
        provider_address=required_str(raw, "provider_address"),
        adapter=str(raw.get("adapter", "")),
        vxlan_port=non_negative_int(raw, "vxlan_port"),
        mtu=non_negative_int(raw, "mtu"),
        dr_mac=str(raw.get("dr_mac", "")),
    )

