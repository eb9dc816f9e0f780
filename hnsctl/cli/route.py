"""`hnsctl route create|list|show|delete` — New-HnsRoute / HostComputeRoute.

A route object is an endpoint's SDNRoute (V1 ROUTE) policy seen on its own: the same record that
`hnsctl policy list` shows, applied inside the endpoint (re-applied on every attach and by reconcile).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from hnsctl.cli import context
from hnsctl.cli.common import delete_each, read_json_argument
from hnsctl.cli.completion import complete_endpoint, complete_route
from hnsctl.cli.kinds import ROUTES, policy_summary, route_json
from hnsctl.cli.options import (
    DryRunOpt,
    ListOutputOpt,
    OutputOpt,
    QuietOpt,
    SchemaOpt,
    columns_option,
    filter_option,
    use_output,
)
from hnsctl.cli.output import Plan, render_listing, render_outcome
from hnsctl.cli.render import ListFormat, OutputFormat, print_json, print_key_values
from hnsctl.errors import InvalidInput

app = typer.Typer(
    name="route",
    help="Routes inside endpoints (HNS ROUTE policy list / HostComputeRoute): send a destination via a next hop.",
    no_args_is_help=True,
)


def _route_type() -> Any:
    from hnsctl.models.policy import PolicyType

    return PolicyType.ROUTE


ColumnsOpt = columns_option(ROUTES.columns)
FilterOpt = filter_option(ROUTES.columns)


def route_requests(json_source: str | None, endpoint: str | None, destination: str | None, next_hop: str | None,
                   encap: bool | None) -> tuple[Any, ...]:
    """The routes asked for: the document's (endpoints x routes), with the flags overriding its fields."""
    from hnsctl.models.routejson import RouteDocument, route_document_from_json

    document = RouteDocument((), ())
    if json_source:
        document = route_document_from_json(read_json_argument(json_source))
    elif endpoint is None or destination is None:
        raise InvalidInput("a route needs --endpoint EP and --destination CIDR, or a --json document")
    return document.overridden(endpoint=endpoint, destination=destination, next_hop=next_hop, encap=encap).requests()


@app.command("create")
def create(
    ctx: typer.Context,
    endpoint: Annotated[str | None, typer.Option("--endpoint", "-e", help="Endpoint ID, unique ID prefix, or name. With --json: replaces the document's endpoints.", autocompletion=complete_endpoint, show_default=False)] = None,
    destination: Annotated[str | None, typer.Option("--destination", help="Destination CIDR (a bare address means /32).", show_default=False)] = None,
    next_hop: Annotated[str | None, typer.Option("--next-hop", help="Next hop inside the endpoint's subnet.", show_default="the endpoint's gateway")] = None,
    encap: Annotated[bool | None, typer.Option("--encap/--no-encap", help="NeedEncap: send the traffic through this host (the gateway) rather than out on the endpoint's own segment.", show_default="no encap")] = None,
    json_source: Annotated[str | None, typer.Option("--json", metavar="FILE|-", help="A route document: V1 PolicyList with ROUTE policies (New-HnsRoute) or V2 HostComputeRoute (Setting or Routes). Every route goes into every endpoint it names, all in one step or none. Flags override its fields.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create a route inside an endpoint (New-HnsRoute).

    A --json document naming several endpoints or routes makes one route per
    (endpoint, route) pair, under one lock: all of them or none.
    `-o json` then prints a list; with one route, one object.

    \b
    Examples:
      hnsctl route create --endpoint web1 --destination 169.254.169.254/32
      hnsctl route create --endpoint web1 --destination 10.96.0.0/12 --encap
      hnsctl route create --json route.json -e web1   # a New-HnsRoute document
    """
    use_output(ctx, output)
    requests = route_requests(json_source, endpoint, destination, next_hop, encap)
    with context.services(ctx, dry_run=dry_run) as services:
        policies = services.policy.add_policies(requests)
        operations = services.operations()

    def body() -> Any:
        bodies = [route_json(p, schema) for p in policies]
        return bodies[0] if len(bodies) == 1 else bodies

    would = "route would be created" if len(policies) == 1 else f"{len(policies)} routes would be created"
    render_outcome(output=output, quiet=quiet, ids=[p.id for p in policies], plan=Plan(operations, would) if dry_run else None,
                   json_body=body, text=lambda: [f"created route {p.id}: {policy_summary(p)}" for p in policies])


@app.command("list")
def list_routes(
    ctx: typer.Context,
    endpoint: Annotated[str | None, typer.Option("--endpoint", "-e", help="Only this endpoint's routes.", show_default=False)] = None,
    output: ListOutputOpt = ListFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    columns: ColumnsOpt = None,
    filters: FilterOpt = None,
) -> None:
    """List routes."""
    use_output(ctx, output)
    selection = ROUTES.columns.select(columns, filters or [])
    with context.services(ctx) as services:
        views = services.policy.list_policies(endpoint, only=_route_type())
    render_listing(ROUTES, views, selection, output=output, schema=schema, quiet=quiet)


@app.command("show")
def show(
    ctx: typer.Context,
    route: Annotated[str, typer.Argument(help="Route ID or unique ID prefix.", autocompletion=complete_route)],
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
) -> None:
    """Show one route."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view = services.policy.get_policy(route, only=_route_type())
    if output is OutputFormat.json:
        print_json(route_json(view.policy, schema))
        return
    print_key_values([("ID", view.policy.id), ("Endpoint", view.endpoint.name if view.endpoint else view.policy.endpoint_id),
                      ("Route", policy_summary(view.policy)), ("Created", view.policy.created_at or "-")])


@app.command("delete")
def delete(
    ctx: typer.Context,
    routes: Annotated[list[str], typer.Argument(help="Route IDs or unique ID prefixes.", autocompletion=complete_route)],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A route that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete routes: the route leaves the endpoint's routing table."""
    use_output(ctx, output)
    delete_each(ctx, "route", routes, lambda services, ref: services.policy.remove_policy(ref, only=_route_type()),
                label=lambda p: str(p.settings.destination),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)
