"""The root command, global flags, and `main()`: the one place that turns errors into exit codes."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from hnsctl.cli import context, system
from hnsctl.cli.render import print_error
from hnsctl.errors import ExitCode, HnsError

EXIT_CODES_HELP = """\b
Exit codes:
  0 ok  1 error  2 usage / invalid input  3 not found  4 conflict, already exists or in use
  5 kernel failure  6 state locked  7 corrupt state  130 interrupted
"""

# Command groups by name -> module holding its Typer `app`. Only the group a command line names is
# imported and built: Typer inspects every command's signature on each run, so building all of them
# for `hnsctl network list` would cost start-up time that scripts pay in loops.
GROUPS = {
    "network": "hnsctl.cli.network",
    "endpoint": "hnsctl.cli.endpoint",
    "namespace": "hnsctl.cli.namespace",
    "policy": "hnsctl.cli.policy",
    "loadbalancer": "hnsctl.cli.loadbalancer",
    "policylist": "hnsctl.cli.loadbalancer",  # the V1 name (Get-/Remove-HnsPolicyList) of the same objects
    "route": "hnsctl.cli.route",
}
GLOBAL_OPTIONS_WITH_VALUE = {"--state-dir", "--lock-timeout"}


def root(
    state_dir: Annotated[
        Optional[Path],
        typer.Option("--state-dir", envvar="HNSCTL_STATE_DIR", help="State directory.", show_default="/var/lib/hnsctl"),
    ] = None,
    lock_timeout: Annotated[
        Optional[float], typer.Option("--lock-timeout", min=0, help="Seconds to wait for the state lock.", show_default="30")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    context.reset(state_dir=state_dir, lock_timeout=lock_timeout, debug=debug)


def create_app(groups: list[str] | None = None) -> typer.Typer:
    """The root Typer app with the given command groups (all of them when None)."""
    application = typer.Typer(
        name="hnsctl",
        help="Windows Host Networking Service (HNS) networks, endpoints and namespaces on the Linux kernel. "
        "Mirrors the *-Hns* cmdlets.",
        epilog=EXIT_CODES_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(root)
    for name in groups if groups is not None else list(GROUPS):
        group = importlib.import_module(GROUPS[name]).app
        if name == "policylist":
            application.add_typer(group, name=name, help="Alias of `hnsctl loadbalancer` (HNS V1 name).")
        else:
            application.add_typer(group, name=name)
    application.command("version")(system.version)
    application.command("reconcile")(system.reconcile)
    application.command("restore")(system.restore)
    application.command("doctor")(system.doctor)
    return application


def requested_group(argv: list[str]) -> str | None:
    """The command group a command line names, skipping global options; None when unsure."""
    if any(key.endswith("_COMPLETE") for key in os.environ if key.startswith("_HNSCTL")):
        return None  # shell completion walks the whole tree
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg in GLOBAL_OPTIONS_WITH_VALUE:
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg if arg in GROUPS else None
    return None


def __getattr__(name: str) -> typer.Typer:
    """`hnsctl.cli.app.app`: the full tree, for tests and tooling (main() builds only what it needs)."""
    if name == "app":
        return create_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: expected errors become one stderr line and a documented exit code."""
    args = sys.argv[1:] if argv is None else argv
    group = requested_group(args)
    application = create_app([group] if group else None)
    try:
        application(args=args, prog_name="hnsctl")
    except HnsError as error:
        if context.CURRENT.debug:
            import traceback

            traceback.print_exc()
        print_error(error, as_json=context.CURRENT.json_errors)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("hnsctl: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
