"""`hnsctl network create|list|show|delete` — New-/Get-/Remove-HnsNetwork."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.common import delete_each, read_json_argument
from hnsctl.cli.completion import complete_network
from hnsctl.cli.reference import network_types_help
from hnsctl.cli.kinds import NETWORKS, gateways_text, network_json, subnets_text
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
from hnsctl.models import networkjson
from hnsctl.models.network import NetworkRequest, SubnetRequest

if TYPE_CHECKING:
    from hnsctl.models.network import Network

app = typer.Typer(
    name="network",
    help="Create, list, show and delete networks (New-/Get-/Remove-HnsNetwork).",
    no_args_is_help=True,
)

TYPES_HELP = network_types_help()
ColumnsOpt = columns_option(NETWORKS.columns)
FilterOpt = filter_option(NETWORKS.columns)


def build_request(
    name: str | None,
    net_type: str | None,
    subnets: list[str],
    gateways: list[str],
    dns: list[str],
    dns_suffix: str | None,
    json_source: str | None,
) -> NetworkRequest:
    """Flags build the same request a JSON document does; given both, explicit flags win."""
    request = NetworkRequest(name="")
    if json_source:
        request = networkjson.network_request_from_document(read_json_argument(json_source))
    if gateways and not subnets and not request.subnets:
        raise InvalidInput("--gateway needs --subnet: give the subnet the gateway belongs to")
    if len(gateways) > (len(subnets) if subnets else len(request.subnets)):
        raise InvalidInput("--gateway given more times than --subnet: each gateway belongs to the subnet in the same position")
    changes: dict[str, Any] = {}
    if name:
        changes["name"] = name
    if net_type:
        changes["type"] = net_type
    if subnets:
        changes["subnets"] = tuple(
            SubnetRequest(prefix=s, gateway=gateways[i] if i < len(gateways) else None) for i, s in enumerate(subnets)
        )
    elif gateways:
        changes["subnets"] = tuple(
            dataclasses.replace(s, gateway=gateways[i]) if i < len(gateways) else s for i, s in enumerate(request.subnets)
        )
    if dns:
        changes["dns_servers"] = tuple(dns)
    if dns_suffix is not None:
        changes["dns_suffix"] = dns_suffix
    request = dataclasses.replace(request, **changes)
    if not request.name:
        raise InvalidInput("missing network name: give NAME, or a Name field in the --json document")
    return request


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(help="Network name (unique). The network named 'nat' is the default network.", show_default=False)] = None,
    net_type: Annotated[Optional[str], typer.Option("--type", "-t", help=TYPES_HELP, show_default=False)] = None,
    subnet: Annotated[Optional[list[str]], typer.Option("--subnet", help="Address prefix (CIDR), repeatable for dual stack. Default: a free /20 in 172.16.0.0/12.", show_default=False)] = None,
    gateway: Annotated[Optional[list[str]], typer.Option("--gateway", help="Gateway of the --subnet in the same position. Default: its first host address.", show_default=False)] = None,
    dns: Annotated[Optional[list[str]], typer.Option("--dns", help="DNS server handed to endpoints, repeatable (DNSServerList).", show_default=False)] = None,
    dns_suffix: Annotated[Optional[str], typer.Option("--dns-suffix", help="DNS suffix handed to endpoints (DNSSuffix).", show_default=False)] = None,
    json_source: Annotated[Optional[str], typer.Option("--json", metavar="FILE|-", help="An HNS network document (V1 or V2 shape), as New-HnsNetwork -JsonString takes. Flags override its fields.", show_default=False)] = None,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="If a network of this name exists (same type and subnets), show it and succeed instead of failing with exit 4.")] = False,
    non_persistent: Annotated[bool, typer.Option("--non-persistent", help="HNS Flags bit 8: `hnsctl restore` (at boot) drops this network instead of recreating it.")] = False,
    vsid: Annotated[Optional[int], typer.Option("--vsid", help="overlay: the VXLAN network identifier (VNI) shared by every host of the overlay.", show_default=False)] = None,
    vxlan_port: Annotated[Optional[int], typer.Option("--vxlan-port", help="overlay: UDP port of the VXLAN traffic.", show_default="4789")] = None,
    provider_address: Annotated[Optional[str], typer.Option("--provider-address", help="overlay: this host's underlay address (HNS ManagementIP).", show_default="the default route's interface address")] = None,
    outbound_nat: Annotated[bool, typer.Option("--outbound-nat", help="l2bridge/l2tunnel: endpoint traffic leaving the LAN goes out as the host's address (HNS OutBoundNAT).")] = False,
    outbound_nat_exception: Annotated[Optional[list[str]], typer.Option("--outbound-nat-exception", help="With --outbound-nat: a destination CIDR that keeps the endpoint's address; repeatable.", show_default=False)] = None,
    vlan: Annotated[Optional[int], typer.Option("--vlan", help="VLAN isolation (HNS VLAN policy): needs an uplink adapter; refused with the reason on the built types.", show_default=False)] = None,
    adapter: Annotated[Optional[str], typer.Option("--adapter", help="HNS NetworkAdapterName. transparent, l2bridge, l2tunnel: the host adapter the network takes over (default: the default route's; one another network already took is shared). overlay: the underlay interface; its first IPv4 address is the provider address.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create a network: a bridge, its gateway address and (for nat) masquerading.

    \b
    Examples:
      hnsctl network create nat                                # the default network, free /20
      hnsctl network create demo --type nat --subnet 10.200.0.0/24
      hnsctl network create lab --type internal --subnet 192.168.50.0/24 --gateway 192.168.50.254
      hnsctl network create --json network.json                # Get-HnsNetwork output works too
      hnsctl network create vx --type overlay --subnet 10.244.1.0/24 --vsid 4096 --provider-address 198.51.100.11
    """
    use_output(ctx, output)
    request = build_request(name, net_type, subnet or [], gateway or [], dns or [], dns_suffix, json_source)
    overlay_changes = {key: value for key, value in (("vsid", vsid), ("vxlan_port", vxlan_port),
                                                      ("provider_address", provider_address), ("adapter", adapter), ("vlan", vlan)) if value is not None}
    if outbound_nat or outbound_nat_exception:
        overlay_changes.update(outbound_nat=outbound_nat, outbound_nat_exceptions=tuple(outbound_nat_exception or ()))
    if overlay_changes:
        request = dataclasses.replace(request, **overlay_changes)
    if non_persistent:
        from hnsctl.models.network import NetworkFlags

        request = dataclasses.replace(request, flags=request.flags | NetworkFlags.NON_PERSISTENT)
    with context.services(ctx, dry_run=dry_run) as services:
        network, created = services.network.ensure_network(request) if if_not_exists else (services.network.create_network(request), True)
        operations = services.operations()
        planned = dry_run and created
        view = services.network.get_network(network.id) if output is OutputFormat.json and not quiet and not planned else None
    render_outcome(
        output=output, quiet=quiet, ids=[network.id],
        plan=Plan(operations, f"network {network.name!r} would be created with subnet {subnets_text(network)}") if planned else None,
        json_body=lambda: network_json(view, schema),
        text=lambda: _created_lines(network) if created else
        [f"network {network.name!r} already exists: ID {network.id}, subnet {subnets_text(network)}"],
    )


