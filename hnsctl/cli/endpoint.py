"""`hnsctl endpoint …` — New-/Get-/Remove-HnsEndpoint, Attach-/Detach-HnsEndpoint, Attach-HnsHostEndpoint,
Get-HnsEndpointStats, Get-HnsEndpointAddresses."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.common import delete_each, print_warnings, read_json_argument
from hnsctl.cli.completion import complete_endpoint
from hnsctl.cli.kinds import ENDPOINTS, endpoint_json, state_name, where
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
from hnsctl.cli.policy_request import parse_port_mapping, policy_request
from hnsctl.cli.render import ListFormat, OutputFormat, print_json, print_key_values, print_lines, print_table
from hnsctl.errors import InvalidInput
from hnsctl.models import endpointjson
from hnsctl.models.endpoint import EndpointRequest

if TYPE_CHECKING:
    from hnsctl.service.endpoint import EndpointView

app = typer.Typer(
    name="endpoint",
    help="Create, attach, detach, inspect and delete endpoints (*-HnsEndpoint).",
    no_args_is_help=True,
)

EndpointArg = Annotated[str, typer.Argument(help="Endpoint ID, unique ID prefix, or name.", autocompletion=complete_endpoint)]
ColumnsOpt = columns_option(ENDPOINTS.columns)
FilterOpt = filter_option(ENDPOINTS.columns)


def _print_endpoint(view: EndpointView, output: OutputFormat, schema: int, quiet: bool, verb: str,
                    plan: Plan | None = None) -> None:
    endpoint = view.endpoint
    render_outcome(output=output, quiet=quiet, ids=[endpoint.id], plan=plan, json_body=lambda: endpoint_json(view, schema), text=lambda: [
        f"{verb} endpoint {endpoint.name!r} ID {endpoint.id}",
        f"  network {view.network.name if view.network else endpoint.network_id}, ip {endpoint.ip}/{endpoint.prefix_len}, "
        f"mac {endpoint.mac}, state {state_name(endpoint.state)}, namespace {where(view)}",
    ])


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(help="Endpoint name (unique).", show_default=False)] = None,
    network: Annotated[Optional[str], typer.Option("--network", "-n", help="Network ID, prefix or name. Default: the 'nat' network, created on first use.", show_default=False)] = None,
    ip: Annotated[Optional[str], typer.Option("--ip", help="Static address (must be free and inside the network's subnet). Default: the next free one.", show_default=False)] = None,
    gateway: Annotated[Optional[str], typer.Option("--gateway", metavar="IP", help="Default gateway (New-HnsEndpoint -Gateway): another address on the endpoint's link; 0.0.0.0 or none: no default route. Default: the subnet's gateway.", show_default=False)] = None,
    prefix_length: Annotated[Optional[int], typer.Option("--prefix-length", metavar="N", help="The address's prefix length (-PrefixLength): the subnet's, or narrower (e.g. 32). Default: the subnet's.", show_default=False)] = None,
    mac: Annotated[Optional[str], typer.Option("--mac", help="MAC address, 00-15-5D-00-00-50 or 00:15:5d:00:00:50. Default: 02-15-5D + the address's low 24 bits.", show_default=False)] = None,
    dns: Annotated[Optional[list[str]], typer.Option("--dns", help="DNS server, repeatable. Default: the network's.", show_default=False)] = None,
    dns_suffix: Annotated[Optional[str], typer.Option("--dns-suffix", help="DNS search suffix. Default: the network's.", show_default=False)] = None,
    ifname: Annotated[Optional[str], typer.Option("--ifname", help="Interface name inside the namespace.", show_default="eth0")] = None,
    namespace: Annotated[Optional[str], typer.Option("--namespace", help="Attach to this namespace now (created, or adopted from `ip netns`, if needed).", show_default=False)] = None,
    host: Annotated[bool, typer.Option("--host", help="Attach to the host itself now (Attach-HnsHostEndpoint).")] = False,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="If an endpoint of this name exists and matches the options given, show it and succeed (exit 4 if it differs).")] = False,
    remote: Annotated[bool, typer.Option("--remote", help="An endpoint on another host (New-HnsRemoteEndpoint), on overlay (needs --ip, --mac, --provider-address) or l2bridge/l2tunnel (needs --ip). No interface is made here.")] = False,
    provider_address: Annotated[Optional[str], typer.Option("--provider-address", help="--remote: the underlay address of the host the endpoint lives on (the PA policy).", show_default=False)] = None,
    port_mapping: Annotated[Optional[list[str]], typer.Option("--port-mapping", "-p", metavar="EXT:INT[/PROTO]", help="Add a port mapping policy (docker -p style, e.g. 8080:80/tcp); repeatable.", show_default=False)] = None,
    json_source: Annotated[Optional[str], typer.Option("--json", metavar="FILE|-", help="An HNS endpoint document (V1 HNSEndpoint or V2 HostComputeEndpoint). Flags override its fields.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create an endpoint: a veth pair whose host side joins the network's bridge.

    \b
    Examples:
      hnsctl endpoint create web1-ep --network demo --namespace web1     # create + attach
      hnsctl endpoint create api --network demo --ip 10.200.0.50 --mac 00-15-5D-00-00-50 --dns 10.200.0.1
      hnsctl endpoint create hostep --network demo --host                # the host's own vNIC on the network
      hnsctl endpoint create cbr0_ep --network cbr0 --ip 10.244.1.2 --gateway 0.0.0.0 --host   # no default route
      hnsctl endpoint create --json endpoint.json
      hnsctl endpoint create peer1 --network vx --remote --ip 10.244.2.7 --mac 02-11-0a-f4-02-07 --provider-address 198.51.100.12
    """
    use_output(ctx, output)
    request = EndpointRequest(name="")
    if json_source:
        request = endpointjson.endpoint_request_from_document(read_json_argument(json_source))
    changes: dict[str, Any] = {"namespace": namespace, "host": host}
    if remote or provider_address:
        changes.update(remote=remote, provider_address=provider_address)
    for key, value in (("name", name), ("network", network), ("ip", ip), ("mac", mac), ("dns_suffix", dns_suffix), ("ifname", ifname),
                       ("gateway", gateway), ("prefix_len", prefix_length)):
        if value is not None:
            changes[key] = value
    if dns:
        changes["dns_servers"] = tuple(dns)
    request = dataclasses.replace(request, **changes)
    if not request.name:
        raise InvalidInput("missing endpoint name: give NAME, or a Name field in the --json document")
    mappings = tuple(policy_request("portmapping", request.name, **parse_port_mapping(text)) for text in port_mapping or [])
    request = dataclasses.replace(request, policies=request.policies + mappings)
    with context.services(ctx, dry_run=dry_run) as services:
        existed = if_not_exists and any(v.endpoint.name == request.name for v in services.endpoint.list_endpoints())
        # one service call, one lock: the endpoint and its policies are made together or not at all
        endpoint = services.endpoint.create_endpoint(request, exist_ok=if_not_exists)
        operations = services.operations()
        warnings = services.warnings()
        view = services.endpoint.get_endpoint(endpoint.id)
    print_warnings(warnings)
    plan = Plan(operations, f"endpoint {endpoint.name!r} would get {endpoint.ip}/{endpoint.prefix_len}") if dry_run else None
    _print_endpoint(view, output, schema, quiet, "kept existing" if existed else "created", plan)


