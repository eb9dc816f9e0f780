"""`hnsctl namespace …` — New-/Get-/Remove-HnsNamespace, Add-/Remove-HnsNamespaceEndpoint."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from hnsctl.cli import context
from hnsctl.cli.common import delete_each, print_warnings, read_json_argument
from hnsctl.cli.completion import complete_endpoint, complete_namespace
from hnsctl.cli.kinds import NAMESPACES, NamespaceItem, namespace_json
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
from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models import namespacejson

app = typer.Typer(
    name="namespace",
    help="Create, list, show and delete namespaces (network compartments), and move endpoints in and out (*-HnsNamespace).",
    no_args_is_help=True,
)


NamespaceArg = Annotated[str, typer.Argument(help="Namespace ID, unique ID prefix, or name.", autocompletion=complete_namespace)]
EndpointArg = Annotated[str, typer.Argument(help="Endpoint ID, unique ID prefix, or name.", autocompletion=complete_endpoint)]
ColumnsOpt = columns_option(NAMESPACES.columns)
FilterOpt = filter_option(NAMESPACES.columns)


def namespace_request(name: str | None, json_source: str | None) -> namespacejson.NamespaceRequest:
    """NAME, or a document's Name (or a name made from its ID); NAME wins over the document."""
    request = namespacejson.NamespaceRequest(name="")
    if json_source:
        request = namespacejson.namespace_request_from_document(read_json_argument(json_source))
    if name is not None:
        request = dataclasses.replace(request, name=name)
    if not request.name:
        raise InvalidInput("missing namespace name: give NAME, or a --json document")
    return request


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Namespace name: /run/netns/NAME, usable with `ip netns exec NAME …`. With --json: replaces the document's Name.", show_default=False)] = None,
    json_source: Annotated[str | None, typer.Option("--json", metavar="FILE|-", help="A namespace document (V1, or V2 HostComputeNamespace): its ID, Name and NamespaceId are kept; nameless ones are named namespace-<first 8 hex of the ID>.", show_default=False)] = None,
    if_not_exists: Annotated[bool, typer.Option("--if-not-exists", help="A namespace of this name that hnsctl already has is not an error.")] = False,
    output: OutputOpt = OutputFormat.table,
    schema: SchemaOpt = 1,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Create a namespace (New-HnsNamespace), visible to `ip netns`.

    \b
    Examples:
      hnsctl namespace create web1
      hnsctl namespace create --json namespace.json   # a V1 or V2 document
    """
    use_output(ctx, output)
    request = namespace_request(name, json_source)
    with context.services(ctx, dry_run=dry_run) as services:
        namespace = services.namespace.create_namespace(request.name, exist_ok=if_not_exists, namespace_id=request.id,
                                                        compartment_id=request.compartment_id)
        operations = services.operations()
        warnings = services.warnings()
        view = services.namespace.get_namespace(namespace.id) if output is OutputFormat.json and not quiet and not dry_run else None
    print_warnings(warnings)
    render_outcome(output=output, quiet=quiet, ids=[namespace.id],
                   plan=Plan(operations, f"namespace {request.name!r} would be created") if dry_run else None,
                   json_body=lambda: namespace_json(view, schema),
                   text=lambda: [f"created namespace {namespace.name!r} ID {namespace.id} (NamespaceId {namespace.compartment_id})"])


@app.command("list")
def list_namespaces(ctx: typer.Context, output: ListOutputOpt = ListFormat.table, schema: SchemaOpt = 1, quiet: QuietOpt = False,
                    columns: ColumnsOpt = None, filters: FilterOpt = None) -> None:
    """List namespaces (Get-HnsNamespace)."""
    use_output(ctx, output)
    selection = NAMESPACES.columns.select(columns, filters or [])
    with context.services(ctx) as services:
        views = services.namespace.list_namespaces()
        # the service's namespace views name endpoints by ID only
        endpoint_names = {v.endpoint.id: v.endpoint.name for v in services.endpoint.list_endpoints()}
    render_listing(NAMESPACES, [NamespaceItem(v, endpoint_names) for v in views], selection, output=output, schema=schema, quiet=quiet)


@app.command("show")
def show(ctx: typer.Context, namespace: NamespaceArg, output: OutputOpt = OutputFormat.table, schema: SchemaOpt = 1) -> None:
    """Show one namespace and the endpoints attached to it."""
    use_output(ctx, output)
    with context.services(ctx) as services:
        view = services.namespace.get_namespace(namespace)
        endpoint_names = {v.endpoint.id: v.endpoint.name for v in services.endpoint.list_endpoints()}
    if output is OutputFormat.json:
        print_json(namespace_json(view, schema))
        return
    ns = view.namespace
    print_key_values([
        ("Name", ns.name),
        ("ID", ns.id),
        ("NamespaceId", str(ns.compartment_id)),
        ("Path", f"/run/netns/{ns.name}"),
        ("Kernel", "present" if view.present else "missing (run `hnsctl reconcile`)"),
        ("Owned", "yes" if ns.owned else "no (adopted: hnsctl will not delete the kernel namespace)"),
        ("Endpoints", ", ".join(endpoint_names.get(e, e) for e in view.endpoint_ids) or "-"),
        ("Created", ns.created_at or "-"),
    ])


@app.command("delete")
def delete(
    ctx: typer.Context,
    namespaces: Annotated[list[str], typer.Argument(help="Namespace IDs, unique ID prefixes or names.", autocompletion=complete_namespace)],
    force: Annotated[bool, typer.Option("--force", help="Detach attached endpoints first instead of refusing (exit 4).")] = False,
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A namespace that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete namespaces (Remove-HnsNamespace). An adopted namespace is only forgotten, never removed."""
    use_output(ctx, output)
    delete_each(ctx, "namespace", namespaces, lambda services, ref: services.namespace.delete_namespace(ref, force=force),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)


