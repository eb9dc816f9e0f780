"""`hnsctl route create|list|show|delete` — New-HnsRoute / HostComputeRoute.

A route object is an endpoint's SDNRoute (V1 ROUTE) policy seen on its own: the same record that
`hnsctl policy list` shows, applied inside the endpoint (re-applied on every attach and by reconcile).
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.common import completer, delete_each, print_outcome
from hnsctl.cli.endpoint import complete_endpoint
from hnsctl.cli.options import DryRunOpt, OutputOpt, QuietOpt, SchemaOpt, use_output
from hnsctl.cli.render import (
    OutputFormat,
    print_json,
    print_key_values,
    print_lines,
    print_table,
)

app = typer.Typer(
    name="route",
    help="Routes inside endpoints (HNS ROUTE policy list / HostComputeRoute): send a destination via a next hop.",
    no_args_is_help=True,
)


def _route_type() -> Any:
    from hnsctl.models.policy import PolicyType

    return PolicyType.ROUTE


complete_route = completer(lambda services: [v.policy.id for v in services.policy.list_policies(only=_route_type())])


def route_json(policy: Any, schema: int) -> dict[str, Any]:
    from hnsctl.models import lbjson

    return lbjson.route_to_v2(policy) if schema == 2 else lbjson.route_to_v1(policy)


@app.command("create")
def create(
    endpoint: Annotated[str, typer.Option("--endpoint", "-e", help="Endpoint ID, unique ID prefix, or name.", autocompletion=complete_endpoint)],
    destination: Annotated[str, typer.Option("--destination", help="Destination CIDR (a bare address means /32).")],
    next_hop: Annotated[Optional[str], typer.Option("--next-hop", help="Next hop inside the endpoint's subnet.", show_default="the endpoint's gateway")] = None,
    encap: Annotated[bool, typer.Option("--encap", help="NeedEncap: send the traffic through this host (the gateway) rather than out on the endpoint's own segment.")] = False,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create a route inside an endpoint (New-HnsRoute).

    \b
    Examples:
      hnsctl route create --endpoint web1 --destination 169.254.169.254/32
      hnsctl route create --endpoint web1 --destination 10.96.0.0/12 --encap
    """
    use_output(output)
    from hnsctl.models.policy import PolicyRequest

    request = PolicyRequest(type="route", endpoint=endpoint, destination=destination, next_hop=next_hop, encap=encap)
    with context.services(dry_run=dry_run) as services:
        policy = services.policy.add_policy(request)
        operations = services.operations()
    from hnsctl.models.policy import summary

    print_outcome(dry_run=dry_run, operations=operations, would="route would be created", quiet=quiet, object_id=policy.id,
                  output=output, json_body=lambda: route_json(policy, schema), text=lambda: [f"created route {policy.id}: {summary(policy)}"])


@app.command("list")
def list_routes(
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", "-e", help="Only this endpoint's routes.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
) -> None:
    """List routes."""
    use_output(output)
    with context.services() as services:
        views = services.policy.list_policies(endpoint, only=_route_type())
    if quiet:
        print_lines([v.policy.id for v in views])
    elif output is OutputFormat.json:
        print_json([route_json(v.policy, schema) for v in views])
    else:
        from hnsctl.models.policy import summary

        print_table(["ID", "ENDPOINT", "ROUTE"],
                    [[v.policy.id[:8], v.endpoint.name if v.endpoint else v.policy.endpoint_id[:8], summary(v.policy)] for v in views])


@app.command("show")
def show(
    route: Annotated[str, typer.Argument(help="Route ID or unique ID prefix.", autocompletion=complete_route)],
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
) -> None:
    """Show one route."""
    use_output(output)
    with context.services() as services:
        view = services.policy.get_policy(route, only=_route_type())
    if output is OutputFormat.json:
        print_json(route_json(view.policy, schema))
        return
    from hnsctl.models.policy import summary

    print_key_values([("ID", view.policy.id), ("Endpoint", view.endpoint.name if view.endpoint else view.policy.endpoint_id),
                      ("Route", summary(view.policy)), ("Created", view.policy.created_at or "-")])


@app.command("delete")
def delete(
    routes: Annotated[list[str], typer.Argument(help="Route IDs or unique ID prefixes.", autocompletion=complete_route)],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A route that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete routes: the route leaves the endpoint's routing table."""
    use_output(output)
    delete_each("route", routes, lambda services, ref: services.policy.remove_policy(ref, only=_route_type()),
                label=lambda p: str(p.settings.destination),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)
