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


def allow_loopback_destinations(interface: str) -> None:
    """route_localnet on one of hnsctl's own bridges: an ICS network's DNS forwarder may point at a
    resolver on 127.0.0.0/8 (systemd-resolved's 127.0.0.53); without it those DNATed packets are dropped."""
    path = Path(f"/proc/sys/net/ipv4/conf/{interface}/route_localnet")
    try:
        if path.read_text().strip() != "1":
            path.write_text("1\n")
    except OSError as exc:
        raise KernelError(f"allowing loopback destinations on {interface}: {exc.strerror} ({path})") from None


BRIDGE_FILTERING = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


def enable_bridge_filtering() -> bool:
    """Bridged IPv4 traffic (endpoint to endpoint) reaches nftables only through br_netfilter.

    Its sysctl exists only when the kernel has br_netfilter; False tells the caller to warn.
    """
    try:
        if BRIDGE_FILTERING.read_text().strip() != "1":
            BRIDGE_FILTERING.write_text("1\n")
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise KernelError(f"enabling bridge filtering: {exc.strerror} ({BRIDGE_FILTERING})") from None
    return True
