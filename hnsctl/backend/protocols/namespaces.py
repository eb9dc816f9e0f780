"""Named network namespaces, and the container side of an endpoint moving into and out of one (or the host)."""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.base import InterfaceConfig


class NamespaceOps(Protocol):
    """Namespaces are /run/netns/<name> bind mounts, visible to `ip netns`; a parked port side lives in the
    host namespace under its parked name until it is attached."""

    def create_namespace(self, name: str) -> None:
        """Create /run/netns/<name> (visible to `ip netns`) with lo up. Raises Conflict if the name is taken."""

    def delete_namespace(self, name: str) -> None: ...

    def namespace_exists(self, name: str) -> bool: ...

    def write_resolv_conf(self, namespace: str, content: str | None) -> bool:
        """Write or (None) remove /etc/netns/<namespace>/resolv.conf; False if a file hnsctl did not write is in the way."""

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        """Move the parked side into `namespace` as `config.ifname`, address it, bring it and lo up, add the route."""

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        """Park the container side again; a vanished namespace or interface counts as done."""

    def attach_host(self, config: InterfaceConfig) -> None: ...

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None: ...
