"""Refusals for a state tree that could redirect hnsctl: links, non-directories, foreign or shared directories.

Everything under the state directory is hnsctl's own. A symbolic link there (planted, or left by an
administrator's `ln -s`) would make hnsctl read records from, or truncate and write, a file elsewhere;
a subdirectory other users can write lets them plant records. Both are refused with exit code 7 and
the path, and nothing is opened through the link. The state directory itself may be a link (to
another disk, say): it is checked where it points, as before.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from hnsctl.errors import CorruptState, PermissionDenied

NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
# The temp names write_atomic() gives (`.<target>.<pid>.tmp`), per directory: a record, a cache file,
# the generation counter or the commit journal. Nothing else is ever removed as a leftover.
RECORD_TEMP = re.compile(r"\.[A-Za-z0-9-]+\.toml\.(?P<pid>[0-9]+)\.tmp")
CACHE_TEMP = re.compile(r"\.[a-z]+\.json\.(?P<pid>[0-9]+)\.tmp")
GENERATION_TEMP = re.compile(r"\.(generation|journal)\.(?P<pid>[0-9]+)\.tmp")


def link_refused(path: Path, what: str = "state file") -> CorruptState:
    """The one wording for "this is a link", worded like the refusal of a symlinked record file."""
    return CorruptState(
        f"using {what} {path}: it is a symbolic link; hnsctl never follows links in its state",
        hint=f"replace {path} with what it points to, or move it aside; only the state directory itself may be a link",
    )


def permission_error(path: Path) -> PermissionDenied:
    """An unprivileged reader of a root-owned state directory: say so instead of a traceback."""
    return PermissionDenied(
        f"reading state {path}: permission denied",
        hint="run hnsctl as root, or point --state-dir / HNSCTL_STATE_DIR at a directory you own",
    )


def not_a_directory(path: Path, *, parent: bool = False) -> CorruptState:
    """`--state-dir` naming a regular file (or a path through one): one line, never a traceback."""
    cause = "a component of the path is not a directory" if parent else "it is not a directory"
    return CorruptState(
        f"using state directory {path}: {cause}",
        hint="point --state-dir / HNSCTL_STATE_DIR at a directory (hnsctl creates it if it does not exist)",
    )


def lstat_or_none(path: Path) -> os.stat_result | None:
    """lstat that maps a missing path to None and the errors a user can cause to HnsErrors."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise not_a_directory(path.parent, parent=True) from None
    except PermissionError:
        raise permission_error(path) from None


def check_subdir(path: Path) -> bool:
    """True when `path` is a private directory of this user (or root); False when it does not exist.

    Checked like the state directory itself (owner, not group/other-writable) but with lstat: a
    subdirectory that is a link could point anywhere, so it is refused rather than followed.
    """
    st = lstat_or_none(path)
    if st is None:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise link_refused(path, "state subdirectory")
    if not stat.S_ISDIR(st.st_mode):
        raise CorruptState(
            f"using state subdirectory {path}: it is not a directory",
            hint=f"move {path} aside; hnsctl recreates the directory",
        )
    if st.st_uid not in (os.geteuid(), 0):
        raise CorruptState(
            f"using state subdirectory {path}: it belongs to uid {st.st_uid}, not to this user or root",
            hint=f"chown {os.geteuid()} {path} && chmod 700 {path}",
        )
    if st.st_mode & 0o022:
        raise CorruptState(
            f"using state subdirectory {path}: it is writable by other users (mode {stat.S_IMODE(st.st_mode):o})",
            hint=f"chmod 700 {path}",
        )
    return True


def check_file(path: Path, what: str = "state file") -> None:
    """Refuse a link (or a directory, FIFO, device) where hnsctl keeps a regular file; missing is fine."""
    st = lstat_or_none(path)
    if st is None:
        return
    if stat.S_ISLNK(st.st_mode):
        raise link_refused(path, what)
    if not stat.S_ISREG(st.st_mode):
        raise CorruptState(f"using {what} {path}: it is not a regular file", hint=f"move {path} aside")


def open_nofollow(path: Path, flags: int, mode: int = 0o600, *, what: str = "state file") -> int:
    """os.open that never goes through a link: O_NOFOLLOW turns a link into ELOOP, reported as exit 7."""
    try:
        return os.open(path, flags | NOFOLLOW, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise link_refused(path, what) from None
        raise


def read_nofollow(path: Path, *, what: str = "state file") -> bytes:
    """The bytes of a regular file, read without following a link (FileNotFoundError if missing)."""
    fd = open_nofollow(path, os.O_RDONLY | os.O_NONBLOCK, what=what)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise CorruptState(f"using {what} {path}: it is not a regular file", hint=f"move {path} aside")
        return handle.read()


def writer_gone(pid: int) -> bool:
    """Whether the process that named a temp file is gone (or is us, and so not mid-write)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def remove_leftovers(
    directory: Path, pattern: re.Pattern[str], *, live_writers_possible: bool, directory_may_be_link: bool = False
) -> list[str]:
    """Unlink the temp files a killed writer left in one of hnsctl's directories; returns their names.

    Only regular files whose name fully matches `pattern` go; links and everything else stay. A
    subdirectory is opened with O_DIRECTORY|O_NOFOLLOW and entries are removed relative to it, so a
    directory swapped for a link in between is never walked (only the state directory itself may be
    a link). Where writers run without the lock (the cache), a temp file of a live process stays.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | (os.O_CLOEXEC if directory_may_be_link else NOFOLLOW)
    try:
        fd = os.open(directory, flags)
    except FileNotFoundError:
        return []
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since check_subdir() looked
            raise link_refused(directory, "state subdirectory") from None
        raise
    try:
        removed = [name for name in _leftover_names(fd, pattern, live_writers_possible) if _unlink_at(fd, name)]
        if removed:
            os.fsync(fd)
        return removed
    finally:
        os.close(fd)


def _leftover_names(fd: int, pattern: re.Pattern[str], live_writers_possible: bool) -> list[str]:
    """Names in the directory open at `fd` that are hnsctl temp files safe to remove now.

    Listed first and removed after, so the listing never races its own unlinks.
    """
    names = []
    with os.scandir(fd) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            if live_writers_possible and not writer_gone(int(match["pid"])):
                continue
            names.append(entry.name)
    return names


def _unlink_at(fd: int, name: str) -> bool:
    """Unlink one entry relative to its directory (unlink never follows a link); gone already is fine."""
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        return False
    return True
