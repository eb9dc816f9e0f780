"""The root command, global flags, and `main()`: the one place that turns errors into exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from hnsctl.cli import context, endpoint, namespace, network, system
from hnsctl.cli.render import print_error
from hnsctl.errors import ExitCode, HnsError

EXIT_CODES_HELP = """\b
Exit codes:
  0 ok  1 error  2 usage / invalid input  3 not found  4 conflict, already exists or in use
  5 kernel failure  6 state locked  7 corrupt state  130 interrupted
"""

app = typer.Typer(
    name="hnsctl",
    help="Windows Host Networking Service (HNS) networks, endpoints and namespaces on the Linux kernel. Mirrors the *-Hns* cmdlets.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(network.app, name="network")
app.add_typer(endpoint.app, name="endpoint")
app.add_typer(namespace.app, name="namespace")
app.command("version")(system.version)


@app.callback()
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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: expected errors become one stderr line and a documented exit code."""
    try:
        app(args=argv, prog_name="hnsctl")
    except HnsError as error:
        if context.CURRENT.debug:
            import traceback

            traceback.print_exc()
        print_error(error, as_json=context.CURRENT.json_errors)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("hnsctl: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
