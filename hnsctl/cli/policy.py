"""`hnsctl policy add|list|show|remove` — endpoint policies (HNS `Policies[]`: NAT/PortMapping, OutBoundNAT, QOS, ROUTE)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.common import (
    completer,
    delete_each,
    print_outcome,
    print_warnings,
    read_json_argument,
)
from hnsctl.cli.endpoint import complete_endpoint
from hnsctl.cli.options import DryRunOpt, OutputOpt, QuietOpt, SchemaOpt, use_output
from hnsctl.cli.render import (
    OutputFormat,
    print_json,
    print_key_values,
    print_lines,
    print_table,
)
from hnsctl.errors import InvalidInput

app = typer.Typer(
    name="policy",
    help="Add, list, show and remove endpoint policies: port mappings, outbound NAT, ACLs, QoS, routes.",
    no_args_is_help=True,
)

complete_policy = completer(lambda services: [v.policy.id for v in services.policy.list_policies()])
TYPES = ["portmapping", "outboundnat", "acl", "qos", "route", "remotesubnetroute", "hostroute"]


def complete_type(incomplete: str) -> list[str]:
    return [t for t in TYPES if t.startswith(incomplete.lower())]


TYPES_HELP = ("portmapping (V1: NAT), outboundnat, acl, qos, route (V2: SDNRoute) on an endpoint; "
              "remotesubnetroute, hostroute on an overlay network. Case-insensitive.")


def policy_json(policy: Any, schema: int) -> dict[str, Any]:
    from hnsctl.models import policyjson

    return policyjson.policy_to_v2(policy) if schema == 2 else policyjson.policy_to_v1(policy)


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


@app.command("add")
def add(
    kind: Annotated[str, typer.Argument(metavar="TYPE", help=TYPES_HELP, autocompletion=complete_type)],
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", "-e", help="Endpoint ID, unique ID prefix, or name (endpoint policies).", autocompletion=complete_endpoint, show_default=False)] = None,
    network: Annotated[Optional[str], typer.Option("--network", "-n", help="remotesubnetroute, hostroute: the overlay network.", show_default=False)] = None,
    provider_address: Annotated[Optional[str], typer.Option("--provider-address", help="remotesubnetroute: the underlay address of the host the subnet lives on.", show_default=False)] = None,
    dr_mac: Annotated[Optional[str], typer.Option("--dr-mac", help="remotesubnetroute: that host's distributed-router MAC (its `network show` DRMacAddress).", show_default=False)] = None,
    external_port: Annotated[Optional[int], typer.Option("--external-port", help="portmapping: the host's port.", show_default=False)] = None,
    internal_port: Annotated[Optional[int], typer.Option("--internal-port", help="portmapping: the endpoint's port.", show_default=False)] = None,
    protocol: Annotated[Optional[str], typer.Option("--protocol", help="portmapping: tcp or udp (or 6 / 17).", show_default="tcp")] = None,
    vip: Annotated[Optional[str], typer.Option("--vip", help="portmapping: only traffic to this host address; outboundnat: SNAT to this address.", show_default=False)] = None,
    exception: Annotated[Optional[list[str]], typer.Option("--exception", help="outboundnat: destination CIDR that keeps the endpoint's address; repeatable.", show_default=False)] = None,
    action: Annotated[Optional[str], typer.Option("--action", help="acl: allow or block.", show_default=False)] = None,
    direction: Annotated[Optional[str], typer.Option("--direction", help="acl: in (to the endpoint) or out (from it).", show_default=False)] = None,
    local_address: Annotated[Optional[list[str]], typer.Option("--local-address", help="acl: the endpoint-side address/CIDR; repeatable or comma list.", show_default=False)] = None,
    remote_address: Annotated[Optional[list[str]], typer.Option("--remote-address", help="acl: the other side's address/CIDR; repeatable or comma list.", show_default=False)] = None,
    local_port: Annotated[Optional[list[str]], typer.Option("--local-port", help="acl: endpoint-side port or range (80, 8000-8080); repeatable or comma list.", show_default=False)] = None,
    remote_port: Annotated[Optional[list[str]], typer.Option("--remote-port", help="acl: other side's port or range; repeatable or comma list.", show_default=False)] = None,
    priority: Annotated[Optional[int], typer.Option("--priority", help="acl: 0-65535, lower is evaluated first; ties by creation order.", show_default="1000")] = None,
    max_bandwidth: Annotated[Optional[int], typer.Option("--max-bandwidth", help="qos: egress limit in bytes per second.", show_default=False)] = None,
    destination: Annotated[Optional[str], typer.Option("--destination", help="route: destination CIDR.", show_default=False)] = None,
    next_hop: Annotated[Optional[str], typer.Option("--next-hop", help="route: next hop (default: the endpoint's gateway).", show_default=False)] = None,
    encap: Annotated[bool, typer.Option("--encap", help="route: NeedEncap (stored; honoured once overlay networks exist).")] = False,
    json_source: Annotated[Optional[str], typer.Option("--json", metavar="FILE|-", help="An HNS policy object, V1 flat or V2 {Type, Settings}.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Add a policy to an endpoint.

    \b
    Examples:
      hnsctl policy add portmapping --endpoint web --external-port 8080 --internal-port 80 --protocol tcp
      hnsctl policy add outboundnat --endpoint web --exception 10.0.0.0/8 --exception 192.168.0.0/16
      hnsctl policy add acl --endpoint web --action block --direction in --protocol tcp --local-port 22 --remote-address 10.1.0.0/16 --priority 100
      hnsctl policy add qos --endpoint web --max-bandwidth 1250000
      hnsctl policy add route --endpoint web --destination 10.96.0.0/12
      echo '{"Type": "NAT", "Protocol": "udp", "InternalPort": 53, "ExternalPort": 5353}' | hnsctl policy add nat -e web --json -
      hnsctl policy add remotesubnetroute --network vx --destination 10.244.2.0/24 --provider-address 198.51.100.12 --dr-mac 02-11-5A-0C-77-10
      hnsctl policy add hostroute --network vx
    """
    use_output(output)
    request = policy_request(kind, endpoint or "", network=network, provider_address=provider_address, dr_mac=dr_mac, protocol=protocol, internal_port=internal_port, external_port=external_port, vip=vip,
                             exceptions=exception, max_bandwidth=max_bandwidth, destination=destination, next_hop=next_hop,
                             encap=encap, json_source=json_source, action=action, direction=direction,
                             local_addresses=local_address, remote_addresses=remote_address, local_ports=local_port,
                             remote_ports=remote_port, priority=priority)
    with context.services(dry_run=dry_run) as services:
        policy = services.policy.add_policy(request)
        operations = services.operations()
        warnings = services.warnings()
    print_warnings(warnings)
    from hnsctl.models.policy import summary

    print_outcome(dry_run=dry_run, operations=operations, would=f"{policy.type.value} policy would be added", quiet=quiet,
                  object_id=policy.id, output=output,
                  json_body=lambda: {**policy_json(policy, schema), **({"NetworkId": policy.network_id} if policy.network_id else {})},
                  text=lambda: [f"added {policy.type.value} policy {policy.id}: {summary(policy)}"])


