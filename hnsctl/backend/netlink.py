"""Links, addresses and routes through pyroute2's IPRoute, with netlink errors turned into hnsctl errors."""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

from hnsctl.backend.base import BridgeSpec, IPInterface, OwnedLink, RouteInfo, VxlanSpec
from hnsctl.backend.pyroute import IPRoute, NetlinkError
from hnsctl.errors import Conflict, InvalidInput, KernelError, PermissionDenied
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

    def host_addresses(self) -> set[str]:
        return {str(a.get("address")) for a in self.ipr.get_addr(family=2) if a.get("address")}

    def list_owned_links(self) -> list[OwnedLink]:
        addresses: dict[int, set[IPInterface]] = {}
        for addr in self.ipr.get_addr():
            ip = addr.get("address")
            if ip and not ipaddress.ip_address(ip).is_link_local:
                addresses.setdefault(addr["index"], set()).add(ipaddress.ip_interface(f"{ip}/{addr['prefixlen']}"))
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
            ipaddress.ip_interface(f"{a.get('address')}/{a['prefixlen']}") for a in self.ipr.get_addr(index=index) if a.get("address")
        }
        with netlink_errors(f"repairing bridge {spec.name}"):
            self.ipr.link("set", index=index, ifalias=owner_tag(spec.owner))
            for iface in spec.addresses:
                if iface not in present:
                    self.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
            self.ipr.link("set", index=index, state="up")

    def create_bridge(self, spec: BridgeSpec) -> None:
        doing = f"creating bridge {spec.name}"
        extra: dict[str, object] = {}
        if spec.mac:
            extra["address"] = spec.mac
        if spec.mtu:
            extra["mtu"] = spec.mtu
        with netlink_errors(doing):
            self.ipr.link("add", ifname=spec.name, kind="bridge", **extra)
        index = self.index_of(spec.name)
        if index is None:
            raise KernelError(f"{doing}: the kernel did not report the new interface")
        with netlink_errors(f"configuring bridge {spec.name}"):
            self.ipr.link("set", index=index, ifalias=owner_tag(spec.owner))
            for iface in spec.addresses:
                self.ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
            self.ipr.link("set", index=index, state="up")

    def create_vxlan(self, spec: VxlanSpec) -> None:
        bridge = self.index_of(spec.bridge)
        underlay = self.index_of(spec.underlay) if spec.underlay else None
        if bridge is None:
            raise KernelError(f"creating VXLAN device {spec.name}: bridge {spec.bridge} is missing", hint="run `hnsctl reconcile`")
        options: dict[str, object] = {"vxlan_id": spec.vni, "vxlan_port": spec.port, "vxlan_local": spec.local, "vxlan_learning": 0}
        if underlay is not None:
            options["vxlan_link"] = underlay
        with netlink_errors(f"creating VXLAN device {spec.name} (VNI {spec.vni}, port {spec.port}, local {spec.local})"):
            self.ipr.link("add", ifname=spec.name, kind="vxlan", mtu=spec.mtu, **options)
        with netlink_errors(f"configuring VXLAN device {spec.name}"):
            # no `master` in the create: the kernel ignores it for vxlan, and the alias as well
            self.ipr.link("set", ifname=spec.name, ifalias=owner_tag(spec.owner), master=bridge, state="up")

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        """An existing VXLAN device back in its bridge and up (a missing one is recreated by the caller)."""
        bridge = self.index_of(spec.bridge)
        with netlink_errors(f"repairing VXLAN device {spec.name}"):
            self.ipr.link("set", ifname=spec.name, ifalias=owner_tag(spec.owner), master=bridge, state="up")

    def default_route_interface(self) -> str | None:
        """The interface of the main table's IPv4 default route (lowest metric): the adapter HNS picks by default."""
        names = {link["index"]: link.get("ifname") for link in self.ipr.get_links()}
        defaults = [r for r in self.ipr.get_routes(family=2, table=MAIN_TABLE) if r.get("dst") is None and r.get("oif") in names]
        if not defaults:
            return None
        best = min(defaults, key=lambda r: int(r.get("priority") or 0))
        return str(names[best.get("oif")])

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        """The interface, IPv4 address and MTU an overlay's VXLAN traffic leaves by."""
        names = {link["index"]: (link.get("ifname"), int(link.get("mtu") or 1500)) for link in self.ipr.get_links()}
        v4 = [(a["index"], a.get("address")) for a in self.ipr.get_addr(family=2) if a.get("address")]
        if provider_address:
            for index, address in v4:
                if address == provider_address:
                    name, mtu = names[index]
                    return name, address, mtu
            raise InvalidInput(f"invalid --provider-address {provider_address}: no interface of this host holds it",
                               hint="give one of this host's addresses on the underlay, or --adapter")
        if adapter:
            index = self.index_of(adapter)
            if index is None:
                raise InvalidInput(f"invalid --adapter {adapter!r}: no such interface", hns_name="HCN_E_ADAPTER_NOT_FOUND")
            address = next((a for i, a in v4 if i == index), None)
            if address is None:
                raise InvalidInput(f"invalid --adapter {adapter!r}: it has no IPv4 address to be the provider address",
                                   hint="add one, or give --provider-address")
            return adapter, address, names[index][1]
        for route in self.ipr.get_routes(family=2, table=MAIN_TABLE):
            if route.get("dst") is None and route.get("oif") in names:
                index = route.get("oif")
                address = route.get("prefsrc") or next((a for i, a in v4 if i == index), None)
                if address:
                    return names[index][0], address, names[index][1]
        raise InvalidInput("an overlay network needs an underlay: give --provider-address or --adapter (no default route to take it from)")

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
