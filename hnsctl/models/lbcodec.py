"""Load balancer <-> TOML record: backends, frontend VIPs and port mappings. Strict, as every record (codec.py)."""

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
    from hnsctl.models.loadbalancer import LoadBalancer


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
            id=required_str(record, "id"),
            backends=str_list(record, "backends"),
            port_mappings=tuple(
                LbPortMapping(
                    protocol=required_str(m, "protocol"),
                    internal_port=non_negative_int(m, "internal_port"),
                    external_port=non_negative_int(m, "external_port"),
                    distribution=Distribution(non_negative_int(m, "distribution")),
                    flags=non_negative_int(m, "flags"),
                )
                for m in mappings
            ),
            frontend_vips=tuple(ipaddress.ip_address(v) for v in str_list(record, "frontend_vips")),
            source_vip=ipaddress.ip_address(record["source_vip"]) if record.get("source_vip") else None,
            flags=non_negative_int(record, "flags"),
            network_id=str(record.get("network_id", "")),
            created_at=str(record.get("created_at", "")),
            sequence=non_negative_int(record, "sequence"),
        )
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise CodecError(f"invalid load balancer record: {exc}") from exc

