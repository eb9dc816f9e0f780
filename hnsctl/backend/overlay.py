"""Overlay entries: what tells this host where a MAC on another host lives, through netlink.

A remote endpoint or a remote subnet is three kinds of entry and no interface:
  FDB    MAC -> the other host's provider address, on the VXLAN device (and MAC -> VXLAN port on the bridge)
  neigh  IP -> MAC, permanent, on the overlay bridge (the host never has to ARP across the underlay)
  route  the remote address or prefix through the bridge (when it is outside the bridge's own subnets)
Every entry is replaced, never added, so applying twice (reconcile) is the same as applying once.
"""

from __future__ import annotations

import errno
import ipaddress

from hnsctl.backend.base import RemoteSpec
from hnsctl.backend.netlink import GONE, Netlink, netlink_errors
from hnsctl.backend.pyroute import NetlinkError
from hnsctl.errors import KernelError

NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_SELF = 0x02
NTF_MASTER = 0x04
RT_SCOPE_LINK = 253
RTNH_F_ONLINK = 4


class OverlayEntries:
    def __init__(self, netlink: Netlink) -> None:
        self.netlink = netlink

    def _indexes(self, spec: RemoteSpec) -> tuple[int, int]:
        bridge, vxlan = self.netlink.index_of(spec.bridge), self.netlink.index_of(spec.vxlan)
        if bridge is None or vxlan is None:
            raise KernelError(f"overlay entries for {spec.neighbour}: {spec.bridge} or {spec.vxlan} is missing",
                              hint="run `hnsctl reconcile` to recreate the overlay network")
        return bridge, vxlan

    def apply(self, spec: RemoteSpec) -> None:
        bridge, vxlan = self._indexes(spec)
        ipr = self.netlink.ipr
        with netlink_errors(f"adding overlay entries for {spec.neighbour} ({spec.mac} at {spec.provider_address})"):
            # flags matter: without NTF_SELF the kernel gives the entry to the bridge, which ignores `dst`
            ipr.fdb("replace", ifindex=vxlan, lladdr=spec.mac, dst=spec.provider_address, flags=NTF_SELF, state=NUD_PERMANENT)
            ipr.fdb("replace", ifindex=vxlan, lladdr=spec.mac, master=bridge, flags=NTF_MASTER, state=NUD_NOARP)
            ipr.neigh("replace", dst=spec.neighbour, lladdr=spec.mac, ifindex=bridge, state=NUD_PERMANENT)
            if spec.route:
                if spec.via:
                    ipr.route("replace", dst=spec.route, gateway=spec.via, oif=bridge, flags=RTNH_F_ONLINK)
                else:
                    ipr.route("replace", dst=spec.route, oif=bridge, scope=RT_SCOPE_LINK)

    def remove(self, spec: RemoteSpec) -> None:
        """Exactly this entry's route, neighbour and (unless shared) FDB entries; gone counts as done."""
        bridge, vxlan = self.netlink.index_of(spec.bridge), self.netlink.index_of(spec.vxlan)
        ipr = self.netlink.ipr
        steps = []
        if bridge is not None:
            if spec.route:
                scope = 0 if spec.via else RT_SCOPE_LINK  # a delete matches on scope too
                steps.append(lambda: ipr.route("del", dst=spec.route, oif=bridge, scope=scope))
            steps.append(lambda: ipr.neigh("del", dst=spec.neighbour, lladdr=spec.mac, ifindex=bridge))
        if vxlan is not None and not spec.shared_mac:
            steps.append(lambda: ipr.fdb("del", ifindex=vxlan, lladdr=spec.mac, dst=spec.provider_address, flags=NTF_SELF))
            if bridge is not None:
                steps.append(lambda: ipr.fdb("del", ifindex=vxlan, lladdr=spec.mac, master=bridge, flags=NTF_MASTER))
        for step in steps:
            try:
                with netlink_errors(f"removing overlay entries for {spec.neighbour}"):
                    step()
            except KernelError as exc:
                cause = exc.__cause__
                if not (isinstance(cause, NetlinkError) and cause.code in (*GONE, errno.ENOENT, errno.ESRCH)):
                    raise

    def present(self, spec: RemoteSpec) -> bool:
        bridge, vxlan = self.netlink.index_of(spec.bridge), self.netlink.index_of(spec.vxlan)
        if bridge is None or vxlan is None:
            return False
        ipr = self.netlink.ipr
        mac = spec.mac.lower()
        neighbours = {(n.get("NDA_DST"), (n.get("NDA_LLADDR") or "").lower()) for n in ipr.get_neighbours(ifindex=bridge)}
        if (spec.neighbour, mac) not in neighbours:
            return False
        fdb = {((f.get("NDA_LLADDR") or "").lower(), f.get("NDA_DST")) for f in ipr.fdb("dump", ifindex=vxlan)}
        if (mac, spec.provider_address) not in fdb:
            return False
        if spec.route:
            prefix = ipaddress.ip_network(spec.route)
            routes = {(r.get("RTA_DST"), r["dst_len"]) for r in ipr.get_routes(family=2, oif=bridge)}
            return (str(prefix.network_address), prefix.prefixlen) in routes
        return True
