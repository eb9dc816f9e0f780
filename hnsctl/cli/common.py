"""Pieces several command groups share: reading `--json` arguments, multi-target delete, warnings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from hnsctl.cli import context
from hnsctl.cli.render import (
    OutputFormat,
    print_json,
    print_lines,
    print_plan,
    print_warning,
)
from hnsctl.errors import HnsError, InvalidInput, MultipleErrors, NotFound


def read_json_argument(source: str) -> dict[str, Any]:
    """`--json FILE` or `--json -` (standard input), parsed into an object with errors naming the source."""
    from hnsctl.models import hnsjson

    if source == "-":
        return hnsjson.load_document(sys.stdin.read(), source="standard input")
    try:
        text = Path(source).read_text()
    except OSError as exc:
        raise InvalidInput(f"reading --json {source}: {exc.strerror}", hns_name="HCN_E_INVALID_JSON") from None
    return hnsjson.load_document(text, source=source)


def print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print_warning(warning)


def delete_each(
    ctx: typer.Context,
    kind: str,
    references: list[str],
    delete: Callable[[Any, str], Any],
    *,
    if_exists: bool,
    quiet: bool,
    dry_run: bool,
    output: OutputFormat,
    label: Callable[[Any], str] = lambda obj: obj.name,
) -> None:
    """Delete every target independently, report each, and fail at the end with the worst exit code.
    `label` names a deleted object in messages (objects without a name: a type, a destination, a short ID)."""
    errors: list[HnsError] = []
    deleted: list[str] = []
    for reference in references:
        try:
            with context.services(ctx, dry_run=dry_run) as services:
                obj = delete(services, reference)
                operations = services.operations()
        except NotFound as exc:
            if not if_exists:
                errors.append(exc)
            continue
        except HnsError as exc:
            errors.append(exc)
            continue
        deleted.append(obj.id)
        if dry_run:
            print_plan(operations, f"{kind} {label(obj)!r} would be deleted", as_json=output is OutputFormat.json)
        elif quiet:
            print_lines([obj.id])
        elif output is OutputFormat.table:
            print_lines([f"deleted {kind} {label(obj)!r} ID {obj.id}"])
    if output is OutputFormat.json and not dry_run and not quiet:
        print_json({"Deleted": deleted})
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)
