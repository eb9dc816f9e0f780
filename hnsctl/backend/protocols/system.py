"""Host-wide settings and probes: privileges, sysctls, kernel features, the resolver, local ports, rate limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hnsctl.backend.operations import Operation


class SystemOps(Protocol):
    """What is not one object's kernel state, plus the backend's own lifecycle and dry-run record."""

    def require_privileges(self) -> None:
        """Raise PermissionDenied early when the process cannot change networking (no CAP_NET_ADMIN)."""

    def enable_forwarding(self, version: int) -> None: ...

    def enable_bridge_filtering(self) -> bool:
        """Let bridged IPv4 traffic reach the nftables hooks (br_netfilter); False when the kernel cannot."""

    def allow_loopback_destinations(self, interface: str) -> None:
        """route_localnet on one of hnsctl's bridges (a DNS forwarder pointing at 127.0.0.53)."""

    def host_nameservers(self) -> list[str]:
        """IPv4 nameservers of the host's resolver configuration (ICS forwards endpoints' DNS to the first)."""

    def port_in_use(self, protocol: str, port: int) -> bool:
        """A local process listens on (tcp) or is bound to (udp) this port: port-mapping warnings."""

    def kernel_features(self) -> list[tuple[str, bool, str]]:
        """(feature, works, detail), probed in a throwaway namespace."""

    def vlan_support(self) -> dict[str, tuple[bool, str]]:
        """{"802.1q": (works, detail), "bridge-vlan-filtering": (works, detail)}, probed in a throwaway namespace."""

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        """Egress rate limit on the endpoint's own interface (tbf); None removes it. Missing interface: no-op."""

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        """The rate limit (bytes/s) the kernel applies on the interface, if any."""

    def planned(self) -> list[Operation]:
        """The kernel operations recorded so far, as data (dry-run); empty for the real backend."""

    def operations(self) -> list[str]:
        """`planned()` rendered as the lines `--dry-run` prints; empty for the real backend."""

    def close(self) -> None: ...
