"""All printing: JSON, key/value blocks, CSV, rich tables (rich imported only here, only for tables), errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

from hnsctl.errors import HnsError


class OutputFormat(str, Enum):
    """`-o` of commands that print one object or an outcome."""

    table = "table"
    json = "json"


class ListFormat(str, Enum):
    """`-o` of list commands: rows also come as CSV, for spreadsheets and `cut`/`awk`."""

    table = "table"
    json = "json"
    csv = "csv"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def print_lines(lines: Sequence[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def print_key_values(pairs: Sequence[tuple[str, str]]) -> None:
    width = max((len(k) for k, _ in pairs), default=0)
    print_lines([f"{key + ':':<{width + 1}} {value}" for key, value in pairs])


def csv_field(text: str) -> str:
    """RFC 4180 quoting: a field with a comma, a double quote or a line break is quoted, its quotes doubled."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def print_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A header line, then one line per row (LF line ends, as Unix tools expect)."""
    print_lines([",".join(csv_field(cell) for cell in row) for row in (headers, *rows)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from rich.box import SIMPLE
    from rich.console import Console
    from rich.table import Table

    table = Table(box=SIMPLE, show_edge=False, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    # Not a terminal (a pipe, a log): do not squeeze columns into 80 characters.
    console = Console(width=None if sys.stdout.isatty() else 240, soft_wrap=False)
    console.print(table)


def print_plan(operations: Sequence[str], summary: str, *, as_json: bool = False) -> None:
    if as_json:
        print_json({"DryRun": True, "Summary": summary, "Operations": list(operations)})
        return
    lines = [f"  {op}" for op in operations]
    print_lines(["would run:", *lines, f"dry run: {summary}; nothing was changed"])


def print_error(error: HnsError, *, as_json: bool) -> None:
    if as_json:
        sys.stderr.write(json.dumps(error.to_json()) + "\n")
        return
    sys.stderr.write(f"hnsctl: error: {error.message}\n")
    for note in getattr(error, "__notes__", ()):
        sys.stderr.write(f"note: {note}\n")  # e.g. an undo that failed during rollback
    if error.hint:
        sys.stderr.write(f"hint: {error.hint}\n")


def print_warning(message: str) -> None:
    sys.stderr.write(f"hnsctl: warning: {message}\n")
