"""Links, addresses and routes through pyroute2's IPRoute, with netlink errors turned into hnsctl errors."""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

from hnsctl.backend.pyroute import IPRoute, NetlinkError

from hnsctl.backend.base import BridgeSpec, OwnedLink, RouteInfo
from hnsctl.errors import Conflict, KernelError, PermissionDenied
from hnsctl.models.ids import owner_from_tag, owner_tag

MAIN_TABLE = 254
GONE = (errno.ENODEV, errno.ENOENT, errno.ESRCH)


@contextmanager
def netlink_errors(doing: str) -> Iterator[None]:
    """Name the operation in every failure, and say plainly when it is a privilege problem."""
    try:
        yield
    except NetlinkError as exc:
        if exc.code == errno.EPERM:
            raise PermissionDenied(f"{doing}: operation not permitted", hint="run hnsctl as root (it needs CAP_NET_ADMIN)") from exc
        if exc.code == errno.EEXIST:
            raise Conflict(f"{doing}: already exists in the kernel", hint="run `hnsctl reconcile` if it is a leftover") from exc
        raise KernelError(f"{doing}: {errno.errorcode.get(exc.code, exc.code)} ({exc.args[1] if len(exc.args) > 1 else exc})") from exc


class Netlink:
    """One rtnetlink socket per hnsctl run, opened on first use."""

    def __init__(self) -> None:
        self._ipr: IPRoute | None = None

    @property
    def ipr(self) -> IPRoute:
        if self._ipr is None:
            self._ipr = IPRoute()
        return self._ipr

    def close(self) -> None:
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None

    def index_of(self, name: str) -> int | None:
        """One RTM_GETLINK by name: constant time, where link_lookup dumps every interface."""
        try:
            (link,) = self.ipr.link("get", ifname=name)
        except NetlinkError as exc:
            if exc.code in GONE:
                return None
            raise
        return int(link["index"])

    def link_exists(self, name: str) -> bool:
        return self.index_of(name) is not None

    def list_routes(self) -> list[RouteInfo]:
        names = {link["index"]: link.get("ifname") for link in self.ipr.get_links()}
        routes = []
        for route in self.ipr.get_routes(table=MAIN_TABLE):
            dst = route.get("dst")
            if dst is None:
                continue  # default route: never an overlap
            prefix = ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False)
            routes.append(RouteInfo(prefix, names.get(route.get("oif"), "?") or "?"))
        return routes

    def list_owned_links(self) -> list[OwnedLink]:
        addresses: dict[int, set[str]] = {}
        for addr in self.ipr.get_addr():
            ip = addr.get("address")
            if ip and not ipaddress.ip_address(ip).is_link_local:
                addresses.setdefault(addr["index"], set()).add(f"{ip}/{addr['prefixlen']}")
        owned = []
        for link in self.ipr.get_links():
            owner = owner_from_tag(link.get("ifalias"))
            if owner:
                kind = link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") or ""
                up = bool(link["flags"] & 1)
                owned.append(OwnedLink(link.get("ifname"), owner, kind, frozenset(addresses.get(link["index"], ())), up))
        return owned

    def repair_bridge(self, spec: BridgeSpec) -> None:
        index = self.index_of(spec.name)
        if index is None:
            raise KernelError(f"repairing bridge {spec.name}: it does not exist")
        present = {
            f"{a.get('address')}/{a['prefixlen']}" for a in self.ipr.get_addr(index=index) if a.get("address")
        }
        with netlink_errors(f"repairing bridge {spec.name}"):
            self.ipr.link("set", index=index, ifalias=owner_tag(spec.owner))
            for address in spec.addresses:
                iface = ipaddress.ip_interface(address)
                if f"{iface.ip}/{iface.network.prefixlen}" not in present:
                    self.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
            self.ipr.link("set", index=index, state="up")

    def create_bridge(self, spec: BridgeSpec) -> None:
        doing = f"creating bridge {spec.name}"
        with netlink_errors(doing):
            self.ipr.link("add", ifname=spec.name, kind="bridge")
        index = self.index_of(spec.name)
        if index is None:
            raise KernelError(f"{doing}: the kernel did not report the new interface")
        with netlink_errors(f"configuring bridge {spec.name}"):
            self.ipr.link("set", index=index, ifalias=owner_tag(spec.owner))
            for address in spec.addresses:
                iface = ipaddress.ip_interface(address)
                self.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
            self.ipr.link("set", index=index, state="up")

    def delete_link(self, name: str, owner: str) -> None:
        """Delete an interface hnsctl made for `owner`. Gone is fine; one tagged for someone else is refused.

        An untagged interface with hnsctl's derived name is taken as ours: it is what a crash between
        creating and tagging leaves behind.
        """
        try:
            (link,) = self.ipr.link("get", ifname=name)
        except NetlinkError as exc:
            if exc.code in GONE:
                return
            raise
        alias = link.get("ifalias")
        if alias and alias != owner_tag(owner):
            raise Conflict(
                f"deleting interface {name}: it is tagged {alias!r}, not {owner_tag(owner)!r}; left untouched",
                hint="it belongs to something else; remove it yourself if it is a leftover",
            )
        index = int(link["index"])
        try:
            with netlink_errors(f"deleting interface {name}"):
                self.ipr.link("del", index=index)
        except KernelError as exc:
            if isinstance(exc.__cause__, NetlinkError) and exc.__cause__.code in GONE:
                return
            raise
