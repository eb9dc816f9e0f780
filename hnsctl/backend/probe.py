"""Kernel feature probes for `hnsctl doctor`, run in a throwaway network namespace.

The probe unshares a fresh anonymous namespace for this thread, tries each object kind there, and
returns to hnsctl's own namespace; the throwaway one disappears with its last socket. The host's own
interfaces, routes and firewall are never touched.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

CLONE_NEWNET = 0x40000000


def probe_kernel() -> list[tuple[str, bool, str]]:
    """(feature, works, detail) for bridge, veth, vxlan, tc tbf, nf_tables and named namespaces."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    results: list[tuple[str, bool, str]] = []
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            error = os.strerror(ctypes.get_errno())
            return [("netns", False, f"cannot create a network namespace: {error}")]
        try:
            results.append(("netns", True, "network namespaces can be created"))
            from hnsctl.backend.pyroute import IPRoute

            ipr = IPRoute()
            try:
                results.extend(_links(ipr))
            finally:
                ipr.close()
            results.append(_nftables())
        finally:
            libc.setns(home, CLONE_NEWNET)
    finally:
        os.close(home)
    return results


def _attempt(name: str, action: Callable[[], Any], ok: str) -> tuple[str, bool, str]:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - a probe reports, whatever the kernel says
        return name, False, str(exc)
    return name, True, ok


def _links(ipr: Any) -> list[tuple[str, bool, str]]:
    results = [
        _attempt("bridge", lambda: ipr.link("add", ifname="probe-br", kind="bridge"), "bridges work"),
        _attempt("veth", lambda: ipr.link("add", ifname="probe-v0", kind="veth", peer={"ifname": "probe-v1"}), "veth pairs work"),
        _attempt("vxlan", lambda: ipr.link("add", ifname="probe-vx", kind="vxlan", vxlan_id=42, vxlan_port=4789),
                 "vxlan works (overlay networks)"),
    ]

    def tbf() -> None:
        index = ipr.link("get", ifname="probe-v0")[0]["index"]
        ipr.tc("replace", kind="tbf", index=index, handle="1:", rate=125000, burst=32768, latency=50000)

    results.append(_attempt("tc", tbf, "tc tbf works (QoS)"))
    results.extend(_vlans(ipr))
    return results


def _vlans(ipr: Any) -> list[tuple[str, bool, str]]:
    """The two ways to put a network on a VLAN: 802.1Q sub-interfaces, or bridge VLAN filtering."""

    def dot1q() -> None:
        index = ipr.link("get", ifname="probe-v0")[0]["index"]
        ipr.link("add", ifname="probe-v0.7", kind="vlan", link=index, vlan_id=7)

    return [
        _attempt("802.1q", dot1q, "802.1Q VLAN interfaces work"),
        _attempt("bridge-vlan-filtering", lambda: ipr.link("add", ifname="probe-brv", kind="bridge", br_vlan_filtering=1),
                 "bridge VLAN filtering works"),
    ]


def vlan_support() -> dict[str, tuple[bool, str]]:
    """Only the VLAN probes' answers, for `network create --vlan`."""
    return {name: (works, detail) for name, works, detail in probe_kernel() if name in ("802.1q", "bridge-vlan-filtering")}


def _nftables() -> tuple[str, bool, str]:
    def table() -> None:
        from hnsctl.backend.libnftables import Nftables

        nft = Nftables()
        try:
            nft.run([{"add": {"table": {"family": "inet", "name": "hnsctl-probe"}}}], doing="probing nf_tables")
        finally:
            nft.close()

    return _attempt("nf_tables", table, "nf_tables works through libnftables")
