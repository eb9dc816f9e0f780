"""The one state lock: an flock on <state-dir>/lock that serialises every mutation."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from pathlib import Path
from types import TracebackType

from hnsctl.errors import CorruptState, StateLocked
from hnsctl.store.atomic import FILE_MODE
from hnsctl.store.guard import NOFOLLOW, open_nofollow

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
        fd = self._open()
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
                    holder = _holder_in(fd)
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

    def _open(self) -> int:
        """The lock file, never through a link: the holder truncates and writes it, which through a
        link would destroy whatever it points at. A link, or anything but a regular file, is exit 7."""
        try:
            fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, FILE_MODE, what="state lock")
        except IsADirectoryError:
            raise self._not_regular() from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise self._not_regular()
        return fd

    def _not_regular(self) -> CorruptState:
        return CorruptState(
            f"using state lock {self.path}: it is not a regular file",
            hint=f"move {self.path} aside; hnsctl recreates the lock",
        )

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
    """The pid recorded by the current holder, if it wrote one (a link is not read: no pid)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | NOFOLLOW)
    except OSError:
        return None
    try:
        return _holder_in(fd)
    finally:
        os.close(fd)


def _holder_in(fd: int) -> int | None:
    """The pid written at the start of an open lock file, if any."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def lock_holder(path: Path) -> int | None:
    """The pid holding the lock right now, or None when it is free (a non-blocking probe). A lock that is not
    a regular file (a symbolic link, a FIFO) is never opened: doctor reports it (`lock_problem`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | NOFOLLOW)  # a link is no lock of ours
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _holder_in(fd) or -1
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def lock_problem(path: Path) -> str | None:
    """Why `path` cannot be hnsctl's lock (a link or anything but a regular file), or None when it can."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symbolic link; hnsctl never follows links in its state: remove it"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file: remove it"
    return None
