"""Every `hnsctl …` command line a doc names must exist in the real CLI: the command path and each flag.

The lines come from fenced code blocks (shell blocks; PowerShell, JSON, TOML and YAML blocks are
skipped) and from inline code spans. Each line is split with shlex; every segment of a pipeline or
command list whose command word is `hnsctl` is checked against the real Typer app (no command runs):

- each word in group position must be a subcommand of that group; placeholders (`COMMAND`, `<command>`,
  `…`) in group position are skipped;
- each `--flag` / `-x` must be an option of the command it follows: root (global) options before the
  first subcommand, the command's own options after it, as click parses them;
- a word after an option that takes a value is that value; other words after the last command are its
  arguments and are not checked (placeholders like `NAME`, `EP…`, `<id>` are values).

README.md and every docs/*.md are checked (tests/unit/test_cli_reference.py also checks that they do not call
a built type or command unbuilt).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

REPO = Path(__file__).resolve().parents[2]
DOCS = ["README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md"))]

SKIPPED_BLOCK_LANGUAGES = {"powershell", "ps1", "pwsh", "ps", "json", "toml", "yaml", "yml"}
# Words that may stand before the command word of a segment: `sudo hnsctl …`, `… | xargs -r hnsctl …`.
WRAPPERS = {"sudo", "xargs", "env", "time", "exec", "do", "then", "else", "!", "$"}
SEPARATOR_CHARS = set("();<>|&")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
PLACEHOLDER = re.compile(r"^(<[^<>]+>|\{[^{}]+\}|[A-Z][A-Z0-9_-]*(…|\.\.\.)?|…|\.\.\.)$")


@dataclass(frozen=True)
class CommandLine:
    lineno: int
    text: str


def command_lines(markdown: str) -> list[CommandLine]:
    """Every code line or inline code span of a markdown text that mentions `hnsctl`."""
    found: list[CommandLine] = []
    fence: str | None = None
    skip_block = False
    pending: list[str] = []
    pending_start = 0
    for lineno, line in enumerate(markdown.splitlines(), start=1):
        opening = FENCE.match(line)
        if fence is None:
            if opening:
                fence, skip_block = opening.group(1), opening.group(2).lower() in SKIPPED_BLOCK_LANGUAGES
                continue
            for match in INLINE_CODE.finditer(line):
                span = match.group(2).strip().replace("\\|", "|")  # `\|` is a literal pipe inside a table cell
                if "hnsctl" in span:
                    found.append(CommandLine(lineno, span))
            continue
        if opening and line.strip().startswith(fence) and not opening.group(2):
            fence = None
            continue
        if skip_block:
            continue
        text = line.strip()
        if text.startswith("$ "):
            text = text[2:]
        if not pending:
            pending_start = lineno
        if text.endswith("\\"):
            pending.append(text[:-1])
            continue
        pending.append(text)
        joined = " ".join(pending)
        pending = []
        if "hnsctl" in joined:
            found.append(CommandLine(pending_start, joined))
    return found


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def hnsctl_invocations(text: str) -> list[list[str]]:
    """The argument lists of every `hnsctl` command in a shell line (after pipes, `;`, `&&`, `$(` too)."""
    segments: list[list[str]] = [[]]
    for token in _tokens(text):
        if set(token) <= SEPARATOR_CHARS:
            segments.append([])
        else:
            segments[-1].append(token)
    invocations = []
    for segment in segments:
        i = 0
        while i < len(segment) and (segment[i] in WRAPPERS or re.match(r"^\w+=", segment[i])
                                    or (i > 0 and segment[i - 1] in WRAPPERS and segment[i].startswith("-"))):
            i += 1
        if i < len(segment) and Path(segment[i]).name == "hnsctl":
            invocations.append(segment[i + 1:])
    return invocations


# Typer 0.28 vendors its own click (typer._click): reach its classes through the objects, not an import.
# A click command, context and option are typed `Any` here for that reason.


def _context(command: Any, name: str, parent: Any) -> Any:
    """The click context `command` would run in: help option names and other settings inherit from `parent`."""
    return command.context_class(command, info_name=name, parent=parent, **command.context_settings)


def _is_group(command: Any) -> bool:
    return hasattr(command, "get_command") and hasattr(command, "list_commands")


def _options(command: Any, ctx: Any) -> dict[str, Any]:
    """Every spelling of every option of `command` (`--help`/`-h` included) -> the option."""
    return {name: param for param in command.get_params(ctx) if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)}


def _takes_value(option: Any) -> bool:
    return not option.is_flag and not option.count


def check_invocation(root: Any, args: list[str]) -> list[str]:
    """Problems with one `hnsctl` argument list: unknown commands, unknown or misplaced options."""
    problems: list[str] = []
    root_ctx = _context(root, "hnsctl", None)
    global_options = _options(root, root_ctx)
    command, ctx, path = root, root_ctx, ["hnsctl"]
    options = global_options
    words = [w.strip("[]") for w in args]
    i = 0
    only_arguments = False
    while i < len(words):
        word = words[i]
        i += 1
        if not word:
            continue
        if not only_arguments and word == "--":
            only_arguments = True
            continue
        if not only_arguments and word.startswith("-") and word != "-":
            name = word.split("=", 1)[0]
            option = options.get(name)
            if option is None:
                where = " ".join(path)
                if command is not root and name in global_options:
                    problems.append(f"{name} is a global option: it goes before the command, not after `{where}`")
                else:
                    problems.append(f"`{where}` has no option {name}")
                continue
            if _takes_value(option) and "=" not in word:
                i += 1  # its value
            continue
        if _is_group(command):
            if PLACEHOLDER.match(word):
                continue
            sub = command.get_command(ctx, word)
            if sub is None:
                problems.append(f"`{' '.join(path)}` has no command {word!r}")
                return problems
            path.append(word)
            command, ctx = sub, _context(sub, word, ctx)
            options = _options(command, ctx)
        # else: an argument of the command (a name, an ID, a placeholder): not checked
    return problems


def check_markdown(path: Path, root: Any = None) -> tuple[int, list[str]]:
    """(number of hnsctl commands found, problems as `file:line: text: problem`) for one markdown file."""
    root = root or typer.main.get_command(_app())
    problems: list[str] = []
    count = 0
    for line in command_lines(path.read_text(encoding="utf-8")):
        try:
            invocations = hnsctl_invocations(line.text)
        except ValueError as exc:  # unbalanced quotes
            problems.append(f"{path.name}:{line.lineno}: {line.text!r}: cannot be split like a shell line ({exc})")
            continue
        for args in invocations:
            count += 1
            problems.extend(f"{path.name}:{line.lineno}: {line.text!r}: {p}" for p in check_invocation(root, args))
    return count, problems


def _app() -> typer.Typer:
    from hnsctl.cli.app import app  # the full command tree

    return app


@pytest.fixture(scope="module")
def root_command() -> Any:
    return typer.main.get_command(_app())


@pytest.mark.parametrize("doc", DOCS)
def test_every_hnsctl_command_line_in_doc_exists(doc: str, root_command: Any) -> None:
    count, problems = check_markdown(REPO / doc, root_command)
    assert count > 0, f"{doc} names no hnsctl command at all: is the extraction broken?"
    assert not problems, f"{len(problems)} command line(s) in {doc} name what the CLI does not have:\n" + "\n".join(problems)


# -- the checker itself: it must catch what it is for, and not flag what is fine


def test_checker_reports_unknown_commands_and_options(tmp_path: Path, root_command: Any) -> None:
    doc = tmp_path / "bad.md"
    doc.write_text(
        "Use `hnsctl network frobnicate demo` to frobnicate.\n"
        "\n"
        "| a | b |\n|---|---|\n"
        "| x | `hnsctl network create demo --no-such-flag` |\n"
        "\n"
        "```sh\n"
        "$ hnsctl endpoint create web --network demo \\\n"
        "    --bogus 1\n"
        "hnsctl network list --state-dir /tmp/s   # a global flag after the command\n"
        "hnsctl network list -q | xargs -r hnsctl network remove\n"
        "hnsctl nosuchgroup list\n"
        "```\n",
        encoding="utf-8",
    )
    count, problems = check_markdown(doc, root_command)
    assert count == 7
    text = "\n".join(problems)
    assert "bad.md:1:" in text and "no command 'frobnicate'" in text
    assert "bad.md:5:" in text and "no option --no-such-flag" in text
    assert "bad.md:8:" in text and "no option --bogus" in text
    assert "--state-dir is a global option" in text
    assert "no command 'remove'" in text
    assert "`hnsctl` has no command 'nosuchgroup'" in text
    assert len(problems) == 6, text


def test_checker_accepts_real_lines_placeholders_and_other_languages(tmp_path: Path, root_command: Any) -> None:
    doc = tmp_path / "good.md"
    doc.write_text(
        "`hnsctl <command> --help`, `hnsctl network show ID -o json --schema 2`, `hnsctl --state-dir /tmp/s network list`,\n"
        "`hnsctl endpoint delete EP…`, `hnsctl route create -e EP --destination CIDR [--next-hop IP] [--encap]`,\n"
        "`hnsctl network create --json=- --schema=2`, `hnsctl:0123abcd` (an ownership tag, not a command)\n"
        "\n"
        "```powershell\n"
        "hnsctl --made-up-flag   # not a shell block: skipped\n"
        "```\n"
        "\n"
        "```sh\n"
        "echo '{\"Type\": \"NAT\", \"ExternalPort\": 8080}' | hnsctl policy add nat -e web --json -\n"
        "for id in $(hnsctl network list -q); do hnsctl network delete \"$id\" --force; done\n"
        "sudo /usr/local/bin/hnsctl doctor -o json && hnsctl version\n"
        "```\n",
        encoding="utf-8",
    )
    count, problems = check_markdown(doc, root_command)
    assert problems == []
    assert count == 11


def test_policies_doc_names_the_network_types_that_take_mappings() -> None:
    """docs/policies.md's limits for portmapping and outboundnat list exactly MAPPING_TYPES."""
    from hnsctl.models.network import MAPPING_TYPES

    expected = "networks of type " + ", ".join(f"`{t.value}`" for t in sorted(MAPPING_TYPES, key=lambda t: t.value))
    rows = [line for line in (REPO / "docs/policies.md").read_text().splitlines() if line.startswith(("| portmapping", "| outboundnat"))]
    assert len(rows) == 2 and all(expected in row for row in rows), expected
