"""A transparent network's bridge taking over a host adapter, and giving it back exactly as it was.

The classic failure of an external switch is "the host NIC lost its IP". Here the adapter's global
addresses and the routes through it move to the bridge (the host stays reachable at the same
addresses) and come back to the adapter on delete. What moved is an AdapterState, which the service
records with the network, so the way back works after a crash or a reboot too.
"""

from __future__ import annotations

import errno
import ipaddress
from typing import Any

from hnsctl.backend.base import AdapterAddress, AdapterRoute, AdapterState
from hnsctl.backend.netlink import MAIN_TABLE, Netlink, netlink_errors
from hnsctl.backend.pyroute import NetlinkError
from hnsctl.errors import Conflict, InvalidInput, KernelError

RTPROT_KERNEL = 2
AF = {4: 2, 6: 10}


def adapter_route(route: Any) -> AdapterRoute:
    """A netlink route message as the AdapterRoute that puts it back."""
    family = 6 if route["family"] == 10 else 4
    dst = route.get("RTA_DST") or ("0.0.0.0" if family == 4 else "::")
    gateway, source = route.get("RTA_GATEWAY"), route.get("RTA_PREFSRC")
    return AdapterRoute(ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False),
                        ipaddress.ip_address(gateway) if gateway else None, int(route.get("RTA_PRIORITY") or 0),
                        int(route["proto"]), int(route["scope"]), ipaddress.ip_address(source) if source else None)


def route_request(route: AdapterRoute) -> dict[str, Any]:
    """The pyroute2 arguments that replace `route` in the main table (the interface is the caller's)."""
    request: dict[str, Any] = {"dst": str(route.destination), "family": AF[route.destination.version], "priority": route.metric,
                               "proto": route.proto, "scope": route.scope, "table": MAIN_TABLE}
    if route.gateway is not None:
        request["gateway"] = str(route.gateway)
    if route.source is not None:
        request["prefsrc"] = str(route.source)
    return request


class Uplinks:
    def __init__(self, netlink: Netlink) -> None:
        self.netlink = netlink

    def check_free(self, adapter: str) -> None:
        """The adapter exists and no bridge (ours or anybody's) has it already."""
        try:
            (link,) = self.netlink.ipr.link("get", ifname=adapter)
        except NetlinkError as exc:
            raise InvalidInput(f"invalid --adapter {adapter!r}: no such interface", hns_name="HCN_E_ADAPTER_NOT_FOUND") from exc
        master = link.get("IFLA_MASTER")
        if master:
            names = {x["index"]: x.get("ifname") for x in self.netlink.ipr.get_links()}
            raise Conflict(f"--adapter {adapter}: it is already a port of {names.get(master, master)}",
                           hint="free it from that bridge first (an hnsctl network on it would be shared instead)")
        kind = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND")
        if kind in ("bridge", "vxlan"):
            raise InvalidInput(f"invalid --adapter {adapter!r}: it is a {kind} device, not an adapter")

    def _addresses(self, index: int) -> list[Any]:
        return [a for a in self.netlink.ipr.get_addr(index=index) if a["scope"] == 0 and a.get("IFA_ADDRESS")]

    def _routes(self, index: int) -> list[Any]:
        routes = []
        for family in (2, 10):
            for route in self.netlink.ipr.get_routes(family=family, table=MAIN_TABLE):
                if route.get("RTA_OIF") != index or route["proto"] == RTPROT_KERNEL:
                    continue
                if family == 10 and ipaddress.ip_network(f"{route.get('RTA_DST') or '::'}/{route['dst_len']}").is_link_local:
                    continue
                routes.append(route)
        return routes

    def state(self, adapter: str) -> AdapterState:
        """The adapter's global addresses and the (non-connected) routes through it."""
        index = self.netlink.index_of(adapter)
        if index is None:
            raise InvalidInput(f"invalid --adapter {adapter!r}: no such interface", hns_name="HCN_E_ADAPTER_NOT_FOUND")
        addresses = tuple(
            AdapterAddress(ipaddress.ip_interface(f"{a.get('IFA_ADDRESS')}/{a['prefixlen']}"),
                           ipaddress.ip_address(a.get("IFA_BROADCAST")) if a.get("IFA_BROADCAST") else None)
            for a in self._addresses(index))
        return AdapterState(addresses, tuple(adapter_route(r) for r in self._routes(index)))

    def mac(self, adapter: str) -> str:
        (link,) = self.netlink.ipr.link("get", ifname=adapter)
        return str(link.get("IFLA_ADDRESS"))

    def _add_address(self, index: int, address: AdapterAddress) -> None:
        iface = address.interface
        extra = {"broadcast": str(address.broadcast)} if address.broadcast is not None else {}
        try:
            self.netlink.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen, **extra)
        except NetlinkError as exc:
            if exc.code != errno.EEXIST:
                raise

    def give_back(self, bridge: str, adapter: str, state: AdapterState) -> None:
        """Release the adapter and put back exactly the recorded addresses and routes (idempotent)."""
        ipr = self.netlink.ipr
        adapter_index = self.netlink.index_of(adapter)
        if adapter_index is None:
            return  # the adapter went away (unplugged, renamed): nothing to give back to
        bridge_index = self.netlink.index_of(bridge)
        with netlink_errors(f"giving {adapter} back its addresses and routes"):
            ipr.link("set", index=adapter_index, master=0)
            if bridge_index is not None:
                for address in state.addresses:  # off the bridge first, so the routes come back on the adapter
                    iface = address.interface
                    try:
                        ipr.addr("del", index=bridge_index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
                    except NetlinkError as exc:
                        if exc.code not in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
                            raise
            for address in state.addresses:
                self._add_address(adapter_index, address)
            for route in state.routes:
                ipr.route("replace", oif=adapter_index, **route_request(route))

    def move_to_bridge(self, bridge: str, adapter: str, state: AdapterState) -> None:
        """Enslave the adapter and move the recorded addresses and routes onto the bridge (create and
        reconcile alike: the record is written before anything moves, so a crash never loses them)."""
        ipr = self.netlink.ipr
        bridge_index, adapter_index = self.netlink.index_of(bridge), self.netlink.index_of(adapter)
        if bridge_index is None or adapter_index is None:
            raise KernelError(f"re-taking {adapter}: {bridge} or {adapter} is missing")
        with netlink_errors(f"moving {adapter} into {bridge}"):
            mtu = ipr.link("get", index=adapter_index)[0].get("IFLA_MTU")
            ipr.link("set", index=bridge_index, mtu=mtu)
            ipr.link("set", index=adapter_index, master=bridge_index, state="up")
            for address in state.addresses:  # on the bridge first, then off the adapter (which drops its routes)
                self._add_address(bridge_index, address)
                iface = address.interface
                try:
                    ipr.addr("del", index=adapter_index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
                except NetlinkError as exc:
                    if exc.code not in (errno.EADDRNOTAVAIL, errno.ENOENT):
                        raise
            for route in state.routes:
                ipr.route("replace", oif=bridge_index, **route_request(route))

    def holds(self, bridge: str, adapter: str) -> bool:
        """The adapter is a port of the bridge (for reconcile)."""
        try:
            (link,) = self.netlink.ipr.link("get", ifname=adapter)
        except NetlinkError:
            return False
        return link.get("IFLA_MASTER") == self.netlink.index_of(bridge)
