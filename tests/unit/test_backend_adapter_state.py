"""An adapter's moved addresses and routes as data, and the one text form the network record stores."""

from __future__ import annotations

import ipaddress

from hnsctl.backend.base import AdapterAddress, AdapterRoute, AdapterState
from hnsctl.backend.uplink import adapter_route, route_request

ADDRESS = "192.0.2.10/24 brd 192.0.2.255"
DEFAULT = "0.0.0.0/0 via 192.0.2.1 metric 100 proto 3 scope 0 src - family 4"
V6 = "2001:db8:1::/64 via - metric 256 proto 4 scope 0 src 2001:db8:1::10 family 6"


def test_records_round_trip_unchanged() -> None:
    state = AdapterState.from_records((ADDRESS, "2001:db8:1::10/64"), (DEFAULT, V6))
    assert state.records() == ((ADDRESS, "2001:db8:1::10/64"), (DEFAULT, V6))
    assert state.addresses[0] == AdapterAddress(ipaddress.ip_interface("192.0.2.10/24"), ipaddress.ip_address("192.0.2.255"))
    assert state.routes[1].gateway is None and state.routes[1].source == ipaddress.ip_address("2001:db8:1::10")


def test_an_early_record_without_src_and_family_still_reads() -> None:
    route = AdapterRoute.from_record("0.0.0.0/0 via 192.0.2.1 metric 0 proto 3 scope 0")
    assert route == AdapterRoute(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_address("192.0.2.1"), 0, 3, 0, None)


def test_the_lans_router_is_the_ipv4_default_routes_next_hop() -> None:
    assert AdapterState.from_records((ADDRESS,), (V6, DEFAULT)).ipv4_gateway == ipaddress.ip_address("192.0.2.1")
    assert AdapterState.from_records((ADDRESS,), (V6,)).ipv4_gateway is None


class Message(dict):
    """A route message as pyroute2 hands it over: attributes by their RTA_ names."""


def test_a_kernel_route_becomes_the_request_that_puts_it_back() -> None:
    message = Message(family=2, dst_len=0, proto=3, scope=0, RTA_GATEWAY="192.0.2.1", RTA_PRIORITY=100)
    route = adapter_route(message)
    assert route.record == DEFAULT
    assert route_request(route) == {"dst": "0.0.0.0/0", "family": 2, "priority": 100, "proto": 3, "scope": 0, "table": 254,
                                    "gateway": "192.0.2.1"}
