"""Option types shared by every command, so `-o`, `-q`, `--schema`, `--dry-run`, `--columns` and `--filter` mean
one thing everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from hnsctl.cli import context
from hnsctl.cli.render import ListFormat, OutputFormat

if TYPE_CHECKING:
    from hnsctl.cli.columns import Columns

OutputOpt = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="table (for people) or json (HNS field names, for scripts).", case_sensitive=False),
]
ListOutputOpt = Annotated[
    ListFormat,
    typer.Option("--output", "-o", help="table (for people), json (HNS field names, for scripts) or csv (a header line, then one "
                 "line per row; RFC 4180 quoting).", case_sensitive=False),
]
SchemaOpt = Annotated[
    int,
    typer.Option("--schema", min=1, max=2, help="JSON shape: 1 = HNS V1 (Get-HnsNetwork), 2 = HCN V2 (HostComputeNetwork)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only IDs, one per line.")]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Validate and print the kernel operations it would run; change neither kernel nor state."),
]


def columns_option(columns: Columns[Any]) -> Any:
    """`--columns` of one list command, its help naming that kind's columns."""
    return Annotated[Optional[str], typer.Option("--columns", metavar="COL,…", help=columns.columns_help(), show_default=False)]


def filter_option(columns: Columns[Any]) -> Any:
    """`--filter KEY=VALUE` of one list command; KEY is one of that kind's column names."""
    return Annotated[Optional[list[str]], typer.Option("--filter", metavar="KEY=VALUE", help=columns.filter_help(), show_default=False)]


def use_output(ctx: typer.Context, output: OutputFormat | ListFormat) -> None:
    """Errors of a `-o json` command are printed as JSON too, so scripts parse one format."""
    context.invocation(ctx).json_errors = output.value == "json"
