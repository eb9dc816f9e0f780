"""Model <-> plain dict for the TOML state files. Strict: a file that does not decode is corrupt, never guessed at.

Here: the record schema every kind shares (its version, the error, the field readers) and the flat records
whose fields map one to one (endpoints, namespaces, intents). Kinds with nested parts have their own
module: networks in networkcodec.py, policies in policycodec.py, load balancers in lbcodec.py.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.intent import Intent
    from hnsctl.models.namespace import Namespace


SCHEMA_VERSION = 1


class CodecError(ValueError):
    """The dict is not a valid record of this schema; the store adds the file path."""


def check_schema_version(record: dict[str, Any]) -> None:
    """A record written by a newer hnsctl is refused with a hint to upgrade, rather than half-read."""
    version = record.get("schema_version")
    if not isinstance(version, int):
        raise CodecError("missing or non-integer schema_version")
    if version > SCHEMA_VERSION:
        raise CodecError(f"schema_version {version} is newer than this hnsctl understands ({SCHEMA_VERSION}); upgrade hnsctl")
    if version < 1:
        raise CodecError(f"unknown schema_version {version}")


def str_list(record: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings; absent is empty (fields added later are absent from older records)."""
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CodecError(f"field {key!r} must be a list of strings")
    return tuple(value)


def non_negative_int(record: dict[str, Any], key: str) -> int:
    """A non-negative integer (booleans refused); absent is 0."""
    value = record.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CodecError(f"field {key!r} must be a non-negative integer")
    return value


def required_str(record: dict[str, Any], key: str) -> str:
    """A non-empty string that must be there: IDs, names, kinds."""
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
            id=required_str(record, "id"),
            name=required_str(record, "name"),
            network_id=required_str(record, "network_id"),
            ip=ipaddress.ip_address(required_str(record, "ip")),
            prefix_len=non_negative_int(record, "prefix_len"),
            mac=required_str(record, "mac"),
            gateway=ipaddress.ip_address(record["gateway"]) if record.get("gateway") else None,
            dns_servers=str_list(record, "dns_servers"),
            dns_suffix=str(record.get("dns_suffix", "")),
            ifname=required_str(record, "ifname"),
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
            id=required_str(record, "id"),
            name=required_str(record, "name"),
            compartment_id=non_negative_int(record, "compartment_id"),
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
            id=required_str(record, "id"),
            operation=required_str(record, "operation"),
            object_kind=required_str(record, "object_kind"),
            object_id=required_str(record, "object_id"),
            created_at=str(record.get("created_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"invalid intent record: {exc}") from exc

