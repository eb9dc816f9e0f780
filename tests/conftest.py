"""Suite-wide guards: kernel tests run only inside the suite's own network + mount namespace.

The README's test command starts pytest under `unshare --net --mount`; here we check that this is
really so before any test may touch the kernel, and give /run/netns and /etc/netns private tmpfs
mounts so namespaces the tests create never appear on the host.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REQUIRE_ENV = "HNSCTL_REQUIRE_KERNEL_TESTS"


def _same_namespace(kind: str) -> bool:
    """True unless this process is provably in a different namespace than its parent (or PID 1).

    The README command execs pytest straight from `unshare`, so the parent is still in the host's
    namespaces. Anything unreadable counts as "same": when in doubt, kernel tests do not run.
    """
    mine = os.stat(f"/proc/self/ns/{kind}").st_ino
    compared = False
    for pid in (1, os.getppid()):
        try:
            theirs = os.stat(f"/proc/{pid}/ns/{kind}").st_ino
        except OSError:
            continue
        compared = True
        if theirs == mine:
            return True
    return not compared


def kernel_isolation_problem() -> str | None:
    """Why kernel tests may not run here, or None when they may."""
    if os.geteuid() != 0:
        return "kernel tests need root"
    if _same_namespace("net") or _same_namespace("mnt"):
        return "kernel tests run only in a private namespace: use the README test command (unshare --net --mount)"
    return None


PROBLEM = kernel_isolation_problem()


def pytest_configure(config: pytest.Config) -> None:
    if PROBLEM is None:
        for path in ("/run/netns", "/etc/netns"):
            Path(path).mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "hnsctl-test", path], check=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath) or "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.kernel)
    if PROBLEM is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        raise pytest.UsageError(f"{REQUIRE_ENV}=1 but {PROBLEM}")
    skip = pytest.mark.skip(reason=PROBLEM)
    for item in items:
        if "kernel" in item.keywords:
            item.add_marker(skip)
