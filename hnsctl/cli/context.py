"""Per-invocation CLI state (global flags) and the lazy door to the service layer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hnsctl.config import Settings

if TYPE_CHECKING:
    from hnsctl.service import Services


@dataclass
class Invocation:
    """Global flags of the running command; reset by the root callback on every invocation."""

    state_dir: Path | None = None
    lock_timeout: float | None = None
    debug: bool = False
    json_errors: bool = False


CURRENT = Invocation()


def reset(**values: object) -> None:
    global CURRENT
    CURRENT = Invocation(**values)  # type: ignore[arg-type]


@contextmanager
def services(*, dry_run: bool = False) -> Iterator[Services]:
    """Open the service layer for one command; imported here so `--help` never pays for it."""
    from hnsctl.service import open_services

    settings = Settings.from_environment(CURRENT.state_dir, dry_run=dry_run, lock_timeout=CURRENT.lock_timeout)
    opened = open_services(settings)
    try:
        yield opened
    finally:
        opened.close()