@app.command("list")
def list_policies(
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", "-e", help="Only this endpoint's policies.", show_default=False)] = None,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
) -> None:
    """List policies, oldest first per endpoint."""
    use_output(output)
    with context.services() as services:
        views = services.policy.list_policies(endpoint)
    if quiet:
        print_lines([v.policy.id for v in views])
    elif output is OutputFormat.json:
        print_json([_with_owner(policy_json(v.policy, schema), v.policy) for v in views])
    else:
        from hnsctl.models.policy import summary

        print_table(["ID", "ENDPOINT", "TYPE", "POLICY"],
                    [[v.policy.id[:8], _owner(v), v.policy.type.value, summary(v.policy)] for v in views])


@app.command("show")
def show(
    policy: Annotated[str, typer.Argument(help="Policy ID or unique ID prefix.", autocompletion=complete_policy)],
    effective: Annotated[bool, typer.Option("--effective", help="Read the policy back from the kernel (nftables, tc, routes).")] = False,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
) -> None:
    """Show one policy; with --effective, what the kernel holds for it right now."""
    use_output(output)
    with context.services() as services:
        view = services.policy.get_policy(policy)
        kernel = services.policy.effective(policy) if effective else None
    body = _with_owner(policy_json(view.policy, schema), view.policy)
    if kernel is not None:
        body["Effective"] = kernel
    if output is OutputFormat.json:
        print_json(body)
        return
    from hnsctl.models.policy import summary

    pairs = [("ID", view.policy.id), ("Type", view.policy.type.value), ("Endpoint" if not view.policy.network_id else "Network", _owner(view)),
             ("Policy", summary(view.policy)), ("Created", view.policy.created_at or "-")]
    if kernel is not None:
        pairs.append(("In the kernel", ("yes" if kernel.get("Present") else "no") + (f" ({kernel['Kernel']})" if kernel.get("Kernel") else "")
                      + (f" ({kernel['Detail']})" if kernel.get("Detail") else "")))
    print_key_values(pairs)


@app.command("remove")
def remove(
    policies: Annotated[list[str], typer.Argument(help="Policy IDs or unique ID prefixes.", autocompletion=complete_policy)],
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A policy that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Remove policies: their nftables elements/rules, qdisc or route go with them."""
    use_output(output)
    delete_each("policy", policies, lambda services, ref: services.policy.remove_policy(ref), label=lambda p: p.type.value,
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)


def _with_owner(body: dict[str, Any], policy: Any) -> dict[str, Any]:
    """hnsctl additions: which endpoint (or, for network policies, which network) the policy belongs to."""
    return {**body, "EndpointId": policy.endpoint_id, **({"NetworkId": policy.network_id} if policy.network_id else {})}


def _owner(view: Any) -> str:
    if view.policy.network_id:
        return f"network {view.policy.network_id[:8]}"
    return view.endpoint.name if view.endpoint else view.policy.endpoint_id[:8]



def add_many(endpoint: str, port_mappings: list[str], services: Any) -> None:
    """`endpoint create --port-mapping` shortcut: one portmapping policy per value."""
    for text in port_mappings:
        fields = parse_port_mapping(text)
        services.policy.add_policy(policy_request("portmapping", endpoint, **fields))
