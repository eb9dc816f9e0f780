"""Policy models: validation of every field, TOML and HNS JSON round trips, ACL rule order."""

from __future__ import annotations

import ipaddress

import pytest
import tomli_w
import tomllib
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.backend.base import EndpointAclSpec
from hnsctl.backend.nftrules import acl_commands, port_map_command
from hnsctl.errors import InvalidInput
from hnsctl.models import policyjson
from hnsctl.models.policy import Acl, Policy, PolicyRequest, PolicyType, validate_settings
from hnsctl.models.policycodec import policy_from_record, policy_to_record

ENDPOINT = "0b7e4c2a-1111-4222-8333-444455556666"


def request(kind: str, **fields: object) -> PolicyRequest:
    return PolicyRequest(type=kind, endpoint="web", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("spelling, kind", [
    ("NAT", PolicyType.PORT_MAPPING), ("PortMapping", PolicyType.PORT_MAPPING), ("outboundNAT", PolicyType.OUTBOUND_NAT),
    ("ACL", PolicyType.ACL), ("qos", PolicyType.QOS), ("SDNRoute", PolicyType.ROUTE), ("ROUTE", PolicyType.ROUTE),
])
def test_type_names_accept_v1_and_v2_spellings(spelling: str, kind: PolicyType) -> None:
    assert PolicyType.parse(spelling) is kind


@pytest.mark.parametrize("fields, fragment", [
    ({"external_port": 0, "internal_port": 80}, "--external-port"),
    ({"external_port": 65536, "internal_port": 80}, "--external-port"),
    ({"external_port": 80, "internal_port": "http"}, "--internal-port"),
    ({"external_port": 80, "internal_port": 80, "protocol": "sctp"}, "--protocol"),
    ({"external_port": 80, "internal_port": 80, "vip": "Any"}, "--vip"),
    ({"external_port": 80}, "--internal-port"),
])
def test_port_mapping_refusals_name_the_field(fields: dict, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment) as caught:
        validate_settings(request("portmapping", **fields))
    assert caught.value.exit_code == 2


def test_protocol_numbers_are_accepted() -> None:
    _, settings = validate_settings(request("nat", external_port=53, internal_port=53, protocol="17"))
    assert settings.protocol == "udp"  # type: ignore[union-attr]


@pytest.mark.parametrize("fields, fragment", [
    ({"action": "deny", "direction": "in"}, "--action"),
    ({"action": "allow", "direction": "both"}, "--direction"),
    ({"action": "allow", "direction": "in", "local_ports": ("22",)}, "ports need --protocol"),
    ({"action": "allow", "direction": "in", "protocol": "tcp", "local_ports": ("90-80",)}, "backwards"),
    ({"action": "allow", "direction": "in", "remote_addresses": ("10.0.0.1/8",)}, "host bits"),
    ({"action": "allow", "direction": "in", "remote_addresses": ("any",)}, "--remote-address"),
    ({"action": "allow", "direction": "in", "priority": 70000}, "--priority"),
    ({"action": "allow", "direction": "in", "protocol": "300"}, "--protocol"),
])
def test_acl_refusals_name_the_field(fields: dict, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        validate_settings(request("acl", **fields))


def test_acl_lists_accept_commas_and_repetition() -> None:
    _, acl = validate_settings(request("acl", action="Block", direction="In", protocol="6",
                                       local_ports=("80,443", "8000-8080"), remote_addresses=("10.1.0.0/16,192.0.2.7",)))
    assert isinstance(acl, Acl)
    assert acl.local_ports == ((80, 80), (443, 443), (8000, 8080))
    assert acl.remote_addresses == (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("192.0.2.7/32"))


settings_requests = st.one_of(
    st.builds(lambda e, i, p: request("portmapping", external_port=e, internal_port=i, protocol=p),
              st.integers(1, 65535), st.integers(1, 65535), st.sampled_from(["tcp", "udp", "6", "17"])),
    st.builds(lambda n, v: request("outboundnat", exceptions=tuple(f"10.{i}.0.0/16" for i in range(n)), vip=v),
              st.integers(0, 3), st.sampled_from([None, "192.0.2.10"])),
    st.builds(lambda r: request("qos", max_bandwidth=r), st.integers(1000, 10**9)),
    st.builds(lambda n, h: request("route", destination=f"10.{n}.0.0/16", next_hop=h), st.integers(0, 255),
              st.sampled_from([None, "10.200.0.1"])),
    st.builds(lambda a, d, p, port, prio: request("acl", action=a, direction=d, protocol=p,
                                                  local_ports=(str(port),) if p in ("tcp", "udp") else (), priority=prio),
              st.sampled_from(["allow", "block"]), st.sampled_from(["in", "out"]), st.sampled_from([None, "tcp", "udp", "icmp"]),
              st.integers(1, 65535), st.integers(0, 65535)),
)


@given(settings_requests, st.integers(0, 10**6))
def test_policy_records_round_trip_through_toml(req: PolicyRequest, sequence: int) -> None:
    kind, settings = validate_settings(req)
    policy = Policy("9f00aa11-1111-4222-8333-444455556666", ENDPOINT, kind, settings, "2026-01-01T00:00:00+00:00", sequence)
    assert policy_from_record(tomllib.loads(tomli_w.dumps(policy_to_record(policy)))) == policy


@given(settings_requests)
def test_hns_json_round_trip_v1_and_v2(req: PolicyRequest) -> None:
    kind, settings = validate_settings(req)
    policy = Policy("9f00aa11-1111-4222-8333-444455556666", ENDPOINT, kind, settings)
    for shape in (policyjson.policy_to_v1(policy), policyjson.policy_to_v2(policy)):
        again = policyjson.policy_request_from_document(shape, type_hint=kind.value, endpoint="web")
        assert validate_settings(again) == (kind, settings)


def test_policy_document_type_must_agree_with_the_command() -> None:
    with pytest.raises(InvalidInput, match="Type"):
        policyjson.policy_request_from_document({"Type": "QOS", "MaximumOutgoingBandwidthInBytes": 5000}, type_hint="acl", endpoint="web")


def acl(action: str, priority: int, **fields: object) -> Acl:
    return Acl(action=action, direction="in", priority=priority, **fields)  # type: ignore[arg-type]


def test_established_replies_go_just_before_the_first_catch_all_block() -> None:
    spec = EndpointAclSpec(ENDPOINT, "0b7e4c2a", "10.200.0.2", rules_in=(
        ("p1", acl("block", 100, protocol=6, local_ports=((22, 22),))),
        ("p2", acl("allow", 200, protocol=6, local_ports=((80, 80),))),
        ("p3", acl("block", 1000)),
    ))
    rules = [c["add"]["rule"] for c in acl_commands(spec, []) if "rule" in c.get("add", {}) and c["add"]["rule"]["chain"] == "acl-0b7e4c2a-in"]
    assert [r["comment"].split()[-1] for r in rules] == ["acl", "acl", "acl-established", "acl"]
    assert rules[0]["comment"].startswith("hnsctl:p1") and rules[3]["comment"].startswith("hnsctl:p3")


def test_no_acls_removes_the_chains() -> None:
    commands = acl_commands(EndpointAclSpec(ENDPOINT, "0b7e4c2a", "10.200.0.2"), [])
    assert {"delete": {"chain": {"family": "inet", "table": "hnsctl", "name": "acl-0b7e4c2a-in"}}} in commands


def test_port_map_elements_key_on_vip_when_given() -> None:
    plain = port_map_command("add", "tcp", 8080, None, ("10.200.0.2", 80))
    vip = port_map_command("add", "udp", 53, "192.0.2.10", ("10.200.0.2", 53))
    assert plain["add"]["element"]["name"] == "portmap-tcp" and plain["add"]["element"]["elem"] == [[8080, {"concat": ["10.200.0.2", 80]}]]
    assert vip["add"]["element"]["name"] == "portmap-vip-udp"
    assert vip["add"]["element"]["elem"][0][0] == {"concat": ["192.0.2.10", 53]}
