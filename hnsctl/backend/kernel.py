"""The real backend: netlink for interfaces and routes, libnftables for rules, /proc/sys for sysctls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hnsctl.backend import sysctl
from hnsctl.backend.base import BridgeSpec, NetworkFirewall, OwnedLink, RouteInfo
from hnsctl.backend.privileges import require_net_admin

if TYPE_CHECKING:
    from hnsctl.backend.firewall import Firewall
    from hnsctl.backend.netlink import Netlink


class KernelBackend:
    """Opens its netlink socket and libnftables context on first use, so commands that only read state
    never import pyroute2 or load libnftables."""

    def __init__(self) -> None:
        self._netlink: Netlink | None = None
        self._firewall: Firewall | None = None

    @property
    def netlink(self) -> Netlink:
        if self._netlink is None:
            from hnsctl.backend.netlink import Netlink

            self._netlink = Netlink()
        return self._netlink

    @property
    def firewall(self) -> Firewall:
        if self._firewall is None:
            from hnsctl.backend.firewall import Firewall

            self._firewall = Firewall()
        return self._firewall

    def require_privileges(self) -> None:
        require_net_admin()

    def list_routes(self) -> list[RouteInfo]:
        return self.netlink.list_routes()

    def link_exists(self, name: str) -> bool:
        return self.netlink.link_exists(name)

    def list_owned_links(self) -> list[OwnedLink]:
        return self.netlink.list_owned_links()

    def create_bridge(self, spec: BridgeSpec) -> None:
        self.netlink.create_bridge(spec)

    def delete_link(self, name: str) -> None:
        self.netlink.delete_link(name)

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self.firewall.apply(firewall)

    def remove_firewall(self, owner: str) -> None:
        self.firewall.remove(owner)

    def enable_forwarding(self, version: int) -> None:
        sysctl.enable_forwarding(version)

    def operations(self) -> list[str]:
        return []

    def close(self) -> None:
        if self._netlink is not None:
            self._netlink.close()
        if self._firewall is not None:
            self._firewall.close()
