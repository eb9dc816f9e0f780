"""The root command, global flags, and `main()`: the one place that turns errors into exit codes."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.core
import typer.main

from hnsctl.cli import context, system
from hnsctl.cli.render import print_error
from hnsctl.errors import ExitCode, HnsError

EXIT_CODES_HELP = """\b
Exit codes:
  0 ok  1 error  2 usage / invalid input  3 not found  4 conflict, already exists or in use
  5 kernel failure  6 state locked  7 corrupt state  130 interrupted
"""

# Command groups by name -> module holding its Typer `app`, imported only when the group is used.
GROUPS = {
    "network": "hnsctl.cli.network",
    "endpoint": "hnsctl.cli.endpoint",
    "namespace": "hnsctl.cli.namespace",
    "policy": "hnsctl.cli.policy",
    "loadbalancer": "hnsctl.cli.loadbalancer",
    "policylist": "hnsctl.cli.loadbalancer",  # the V1 name (Get-/Remove-HnsPolicyList) of the same objects
    "route": "hnsctl.cli.route",
}
GROUP_HELP = {"policylist": "Alias of `hnsctl loadbalancer` (HNS V1 name)."}


class LazyGroup(typer.core.TyperGroup):
    """The root group: command groups are listed by name and built on first use, through click's own
    `list_commands`/`get_command`. Typer inspects every command's signature when it builds a group, so
    building all of them for `hnsctl network list` would cost start-up time that scripts pay in loops."""

    def list_commands(self, ctx: Any) -> list[str]:
        built = super().list_commands(ctx)
        return [*built, *(name for name in GROUPS if name not in built)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in GROUPS:
            command = typer.main.get_command(importlib.import_module(GROUPS[cmd_name]).app)
            command.name = cmd_name
            if cmd_name in GROUP_HELP:
                command.help = GROUP_HELP[cmd_name]
            self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Typer suggests close names among the commands built so far; suggest among all of them."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            message = getattr(exc, "message", None)
            if args and isinstance(message, str) and message.startswith("No such command"):
                import difflib

                message = message.split(". Did you mean ", 1)[0].rstrip(".")
                matches = difflib.get_close_matches(args[0], self.list_commands(ctx))
                exc.message = f"{message}. Did you mean {', '.join(repr(m) for m in matches)}?" if matches else f"{message}."
            raise


def root(
    ctx: typer.Context,
    state_dir: Annotated[
        Optional[Path],
        typer.Option("--state-dir", envvar="HNSCTL_STATE_DIR", help="State directory.", show_default="/var/lib/hnsctl"),
    ] = None,
    lock_timeout: Annotated[
        Optional[float], typer.Option("--lock-timeout", min=0, help="Seconds to wait for the state lock.", show_default="30")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    flags = ctx.ensure_object(context.Invocation)
    flags.state_dir, flags.lock_timeout, flags.debug = state_dir, lock_timeout, debug


def create_app() -> typer.Typer:
    """The root Typer app: the system commands, and every command group loaded on demand."""
    application = typer.Typer(
        name="hnsctl",
        cls=LazyGroup,
        help="Windows Host Networking Service (HNS) networks, endpoints and namespaces on the Linux kernel. "
        "Mirrors the *-Hns* cmdlets.",
        epilog=EXIT_CODES_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(root)
    application.command("version")(system.version)
    application.command("reconcile")(system.reconcile)
    application.command("restore")(system.restore)
    application.command("doctor")(system.doctor)
    return application


app = create_app()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: expected errors become one stderr line and a documented exit code."""
    args = sys.argv[1:] if argv is None else argv
    flags = context.Invocation()
    try:
        app(args=args, prog_name="hnsctl", obj=flags)
    except HnsError as error:
        if flags.debug:
            import traceback

            traceback.print_exc()
        print_error(error, as_json=flags.json_errors)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("hnsctl: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
