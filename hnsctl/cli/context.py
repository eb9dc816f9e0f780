"""Per-invocation CLI state (global flags, kept in click's `ctx.obj`) and the lazy door to the service layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hnsctl.config import Settings

if TYPE_CHECKING:
    from hnsctl.service import Services


@dataclass
class Invocation:
    """Global flags of the running command. `main()` creates one per run and passes it in as `ctx.obj`, so it
    can still read `debug` and `json_errors` after the command has raised; the root callback fills it in."""

    state_dir: Path | None = None
    lock_timeout: float | None = None
    debug: bool = False
    json_errors: bool = False


def invocation(ctx: typer.Context) -> Invocation:
    """The running command's global flags. During shell completion the root callback does not run, so the
    root's parsed parameters (`--state-dir`, `HNSCTL_STATE_DIR`) stand in for it."""
    found = ctx.find_object(Invocation)
    if found is not None:
        return found
    params = ctx.find_root().params
    return Invocation(state_dir=params.get("state_dir"), lock_timeout=params.get("lock_timeout"))


@contextmanager
def services(ctx: typer.Context, *, dry_run: bool = False) -> Iterator[Services]:
    """Open the service layer for one command; imported here so `--help` never pays for it."""
    from hnsctl.service import open_services

    flags = invocation(ctx)
    settings = Settings.from_environment(flags.state_dir, dry_run=dry_run, lock_timeout=flags.lock_timeout)
    opened = open_services(settings)
    try:
        yield opened
    finally:
        opened.close()