@app.command("list")
def list_endpoints(
    ctx: typer.Context,
    network: Annotated[Optional[str], typer.Option("--network", "-n", help="Only endpoints of this network (Get-HnsEndpoint -NetworkName).", show_default=False)] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Only remote endpoints (on other overlay hosts).")] = False,
    local: Annotated[bool, typer.Option("--local", help="Only local endpoints.")] = False,
    output: ListOutputOpt = ListFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    columns: ColumnsOpt = None,
    filters: FilterOpt = None,
) -> None:
    """List endpoints (Get-HnsEndpoint)."""
    use_output(ctx, output)
    if remote and local:
        raise InvalidInput("--remote and --local exclude each other: leave both out to list every endpoint")
    selection = ENDPOINTS.columns.select(columns, filters or [])
    with context.services(ctx) as services:
        views = services.endpoint.list_endpoints(network)
    if remote or local:
        views = [v for v in views if v.endpoint.remote == remote]
    render_listing(ENDPOINTS, views, selection, output=output, schema=schema, quiet=quiet)


@app.command("show")
def show(ctx: typer.Context, endpoint: EndpointArg, output: OutputOpt = OutputFormat.table, schema: SchemaOpt = 1) -> None:
    """Show one endpoint (Get-HnsEndpoint -Id)."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view = services.endpoint.get_endpoint(endpoint)
    if output is OutputFormat.json:
        print_json(endpoint_json(view, schema))
        return
    ep = view.endpoint
    print_key_values([
        ("Name", ep.name),
        ("ID", ep.id),
        ("Network", f"{view.network.name if view.network else '?'} ({ep.network_id})"),
        ("IP address", f"{ep.ip}/{ep.prefix_len}"),
        ("Gateway", str(ep.gateway) if ep.gateway else "-"),
        ("MAC address", ep.mac),
        ("DNS servers", ", ".join(ep.dns_servers) or "-"),
        ("DNS suffix", ep.dns_suffix or "-"),
        ("State", state_name(ep.state)),
        ("Namespace", where(view)),
        ("Interface", ep.host_ifname if ep.host_attached else ep.ifname),
        ("Host interface", ep.host_side),
        ("Created", ep.created_at or "-"),
    ])


@app.command("attach")
def attach(
    ctx: typer.Context,
    endpoint: EndpointArg,
    namespace: Annotated[Optional[str], typer.Option("--namespace", help="Namespace ID, prefix or name; made (or adopted from `ip netns`) if it does not exist.", show_default=False)] = None,
    host: Annotated[bool, typer.Option("--host", help="Attach to the host namespace (Attach-HnsHostEndpoint).")] = False,
    ifname: Annotated[Optional[str], typer.Option("--ifname", help="Interface name to use from now on (e.g. when eth0 is taken in the namespace).", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Attach an endpoint to a namespace or to the host (Attach-HnsEndpoint / Attach-HnsHostEndpoint).

    
    Examples:
      hnsctl endpoint attach api --namespace api1      # api1 is created (or adopted from `ip netns`) if needed
      hnsctl endpoint attach hostep --host
    """
    use_output(ctx, output)
    with context.services(ctx, dry_run=dry_run) as services:
        attached = services.endpoint.attach(endpoint, namespace=namespace, host=host, ifname=ifname)
        operations = services.operations()
        warnings = services.warnings()
        view = services.endpoint.get_endpoint(attached.id)
    print_warnings(warnings)
    _print_endpoint(view, output, schema, quiet, "attached", Plan(operations, f"endpoint {attached.name!r} would be attached") if dry_run else None)