@app.command("add-endpoint")
def add_endpoint(
    ctx: typer.Context,
    namespace: NamespaceArg,
    endpoint: EndpointArg,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Attach an endpoint to this namespace (Add-HnsNamespaceEndpoint); same as `endpoint attach EP --namespace NS`."""
    use_output(ctx, output)
    with context.services(ctx, dry_run=dry_run) as services:
        attached = services.endpoint.attach(endpoint, namespace=namespace)
        operations = services.operations()
        warnings = services.warnings()
    print_warnings(warnings)
    render_outcome(output=output, quiet=quiet, ids=[attached.id],
                   plan=Plan(operations, f"endpoint {attached.name!r} would be attached to {namespace!r}") if dry_run else None,
                   text=lambda: [f"attached endpoint {attached.name!r} to namespace {namespace!r}"])


@app.command("remove-endpoint")
def remove_endpoint(
    ctx: typer.Context,
    namespace: NamespaceArg,
    endpoint: EndpointArg,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Detach an endpoint from this namespace (Remove-HnsNamespaceEndpoint)."""
    use_output(ctx, output)
    with context.services(ctx, dry_run=dry_run) as services:
        view = services.endpoint.get_endpoint(endpoint)
        ns = services.namespace.get_namespace(namespace).namespace
        if view.endpoint.namespace_id != ns.id or not view.endpoint.is_attached:
            raise Conflict(
                f"removing endpoint {view.endpoint.name!r} from namespace {ns.name!r}: it is not attached there",
                hns_name="HCN_E_ENDPOINT_NOT_ATTACHED",
            )
        detached = services.endpoint.detach(view.endpoint.id)
        operations = services.operations()
    render_outcome(output=output, quiet=quiet, ids=[detached.id],
                   plan=Plan(operations, f"endpoint {detached.name!r} would be detached from {ns.name!r}") if dry_run else None,
                   text=lambda: [f"detached endpoint {detached.name!r} from namespace {ns.name!r}"])
