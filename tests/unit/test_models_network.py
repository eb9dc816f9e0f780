"""models/network.py: subnet, gateway, type, DNS validators. Pure functions, so mostly properties."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models.addresses import parse_address
from hnsctl.models.network import (
    NetworkType,
    check_gateway,
    first_host,
    parse_dns_servers,
    parse_subnet,
    validate_dns_suffix,
)
from tests.unit.strategies import host_of, ipv4_subnets, ipv6_subnets

# ------------------------------------------------------------------ parse_subnet


@pytest.mark.parametrize(
    "text",
    ["10.200.0.0/24", "172.16.0.0/12", "192.168.50.0/30", "10.0.0.0/8", "2001:db8::/64", "fd00:1::/48", "2001:db8::/126"],
)
def test_parse_subnet_accepts_canonical_cidrs(text: str) -> None:
    assert parse_subnet(text) == ipaddress.ip_network(text)


def test_parse_subnet_strips_surrounding_whitespace() -> None:
    assert parse_subnet("  10.1.0.0/16 \n") == ipaddress.ip_network("10.1.0.0/16")


@given(ipv4_subnets())
def test_parse_subnet_round_trips_every_canonical_ipv4_subnet(net: ipaddress.IPv4Network) -> None:
    """For any unicast IPv4 network of /30 or shorter: accepted unchanged, and its first host is a valid gateway."""
    assert parse_subnet(str(net)) == net
    assert check_gateway(net, first_host(net)) == net.network_address + 1


@given(ipv6_subnets())
def test_parse_subnet_round_trips_every_canonical_ipv6_subnet(net: ipaddress.IPv6Network) -> None:
    assert parse_subnet(str(net)) == net
    assert check_gateway(net, first_host(net)) == net.network_address + 1


@given(st.one_of(ipv4_subnets(max_prefix=30), ipv6_subnets(max_prefix=126)), st.data())
def test_parse_subnet_refuses_host_bits_and_suggests_the_network(net, data) -> None:
    """`10.0.0.5/24` must not be silently widened to 10.0.0.0/24 (a classic HNS confusion)."""
    offset = data.draw(st.integers(1, net.num_addresses - 1))
    text = f"{net.network_address + offset}/{net.prefixlen}"
    with pytest.raises(InvalidInput) as info:
        parse_subnet(text, field="--subnet")
    assert info.value.exit_code == ExitCode.USAGE
    assert "host bits" in info.value.message
    assert f"did you mean {net}?" in info.value.message
    assert info.value.hns_name == "HCN_E_INVALID_SUBNET"


@pytest.mark.parametrize(
    ("text", "longest"),
    [("10.0.0.0/31", 30), ("10.0.0.1/32", 30), ("2001:db8::/127", 126), ("2001:db8::1/128", 126)],
)
def test_parse_subnet_refuses_prefixes_without_room_for_gateway_and_endpoint(text: str, longest: int) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_subnet(text)
    assert info.value.exit_code == ExitCode.USAGE
    assert f"use /{longest} or shorter" in info.value.message


@given(st.ip_addresses(v=4), st.integers(31, 32))
def test_parse_subnet_refuses_every_ipv4_prefix_longer_than_30(address, prefixlen) -> None:
    net = ipaddress.IPv4Network((address, prefixlen), strict=False)
    with pytest.raises(InvalidInput):
        parse_subnet(str(net))


@pytest.mark.parametrize(
    "text",
    ["10.0.0.0", "", "nonsense/24", "10.0.0.0/33", "10.0.0.0/-1", "2001:db8::/129", "300.0.0.0/8", "10.0.0.0/ 24"],
)
def test_parse_subnet_refuses_malformed_input_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_subnet(text, field="Subnets[0].AddressPrefix")
    assert info.value.exit_code == ExitCode.USAGE
    assert "Subnets[0].AddressPrefix" in info.value.message


@pytest.mark.parametrize("text", ["224.0.0.0/4", "127.0.0.0/8", "0.0.0.0/0", "0.0.0.0/8", "ff00::/8", "::/0", "::/120"])
def test_parse_subnet_refuses_non_unicast_subnets(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a unicast subnet"):
        parse_subnet(text)


# ------------------------------------------------------------------ check_gateway

NET4 = ipaddress.ip_network("10.200.0.0/24")
NET6 = ipaddress.ip_network("2001:db8:1::/64")


@given(st.one_of(ipv4_subnets(max_prefix=30), ipv6_subnets(max_prefix=126)).flatmap(lambda n: st.tuples(st.just(n), host_of(n))))
def test_check_gateway_accepts_every_usable_host(pair) -> None:
    net, host = pair
    assert check_gateway(net, host) == host


@pytest.mark.parametrize("gateway", ["10.200.1.1", "10.199.255.254", "2001:db8:1::1"])
def test_check_gateway_refuses_addresses_outside_the_subnet(gateway: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_gateway(NET4, ipaddress.ip_address(gateway), field="--gateway")
    assert info.value.exit_code == ExitCode.USAGE
    assert "not inside subnet 10.200.0.0/24" in info.value.message
    assert "10.200.0.1" in info.value.message  # the suggestion


@pytest.mark.parametrize("gateway", ["10.200.0.0", "10.200.0.255"])
def test_check_gateway_refuses_network_and_broadcast_addresses(gateway: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_gateway(NET4, ipaddress.ip_address(gateway))
    assert info.value.hns_name == "HCN_E_ADDR_INVALID_OR_RESERVED"


def test_check_gateway_refuses_the_ipv6_subnet_router_anycast_address() -> None:
    with pytest.raises(InvalidInput):
        check_gateway(NET6, NET6.network_address)


def test_check_gateway_allows_the_last_ipv6_address_because_ipv6_has_no_broadcast() -> None:
    assert check_gateway(NET6, NET6.broadcast_address) == NET6.broadcast_address


def test_parse_address_refuses_garbage_with_invalid_ip_name() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_address("10.0.0.300", field="--gateway")
    assert info.value.hns_name == "HCN_E_INVALID_IP"
    assert "--gateway" in info.value.message


# ------------------------------------------------------------------ NetworkType.parse

# The HCN NetworkMode enum order, for documents that send `"Type": <int>`.
HCN_ORDER = ["nat", "ics", "transparent", "l2bridge", "l2tunnel", "overlay", "private", "internal"]
V2_NAMES = {
    "nat": "NAT", "ics": "ICS", "transparent": "Transparent", "l2bridge": "L2Bridge",
    "l2tunnel": "L2Tunnel", "overlay": "Overlay", "private": "Private", "internal": "Internal",
}


@pytest.mark.parametrize("member", list(NetworkType))
def test_network_type_parses_v1_v2_and_any_case(member: NetworkType) -> None:
    assert NetworkType.parse(member.value) is member
    assert NetworkType.parse(member.value.upper()) is member
    assert NetworkType.parse(member.v2_name) is member
    assert NetworkType.parse(f"  {member.v2_name.swapcase()} ") is member


def test_network_type_v2_names_are_the_hcn_spellings() -> None:
    assert {m.value: m.v2_name for m in NetworkType} == V2_NAMES


@pytest.mark.parametrize(("number", "value"), list(enumerate(HCN_ORDER)))
def test_network_type_parses_integers_in_hcn_enum_order(number: int, value: str) -> None:
    assert NetworkType.parse(str(number)).value == value
    assert NetworkType.parse(number).value == value  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "bridge", "nat2", "8", "99", "-1", "1.0", "NAT NAT", "l2-bridge"])
def test_network_type_refuses_unknown_values_with_exit_2(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        NetworkType.parse(text, field="Type")
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.hns_name == "HCN_E_INVALID_NETWORK_TYPE"
    assert "expected one of nat, ics" in info.value.message


@given(st.one_of(st.text(max_size=12), st.text(alphabet="0123456789²٣０ \t", max_size=4)))
def test_network_type_parse_either_returns_a_member_or_raises_invalid_input(text: str) -> None:
    """Nothing a JSON document can carry makes parse crash; only ASCII integers 0-7 are enum numbers."""
    key = text.strip().lower()
    if key in HCN_ORDER:
        assert NetworkType.parse(text).value == key
    elif key.isascii() and key.isdigit() and int(key) < len(HCN_ORDER):
        assert NetworkType.parse(text).value == HCN_ORDER[int(key)]
    else:
        with pytest.raises(InvalidInput):
            NetworkType.parse(text)


@pytest.mark.parametrize("text", ["²", "٣", "０"])
def test_network_type_parse_refuses_non_ascii_digits_cleanly(text: str) -> None:
    """`str.isdigit()` is true for these but they are not HCN enum numbers (and int('²') raises ValueError)."""
    with pytest.raises(InvalidInput):
        NetworkType.parse(text)


def test_implemented_types() -> None:
    from hnsctl.models.network import IMPLEMENTED_TYPES

    assert IMPLEMENTED_TYPES == frozenset(NetworkType)


def test_private_networks_have_no_host_address() -> None:
    assert {t for t in NetworkType if not t.has_host_address} == {NetworkType.TRANSPARENT, NetworkType.L2BRIDGE, NetworkType.L2TUNNEL, NetworkType.PRIVATE}


# ------------------------------------------------------------------ DNS


def test_parse_dns_servers_splits_commas_skips_blanks_and_canonicalises() -> None:
    assert parse_dns_servers(["10.0.0.1, 10.0.0.2", "", " , ", "2001:DB8::0001"]) == ("10.0.0.1", "10.0.0.2", "2001:db8::1")


def test_parse_dns_servers_of_nothing_is_empty() -> None:
    assert parse_dns_servers([]) == ()


@given(st.lists(st.ip_addresses(), max_size=6), st.data())
def test_parse_dns_servers_any_grouping_of_addresses_gives_them_back_in_order(addresses, data) -> None:
    texts = [str(a) for a in addresses]
    groups: list[str] = []
    i = 0
    while i < len(texts):
        size = data.draw(st.integers(1, len(texts) - i))
        groups.append(", ".join(texts[i:i + size]))
        i += size
    assert parse_dns_servers(groups) == tuple(texts)


@pytest.mark.parametrize("bad", ["dns.example.com", "10.0.0", "10.0.0.1;10.0.0.2"])
def test_parse_dns_servers_refuses_non_addresses(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_dns_servers(["10.0.0.1", bad], field="--dns")
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.hns_name == "HCN_E_INVALID_IP"
    assert "--dns" in info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("corp.example.com", "corp.example.com"), ("example.com.", "example.com."), ("", ""), ("  lab.local ", "lab.local"), ("a-b.c1", "a-b.c1")],
)
def test_validate_dns_suffix_accepts_domains(text: str, expected: str) -> None:
    assert validate_dns_suffix(text) == expected


@pytest.mark.parametrize("text", ["a..b", ".", "..", "a b.com", "under_score.com", "x" * 64 + ".com", "a/b", "corp.example.com;rm"])
def test_validate_dns_suffix_refuses_non_domains(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_dns_suffix(text, field="DNSSuffix")
    assert info.value.exit_code == ExitCode.USAGE
    assert "DNSSuffix" in info.value.message


@pytest.mark.parametrize("text", ["exämple.com", "x².com", "١٢٣.example"])
def test_validate_dns_suffix_refuses_non_ascii_labels(text: str) -> None:
    with pytest.raises(InvalidInput):
        validate_dns_suffix(text)


def test_validate_dns_suffix_accepts_punycode() -> None:
    assert validate_dns_suffix("xn--exmple-cua.com") == "xn--exmple-cua.com"
