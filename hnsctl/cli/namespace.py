"""`hnsctl namespace …` — New-/Get-/Remove-HnsNamespace, Add-/Remove-HnsNamespaceEndpoint."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hnsctl.cli import context
from hnsctl.cli.common import completer, delete_each, print_warnings, read_json_argument
from hnsctl.cli.endpoint import complete_endpoint
from hnsctl.cli.options import DryRunOpt, OutputOpt, QuietOpt, SchemaOpt, use_output
from hnsctl.cli.render import (
    OutputFormat,
    print_json,
    print_key_values,
    print_lines,
    print_plan,
    print_table,
)
from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models import namespacejson

if TYPE_CHECKING:
    from hnsctl.service.namespace import NamespaceView

app = typer.Typer(
    name="namespace",
    help="Create, list, show and delete namespaces (network compartments), and move endpoints in and out (*-HnsNamespace).",
    no_args_is_help=True,
)


complete_namespace = completer(lambda services: [v.namespace.name for v in services.namespace.list_namespaces()])


NamespaceArg = Annotated[str, typer.Argument(help="Namespace ID, unique ID prefix, or name.", autocompletion=complete_namespace)]
EndpointArg = Annotated[str, typer.Argument(help="Endpoint ID, unique ID prefix, or name.", autocompletion=complete_endpoint)]


def namespace_json(view: NamespaceView, schema: int) -> dict[str, Any]:
    if schema == 2:
        return namespacejson.namespace_to_v2(view.namespace, list(view.endpoint_ids))
    return namespacejson.namespace_to_v1(view.namespace, list(view.endpoint_ids))


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
    use_output(output)
    request = namespace_request(name, json_source)
    with context.services(dry_run=dry_run) as services:
        namespace = services.namespace.create_namespace(request.name, exist_ok=if_not_exists, namespace_id=request.id,
                                                        compartment_id=request.compartment_id)
        operations = services.operations()
        warnings = services.warnings()
    print_warnings(warnings)
    if dry_run:
        print_plan(operations, f"namespace {request.name!r} would be created", as_json=output is OutputFormat.json)
        return
    from hnsctl.service.namespace import NamespaceView

    view = NamespaceView(namespace, (), True)
    if quiet:
        print_lines([namespace.id])
    elif output is OutputFormat.json:
        print_json(namespace_json(view, schema))
    else:
        print_lines([f"created namespace {namespace.name!r} ID {namespace.id} (NamespaceId {namespace.compartment_id})"])


@app.command("list")
def list_namespaces(output: OutputOpt = OutputFormat.table, schema: SchemaOpt = 1, quiet: QuietOpt = False) -> None:
    """List namespaces (Get-HnsNamespace)."""
    use_output(output)
    with context.services() as services:
        views = services.namespace.list_namespaces()
        endpoint_names = {v.endpoint.id: v.endpoint.name for v in services.endpoint.list_endpoints()}
    if quiet:
        print_lines([v.namespace.id for v in views])
    elif output is OutputFormat.json:
        print_json([namespace_json(v, schema) for v in views])
    else:
        print_table(
            ["NAME", "ID", "NAMESPACEID", "ENDPOINTS", "KERNEL"],
            [
                [v.namespace.name, v.namespace.id[:8], str(v.namespace.compartment_id),
                 ", ".join(endpoint_names.get(e, e[:8]) for e in v.endpoint_ids) or "-",
                 ("present" if v.present else "missing") + ("" if v.namespace.owned else " (adopted)")]
                for v in views
            ],
        )


@app.command("show")
def show(namespace: NamespaceArg, output: OutputOpt = OutputFormat.table, schema: SchemaOpt = 1) -> None:
    """Show one namespace and the endpoints attached to it."""
    use_output(output)
    with context.services() as services:
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
    namespaces: Annotated[list[str], typer.Argument(help="Namespace IDs, unique ID prefixes or names.", autocompletion=complete_namespace)],
    force: Annotated[bool, typer.Option("--force", help="Detach attached endpoints first instead of refusing (exit 4).")] = False,
    if_exists: Annotated[bool, typer.Option("--if-exists", help="A namespace that does not exist is not an error.")] = False,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Delete namespaces (Remove-HnsNamespace). An adopted namespace is only forgotten, never removed."""
    use_output(output)
    delete_each("namespace", namespaces, lambda services, ref: services.namespace.delete_namespace(ref, force=force),
                if_exists=if_exists, quiet=quiet, dry_run=dry_run, output=output)


@app.command("add-endpoint")
def add_endpoint(
    namespace: NamespaceArg,
    endpoint: EndpointArg,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Attach an endpoint to this namespace (Add-HnsNamespaceEndpoint); same as `endpoint attach EP --namespace NS`."""
    use_output(output)
    with context.services(dry_run=dry_run) as services:
        attached = services.endpoint.attach(endpoint, namespace=namespace)
        operations = services.operations()
        warnings = services.warnings()
    print_warnings(warnings)
    if dry_run:
        print_plan(operations, f"endpoint {attached.name!r} would be attached to {namespace!r}", as_json=output is OutputFormat.json)
    elif quiet:
        print_lines([attached.id])
    else:
        print_lines([f"attached endpoint {attached.name!r} to namespace {namespace!r}"])


@app.command("remove-endpoint")
def remove_endpoint(
    namespace: NamespaceArg,
    endpoint: EndpointArg,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Detach an endpoint from this namespace (Remove-HnsNamespaceEndpoint)."""
    use_output(output)
    with context.services(dry_run=dry_run) as services:
        view = services.endpoint.get_endpoint(endpoint)
        ns = services.namespace.get_namespace(namespace).namespace
        if view.endpoint.namespace_id != ns.id or not view.endpoint.is_attached:
            raise Conflict(
                f"removing endpoint {view.endpoint.name!r} from namespace {ns.name!r}: it is not attached there",
                hns_name="HCN_E_ENDPOINT_NOT_ATTACHED",
            )
        detached = services.endpoint.detach(view.endpoint.id)
        operations = services.operations()
    if dry_run:
        print_plan(operations, f"endpoint {detached.name!r} would be detached from {ns.name!r}", as_json=output is OutputFormat.json)
    elif quiet:
        print_lines([detached.id])
    else:
        print_lines([f"detached endpoint {detached.name!r} from namespace {ns.name!r}"])
