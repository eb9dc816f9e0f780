"""The two renderers every command ends in: one for listings, one for the outcome of a command.

`-q`, `-o json|table|csv` and `--dry-run` plans are decided here once, in the same order for every
command, instead of each command carrying its own switch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hnsctl.cli.columns import Item, Selection
from hnsctl.cli.kinds import Kind
from hnsctl.cli.render import (
    ListFormat,
    OutputFormat,
    print_csv,
    print_json,
    print_lines,
    print_plan,
    print_table,
)


def render_listing(kind: Kind[Item], items: Sequence[Item], selection: Selection[Item], *, output: ListFormat,
                   schema: int, quiet: bool) -> None:
    """Filters first, so `--filter` narrows -q, json, table and csv alike; `--columns` shapes table and csv."""
    kept = selection.keep(items)
    if quiet:
        print_lines([kind.object_id(item) for item in kept])
    elif output is ListFormat.json:
        print_json([kind.to_json(item, schema) for item in kept])
    elif output is ListFormat.csv:
        print_csv(selection.headers, selection.rows(kept))
    else:
        print_table(selection.headers, selection.rows(kept))


class Plan:
    """What a `--dry-run` recorded: the kernel operations, and one sentence saying what would have happened."""

    __slots__ = ("operations", "summary")

    def __init__(self, operations: Sequence[str], summary: str) -> None:
        self.operations, self.summary = operations, summary


def render_outcome(*, output: OutputFormat, quiet: bool, ids: Sequence[str], text: Callable[[], list[str]],
                   json_body: Callable[[], Any] | None = None, plan: Plan | None = None) -> None:
    """How every mutation reports: the plan (--dry-run), the IDs (-q), the object (-o json) or sentences.
    Commands without a JSON body (`namespace add-endpoint`) print their sentence under `-o json` too."""
    if plan is not None:
        print_plan(plan.operations, plan.summary, as_json=output is OutputFormat.json)
    elif quiet:
        print_lines(list(ids))
    elif output is OutputFormat.json and json_body is not None:
        print_json(json_body())
    else:
        print_lines(text())
