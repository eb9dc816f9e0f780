"""Interfaces hnsctl makes or borrows: bridges, VXLAN devices, endpoint veth ports, and host adapters."""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.base import (
    AdapterState,
    BridgeSpec,
    InterfaceCounters,
    OwnedLink,
    PortSpec,
    VxlanSpec,
)


class LinkOps(Protocol):
    """Links are named from their owner's ID and tagged with it (ifalias), so a link is only ever
    deleted or repaired for the object that made it."""

    def link_exists(self, name: str) -> bool: ...

    def list_owned_links(self) -> list[OwnedLink]: ...

    def create_bridge(self, spec: BridgeSpec) -> None:
        """Create the bridge, tag it, add its addresses and bring it up. Raises Conflict if the name is taken."""

    def repair_bridge(self, spec: BridgeSpec) -> None:
        """Bring an existing bridge back to `spec`: tag, missing addresses, up. Never removes anything."""

    def create_vxlan(self, spec: VxlanSpec) -> None:
        """Create the VXLAN device, tag it, enslave it to its bridge, bring it up. Conflict if the name is taken."""

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        """Put an existing VXLAN device back in its bridge, tagged and up."""

    def delete_link(self, name: str, owner: str) -> None:
        """Delete an interface made for `owner`; gone counts as done, one tagged for another owner is refused."""

    # -- endpoint ports

    def create_port(self, spec: PortSpec) -> None:
        """Create the veth pair: host side tagged, on the bridge and up; the other side tagged and parked."""

    def delete_port(self, host_side: str, owner: str) -> None:
        """Remove the pair wherever its other side is. Already gone counts as done."""

    def port_exists(self, host_side: str) -> bool: ...

    def port_counters(self, host_side: str) -> InterfaceCounters | None: ...

    # -- host adapters (transparent, l2bridge, l2tunnel, overlay underlay)

    def check_adapter_free(self, adapter: str) -> None:
        """InvalidInput when the adapter does not exist, Conflict when a bridge already has it."""

    def adapter_state(self, adapter: str) -> AdapterState:
        """The adapter's global addresses and the routes through it (read only), to be recorded before they move."""

    def give_back_adapter(self, bridge: str, adapter: str, state: AdapterState) -> None:
        """Release the adapter and restore exactly those addresses and routes on it (idempotent)."""

    def move_to_bridge(self, bridge: str, adapter: str, state: AdapterState) -> None:
        """Enslave the adapter and move those addresses and routes from it to the bridge (idempotent)."""

    def adapter_held(self, bridge: str, adapter: str) -> bool:
        """The adapter is a port of the bridge."""

    def adapter_mac(self, adapter: str) -> str:
        """The adapter's MAC (kernel form)."""

    def default_route_interface(self) -> str | None:
        """The interface the IPv4 default route leaves by (None without one): uplink networks' default adapter."""

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        """(interface, IPv4 address, MTU) of the underlay: the interface holding `provider_address`, or
        `adapter`'s first address, or the default route's interface. InvalidInput when there is none."""
