"""`hnsctl loadbalancer create|list|show|update|delete` (alias `policylist`) — New-HnsLoadBalancer and friends."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.common import delete_each, print_warnings, read_json_argument
from hnsctl.cli.completion import complete_endpoint, complete_loadbalancer
from hnsctl.cli.kinds import LOADBALANCERS, loadbalancer_json, loadbalancer_summary
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

app = typer.Typer(
    name="loadbalancer",
    help="Load balancers (HNS PolicyList ELB / HostComputeLoadBalancer): spread connections to a VIP or a "
    "host port over endpoints. `hnsctl policylist` is the same group.",
    no_args_is_help=True,
)

ColumnsOpt = columns_option(LOADBALANCERS.columns)
FilterOpt = filter_option(LOADBALANCERS.columns)


def _request(json_source: Optional[str], endpoints: list[str], vips: list[str], protocol: Optional[str],
             external_port: Optional[int], internal_port: Optional[int], distribution: Optional[str],
             source_vip: Optional[str], dsr: bool, ilb: bool, local_routed_vip: bool) -> Any:
    """Flags build the same request a V1/V2 document does; given both, explicit flags win (endpoints add up)."""
    import dataclasses

    from hnsctl.models.loadbalancer import LoadBalancerRequest, PortMappingRequest

    request = LoadBalancerRequest()
    if json_source:
        from hnsctl.models import lbjson

        request = lbjson.loadbalancer_request_from_document(read_json_argument(json_source))
    changes: dict[str, Any] = {"endpoints": request.endpoints + tuple(endpoints)}
    if external_port is not None or internal_port is not None or protocol is not None or distribution is not None:
        changes["port_mappings"] = (PortMappingRequest(protocol, internal_port, external_port, distribution),)
    if vips:
        changes["vips"] = tuple(vips)
    if source_vip:
        changes["source_vip"] = source_vip
    for key, flag in (("dsr", dsr), ("ilb", ilb), ("local_routed_vip", local_routed_vip)):
        if flag:
            changes[key] = True
    return dataclasses.replace(request, **changes)


@app.command("create")
def create(
    ctx: typer.Context,
    endpoint: Annotated[Optional[list[str]], typer.Option("--endpoint", "-e", help="Backend endpoint (ID, ID prefix or name); repeatable.", autocompletion=complete_endpoint, show_default=False)] = None,
    vip: Annotated[Optional[list[str]], typer.Option("--vip", help="Frontend VIP clients connect to; repeatable (HNS FrontendVIPs).", show_default=False)] = None,
    protocol: Annotated[Optional[str], typer.Option("--protocol", help="tcp or udp (or 6 / 17).", show_default="tcp")] = None,
    external_port: Annotated[Optional[int], typer.Option("--external-port", help="Port clients connect to (on the VIP, or on every local address).", show_default=False)] = None,
    internal_port: Annotated[Optional[int], typer.Option("--internal-port", help="Port the backends listen on.", show_default="the external port")] = None,
    distribution: Annotated[Optional[str], typer.Option("--distribution", help="none (each connection on its own), sourceip (a client stays on one backend), sourceipprotocol.", show_default="none")] = None,
    source_vip: Annotated[Optional[str], typer.Option("--source-vip", help="SNAT load-balanced connections to this address (the backends see it as the client).", show_default=False)] = None,
    dsr: Annotated[bool, typer.Option("--dsr", help="Direct server return: keep the client's address (Flags 1). See docs/loadbalancers.md.")] = False,
    ilb: Annotated[bool, typer.Option("--ilb", help="Internal load balancer (port mapping Flags 1; recorded and reported).")] = False,
    local_routed_vip: Annotated[bool, typer.Option("--local-routed-vip", help="Without --vip: answer on every local address (NodePort style; port mapping Flags 2).")] = False,
    json_source: Annotated[Optional[str], typer.Option("--json", metavar="FILE|-", help="A V2 HostComputeLoadBalancer or V1 PolicyList (ELB) document.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create a load balancer (New-HnsLoadBalancer).

    \b
    Connections to VIP:EXTERNAL-PORT (or, with --local-routed-vip and no --vip, to any local address
    of this host on that port) are spread over the endpoints and reach them on INTERNAL-PORT.
    Clients may be other machines, this host, or endpoints (a backend may reach its own service).
    \b
    Examples:
      hnsctl loadbalancer create --vip 10.96.0.10 --external-port 80 --internal-port 8080 -e web1 -e web2
      hnsctl loadbalancer create --local-routed-vip --external-port 30080 --internal-port 80 -e web1
      hnsctl loadbalancer create --vip 10.96.0.10 --external-port 80 -e web1 -e web2 --distribution sourceip
      hnsctl loadbalancer create --json lb.json -o json --schema 2
    """
    use_output(ctx, output)
    request = _request(json_source, endpoint or [], vip or [], protocol, external_port, internal_port, distribution,
                       source_vip, dsr, ilb, local_routed_vip)
    with context.services(ctx, dry_run=dry_run) as services:
        lb = services.loadbalancer.create(request)
        operations = services.operations()
        warnings = services.warnings()
    print_warnings(warnings)
    render_outcome(output=output, quiet=quiet, ids=[lb.id], plan=Plan(operations, "load balancer would be created") if dry_run else None,
                   json_body=lambda: loadbalancer_json(lb, schema),
                   text=lambda: [f"created load balancer {lb.id}: {loadbalancer_summary(lb)}, {len(lb.backends)} backend(s)"])


