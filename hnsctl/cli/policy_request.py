"""Policy requests from command-line flags, shared by `policy add` and `endpoint create --port-mapping`.

Kept apart from both command groups so neither has to import the other.
"""

from __future__ import annotations

from typing import Any, Optional

from hnsctl.cli.common import read_json_argument
from hnsctl.errors import InvalidInput


def policy_request(kind: str, endpoint: str, *, protocol: Optional[str] = None, internal_port: Optional[int] = None,
                   external_port: Optional[int] = None, vip: Optional[str] = None, exceptions: Optional[list[str]] = None,
                   max_bandwidth: Optional[int] = None, destination: Optional[str] = None, next_hop: Optional[str] = None,
                   encap: bool = False, json_source: Optional[str] = None, action: Optional[str] = None,
                   direction: Optional[str] = None, local_addresses: Optional[list[str]] = None,
                   remote_addresses: Optional[list[str]] = None, local_ports: Optional[list[str]] = None,
                   remote_ports: Optional[list[str]] = None, priority: Optional[int] = None, network: Optional[str] = None,
                   provider_address: Optional[str] = None, dr_mac: Optional[str] = None) -> Any:
    """Flags build the same request an HNS policy object does; given both, explicit flags win."""
    import dataclasses

    from hnsctl.models import policyjson
    from hnsctl.models.policy import PolicyRequest

    request = PolicyRequest(type=kind, endpoint=endpoint, network=network)
    if json_source:
        request = policyjson.policy_request_from_document(read_json_argument(json_source), type_hint=kind, endpoint=endpoint)
    changes: dict[str, Any] = {}
    for key, value in (("protocol", protocol), ("internal_port", internal_port), ("external_port", external_port), ("vip", vip),
                       ("max_bandwidth", max_bandwidth), ("destination", destination), ("next_hop", next_hop),
                       ("action", action), ("direction", direction), ("priority", priority),
                       ("provider_address", provider_address), ("dr_mac", dr_mac), ("network", network)):
        if value is not None:
            changes[key] = value
    if exceptions:
        changes["exceptions"] = tuple(exceptions)
    for key, values in (("local_addresses", local_addresses), ("remote_addresses", remote_addresses),
                        ("local_ports", local_ports), ("remote_ports", remote_ports)):
        if values:
            changes[key] = tuple(str(v) for v in values)
    if encap:
        changes["encap"] = True
    return dataclasses.replace(request, **changes)


def parse_port_mapping(text: str) -> dict[str, Any]:
    """`8080:80/tcp` (docker -p style; the protocol defaults to tcp) as policy fields."""
    spec, _, protocol = text.partition("/")
    external, sep, internal = spec.partition(":")
    if not sep or not external or not internal:
        raise InvalidInput(f"invalid --port-mapping {text!r}: expected EXTERNAL:INTERNAL[/tcp|udp], e.g. 8080:80/tcp")
    return {"external_port": external, "internal_port": internal, "protocol": protocol or "tcp"}
