"""A backend that records what it would do and changes nothing; reads come from the kernel when it can."""

from __future__ import annotations

from hnsctl.backend.base import BridgeSpec, NetworkFirewall, OwnedLink, RouteInfo
from hnsctl.backend.nftrules import FAMILY, TABLE, network_rules
from hnsctl.models.ids import owner_tag


class DryRunBackend:
    """Writes become lines in `operations()`; reads (routes, links) go to the real kernel, read-only.

    Reading needs no privilege, so `--dry-run` works for an unprivileged user too. When netlink is not
    available at all (no pyroute2), reads answer "nothing there".
    """

    def __init__(self) -> None:
        self._ops: list[str] = []
        self._created: set[str] = set()
        try:
            from hnsctl.backend.netlink import Netlink

            self._reader: Netlink | None = Netlink()
        except ImportError:
            self._reader = None

    def require_privileges(self) -> None:
        return None

    def list_routes(self) -> list[RouteInfo]:
        return self._reader.list_routes() if self._reader else []

    def link_exists(self, name: str) -> bool:
        if name in self._created:
            return True
        return self._reader.link_exists(name) if self._reader else False

    def list_owned_links(self) -> list[OwnedLink]:
        return self._reader.list_owned_links() if self._reader else []

    def create_bridge(self, spec: BridgeSpec) -> None:
        self._created.add(spec.name)
        self._ops.append(f"ip link add {spec.name} type bridge")
        self._ops.append(f"ip link set {spec.name} alias {owner_tag(spec.owner)}")
        for address in spec.addresses:
            self._ops.append(f"ip addr add {address} dev {spec.name}")
        self._ops.append(f"ip link set {spec.name} up")

    def delete_link(self, name: str) -> None:
        self._created.discard(name)
        self._ops.append(f"ip link del {name}")

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self._ops.append(f"nft begin transaction (replace rules of {firewall.owner} in {FAMILY} {TABLE})")
        for rule in network_rules(firewall):
            self._ops.append(f'nft add rule {FAMILY} {TABLE} {rule.chain} {rule.text} comment "{rule.comment}"')
        self._ops.append("nft commit")

    def remove_firewall(self, owner: str) -> None:
        self._ops.append(f"nft delete rules of {owner} from {FAMILY} {TABLE} (the table too if nothing else is left)")

    def enable_forwarding(self, version: int) -> None:
        key = "net.ipv4.ip_forward" if version == 4 else "net.ipv6.conf.all.forwarding"
        self._ops.append(f"sysctl -w {key}=1")

    def operations(self) -> list[str]:
        return list(self._ops)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
