"""The state directory's layout, and the checks that the whole tree can be trusted before hnsctl uses it.

`<state-dir>/<kind>/<id>.toml` holds one object per file; `cache/<kind>.json` the derived parse cache;
`generation` a counter every write bumps; `journal` the change set of a commit in flight (journal.py);
`lock` the flock writers hold. A directory someone else could
plant records in, or a link anywhere inside the tree, is refused (exit 7) before the first read or write,
so a command never half-runs against a tree it should not trust.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hnsctl.errors import CorruptState
from hnsctl.store.atomic import ensure_private_dir
from hnsctl.store.guard import check_file, check_subdir, not_a_directory, permission_error

CACHE_DIR = "cache"
GENERATION_FILE = "generation"
JOURNAL_FILE = "journal"
LOCK_FILE = "lock"
NETWORKS = "networks"
ENDPOINTS = "endpoints"
NAMESPACES = "namespaces"
POLICIES = "policies"
INTENTS = "intents"
LOADBALANCERS = "loadbalancers"
RECORD_DIRS = (NETWORKS, ENDPOINTS, NAMESPACES, POLICIES, INTENTS, LOADBALANCERS)


def check_root(root: Path) -> bool:
    """Refuse a state directory someone else could plant records in: wrong owner, or writable by others.

    The directory itself may be a link (followed, as always); it must be a directory, and what is
    inside it (subdirectories, lock, generation) is checked without following links.

    True once it was checked; False when it does not exist yet (nothing to trust or distrust).
    """
    try:
        st = os.stat(root)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise not_a_directory(root, parent=True) from None
    except PermissionError:
        raise permission_error(root) from None
    except OSError as exc:  # ELOOP, ENAMETOOLONG: a one-line error, not a traceback
        raise CorruptState(f"using state directory {root}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise not_a_directory(root)
    # another user could rewrite the records hnsctl acts on as root: refused as state it cannot trust (exit 7)
    if st.st_uid not in (os.geteuid(), 0):
        raise CorruptState(
            f"using state directory {root}: it belongs to uid {st.st_uid}, not to this user",
            hint="use a directory you own (chown it, or pick another --state-dir)",
        )
    if st.st_mode & 0o022:
        raise CorruptState(
            f"using state directory {root}: it is writable by other users (mode {st.st_mode & 0o7777:o})",
            hint=f"chmod 700 {root}, or point --state-dir at a private directory",
        )
    check_tree(root)
    return True


def check_tree(root: Path) -> None:
    """Every subdirectory, cache file, the lock and the generation file, whichever the command touches.

    A link or a shared directory anywhere in the tree is refused (exit 7) before the first read or
    write, so a command never half-runs against a tree it should not trust.
    """
    for name in (*RECORD_DIRS, CACHE_DIR):
        check_subdir(root / name)
    for kind in RECORD_DIRS:
        check_file(root / CACHE_DIR / f"{kind}.json", "cache file")
    check_file(root / LOCK_FILE, "state lock")
    check_file(root / GENERATION_FILE)
    check_file(root / JOURNAL_FILE, "commit journal")


def ensure_root(root: Path) -> None:
    """Create the state directory (private) for the first write; a file or a dangling link in its place is refused."""
    try:
        ensure_private_dir(root)
    except PermissionError:
        raise permission_error(root) from None
    except (FileExistsError, NotADirectoryError):  # a dangling link, or a file on the way
        raise not_a_directory(root) from None
