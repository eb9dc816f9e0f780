"""Hypothesis strategies for hnsctl's models: valid subnets, gateways, names, whole Networks."""

from __future__ import annotations

import datetime
import ipaddress
import string

from hypothesis import strategies as st

from hnsctl.models.network import MAX_PREFIX_LEN, Network, NetworkFlags, NetworkType, Subnet

NAME_FIRST = string.ascii_letters + string.digits
NAME_REST = NAME_FIRST + "_.-"


def _acceptable(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """What parse_subnet accepts besides being canonical and short enough: a unicast subnet."""
    return not (net.is_multicast or net.is_loopback or net.network_address.is_unspecified)


@st.composite
def ipv4_subnets(draw: st.DrawFn, min_prefix: int = 0, max_prefix: int = MAX_PREFIX_LEN[4]) -> ipaddress.IPv4Network:
    address = draw(st.ip_addresses(v=4))
    prefixlen = draw(st.integers(min_prefix, max_prefix))
    net = ipaddress.IPv4Network((address, prefixlen), strict=False)
    return draw(st.just(net).filter(_acceptable))


@st.composite
def ipv6_subnets(draw: st.DrawFn, min_prefix: int = 0, max_prefix: int = MAX_PREFIX_LEN[6]) -> ipaddress.IPv6Network:
    address = draw(st.ip_addresses(v=6))
    prefixlen = draw(st.integers(min_prefix, max_prefix))
    net = ipaddress.IPv6Network((address, prefixlen), strict=False)
    return draw(st.just(net).filter(_acceptable))


def subnets_any() -> st.SearchStrategy[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return st.one_of(ipv4_subnets(min_prefix=8), ipv6_subnets(min_prefix=16))


@st.composite
def host_of(draw: st.DrawFn, net: ipaddress.IPv4Network | ipaddress.IPv6Network):
    """A usable host address: not the network address, not the IPv4 broadcast."""
    last = net.num_addresses - (2 if net.version == 4 else 1)
    return net.network_address + draw(st.integers(1, last))


@st.composite
def subnet_entries(draw: st.DrawFn, with_gateway: bool | None = None) -> Subnet:
    prefix = draw(subnets_any())
    gateway_wanted = draw(st.booleans()) if with_gateway is None else with_gateway
    gateway = draw(host_of(prefix)) if gateway_wanted else None
    return Subnet(prefix, gateway)


def disjoint(subnets: list[Subnet]) -> bool:
    return not any(
        a.prefix.version == b.prefix.version and a.prefix.overlaps(b.prefix)
        for i, a in enumerate(subnets)
        for b in subnets[i + 1:]
    )


names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(NAME_FIRST),
    st.text(alphabet=NAME_REST, max_size=63),
)

dns_labels = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=20)
dns_suffixes = st.one_of(st.just(""), st.lists(dns_labels, min_size=1, max_size=4).map(".".join))
dns_server_lists = st.lists(st.ip_addresses().map(str), max_size=4).map(tuple)
created_ats = st.one_of(
    st.just(""),
    st.datetimes(timezones=st.just(datetime.timezone.utc)).map(lambda d: d.isoformat(timespec="seconds")),
)


@st.composite
def networks(draw: st.DrawFn, types: st.SearchStrategy[NetworkType] = st.sampled_from(NetworkType)) -> Network:
    net_type = draw(types)
    subnets = draw(st.lists(subnet_entries(with_gateway=None if net_type.has_host_address else False), max_size=3).filter(disjoint))
    return Network(
        id=str(draw(st.uuids())),
        name=draw(names),
        type=net_type,
        subnets=tuple(subnets),
        dns_servers=draw(dns_server_lists),
        dns_suffix=draw(dns_suffixes),
        flags=draw(st.integers(0, NetworkFlags.KNOWN_MASK)),
        created_at=draw(created_ats),
    )
