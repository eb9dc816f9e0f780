"""Help text and docs cannot go stale: the registries are the source, and the docs are checked against them.

- the generated tables of docs/cli.md (network types, policy types, list columns) are what
  hnsctl.cli.reference makes from the registries today;
- no doc (README.md, docs/*.md) and no `--help` text says that a built network type, policy type or
  command is "not built", "not yet", "refused" or "planned".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from hnsctl.cli import reference
from hnsctl.models.network import IMPLEMENTED_TYPES, NetworkType
from hnsctl.models.policy import PolicyType
from tests.unit.test_docs_commands import DOCS, INLINE_CODE, check_invocation, hnsctl_invocations

REPO = Path(__file__).resolve().parents[2]
STALE = re.compile(r"not built|not yet|\brefused\b|\bplanned\b|\bonce\b[^.;]*\bexists?\b", re.IGNORECASE)
# A table cell that is nothing but a status word speaks for the whole row (`| `network update` | planned |`).
STATUS_CELL = re.compile(r"^\**(planned|not built( yet)?|refused)\**$", re.IGNORECASE)
BUILT_TYPES = {t.value for t in NetworkType if t in IMPLEMENTED_TYPES}
BUILT_POLICY_TYPES = {t.value for t in PolicyType}


@pytest.fixture(scope="module")
def root_command() -> Any:
    from hnsctl.cli.app import app

    return typer.main.get_command(app)


def test_the_generated_tables_in_docs_cli_md_are_current() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert reference.regenerate(text) == text, "run `python3 -m hnsctl.cli.reference docs/cli.md` and commit the result"


def test_regenerating_replaces_a_stale_table() -> None:
    begin, end = reference.BEGIN.format(name="network-types"), reference.END.format(name="network-types")
    stale = f"x\n{begin}\n| `ics` | not built |\n{end}\ny\n"
    for name in ("policy-types", "list-columns"):
        stale += f"{reference.BEGIN.format(name=name)}\n{reference.END.format(name=name)}\n"
    fresh = reference.regenerate(stale)
    assert "not built" not in fresh and "| `ics` | `ICS` | built |" in fresh
    assert fresh.startswith(f"x\n{begin}\n|") and reference.regenerate(fresh) == fresh


def test_type_help_lists_every_built_type() -> None:
    text = reference.network_types_help()
    assert all(re.search(rf"\b{t}\b", text) for t in BUILT_TYPES), text
    assert "not built" not in text
    assert all(t.value in reference.policy_types_help() for t in PolicyType)


def clauses(line: str) -> list[str]:
    """The parts of a line a claim is about: a table row's cells (the whole row when one cell is a bare
    status word), and within a cell or a sentence, the pieces between `;` and `. `."""
    if line.lstrip().startswith("|"):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if any(STATUS_CELL.match(c) for c in cells):
            return [line]
        return [piece for cell in cells for piece in re.split(r";\s|\.\s", cell)]
    return re.split(r";\s|\.\s", line)


def stale_claims(text: str, root: Any, *, plain_words: bool = False) -> list[str]:
    """Clauses that call a built type or command missing. A type counts when the claim is about it: it comes
    before the stale words (`ics` … is refused) or inside them (once overlay networks exist), not after them
    (refused on `transparent` networks: that is about something else on such networks). Types count written
    as code (`ics`, `--type ics`), or, with `plain_words` (help text has no markup), as bare words; commands
    when an `hnsctl …` code span before the stale words names a real command."""
    found = []
    for clause in (c for line in text.splitlines() for c in clauses(line)):
        stale = STALE.search(clause)
        if not stale:
            continue
        claim = clause[:stale.end()]
        spans = [m.group(2).strip() for m in INLINE_CODE.finditer(claim)]
        words = {w.removeprefix("--type ") for w in spans}
        if plain_words:
            words |= set(re.findall(r"[a-z0-9]+", claim.lower()))
        named = sorted(words & (BUILT_TYPES | (BUILT_POLICY_TYPES if not plain_words else set())))
        for span in spans:
            for args in hnsctl_invocations(span) if span.startswith("hnsctl ") else []:
                if args and not check_invocation(root, args):
                    named.append(span)
        if named:
            found.append(f"{clause.strip()!r} names {', '.join(named)}")
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_no_doc_calls_a_built_type_or_command_unbuilt(doc: str, root_command: Any) -> None:
    problems = stale_claims((REPO / doc).read_text(encoding="utf-8"), root_command)
    assert not problems, f"{doc} says something built is not:\n" + "\n".join(problems)


def _help_texts(command: Any, path: str) -> list[tuple[str, str]]:
    texts = [(path, command.help or "")]
    ctx = command.context_class(command, info_name=path)
    for param in command.get_params(ctx):
        texts.append((f"{path} {'/'.join(getattr(param, 'opts', []))}", getattr(param, "help", None) or ""))
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            texts += _help_texts(command.get_command(ctx, name), f"{path} {name}")
    return texts


def test_no_help_text_calls_a_built_type_or_command_unbuilt(root_command: Any) -> None:
    problems = [f"{where}: {p}" for where, text in _help_texts(root_command, "hnsctl")
                for p in stale_claims(text.replace("\b", ""), root_command, plain_words=True)]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_what_it_is_for(root_command: Any) -> None:
    """Control: the stale lines this task removed are caught, true statements are not."""
    stale = [
        "| `-t`, `--type TYPE` | `nat`. `ics`, `transparent`, `overlay` are recognised and refused with exit 2 |",
        "| `Remove-HnsNetwork` | `hnsctl network delete ID` | planned |",
        "`--type overlay` is not built yet.",
    ]
    for line in stale:
        assert stale_claims(line, root_command), line
    assert stale_claims("route: NeedEncap (stored; honoured once overlay networks exist).", root_command, plain_words=True)
    fine = [
        "| | `-Type` | `--type` | ICS, Internal → the lower-case names; **Layered** is **unsupported** (the Layered network type is not built) |",
        "| | `-UseInternalDns` | **unsupported** | not built; an `ics` network's gateway forwards DNS to the host's resolver |",
        "| `Modify-HnsNetwork` | a `network update` command | planned |",
        "A MAC already used on the network is refused (exit 4).",
        "Port mappings and OutBoundNAT stay refused on `transparent`, `internal` and `private` networks",
        "`true` is refused (exit 2): switch isolation is not built (a `private` network is a switch the host has no address on)",
    ]
    for line in fine:
        assert not stale_claims(line, root_command), line
