"""Named network namespaces without forking: unshare + bind mount in-process, sockets bound by setns.

pyroute2's namespace helpers fork a child per call (about 15 ms each, measured); creating the
namespace in this thread and opening a netlink socket while inside it costs a few syscalls.
The layout is iproute2's, so `ip netns` sees and can use everything made here.
"""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

from hnsctl.errors import Conflict, KernelError, PermissionDenied

NETNS_RUN_DIR = Path("/run/netns")
NETNS_ETC_DIR = Path("/etc/netns")
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 1 << 20
MNT_DETACH = 2
RESOLV_MARKER = "# Written by hnsctl"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


def _call(result: int, doing: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        if code == errno.EPERM:
            raise PermissionDenied(f"{doing}: operation not permitted", hint="run hnsctl as root")
        raise OSError(code, f"{doing}: {os.strerror(code)}")


def _mount(source: str | None, target: Path, flags: int, doing: str) -> None:
    _call(_libc.mount(source.encode() if source else b"none", str(target).encode(), b"none", flags, None), doing)


def netns_path(name: str) -> Path:
    return NETNS_RUN_DIR / name


def namespace_exists(name: str) -> bool:
    """A live namespace file: a bind mount of an nsfs inode (a leftover plain file does not count)."""
    try:
        return os.stat(netns_path(name)).st_dev == os.stat("/proc/thread-self/ns/net").st_dev
    except OSError:
        return False


def list_namespace_names() -> list[str]:
    try:
        return sorted(p.name for p in NETNS_RUN_DIR.iterdir() if namespace_exists(p.name))
    except FileNotFoundError:
        return []


def _prepare_run_dir() -> None:
    """Make /run/netns a shared mount point, as iproute2 does, so mounts propagate to `ip netns exec` children."""
    NETNS_RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    try:
        _mount(None, NETNS_RUN_DIR, MS_SHARED | MS_REC, "sharing /run/netns")
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        _mount(str(NETNS_RUN_DIR), NETNS_RUN_DIR, MS_BIND | MS_REC, "binding /run/netns")
        _mount(None, NETNS_RUN_DIR, MS_SHARED | MS_REC, "sharing /run/netns")


class Namespaces:
    """Creates and removes named namespaces and hands out one netlink socket per namespace."""

    def __init__(self) -> None:
        self.home_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self._sockets: dict[str, object] = {}

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()  # type: ignore[attr-defined]
        self._sockets.clear()
        if self.home_fd >= 0:
            os.close(self.home_fd)
            self.home_fd = -1

    def create(self, name: str) -> None:
        path = netns_path(name)
        try:
            _prepare_run_dir()
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0)
        except FileExistsError:
            raise Conflict(f"creating namespace {name}: {path} already exists", hint="pick another name, or adopt it by attaching to it") from None
        except OSError as exc:
            raise KernelError(f"creating namespace {name}: {exc.strerror}") from None
        os.close(fd)
        try:
            _call(_libc.unshare(CLONE_NEWNET), f"creating namespace {name}")
            try:
                _mount("/proc/thread-self/ns/net", path, MS_BIND, f"mounting namespace {name}")
                from hnsctl.backend.pyroute import IPRoute

                sock = IPRoute()  # opened while inside: bound to the new namespace for good
                self._sockets[name] = sock
                sock.link("set", index=1, state="up")  # lo
            finally:
                _call(_libc.setns(self.home_fd, CLONE_NEWNET), "returning to hnsctl's own namespace")
        except OSError as exc:
            self._undo_create(name)
            raise KernelError(str(exc.strerror)) from None
        except BaseException:
            self._undo_create(name)
            raise

    def _undo_create(self, name: str) -> None:
        sock = self._sockets.pop(name, None)
        if sock is not None:
            sock.close()  # type: ignore[attr-defined]
        path = netns_path(name)
        _libc.umount2(str(path).encode(), MNT_DETACH)
        path.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        """Unmount and unlink; the namespace dies once nothing else holds it. Missing is fine."""
        sock = self._sockets.pop(name, None)
        if sock is not None:
            sock.close()  # type: ignore[attr-defined]
        path = netns_path(name)
        if _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
            code = ctypes.get_errno()
            if code not in (errno.EINVAL, errno.ENOENT):
                raise KernelError(f"deleting namespace {name}: {os.strerror(code)}")
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise KernelError(f"deleting namespace {name}: {exc.strerror}") from None

    def open_fd(self, name: str) -> int:
        try:
            return os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise KernelError(f"opening namespace {name}: it no longer exists", hint="run `hnsctl reconcile`") from None

    def socket(self, name: str):  # -> IPRoute
        """An IPRoute bound to namespace `name` (the socket keeps the namespace it was created in)."""
        if name in self._sockets:
            return self._sockets[name]
        from hnsctl.backend.pyroute import IPRoute

        fd = self.open_fd(name)
        try:
            _call(_libc.setns(fd, CLONE_NEWNET), f"entering namespace {name}")
            try:
                sock = IPRoute()
            finally:
                _call(_libc.setns(self.home_fd, CLONE_NEWNET), "returning to hnsctl's own namespace")
        finally:
            os.close(fd)
        self._sockets[name] = sock
        return sock


def write_resolv_conf(namespace: str, content: str | None) -> bool:
    """Write (or with None, remove) /etc/netns/<ns>/resolv.conf. Never touches a file hnsctl did not write.

    Returns False when a foreign file is in the way (the caller warns).
    """
    directory = NETNS_ETC_DIR / namespace
    path = directory / "resolv.conf"
    try:
        current = path.read_text()
    except FileNotFoundError:
        current = None
    except OSError:
        return False
    if current is not None and not current.startswith(RESOLV_MARKER):
        return False
    if content is None:
        if current is not None:
            path.unlink(missing_ok=True)
            try:
                directory.rmdir()
            except OSError:
                pass
        return True
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    tmp = directory / ".resolv.conf.hnsctl.tmp"
    tmp.write_text(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True
