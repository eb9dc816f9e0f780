"""Capability check, so an unprivileged run fails with one clear line before anything is attempted."""

from __future__ import annotations

from pathlib import Path

from hnsctl.errors import PermissionDenied

CAP_NET_ADMIN = 12


def has_capability(bit: int, status_path: Path = Path("/proc/self/status")) -> bool:
    try:
        for line in status_path.read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    except OSError:
        return False
    return False


def require_net_admin(doing: str = "changing networking") -> None:
    if not has_capability(CAP_NET_ADMIN):
        raise PermissionDenied(
            f"{doing}: this needs root (CAP_NET_ADMIN)",
            hint="run it with sudo, or use --dry-run to see what it would do",
        )