@app.command("detach")
def detach(
    ctx: typer.Context,
    endpoint: EndpointArg,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Detach an endpoint (Detach-HnsEndpoint): its interface leaves the namespace, its address stays reserved."""
    use_output(ctx, output)
    with context.services(ctx, dry_run=dry_run) as services:
        detached = services.endpoint.detach(endpoint)
        operations = services.operations()
        view = services.endpoint.get_endpoint(detached.id)
    _print_endpoint(view, output, schema, quiet, "detached", Plan(operations, f"endpoint {detached.name!r} would be detached") if dry_run else None)


@app.command("delete")
def delete(
    ctx: typer.Context,
    endpoints: Annotated[list[str], typer.Argument(help="Endpoint IDs, unique ID prefixes or names.", autocompletion=complete_endpoint)],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="An endpoint that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete endpoints (Remove-HnsEndpoint): the veth pair goes, the address is freed. Keeps going past failures."""
    use_output(ctx, output)
    delete_each(ctx, "endpoint", endpoints, lambda services, ref: services.endpoint.delete_endpoint(ref),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)


@app.command("stats")
def stats(ctx: typer.Context, endpoint: EndpointArg, output: OutputOpt = OutputFormat.table) -> None:
    """Traffic counters as the endpoint sees them (Get-HnsEndpointStats)."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        ep, counters = services.endpoint.stats(endpoint)
    body = {
        "EndpointId": ep.id,
        "Name": ep.name,
        "BytesReceived": counters.bytes_received,
        "BytesSent": counters.bytes_sent,
        "PacketsReceived": counters.packets_received,
        "PacketsSent": counters.packets_sent,
        "DroppedPacketsIncoming": counters.dropped_incoming,
        "DroppedPacketsOutgoing": counters.dropped_outgoing,
    }
    if output is OutputFormat.json:
        print_json(body)
    else:
        print_key_values([(key, str(value)) for key, value in body.items()])


@app.command("addresses")
def addresses(ctx: typer.Context, endpoint: EndpointArg, output: OutputOpt = OutputFormat.table) -> None:
    """The endpoint's addresses: as recorded, and as the kernel holds them (Get-HnsEndpointAddresses)."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view, kernel = services.endpoint.addresses(endpoint)
    ep = view.endpoint
    body = {
        "EndpointId": ep.id,
        "IPAddress": str(ep.ip),
        "PrefixLength": ep.prefix_len,
        "GatewayAddress": str(ep.gateway) if ep.gateway else "",
        "MacAddress": ep.mac,
        "Kernel": [{"InterfaceName": name, "MacAddress": mac.replace(":", "-").upper(), "Address": address} for name, mac, address in kernel],
    }
    if output is OutputFormat.json:
        print_json(body)
        return
    print_key_values([("IP address", f"{ep.ip}/{ep.prefix_len}"), ("MAC address", ep.mac), ("Gateway", body["GatewayAddress"] or "-")])
    if kernel:
        print_table(["INTERFACE", "MAC", "ADDRESS"], [[n, m, a] for n, m, a in kernel])
    else:
        print_lines(["(not attached: no interface holds the address now)"])