@app.command("list")
def list_loadbalancers(
    ctx: typer.Context,
    output: ListOutputOpt = ListFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    columns: ColumnsOpt = None,
    filters: FilterOpt = None,
) -> None:
    """List load balancers, oldest first (Get-HnsPolicyList)."""
    use_output(ctx, output)
    selection = LOADBALANCERS.columns.select(columns, filters or [])
    with context.services(ctx) as services:
        views = services.loadbalancer.list_loadbalancers()
    render_listing(LOADBALANCERS, views, selection, output=output, schema=schema, quiet=quiet)


@app.command("show")
def show(
    ctx: typer.Context,
    loadbalancer: Annotated[str, typer.Argument(help="Load balancer ID or unique ID prefix.", autocompletion=complete_loadbalancer)],
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
) -> None:
    """Show one load balancer."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view = services.loadbalancer.get_loadbalancer(loadbalancer)
    if output is OutputFormat.json:
        print_json(loadbalancer_json(view.lb, schema))
        return
    lb = view.lb
    print_key_values([
        ("ID", lb.id),
        ("Frontend", loadbalancer_summary(lb)),
        ("Backends", ", ".join(f"{name} ({eid[:8]})" for name, eid in zip(view.backend_names, lb.backends)) or "none: connections are refused"),
        ("Source VIP", str(lb.source_vip) if lb.source_vip else "-"),
        ("DSR", "yes" if lb.dsr else "no"),
        ("Created", lb.created_at or "-"),
    ])


@app.command("update")
def update(
    ctx: typer.Context,
    loadbalancer: Annotated[str, typer.Argument(help="Load balancer ID or unique ID prefix.", autocompletion=complete_loadbalancer)],
    add_endpoint: Annotated[Optional[list[str]], typer.Option("--add-endpoint", help="Endpoint to add as a backend; repeatable.", autocompletion=complete_endpoint, show_default=False)] = None,
    remove_endpoint: Annotated[Optional[list[str]], typer.Option("--remove-endpoint", help="Backend endpoint to remove; repeatable.", autocompletion=complete_endpoint, show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Add or remove backends in place: the ID stays and connections to backends that stay are kept.

    \b
    Examples:
      hnsctl loadbalancer update 7b9d --add-endpoint web3 --remove-endpoint web1
    """
    use_output(ctx, output)
    with context.services(ctx, dry_run=dry_run) as services:
        lb = services.loadbalancer.update(loadbalancer, add=tuple(add_endpoint or ()), remove=tuple(remove_endpoint or ()))
        operations = services.operations()
    render_outcome(output=output, quiet=quiet, ids=[lb.id], plan=Plan(operations, f"load balancer {lb.id} would be updated") if dry_run else None,
                   json_body=lambda: loadbalancer_json(lb, schema),
                   text=lambda: [f"updated load balancer {lb.id}: {len(lb.backends)} backend(s)"])


@app.command("delete")
def delete(
    ctx: typer.Context,
    loadbalancers: Annotated[list[str], typer.Argument(help="Load balancer IDs or unique ID prefixes.", autocompletion=complete_loadbalancer)],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A load balancer that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete load balancers (Remove-HnsPolicyList): their chain, backend map and frontend elements go with them."""
    use_output(ctx, output)
    delete_each(ctx, "loadbalancer", loadbalancers, lambda services, ref: services.loadbalancer.delete(ref), label=lambda lb: lb.short,
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)
