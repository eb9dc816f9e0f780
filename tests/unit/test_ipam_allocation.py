"""IPAM as a state machine: random creates, deletes and static requests never hand out an address twice,
never the network, broadcast or gateway address, and freed addresses are reused (lowest first)."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hnsctl.service.ipam import allocate_address, reserved_addresses, static_address_problem


class Allocation(RuleBasedStateMachine):
    @initialize(prefix_len=st.integers(24, 29), gateway_offset=st.sampled_from([1, 2, -2]))
    def subnet(self, prefix_len: int, gateway_offset: int) -> None:
        self.prefix = ipaddress.ip_network(f"10.20.30.0/{prefix_len}")
        hosts = list(self.prefix.hosts())
        self.gateway = hosts[gateway_offset if gateway_offset > 0 else len(hosts) + gateway_offset]
        self.held: set[ipaddress.IPv4Address] = set()

    def free(self) -> list[ipaddress.IPv4Address]:
        reserved = reserved_addresses(self.prefix, self.gateway)
        return [a for a in self.prefix if a not in reserved and a not in self.held]

    @rule()
    def create(self) -> None:
        address = allocate_address(self.prefix, self.gateway, set(self.held))
        free = self.free()
        if not free:
            assert address is None
            return
        assert address == min(free)  # the lowest free one: freed addresses come back first
        self.held.add(address)  # type: ignore[arg-type]

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self.held.discard(data.draw(st.sampled_from(sorted(self.held))))

    @rule(offset=st.integers(0, 300))
    def static(self, offset: int) -> None:
        wanted = self.prefix.network_address + offset
        problem = static_address_problem(wanted, self.prefix, self.gateway)
        inside = wanted in self.prefix
        if not inside or wanted in reserved_addresses(self.prefix, self.gateway):
            assert problem is not None
            return
        assert problem is None
        if wanted not in self.held:  # the service refuses a held address; here it is simply taken
            self.held.add(wanted)

    @invariant()
    def never_reserved(self) -> None:
        if hasattr(self, "held"):
            assert not self.held & reserved_addresses(self.prefix, self.gateway)
            assert all(a in self.prefix for a in self.held)


TestAllocation = Allocation.TestCase


def test_ipv6_allocation_skips_the_gateway_and_network_address() -> None:
    prefix = ipaddress.ip_network("fd00:1::/64")
    gateway = prefix.network_address + 1
    assert allocate_address(prefix, gateway, set()) == prefix.network_address + 2
