"""Endpoint ports: a veth pair whose host side sits on a bridge and whose other side moves between
the host (parked or host-attached) and a container namespace."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from typing import Any

from hnsctl.backend.base import InterfaceConfig, InterfaceCounters, PortSpec
from hnsctl.backend.netlink import Netlink, netlink_errors
from hnsctl.backend.netns import Namespaces, namespace_exists
from hnsctl.backend.pyroute import NetlinkError
from hnsctl.errors import Conflict, KernelError
from hnsctl.models.ids import owner_tag

LOOPBACK_INDEX = 1  # lo is always the first interface of a network namespace


def _index(ipr: Any, name: str) -> int | None:
    """One RTM_GETLINK by name: constant time, where link_lookup dumps every interface."""
    try:
        (link,) = ipr.link("get", ifname=name)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return None
        raise
    return int(link["index"])


def _find_by_owner(ipr: Any, owner: str) -> tuple[int, str] | None:
    """The container side carries the same owner tag as the host side; find it wherever it was renamed."""
    tag = owner_tag(owner)
    for link in ipr.get_links():
        if link.get("ifalias") == tag and link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == "veth":
            return link["index"], link.get("ifname")
    return None


class Ports:
    def __init__(self, netlink: Netlink, namespaces: Namespaces) -> None:
        self.netlink = netlink
        self.namespaces = namespaces

    def create(self, spec: PortSpec) -> None:
        ipr = self.netlink.ipr
        bridge = _index(ipr, spec.bridge)
        if bridge is None:
            raise KernelError(f"creating port {spec.host_side}: bridge {spec.bridge} is missing", hint="run `hnsctl reconcile`")
        # One message makes the pair, plugs the host side into the bridge and brings it up; the kernel
        # ignores an alias in a create request, so the two tags follow (by name: no lookups).
        with netlink_errors(f"creating veth pair {spec.host_side}/{spec.parked_name}"):
            mtu = {"mtu": spec.mtu} if spec.mtu else {}
            ipr.link("add", ifname=spec.host_side, kind="veth", master=bridge, state="up",
                     peer={"ifname": spec.parked_name, "address": spec.mac, **mtu}, **mtu)
        # Hairpin mode on the bridge port: with br_netfilter, a connection an endpoint makes to a
        # load balancer or port mapping that picks the endpoint itself leaves by the port it came in.
        with netlink_errors(f"tagging veth pair {spec.host_side}/{spec.parked_name}"):
            isolated = {"isolated": 1} if spec.isolated else {}
            ipr.link("set", ifname=spec.host_side, ifalias=owner_tag(spec.owner), kind="bridge_slave", mode=1, **isolated)
            ipr.link("set", ifname=spec.parked_name, ifalias=owner_tag(spec.owner))

    def exists(self, host_side: str) -> bool:
        return self.netlink.link_exists(host_side)

    def delete(self, host_side: str, owner: str) -> None:
        """Deleting one end of a veth removes the other, wherever it is."""
        self.netlink.delete_link(host_side, owner)

    def _configure(self, ipr: Any, index: int, config: InterfaceConfig, *, where: str, routes: bool) -> None:
        with netlink_errors(f"configuring {config.ifname} {where}"):
            for iface in config.addresses:
                try:
                    ipr.addr("add", index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
                except NetlinkError as exc:
                    if exc.code != errno.EEXIST:
                        raise
            ipr.link("set", index=index, state="up")
            if routes and config.gateway:
                ipr.route("replace", dst=str(config.default_route), gateway=str(config.gateway), oif=index)

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        """Move the parked side into the namespace under its final name, then address it and bring it up.

        On failure part-way the interface is brought home again, so the caller's state stays true.
        """
        ipr = self.netlink.ipr
        parked = _index(ipr, config.parked_name)
        if parked is None:
            raise KernelError(f"attaching {config.ifname}: port {config.parked_name} is missing", hint="run `hnsctl reconcile`")
        inner = self.namespaces.socket(namespace)
        if _index(inner, config.ifname) is not None:
            # checked first: the kernel moves the device before it fails the rename, leaving it stranded
            raise Conflict(
                f"attaching to namespace {namespace}: it already has an interface named {config.ifname}",
                hint="choose another name with --ifname",
                hns_name="HCN_E_NAMESPACE_ATTACH_FAILED",
            )
        fd = self.namespaces.open_fd(namespace)
        try:
            with netlink_errors(f"moving {config.parked_name} into namespace {namespace} as {config.ifname}"):
                ipr.link("set", index=parked, net_ns_fd=fd, ifname=config.ifname)
        except BaseException:
            self.detach_namespace(namespace, config.owner, config.parked_name)
            raise
        finally:
            os.close(fd)
        try:
            index = _index(inner, config.ifname)
            if index is None:
                raise KernelError(f"attaching {config.ifname}: it did not arrive in namespace {namespace}")
            inner.link("set", index=LOOPBACK_INDEX, state="up")
            self._configure(inner, index, config, where=f"in namespace {namespace}", routes=True)
        except BaseException:
            self.detach_namespace(namespace, config.owner, config.parked_name)
            raise

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        """Bring the container side home, parked and bare. A vanished namespace took the pair with it: done."""
        if not namespace_exists(namespace):
            return
        inner = self.namespaces.socket(namespace)
        found = _find_by_owner(inner, owner)
        if found is None:
            return
        index, name = found
        with netlink_errors(f"moving {name} out of namespace {namespace}"):
            inner.link("set", index=index, state="down")
            inner.link("set", index=index, net_ns_fd=self.namespaces.home_fd, ifname=parked_name)

    def attach_host(self, config: InterfaceConfig) -> None:
        ipr = self.netlink.ipr
        parked = _index(ipr, config.parked_name)
        if parked is None:
            raise KernelError(f"attaching {config.ifname} to the host: port {config.parked_name} is missing", hint="run `hnsctl reconcile`")
        if _index(ipr, config.ifname) is not None:
            raise Conflict(f"attaching to the host: an interface named {config.ifname} already exists", hint="choose another name with --ifname")
        with netlink_errors(f"renaming {config.parked_name} to {config.ifname}"):
            ipr.link("set", index=parked, ifname=config.ifname)
        self._configure(ipr, parked, config, where="on the host", routes=False)

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None:
        ipr = self.netlink.ipr
        index = _index(ipr, ifname)
        if index is None:
            return
        with netlink_errors(f"parking {ifname}"):
            ipr.link("set", index=index, state="down")
            ipr.flush_addr(index=index)
            ipr.link("set", index=index, ifname=parked_name)

    def counters(self, host_side: str) -> InterfaceCounters | None:
        """Counters from the endpoint's point of view: what the host side sends, the endpoint receives."""
        links = self.netlink.ipr.get_links(ifname=host_side) if self.netlink.link_exists(host_side) else []
        if not links:
            return None
        stats = links[0].get("IFLA_STATS64") or links[0].get("IFLA_STATS")
        if not stats:
            return None
        return InterfaceCounters(
            bytes_received=stats["tx_bytes"],
            bytes_sent=stats["rx_bytes"],
            packets_received=stats["tx_packets"],
            packets_sent=stats["rx_packets"],
            dropped_incoming=stats["tx_dropped"],
            dropped_outgoing=stats["rx_dropped"],
        )

    def addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        """(interface, mac, address/prefix) as the kernel holds them on the container side."""
        if namespace is not None and not namespace_exists(namespace):
            return []
        ipr = self.namespaces.socket(namespace) if namespace else self.netlink.ipr
        found = _find_by_owner(ipr, owner)
        if found is None:
            return []
        index, name = found
        (link,) = ipr.get_links(index=index)
        mac = link.get("address") or ""
        result = []
        for addr in ipr.get_addr(index=index):
            ip = addr.get("address")
            if ip and not ipaddress.ip_address(ip).is_link_local:
                result.append((name, mac, f"{ip}/{addr['prefixlen']}"))
        return result

    def _socket_for(self, namespace: str | None) -> Any:
        if namespace is None:
            return self.netlink.ipr
        if not namespace_exists(namespace):
            return None
        return self.namespaces.socket(namespace)

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        """tbf as the root qdisc of the endpoint's own interface: its egress is the endpoint's outgoing traffic."""
        ipr = self._socket_for(namespace)
        index = _index(ipr, ifname) if ipr is not None else None
        if index is None:
            return  # not attached right now: attach applies it
        where = f"{ifname} in namespace {namespace}" if namespace else ifname
        if max_bytes_per_second is None:
            try:
                ipr.tc("del", index=index, root=True)
            except NetlinkError as exc:
                if exc.code not in (errno.ENOENT, errno.EINVAL):
                    raise KernelError(f"removing the rate limit of {where}: {exc}") from exc
            return
        # burst: a tenth of a second of traffic, at least 32 KiB so one TSO burst fits
        burst = max(32768, max_bytes_per_second // 10)
        with netlink_errors(f"setting the rate limit of {where}"):
            ipr.tc("replace", kind="tbf", index=index, handle="1:", rate=max_bytes_per_second, burst=burst, latency=50000)

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        """The tbf rate (bytes/s) on the interface, read back from the kernel."""
        ipr = self._socket_for(namespace)
        index = _index(ipr, ifname) if ipr is not None else None
        if index is None:
            return None
        for qdisc in ipr.get_qdiscs(index=index):
            if qdisc.get("kind") == "tbf":
                parms = qdisc.get_nested("TCA_OPTIONS", "TCA_TBF_PARMS")
                return int(parms["rate"]) if parms else None
        return None

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        ipr = self._socket_for(namespace)
        index = _index(ipr, ifname) if ipr is not None else None
        if index is None:
            return  # not attached right now: attach applies them
        for destination in removed:
            try:
                ipr.route("del", dst=destination, oif=index)
            except NetlinkError as exc:
                if exc.code not in (errno.ESRCH, errno.ENOENT):
                    raise KernelError(f"removing route {destination}: {exc}") from exc
        for destination, next_hop in routes:
            with netlink_errors(f"adding route {destination} via {next_hop or ifname}"):
                if next_hop:
                    ipr.route("replace", dst=destination, gateway=next_hop, oif=index)
                else:
                    ipr.route("replace", dst=destination, oif=index, scope=253)  # link scope: on-link

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        ipr = self._socket_for(namespace)
        index = _index(ipr, ifname) if ipr is not None else None
        if index is None:
            return set()
        found = set()
        for route in ipr.get_routes(table=254, oif=index):
            dst = route.get("dst")
            if dst:
                found.add(str(ipaddress.ip_network(f"{dst}/{route['dst_len']}", strict=False)))
            elif route["dst_len"] == 0:  # the kernel sends a default route without a destination attribute
                found.add("0.0.0.0/0" if route["family"] == socket.AF_INET else "::/0")
        return found
