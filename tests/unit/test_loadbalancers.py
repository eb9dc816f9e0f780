"""Load balancers without a kernel: validation, V1/V2 documents, the state codec and the nftables rendering."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.backend import lbrules
from hnsctl.backend.base import LbFrontend, LoadBalancerSpec
from hnsctl.errors import InvalidInput
from hnsctl.models import lbjson
from hnsctl.models.lbcodec import loadbalancer_from_record, loadbalancer_to_record
from hnsctl.models.loadbalancer import (
    Distribution,
    LoadBalancer,
    LoadBalancerRequest,
    PortMappingRequest,
    validate_request,
)

LB_ID = "7b9d0000-0000-4000-8000-000000000001"


def request(**changes: object) -> LoadBalancerRequest:
    base = LoadBalancerRequest(vips=("10.96.0.10",), port_mappings=(PortMappingRequest("tcp", 8080, 80),))
    import dataclasses

    return dataclasses.replace(base, **changes)


def test_a_load_balancer_without_port_mappings_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one port mapping"):
        validate_request(request(port_mappings=()))


def test_no_vip_needs_local_routed_vip() -> None:
    with pytest.raises(InvalidInput, match="--local-routed-vip"):
        validate_request(request(vips=()))
    mappings, vips, _, _ = validate_request(request(vips=(), local_routed_vip=True))
    assert vips == () and mappings[0].local_routed


@pytest.mark.parametrize("changes, field", [
    ({"vips": ("fd00::1",)}, "--vip"),
    ({"vips": ("any",)}, "--vip"),
    ({"source_vip": "nope"}, "--source-vip"),
    ({"port_mappings": (PortMappingRequest("sctp", 1, 1),)}, "--protocol"),
    ({"port_mappings": (PortMappingRequest("tcp", 1, 70000),)}, "--external-port"),
    ({"port_mappings": (PortMappingRequest("tcp", 1, 80, "roundrobin"),)}, "--distribution"),
    ({"port_mappings": (PortMappingRequest("tcp", 1, 80), PortMappingRequest("tcp", 2, 80))}, "given twice"),
    ({"port_mappings": (PortMappingRequest("tcp", 1, 80, None, 8),)}, "PreserveDip"),
])
def test_bad_input_names_the_field(changes: dict, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        validate_request(request(**changes))


def test_internal_port_defaults_to_the_external_port_and_flags_combine() -> None:
    mappings, _, _, flags = validate_request(request(port_mappings=(PortMappingRequest(None, None, 53, "sourceip"),), ilb=True, dsr=True))
    assert (mappings[0].protocol, mappings[0].internal_port, mappings[0].external_port) == ("tcp", 53, 53)
    assert mappings[0].distribution is Distribution.SOURCE_IP and mappings[0].flags == 1 and flags == 1


def sample() -> LoadBalancer:
    mappings, vips, source, flags = validate_request(request(source_vip="10.96.0.250"))
    return LoadBalancer(id=LB_ID, backends=("e1", "e2"), port_mappings=mappings, frontend_vips=vips, source_vip=source,
                        flags=flags, network_id="n1", created_at="2026-01-01T00:00:00+00:00", sequence=7)


def test_state_record_round_trips() -> None:
    lb = sample()
    assert loadbalancer_from_record(loadbalancer_to_record(lb)) == lb


def test_v1_and_v2_shapes_and_documents_round_trip() -> None:
    lb = sample()
    v1 = lbjson.loadbalancer_to_v1(lb)
    assert v1["References"] == ["/endpoints/e1", "/endpoints/e2"]
    assert v1["Policies"][0] == {**v1["Policies"][0], "Type": "ELB", "Protocol": 6, "InternalPort": 8080, "ExternalPort": 80,
                                      "VIPs": ["10.96.0.10"], "SourceVIP": "10.96.0.250", "ILB": False, "IsDSR": False}
    v2 = lbjson.loadbalancer_to_v2(lb)
    assert v2["PortMappings"] == [{"Protocol": 6, "InternalPort": 8080, "ExternalPort": 80, "DistributionType": 0, "Flags": 0}]
    for document in (v1, v2):
        again = lbjson.loadbalancer_request_from_document(document)
        assert again.endpoints == ("e1", "e2") and validate_request(again)[:3] == (lb.port_mappings, lb.frontend_vips, lb.source_vip)


def test_documents_with_unknown_fields_or_route_policies_are_refused() -> None:
    with pytest.raises(InvalidInput, match="FrontendVIP"):
        lbjson.loadbalancer_request_from_document({"FrontendVIP": ["10.96.0.10"], "PortMappings": []})
    with pytest.raises(InvalidInput, match="route create"):
        lbjson.loadbalancer_request_from_document({"Policies": [{"Type": "ROUTE", "DestinationPrefix": "10.0.0.0/8"}]})
    with pytest.raises(InvalidInput, match="same VIPs"):
        lbjson.loadbalancer_request_from_document({"Policies": [
            {"Type": "ELB", "ExternalPort": 80, "VIPs": ["10.96.0.1"]}, {"Type": "ELB", "ExternalPort": 81, "VIPs": ["10.96.0.2"]}]})


@given(st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=40, unique=True))
def test_buckets_share_the_load_evenly(backends: list[str]) -> None:
    shares = Counter(address for _bucket, address in lbrules.bucket_elements(tuple(backends)))
    assert set(shares) == set(backends)
    assert max(shares.values()) - min(shares.values()) <= 1  # no backend gets more than one extra bucket
    assert sum(shares.values()) == lbrules.BUCKETS


def spec(backends: tuple[str, ...], distribution: int = 0, vip: str | None = "10.96.0.10") -> LoadBalancerSpec:
    return LoadBalancerSpec(owner=LB_ID, short="7b9d0000", frontends=(LbFrontend(vip, "tcp", 80, 8080, distribution),),
                            backends=backends, snat_mark=None)


def test_a_backend_change_touches_one_chain_and_one_map() -> None:
    commands = lbrules.apply_commands(spec(("10.0.0.2", "10.0.0.3")))
    touched = {next(iter(body.values())).get("chain") or next(iter(body.values())).get("name") for c in commands for body in c.values()}
    assert touched <= {"lb-7b9d0000", "lb-vips"}


def test_selectors_and_refusal() -> None:
    rule = lbrules.frontend_rule(spec(("10.0.0.2",)), spec(("10.0.0.2",)).frontends[0])
    assert "numgen" in str(rule) and rule[-1]["dnat"]["port"] == 8080
    affinity = lbrules.frontend_rule(spec(("10.0.0.2",), 2), spec(("10.0.0.2",), 2).frontends[0])
    assert "jhash" in str(affinity)
    empty = lbrules.frontend_rule(spec(()), spec(()).frontends[0])
    assert "dnat" not in str(empty) and empty[-1]["mangle"]["value"] == lbrules.REJECT_MARK


def test_nodeport_frontends_use_the_local_address_map() -> None:
    commands = lbrules.frontend_commands("add", spec(("10.0.0.2",), vip=None))
    assert commands[0]["add"]["element"]["name"] == lbrules.NODEPORT_MAP


def test_orphans_are_deleted_references_first() -> None:
    listing = {"nftables": [
        {"map": {"table": "hnsctl", "name": "lb-vips", "elem": [[{"concat": ["10.96.0.10", "tcp", 80]}, {"jump": {"target": "lb-deadbeef"}}],
                                                               [{"concat": ["10.96.0.11", "tcp", 80]}, {"jump": {"target": "lb-7b9d0000"}}]]}},
        {"chain": {"table": "hnsctl", "name": "lb-deadbeef"}},
        {"map": {"table": "hnsctl", "name": "lb-deadbeef", "elem": [[0, "10.0.0.2"]]}},
        {"chain": {"table": "hnsctl", "name": "lb-7b9d0000"}},
    ]}
    stale, commands = lbrules.orphan_commands(listing, {"7b9d0000"})
    assert stale == ["deadbeef"]
    verbs = [next(iter(c)) + " " + next(iter(next(iter(c.values())))) for c in commands]
    assert verbs == ["delete element", "flush chain", "delete map", "delete chain"]
    state = lbrules.listed_state(listing)
    assert state["7b9d0000"][2] == frozenset({("10.96.0.11", "tcp", 80)})
    assert state["deadbeef"][1] == frozenset({"10.0.0.2"})
