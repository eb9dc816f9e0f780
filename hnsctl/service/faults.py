"""Fault injection for crash tests: `HNSCTL_FAULT_AT=<step>` kills the process with SIGKILL at that step.

Inert unless the variable is set. The steps are named where a mutation has changed something and not
yet everything (see docs/reliability.md); the crash tests walk them all and check that `hnsctl
reconcile` always brings kernel and state back together.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "HNSCTL_FAULT_AT"


def fault_point(step: str) -> None:
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
