"""Crash-safe file replacement: readers see the old file or the new one, never a torn one."""

from __future__ import annotations

import os
from pathlib import Path

from hnsctl.store.guard import NOFOLLOW, check_subdir, open_nofollow

DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> None:
    """Create the directory (and parents) owner-only.

    An existing directory is left as it is: `--state-dir /tmp` must never chmod /tmp.
    """
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def ensure_private_subdir(path: Path) -> None:
    """Create a subdirectory of the state directory owner-only, or check the one that is there.

    Unlike the state directory itself, a subdirectory is hnsctl's alone: an existing one that is a
    link, not a directory, someone else's or writable by others is refused (exit 7), never used.
    """
    if check_subdir(path):
        return
    ensure_private_dir(path.parent)  # the state directory, as before: created with its parents if missing
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        check_subdir(path)  # a concurrent reader created the cache directory first
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)
    try:
        os.fchmod(fd, DIR_MODE)  # mkdir's mode is filtered by the umask
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """`.<name>.<pid>.tmp` beside the target; guard.py's *_TEMP patterns recognise leftovers by it."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Temp file in the same directory, fsync, rename over the target, fsync the directory.

    `durable=False` (derived data such as caches) keeps the atomic rename and skips the fsyncs.
    """
    tmp = temp_path(path)
    # O_NOFOLLOW: a link planted at the temp name is refused, never truncated through. A regular file
    # there is a leftover of a killed process that had this pid: ours to overwrite.
    fd = open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE, what="temp file")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def remove_durably(path: Path) -> None:
    """Unlink and fsync the directory so the removal survives a crash; a missing file is fine."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)
