"""Model <-> plain dict for the TOML state files. Strict: a file that does not decode is corrupt, never guessed at."""

from __future__ import annotations

import ipaddress
from typing import Any

from hnsctl.models.network import Network, NetworkType, Subnet

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
            dns_servers=tuple(str(s) for s in record.get("dns_servers", [])),
            dns_suffix=str(record.get("dns_suffix", "")),
            flags=int(record.get("flags", 0)),
            created_at=str(record.get("created_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"invalid network record: {exc}") from exc


def _str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise CodecError(f"field {key!r} must be a non-empty string")
    return value
