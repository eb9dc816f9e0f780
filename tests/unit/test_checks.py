"""service/checks.py: resolving a reference to one object, name clashes, overlaps."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.backend.base import RouteInfo
from hnsctl.errors import Conflict, ExitCode, InvalidInput, NotFound
from hnsctl.models.network import Network, NetworkType, Subnet
from hnsctl.service import checks


def net(id_: str, name: str, *prefixes: str) -> Network:
    return Network(
        id=id_, name=name, type=NetworkType.NAT,
        subnets=tuple(Subnet(ipaddress.ip_network(p)) for p in prefixes),
    )


WEB = net("aaaa1111-0000-4000-8000-000000000001", "web", "10.1.0.0/16")
DB = net("aaaa2222-0000-4000-8000-000000000002", "db", "10.2.0.0/16")
CACHE = net("bbbb3333-0000-4000-8000-000000000003", "cache", "fd00:3::/64")
ALL = [WEB, DB, CACHE]


def resolve(reference: str, objects=ALL) -> Network:
    return checks.resolve(reference, objects, kind="network", key_id=lambda n: n.id, key_name=lambda n: n.name)


# ------------------------------------------------------------------ resolve


def test_resolve_exact_id_case_insensitively() -> None:
    assert resolve(DB.id) is DB
    assert resolve(DB.id.upper()) is DB
    assert resolve(f"  {DB.id} ") is DB


def test_resolve_exact_name() -> None:
    assert resolve("cache") is CACHE


def test_resolve_name_is_case_sensitive() -> None:
    with pytest.raises(NotFound):
        resolve("WEB")


@pytest.mark.parametrize("prefix", ["bbbb", "BBBB3", "bbbb3333-0000"])
def test_resolve_unique_id_prefix_of_at_least_four_characters(prefix: str) -> None:
    assert resolve(prefix) is CACHE


def test_resolve_prefix_shorter_than_four_characters_is_not_found() -> None:
    with pytest.raises(NotFound):
        resolve("bbb")


def test_resolve_ambiguous_prefix_is_invalid_input_naming_the_candidates() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve("aaaa")
    assert info.value.exit_code == ExitCode.USAGE
    assert "ambiguous" in info.value.message
    assert "db, web" in info.value.message
    assert info.value.hint


def test_resolve_missing_is_not_found_exit_3_with_hint() -> None:
    with pytest.raises(NotFound) as info:
        resolve("nope")
    assert info.value.exit_code == ExitCode.NOT_FOUND == 3
    assert "network 'nope' not found" in info.value.message
    assert "hnsctl network list" in (info.value.hint or "")


def test_resolve_in_an_empty_list_is_not_found() -> None:
    with pytest.raises(NotFound):
        resolve(WEB.id, [])


def test_resolve_exact_id_wins_over_a_name_and_a_name_wins_over_a_prefix() -> None:
    named_like_prefix = net("cccc4444-0000-4000-8000-000000000004", "aaaa")
    assert resolve("aaaa", [WEB, DB, named_like_prefix]) is named_like_prefix
    named_like_id = net("dddd5555-0000-4000-8000-000000000005", "x")
    other = net(WEB.id, "y")
    assert checks.resolve(WEB.id, [named_like_id, other], kind="network", key_id=lambda n: n.id, key_name=lambda n: n.name) is other


@given(st.lists(st.uuids(), min_size=1, max_size=8, unique=True), st.data())
def test_resolve_finds_every_object_by_its_shortest_unique_prefix(uuids, data) -> None:
    objects = [net(str(u), f"n{i}") for i, u in enumerate(uuids)]
    target = data.draw(st.sampled_from(objects))
    for length in range(4, 37):
        prefix = target.id[:length]
        if sum(o.id.startswith(prefix) for o in objects) == 1:
            assert resolve(prefix, objects) is target
            break


# ------------------------------------------------------------------ names


def test_check_name_free_refuses_a_taken_name_with_conflict() -> None:
    with pytest.raises(Conflict) as info:
        checks.check_name_free("web", ALL)
    assert info.value.exit_code == ExitCode.CONFLICT == 4
    assert WEB.id in info.value.message
    assert info.value.hns_name == "HCN_E_NETWORK_ALREADY_EXISTS"


def test_check_name_free_accepts_a_new_name() -> None:
    checks.check_name_free("new", ALL)


# ------------------------------------------------------------------ overlaps


def route(prefix: str, device: str = "eth0") -> RouteInfo:
    return RouteInfo(ipaddress.ip_network(prefix), device)


def test_overlap_with_another_network_is_a_conflict_naming_it() -> None:
    with pytest.raises(Conflict) as info:
        checks.check_no_overlap(ipaddress.ip_network("10.1.2.0/24"), ALL, [], field="subnet")
    assert info.value.exit_code == ExitCode.CONFLICT
    assert "overlaps network 'web' (10.1.0.0/16)" in info.value.message
    assert info.value.hns_name == "HCN_E_INVALID_SUBNET"


def test_overlap_with_a_wider_network_is_a_conflict_too() -> None:
    with pytest.raises(Conflict):
        checks.check_no_overlap(ipaddress.ip_network("10.0.0.0/8"), ALL, [], field="subnet")


def test_overlap_with_a_route_is_a_conflict_naming_route_and_device() -> None:
    with pytest.raises(Conflict) as info:
        checks.check_no_overlap(ipaddress.ip_network("192.168.1.0/24"), [], [route("192.168.0.0/16", "wlan0")], field="--subnet")
    assert "overlaps route 192.168.0.0/16 dev wlan0 on this host" in info.value.message


@pytest.mark.parametrize("ignored", ["0.0.0.0/0", "::/0", "169.254.0.0/16", "fe80::/64"])
def test_default_and_link_local_routes_are_ignored(ignored: str) -> None:
    prefix = "169.254.1.0/24" if ignored.startswith("169") else "fe80::/80" if ignored.startswith("fe80") else "10.50.0.0/24"
    checks.check_no_overlap(ipaddress.ip_network(prefix), [], [route(ignored)], field="subnet")


def test_other_ip_version_never_overlaps() -> None:
    checks.check_no_overlap(ipaddress.ip_network("fd00:1::/64"), [WEB], [route("10.0.0.0/8")], field="subnet")
    checks.check_no_overlap(ipaddress.ip_network("10.3.0.0/16"), [CACHE], [route("fd00::/8")], field="subnet")


def test_disjoint_subnet_passes() -> None:
    checks.check_no_overlap(ipaddress.ip_network("10.3.0.0/16"), ALL, [route("192.168.0.0/16")], field="subnet")
