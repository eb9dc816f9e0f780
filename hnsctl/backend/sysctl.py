"""The few sysctls hnsctl needs, written through /proc/sys of the current network namespace."""

from __future__ import annotations

from pathlib import Path

from hnsctl.errors import KernelError, PermissionDenied

FORWARDING = {
    4: Path("/proc/sys/net/ipv4/ip_forward"),
    6: Path("/proc/sys/net/ipv6/conf/all/forwarding"),
}


def enable_forwarding(version: int) -> None:
    """Turn routing on for NAT networks; left on at delete, as other tools on the host may rely on it."""
    path = FORWARDING[version]
    try:
        if path.read_text().strip() == "1":
            return
        path.write_text("1\n")
    except PermissionError:
        raise PermissionDenied(f"enabling IPv{version} forwarding: permission denied writing {path}", hint="run hnsctl as root") from None
    except OSError as exc:
        raise KernelError(f"enabling IPv{version} forwarding: {exc.strerror} ({path})") from None