def _created_lines(network: Network) -> list[str]:
    lines = [
        f"created network {network.name!r} ({network.type.value}) ID {network.id}",
        f"  bridge {network.bridge_name}, subnet {subnets_text(network)}, gateway {gateways_text(network)}",
    ]
    if network.uplink is not None:
        moved = list(network.uplink.addresses) + [f"route {r.split(' metric ')[0]}" for r in network.uplink.routes]
        lines.append(f"  moved from {network.uplink.adapter} to {network.bridge_name}: {', '.join(moved) or 'nothing (no addresses)'}"
                     f" (given back on delete)")
    return lines


@app.command("list")
def list_networks(
    ctx: typer.Context,
    output: ListOutputOpt = ListFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    columns: ColumnsOpt = None,
    filters: FilterOpt = None,
) -> None:
    """List networks (Get-HnsNetwork). -o json prints HNS V1 field names; --schema 2 the HCN V2 shape."""
    use_output(ctx, output)
    selection = NETWORKS.columns.select(columns, filters or [])
    with context.services(ctx) as services:
        views = services.network.list_networks()
    render_listing(NETWORKS, views, selection, output=output, schema=schema, quiet=quiet)


@app.command("show")
def show(
    ctx: typer.Context,
    network: Annotated[str, typer.Argument(help="Network ID, unique ID prefix, or name.", autocompletion=complete_network)],
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
) -> None:
    """Show one network (Get-HnsNetwork -Id)."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view = services.network.get_network(network)
    if output is OutputFormat.json:
        print_json(network_json(view, schema))
        return
    net = view.network
    print_key_values([
        ("Name", net.name),
        ("ID", net.id),
        ("Type", net.type.value),
        ("Subnets", subnets_text(net)),
        ("Gateway", gateways_text(net)),
        ("DNS servers", ", ".join(net.dns_servers) or "-"),
        ("DNS suffix", net.dns_suffix or "-"),
        ("Bridge", net.bridge_name),
        ("Flags", str(net.flags)),
        ("Endpoints", str(view.endpoint_count)),
        ("Created", net.created_at or "-"),
    ])


@app.command("delete")
def delete(
    ctx: typer.Context,
    networks: Annotated[list[str], typer.Argument(help="Network IDs, unique ID prefixes or names.", autocompletion=complete_network)],
    force: Annotated[bool, typer.Option("--force", help="Delete the network's endpoints first instead of refusing (exit 4).")] = False,
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A network that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete networks (Remove-HnsNetwork): rules, bridge, then the record. Keeps going past failures."""
    use_output(ctx, output)
    delete_each(ctx, "network", networks, lambda services, ref: services.network.delete_network(ref, force=force),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)
