"""`hnsctl version` and `hnsctl reconcile`: the tool itself, and keeping the kernel in line with state."""

from __future__ import annotations

from typing import Annotated

import typer

from hnsctl import __version__
from hnsctl.cli import context
from hnsctl.cli.options import OutputOpt, use_output
from hnsctl.cli.render import OutputFormat, print_json, print_lines, print_table
from hnsctl.errors import MultipleErrors


def version(ctx: typer.Context, output: OutputOpt = OutputFormat.table) -> None:
    """Print hnsctl's version."""
    use_output(ctx, output)
    major, minor, *_ = (int(p) for p in __version__.split("."))
    if output is OutputFormat.json:
        print_json({"Version": __version__, "Major": major, "Minor": minor})
    else:
        print_lines([f"hnsctl {__version__}"])


def _print_differences(differences: list, output: OutputFormat, *, repaired: bool) -> None:
    """The differences found; those whose repair failed carry their error, and the command then fails
    with the worst of their exit codes (after every other difference was repaired)."""
    failures = [d.failure for d in differences if d.failure is not None]
    if output is OutputFormat.json:
        print_json({
            "Repaired": repaired,
            "Differences": [
                {"Kind": d.kind, "Name": d.name, "ID": d.object_id, "Problem": d.problem, "Action": d.action,
                 "Error": d.failure.message if d.failure is not None else None}
                for d in differences
            ],
        })
    elif not differences:
        print_lines(["in sync: the kernel matches the recorded state"])
    else:
        print_table(["KIND", "NAME", "PROBLEM", "ACTION"], [[d.kind, d.name, d.problem, d.action] for d in differences])
        verb = "repaired" if repaired else "would be repaired (dry run)"
        done = len(differences) - len(failures)
        print_lines([f"{done} difference(s) {verb}" + (f", {len(failures)} could not be" if failures else "")])
    if failures:
        raise MultipleErrors(failures)


def restore(ctx: typer.Context, output: OutputOpt = OutputFormat.table) -> None:
    """Boot-time form of reconcile: rebuild every recorded object; drop non-persistent networks.

    examples/hnsctl-restore.service runs it at boot, after the network is up.
    """
    use_output(ctx, output)
    with context.services(ctx) as services:
        differences = services.reconcile.restore()
    _print_differences(differences, output, repaired=True)


def reconcile(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report the differences; change nothing.")] = False,
    output: OutputOpt = OutputFormat.table,
) -> None:
    """Compare recorded state with the kernel; recreate what is missing, remove hnsctl-tagged orphans.

    Run it after a crash, after someone ran `nft flush ruleset` or deleted a bridge, veth or
    namespace by hand, or after a reboot. Only objects carrying hnsctl's tag are ever touched.
    """
    use_output(ctx, output)
    with context.services(ctx) as services:
        differences = services.reconcile.reconcile(repair=not dry_run)
    _print_differences(differences, output, repaired=not dry_run)


def doctor(ctx: typer.Context, output: OutputOpt = OutputFormat.table) -> None:
    """Check this host: privileges, kernel features, sysctls, state, lock holder, drift.

    Kernel features (netns, bridge, veth, vxlan, tc, nf_tables) are probed in a throwaway namespace
    that disappears afterwards. Exit code 1 when a check fails.
    """
    use_output(ctx, output)
    with context.services(ctx) as services:
        checks = services.doctor()
    failed = any(c.status == "fail" for c in checks)
    if output is OutputFormat.json:
        print_json({"Healthy": not failed, "Checks": [{"Name": c.name, "Status": c.status, "Detail": c.detail} for c in checks]})
    else:
        print_table(["CHECK", "STATUS", "DETAIL"], [[c.name, c.status, c.detail] for c in checks])
    if failed:
        raise typer.Exit(1)
