"""Help text and docs/cli.md tables made from the registries (network types, policy types, list columns).

What the code can do is written down once, in the models and cli/kinds.py; the `--type` help and the
generated tables of docs/cli.md are derived from it, so they cannot claim a built type is missing.
A test regenerates the tables and compares them with docs/cli.md; to refresh them after a change run

    python3 -m hnsctl.cli.reference docs/cli.md
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hnsctl.models.network import IMPLEMENTED_TYPES, MAPPING_TYPES, UPLINK_TYPES, NetworkType

DEFAULT_NETWORK_TYPE = NetworkType.NAT
BEGIN = "<!-- generated: {name} (python3 -m hnsctl.cli.reference docs/cli.md) -->"
END = "<!-- end generated: {name} -->"


def network_types_help() -> str:
    built = [t for t in NetworkType if t in IMPLEMENTED_TYPES]
    names = [f"{t.value} (default)" if t is DEFAULT_NETWORK_TYPE else t.value for t in built]
    text = ", ".join(names) + " (V2 spellings too). Case-insensitive."
    missing = [t.value for t in NetworkType if t not in IMPLEMENTED_TYPES]
    if missing:
        text += f" Recognised but not built (exit 2): {', '.join(missing)}."
    return text


def _other_spellings(policy_type: object) -> list[str]:
    value = policy_type.value  # type: ignore[attr-defined]
    return [f"{label}: {name}" for label, name in (("V1", policy_type.v1_name), ("V2", policy_type.v2_name))  # type: ignore[attr-defined]
            if name.lower() != value]


def policy_types_help() -> str:
    from hnsctl.models.policy import PolicyType

    def spelled(t: PolicyType) -> str:
        others = _other_spellings(t)
        return f"{t.value} ({', '.join(others)})" if others else t.value

    on_endpoint = ", ".join(spelled(t) for t in PolicyType if not t.on_network)
    on_network = ", ".join(spelled(t) for t in PolicyType if t.on_network)
    return f"{on_endpoint} on an endpoint; {on_network} on an overlay network. Case-insensitive."


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def network_types_table() -> str:
    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    rows = [[f"`{t.value}`" + (" (default)" if t is DEFAULT_NETWORK_TYPE else ""), f"`{t.v2_name}`",
             "built" if t in IMPLEMENTED_TYPES else "not built (exit 2)", yes(t in MAPPING_TYPES), yes(t in UPLINK_TYPES)]
            for t in NetworkType]
    return _table(["`--type`", "V2 spelling", "status", "port mappings, outbound NAT", "takes over a host adapter"], rows)


def policy_types_table() -> str:
    from hnsctl.models.policy import PolicyType

    rows = [[f"`{t.value}`", f"`{t.v1_name}`", f"`{t.v2_name}`", "a network (`--network`)" if t.on_network else "an endpoint (`--endpoint`)"]
            for t in PolicyType]
    return _table(["`policy add` TYPE", "V1 `Type`", "V2 `Type`", "attached to"], rows)


def columns_table() -> str:
    from hnsctl.cli.kinds import KINDS

    rows = []
    for kind in KINDS:
        for column in kind.columns.all:
            rows.append([f"`{kind.columns.kind} list`", f"`{column.name}`", column.header, "yes" if column.default else "no", column.help])
    return _table(["command", "column", "header", "default", "shows"], rows)


SECTIONS = {
    "network-types": network_types_table,
    "policy-types": policy_types_table,
    "list-columns": columns_table,
}


def regenerate(markdown: str) -> str:
    """`markdown` with every generated section replaced by what the registries say today."""
    for name, make in SECTIONS.items():
        begin, end = re.escape(BEGIN.format(name=name)), re.escape(END.format(name=name))
        pattern = re.compile(f"({begin})\n.*?({end})", re.DOTALL)
        if not pattern.search(markdown):
            raise ValueError(f"no generated section {name!r}: add the lines {BEGIN.format(name=name)} and {END.format(name=name)}")
        markdown = pattern.sub(lambda m, text=make(): f"{m.group(1)}\n{text}\n{m.group(2)}", markdown)
    return markdown


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        path = Path(argument)
        path.write_text(regenerate(path.read_text(encoding="utf-8")), encoding="utf-8")
