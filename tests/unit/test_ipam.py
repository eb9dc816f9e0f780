"""service/ipam.py pick_free_subnet: the first free /20 of 172.16.0.0/12, properties over what is in use."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from hnsctl.service.ipam import DEFAULT_POOL, overlaps, pick_free_subnet

POOL = ipaddress.ip_network("172.16.0.0/12")
CANDIDATES = list(POOL.subnets(new_prefix=20))


@st.composite
def pool_area_networks(draw: st.DrawFn) -> ipaddress.IPv4Network:
    """Networks in and around the pool, where collisions actually happen."""
    base = draw(st.integers(int(ipaddress.ip_address("172.0.0.0")), int(ipaddress.ip_address("172.47.255.255"))))
    return ipaddress.IPv4Network((base, draw(st.integers(10, 30))), strict=False)


used_prefixes = st.lists(
    st.one_of(
        pool_area_networks(),
        st.builds(lambda a, p: ipaddress.IPv4Network((a, p), strict=False), st.ip_addresses(v=4), st.integers(0, 32)),
        st.builds(lambda a, p: ipaddress.IPv6Network((a, p), strict=False), st.ip_addresses(v=6), st.integers(0, 128)),
        st.sampled_from([ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]),
    ),
    max_size=40,
)


def blocks(candidate: ipaddress.IPv4Network, used) -> bool:
    return any(p.prefixlen > 0 and p.version == 4 and candidate.overlaps(p) for p in used)


@given(used_prefixes)
def test_pick_free_subnet_is_the_first_free_20_of_the_pool(used) -> None:
    chosen = pick_free_subnet(used)
    free = [c for c in CANDIDATES if not blocks(c, used)]
    if not free:
        assert chosen is None
        return
    assert chosen == free[0]
    assert chosen.prefixlen == 20
    assert chosen.subnet_of(POOL)
    assert not any(overlaps(chosen, p) for p in used if p.prefixlen > 0)


def test_default_pool_is_172_16_0_0_12() -> None:
    assert DEFAULT_POOL == POOL


def test_nothing_used_gives_the_first_block() -> None:
    assert pick_free_subnet([]) == ipaddress.ip_network("172.16.0.0/20")


def test_default_routes_never_count_as_used() -> None:
    used = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    assert pick_free_subnet(used) == ipaddress.ip_network("172.16.0.0/20")


def test_ipv6_prefixes_are_ignored() -> None:
    assert pick_free_subnet([ipaddress.ip_network("::ffff:172.16.0.0/108")]) == ipaddress.ip_network("172.16.0.0/20")


def test_a_used_block_moves_the_choice_on() -> None:
    used = [ipaddress.ip_network("172.16.0.0/20"), ipaddress.ip_network("172.16.16.0/24")]
    assert pick_free_subnet(used) == ipaddress.ip_network("172.16.32.0/20")


def test_a_wider_route_covering_the_start_of_the_pool_is_skipped() -> None:
    assert pick_free_subnet([ipaddress.ip_network("172.16.0.0/13")]) == ipaddress.ip_network("172.24.0.0/20")


def test_the_last_free_block_is_found() -> None:
    used = CANDIDATES[:-1]
    assert pick_free_subnet(used) == CANDIDATES[-1]


def test_exhausted_pool_gives_none() -> None:
    assert pick_free_subnet([ipaddress.ip_network("172.16.0.0/12")]) is None
    assert pick_free_subnet([ipaddress.ip_network("172.0.0.0/8")]) is None
    assert pick_free_subnet(CANDIDATES) is None


def test_overlaps_is_false_across_ip_versions() -> None:
    assert not overlaps(ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::/0"))
    assert overlaps(ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("10.1.0.0/16"))
