"""`hnsctl version` — the tool's version in text or JSON."""

from __future__ import annotations

from hnsctl import __version__
from hnsctl.cli.options import OutputOpt, use_output
from hnsctl.cli.render import OutputFormat, print_json, print_lines


def version(output: OutputOpt = OutputFormat.table) -> None:
    """Print hnsctl's version."""
    use_output(output)
    major, minor, *_ = (int(p) for p in __version__.split("."))
    if output is OutputFormat.json:
        print_json({"Version": __version__, "Major": major, "Minor": minor})
    else:
        print_lines([f"hnsctl {__version__}"])
