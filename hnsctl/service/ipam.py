"""PURE address planning: choosing a free subnet. Input is what is in use, output is a choice."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from hnsctl.models.network import IPNetwork

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
