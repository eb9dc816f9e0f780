"""Settings shared by every layer: where state lives, whether to touch the kernel, how long to wait."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path("/var/lib/hnsctl")
STATE_DIR_ENV = "HNSCTL_STATE_DIR"
DEFAULT_LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class Settings:
    """What one invocation was asked to do, resolved from flags and the environment."""

    state_dir: Path = DEFAULT_STATE_DIR
    dry_run: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    @classmethod
    def from_environment(
        cls, state_dir: Path | None = None, *, dry_run: bool = False, lock_timeout: float | None = None
    ) -> Settings:
        """Flags win over `HNSCTL_STATE_DIR`, which wins over /var/lib/hnsctl."""
        if state_dir is None:
            env = os.environ.get(STATE_DIR_ENV)
            state_dir = Path(env) if env else DEFAULT_STATE_DIR
        return cls(
            state_dir=state_dir,
            dry_run=dry_run,
            lock_timeout=DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout,
        )
