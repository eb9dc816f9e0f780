"""A namespace's resolv.conf, made from its attached endpoints' DNS settings (what HNS gives a compartment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.models.endpoint import Endpoint
    from hnsctl.models.namespace import Namespace

RESOLV_HEADER = "# Written by hnsctl for the endpoints of namespace {name}; rewritten on attach and detach.\n"


def resolv_conf_for(namespace: Namespace, endpoints: list[Endpoint]) -> str | None:
    """The resolver file for a namespace from its attached endpoints' DNS settings (None: no DNS at all)."""
    servers: list[str] = []
    suffixes: list[str] = []
    for endpoint in endpoints:
        if endpoint.namespace_id != namespace.id or not endpoint.is_attached:
            continue
        servers.extend(s for s in endpoint.dns_servers if s not in servers)
        if endpoint.dns_suffix and endpoint.dns_suffix not in suffixes:
            suffixes.append(endpoint.dns_suffix)
    if not servers and not suffixes:
        return None
    lines = [RESOLV_HEADER.format(name=namespace.name)]
    if suffixes:
        lines.append("search " + " ".join(suffixes) + "\n")
    lines.extend(f"nameserver {s}\n" for s in servers[:3])  # the resolver reads at most three
    return "".join(lines)


def refresh_dns(backend: Backend, namespace: Namespace, endpoints: list[Endpoint]) -> None:
    """After an endpoint left: rewrite the file if the namespace is still there."""
    if backend.namespace_exists(namespace.name):
        backend.write_resolv_conf(namespace.name, resolv_conf_for(namespace, endpoints))


def write_dns(backend: Backend, namespace: Namespace, endpoints: list[Endpoint], warnings: list[str]) -> None:
    """After an attach: write the file, warning when one hnsctl did not write is in the way."""
    if not backend.namespace_exists(namespace.name) and namespace.owned:
        return
    if not backend.write_resolv_conf(namespace.name, resolv_conf_for(namespace, endpoints)):
        warnings.append(f"/etc/netns/{namespace.name}/resolv.conf was not written by hnsctl; left unchanged (DNS settings not applied)")
