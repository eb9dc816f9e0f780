"""Option types shared by every command, so `-o`, `-q`, `--schema` and `--dry-run` mean one thing everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from hnsctl.cli import context
from hnsctl.cli.render import OutputFormat

OutputOpt = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="table (for people) or json (HNS field names, for scripts).", case_sensitive=False),
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


def use_output(output: OutputFormat) -> None:
    """Errors of a `-o json` command are printed as JSON too, so scripts parse one format."""
    context.CURRENT.json_errors = output is OutputFormat.json
