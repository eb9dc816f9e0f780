"""The render kit on its own: column registries, `--columns`/`--filter` parsing, CSV quoting, the two renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from hnsctl.cli.columns import Column, Columns, id_prefix, items_of
from hnsctl.cli.kinds import KINDS
from hnsctl.cli.output import Plan, render_outcome
from hnsctl.cli.render import OutputFormat, csv_field, print_csv
from hnsctl.errors import InvalidInput


@dataclass(frozen=True)
class Thing:
    id: str
    name: str
    tags: str


THINGS: Columns[Thing] = Columns("thing", (
    Column("name", "NAME", lambda t: t.name, "its name"),
    Column("id", "ID", lambda t: t.id[:4], "short ID", match=id_prefix(lambda t: t.id)),
    Column("tags", "TAGS", lambda t: t.tags, "its tags", default=False),
))
ITEMS = [Thing("abcdef01", "one", "red, blue"), Thing("ABCD9999", "two", "-"), Thing("12345678", "three", "blue")]


def test_default_columns_are_the_registry_defaults_in_order() -> None:
    selection = THINGS.select(None)
    assert selection.headers == ["NAME", "ID"]
    assert selection.rows(ITEMS[:1]) == [["one", "abcd"]]


def test_columns_are_chosen_case_insensitively_in_the_order_given() -> None:
    selection = THINGS.select("TAGS, Name")
    assert selection.headers == ["TAGS", "NAME"]
    assert selection.rows(ITEMS[:1]) == [["red, blue", "one"]]


@pytest.mark.parametrize("text", ["name,bogus", "Bogus"])
def test_an_unknown_column_names_itself_and_the_valid_ones(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        THINGS.select(text)
    assert "no column 'bogus'" in caught.value.message.lower()
    assert "valid: name, id, tags" in caught.value.message
    assert caught.value.exit_code == 2


def test_an_empty_column_list_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one column"):
        THINGS.select(" , ")


def test_filters_and_together() -> None:
    assert [t.name for t in THINGS.select(None, ["tags=blue"]).keep(ITEMS)] == ["one", "three"]
    assert [t.name for t in THINGS.select(None, ["tags=blue", "name=three"]).keep(ITEMS)] == ["three"]
    assert THINGS.select(None, ["tags=-"]).keep(ITEMS) == [ITEMS[1]]  # the cell itself still matches


def test_an_id_filter_takes_any_prefix_of_the_full_id_in_any_case() -> None:
    assert [t.name for t in THINGS.select(None, ["ID=abcd"]).keep(ITEMS)] == ["one", "two"]
    assert [t.name for t in THINGS.select(None, ["id=abcdef0"]).keep(ITEMS)] == ["one"]
    assert THINGS.select(None, ["id="]).keep(ITEMS) == []


@pytest.mark.parametrize(("text", "message"), [("name", "expected KEY=VALUE"), ("=x", "expected KEY=VALUE"),
                                                ("colour=red", "no column 'colour'")])
def test_bad_filters_exit_2_naming_the_keys(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        THINGS.select(None, [text])
    assert "name, id, tags" in caught.value.message


def test_items_of_splits_listed_values() -> None:
    assert items_of("10.0.0.0/24, fd00::/64") == ("10.0.0.0/24", "fd00::/64")
    assert items_of("-") == ()


@pytest.mark.parametrize(("text", "quoted"), [("plain", "plain"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'),
                                              ("two\nlines", '"two\nlines"'), ("cr\r", '"cr\r"'), ("", "")])
def test_csv_fields_are_quoted_as_rfc_4180_says(text: str, quoted: str) -> None:
    assert csv_field(text) == quoted


def test_csv_is_a_header_line_then_rows(capsys) -> None:
    print_csv(["NAME", "SUBNETS"], [["demo", "10.0.0.0/24, fd00::/64"]])
    assert capsys.readouterr().out == 'NAME,SUBNETS\ndemo,"10.0.0.0/24, fd00::/64"\n'


def test_every_kind_registry_is_well_formed() -> None:
    """Column names are unique lower-case words, headers their upper-case spelling, and each has help for the docs."""
    for kind in KINDS:
        names = kind.columns.names()
        assert len(set(names)) == len(names), kind.columns.kind
        for column in kind.columns.all:
            assert column.name == column.name.lower() and column.name.isalnum(), column.name
            assert column.header == column.name.upper() and column.help, column.name
        assert kind.columns.defaults(), kind.columns.kind


def test_the_outcome_renderer_decides_in_one_order(capsys) -> None:
    """plan beats -q, -q beats json, json beats text; no JSON body means the sentence under -o json too."""
    def run(**kwargs: object) -> str:
        render_outcome(**{"output": OutputFormat.table, "quiet": False, "ids": ["id1", "id2"], "text": lambda: ["did it"],
                          "json_body": lambda: {"ID": "id1"}, **kwargs})
        return capsys.readouterr().out

    assert run(plan=Plan(["ip link add x"], "x would be made"), quiet=True).startswith("would run:\n  ip link add x\n")
    assert json.loads(run(plan=Plan([], "s"), output=OutputFormat.json)) == {"DryRun": True, "Summary": "s", "Operations": []}
    assert run(quiet=True, output=OutputFormat.json) == "id1\nid2\n"
    assert json.loads(run(output=OutputFormat.json)) == {"ID": "id1"}
    assert run() == "did it\n"
    assert run(output=OutputFormat.json, json_body=None) == "did it\n"
