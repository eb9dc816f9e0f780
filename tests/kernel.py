"""Helpers for tests that use the real kernel: throwaway named namespaces and entering them in-process."""

from __future__ import annotations

import ctypes
import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the block with this thread in netns `name`; sockets opened inside stay bound to it."""
    original = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        yield
    finally:
        _setns(original)
        os.close(original)
        os.close(target)


def ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """iproute2 for test set-up and inspection only (the product itself never shells out)."""
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    return subprocess.run([*prefix, *args], check=check, capture_output=True, text=True)


def new_namespace(prefix: str = "t") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", netns=name)
    return name


def delete_namespace(name: str) -> None:
    if Path(f"/run/netns/{name}").exists():
        ip("netns", "del", name, check=False)


def nsexec(name: str, *argv: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command with its network namespace set to `name` (nsenter, no mount games)."""
    return subprocess.run(
        ["nsenter", f"--net=/run/netns/{name}", "--", *argv],
        capture_output=True, text=True, env=env, input=input, timeout=120,
    )
