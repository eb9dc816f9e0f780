"""Shell-completion callbacks for object references, in one module every command group can import.

They used to live in the group that owns each kind, which made `endpoint` and `policy` import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from hnsctl.cli import context


def completer(names_of: Callable[[Any], list[str]]) -> Callable[[typer.Context, str], list[str]]:
    """A completion callback listing object names from state; silent on any failure (it runs on every TAB)."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            with context.services(ctx) as services:
                names = names_of(services)
        except Exception:  # noqa: BLE001 - completion must never print a traceback into the shell
            return []
        return [name for name in names if name.startswith(incomplete)]

    return complete


def _route_type() -> Any:
    from hnsctl.models.policy import PolicyType

    return PolicyType.ROUTE


complete_network = completer(lambda services: [v.network.name for v in services.network.list_networks()])
complete_endpoint = completer(lambda services: [v.endpoint.name for v in services.endpoint.list_endpoints()])
complete_namespace = completer(lambda services: [v.namespace.name for v in services.namespace.list_namespaces()])
complete_policy = completer(lambda services: [v.policy.id for v in services.policy.list_policies()])
complete_route = completer(lambda services: [v.policy.id for v in services.policy.list_policies(only=_route_type())])
complete_loadbalancer = completer(lambda services: [v.lb.id for v in services.loadbalancer.list_loadbalancers()])


def complete_policy_type(incomplete: str) -> list[str]:
    from hnsctl.models.policy import PolicyType

    return [t.value for t in PolicyType if t.value.startswith(incomplete.lower())]
