"""List columns as data: a header, how to get the cell from a listed item, and how `--filter` matches it.

Every list command declares its columns once (cli/kinds.py); `--columns`, `--filter`, the table, the CSV
output, the option help and the tables in docs/cli.md are all made from that declaration. These are plain
classes, not dataclasses, because making a dataclass costs most of a millisecond on every command's start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from hnsctl.errors import InvalidInput

Item = TypeVar("Item")


def items_of(cell: str) -> tuple[str, ...]:
    """The values a cell lists: `10.0.0.0/24, fd00::/64` is two, `-` is none."""
    return tuple(part.strip() for part in cell.split(",") if part.strip()) if cell != "-" else ()


class Column(Generic[Item]):
    """One column. `name` is what `--columns` and `--filter` take (case-insensitive); `header` what is printed;
    `value` makes the cell; `help` says what it shows; `default` puts it in the table without `--columns`.
    `match` decides whether an item passes `--filter NAME=VALUE`; by default the cell, or one of the values
    it lists, equals VALUE."""

    __slots__ = ("name", "header", "value", "help", "default", "match")

    def __init__(self, name: str, header: str, value: Callable[[Item], str], help: str, *, default: bool = True,
                 match: Callable[[Item, str], bool] | None = None) -> None:
        self.name, self.header, self.value, self.help, self.default, self.match = name, header, value, help, default, match

    def keeps(self, item: Item, wanted: str) -> bool:
        if self.match is not None:
            return self.match(item, wanted)
        cell = self.value(item)
        return cell == wanted or wanted in items_of(cell)


def id_prefix(full_id: Callable[[Any], str]) -> Callable[[Any, str], bool]:
    """`--filter id=…` on a column that shows the first 8 hex digits: any prefix of the full ID, any case."""
    return lambda item, wanted: bool(wanted) and full_id(item).lower().startswith(wanted.lower())


class Filter(Generic[Item]):
    """`--filter KEY=VALUE`, its KEY resolved to a column."""

    __slots__ = ("column", "value")

    def __init__(self, column: Column[Item], value: str) -> None:
        self.column, self.value = column, value

    def keeps(self, item: Item) -> bool:
        return self.column.keeps(item, self.value)


class Selection(Generic[Item]):
    """What one list command line asked for: the columns to print and the filters every output obeys."""

    __slots__ = ("columns", "filters")

    def __init__(self, columns: tuple[Column[Item], ...], filters: tuple[Filter[Item], ...]) -> None:
        self.columns, self.filters = columns, filters

    def keep(self, items: Sequence[Item]) -> list[Item]:
        return [item for item in items if all(f.keeps(item) for f in self.filters)]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def rows(self, items: Sequence[Item]) -> list[list[str]]:
        return [[c.value(item) for c in self.columns] for item in items]


class Columns(Generic[Item]):
    """The column registry of one kind of object, in table order. `kind` is the list command's group."""

    __slots__ = ("kind", "all")

    def __init__(self, kind: str, all: tuple[Column[Item], ...]) -> None:
        self.kind, self.all = kind, all

    def names(self) -> list[str]:
        return [c.name for c in self.all]

    def defaults(self) -> tuple[Column[Item], ...]:
        return tuple(c for c in self.all if c.default)

    def find(self, name: str) -> Column[Item] | None:
        wanted = name.strip().lower()
        return next((c for c in self.all if c.name == wanted), None)

    def _unknown(self, what: str, name: str) -> InvalidInput:
        return InvalidInput(f"invalid {what}: {self.kind} list has no column {name!r}; valid: {', '.join(self.names())}")

    def select(self, columns: str | None, filters: Sequence[str] = ()) -> Selection[Item]:
        """`--columns a,b` and `--filter KEY=VALUE`… checked against this registry (unknown names: exit 2)."""
        chosen = self.defaults()
        if columns is not None:
            names = [n.strip() for n in columns.split(",")]
            if not any(names):
                raise InvalidInput(f"invalid --columns {columns!r}: name at least one column; valid: {', '.join(self.names())}")
            found = []
            for name in names:
                if not name:
                    continue
                column = self.find(name)
                if column is None:
                    raise self._unknown(f"--columns {columns!r}", name)
                found.append(column)
            chosen = tuple(found)
        parsed = []
        for text in filters:
            key, sep, value = text.partition("=")
            if not sep or not key.strip():
                raise InvalidInput(f"invalid --filter {text!r}: expected KEY=VALUE, KEY one of {', '.join(self.names())}")
            column = self.find(key)
            if column is None:
                raise self._unknown(f"--filter {text!r}", key.strip())
            parsed.append(Filter(column, value))
        return Selection(chosen, tuple(parsed))

    def columns_help(self) -> str:
        extra = [c.name for c in self.all if not c.default]
        more = f"; more: {', '.join(extra)}" if extra else ""
        return f"Comma list of table/csv columns, any case. Default: {', '.join(c.name for c in self.defaults())}{more}."

    def filter_help(self) -> str:
        return ("Only rows whose KEY column shows VALUE (or lists it; an ID column takes any prefix of the ID); KEY is a "
                "--columns name. Repeatable: all must match. Narrows table, csv, json and -q output alike.")
