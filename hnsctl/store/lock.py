"""The one state lock: an flock on <state-dir>/lock that serialises every mutation."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from hnsctl.errors import StateLocked
from hnsctl.store.atomic import FILE_MODE

POLL_INTERVAL = 0.02


class StateLock:
    """Exclusive flock with a timeout; the holder writes its pid into the file so waiters can name it.

    The kernel drops an flock when its holder dies, so a killed hnsctl never leaves a stale lock.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = read_holder(self.path)
                    os.close(fd)
                    who = f"process {holder}" if holder else "another process"
                    raise StateLocked(
                        f"waiting for the state lock {self.path}: {who} held it for more than {self.timeout:g}s",
                        hint=f"wait for {who} to finish, or raise --lock-timeout",
                    ) from None
                time.sleep(POLL_INTERVAL)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def read_holder(path: Path) -> int | None:
    """The pid recorded by the current holder, if it wrote one."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def lock_holder(path: Path) -> int | None:
    """The pid holding the lock right now, or None when it is free (a non-blocking probe)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return read_holder(path) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
