"""PURE address planning: choosing a free subnet. Input is what is in use, output is a choice."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from hnsctl.models.addresses import IPAddress, IPNetwork

DEFAULT_POOL = ipaddress.IPv4Network("172.16.0.0/12")
DEFAULT_PREFIX_LEN = 20


def overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def pick_free_subnet(
    used: Iterable[IPNetwork], *, pool: ipaddress.IPv4Network = DEFAULT_POOL, prefix_len: int = DEFAULT_PREFIX_LEN
) -> ipaddress.IPv4Network | None:
    """The first /20 of the pool that overlaps nothing in `used`; default routes never count as used."""
    taken = [p for p in used if p.prefixlen > 0 and p.version == 4]
    for candidate in pool.subnets(new_prefix=prefix_len):
        if not any(candidate.overlaps(p) for p in taken):  # type: ignore[arg-type]
            return candidate
    return None


def reserved_addresses(prefix: IPNetwork, gateway: IPAddress | None) -> set[IPAddress]:
    """Never handed out: the network address, the IPv4 broadcast address and the gateway."""
    reserved: set[IPAddress] = {prefix.network_address}
    if prefix.version == 4:
        reserved.add(prefix.broadcast_address)
    if gateway is not None:
        reserved.add(gateway)
    return reserved


def allocate_address(prefix: IPNetwork, gateway: IPAddress | None, used: set[IPAddress]) -> IPAddress | None:
    """The lowest free host address of the subnet, so freed addresses are reused first."""
    reserved = reserved_addresses(prefix, gateway)
    first = int(prefix.network_address)
    last = int(prefix.broadcast_address)
    make = ipaddress.IPv4Address if prefix.version == 4 else ipaddress.IPv6Address
    for value in range(first, last + 1):
        candidate = make(value)
        if candidate not in reserved and candidate not in used:
            return candidate
    return None


def static_address_problem(address: IPAddress, prefix: IPNetwork, gateway: IPAddress | None) -> str | None:
    """Why a requested address cannot be used in this subnet (ignoring other holders), or None."""
    if address.version != prefix.version or address not in prefix:
        return f"{address} is outside the network's subnet {prefix}"
    if address == gateway:
        return f"{address} is the network's gateway"
    if address in reserved_addresses(prefix, None):
        return f"{address} is the network or broadcast address of {prefix}"
    return None
