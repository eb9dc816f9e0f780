"""models/networkjson.py and hnsjson.py: the HNS V1 / HCN V2 network JSON contract (field names scripts ported from Windows read)."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models import ids
from hnsctl.models.hnsjson import load_document
from hnsctl.models.network import (
    Network,
    NetworkRequest,
    NetworkType,
    Subnet,
    SubnetRequest,
    Uplink,
    parse_dns_servers,
    parse_subnet,
)
from hnsctl.models.networkjson import network_request_from_document, network_to_v1, network_to_v2
from tests.unit.strategies import networks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hns"

NET_ID = "6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"
DUAL = Network(
    id=NET_ID,
    name="demo",
    type=NetworkType.L2BRIDGE,
    subnets=(
        Subnet(ipaddress.ip_network("10.200.0.0/24"), ipaddress.ip_address("10.200.0.1")),
        Subnet(ipaddress.ip_network("fd00:1::/64"), ipaddress.ip_address("fd00:1::1")),
    ),
    dns_servers=("10.0.0.53", "10.0.0.54"),
    dns_suffix="corp.example.com",
    flags=1,
    created_at="2024-01-01T00:00:00+00:00",
)
PRIVATE = Network(id=NET_ID, name="p", type=NetworkType.PRIVATE, subnets=(Subnet(ipaddress.ip_network("10.9.0.0/24")),))


# ------------------------------------------------------------------ output


def test_v1_field_names_and_values() -> None:
    doc = network_to_v1(DUAL, endpoint_count=3)
    assert doc["ID"] == NET_ID.upper()  # as Get-HnsNetwork prints a network's ID
    assert doc["Name"] == "demo"
    assert doc["Type"] == "l2bridge"  # V1 prints the lower-case value
    assert doc["Subnets"] == [
        {"AddressPrefix": "10.200.0.0/24", "GatewayAddress": "10.200.0.1", "Policies": []},
        {"AddressPrefix": "fd00:1::/64", "GatewayAddress": "fd00:1::1", "Policies": []},
    ]
    assert doc["DNSServerList"] == "10.0.0.53,10.0.0.54"
    assert doc["DNSSuffix"] == "corp.example.com"
    assert doc["Policies"] == []
    assert doc["Flags"] == 1
    assert doc["BridgeName"] == "hns-6f3c2a1e"
    assert doc["IPv6"] is True
    assert doc["ManagementIP"] == "10.200.0.1"
    assert doc["CurrentEndpointCount"] == 3
    assert doc["CreatedAt"] == "2024-01-01T00:00:00+00:00"
    assert "SchemaVersion" not in doc  # made from flags: V1 prints none, as Get-HnsNetwork
    json.dumps(doc)  # serialisable as is


def test_v1_of_a_network_without_gateway_has_empty_gateway_and_management_ip() -> None:
    doc = network_to_v1(PRIVATE)
    assert doc["Subnets"][0]["GatewayAddress"] == ""
    assert doc["ManagementIP"] == ""
    assert doc["IPv6"] is False
    assert doc["DNSServerList"] == ""


def test_v2_field_names_and_values() -> None:
    doc = network_to_v2(DUAL, endpoint_count=2)
    assert doc["ID"] == NET_ID
    assert doc["Name"] == "demo"
    assert doc["Type"] == "L2Bridge"
    assert doc["SchemaVersion"] == {"Major": 2, "Minor": 0}
    assert doc["Flags"] == 1
    assert doc["BridgeName"] == "hns-6f3c2a1e"
    [ipam] = doc["Ipams"]
    v4, v6 = ipam["Subnets"]
    assert v4["IpAddressPrefix"] == "10.200.0.0/24"
    assert v4["Routes"] == [{"NextHop": "10.200.0.1", "DestinationPrefix": "0.0.0.0/0", "Metric": 0}]
    assert v6["IpAddressPrefix"] == "fd00:1::/64"
    assert v6["Routes"] == [{"NextHop": "fd00:1::1", "DestinationPrefix": "::/0", "Metric": 0}]
    assert doc["Dns"] == {"ServerList": ["10.0.0.53", "10.0.0.54"], "Domain": "corp.example.com", "Search": ["corp.example.com"]}
    assert doc["Policies"] == []
    assert doc["Health"]["Extra"]["Resources"]["EndpointCount"] == 2
    json.dumps(doc)


def test_v2_of_a_network_without_gateway_has_no_routes_and_no_domain() -> None:
    doc = network_to_v2(PRIVATE)
    assert doc["Type"] == "Private"
    assert doc["Ipams"][0]["Subnets"][0]["Routes"] == []
    assert doc["Dns"] == {"ServerList": []}


def test_v2_schema_version_is_a_fresh_dict_each_time() -> None:
    network_to_v2(DUAL)["SchemaVersion"]["Major"] = 99
    assert network_to_v2(DUAL)["SchemaVersion"]["Major"] == 2


# ------------------------------------------------------------------ round trips


def assert_request_reproduces(request: NetworkRequest, network: Network) -> None:
    assert request.name == network.name
    assert request.id is not None and ids.normalize_id(request.id) == network.id  # V1 prints it upper-case
    assert NetworkType.parse(request.type) is network.type
    assert [
        (parse_subnet(s.prefix), ipaddress.ip_address(s.gateway) if s.gateway else None) for s in request.subnets
    ] == [(s.prefix, s.gateway) for s in network.subnets]
    assert parse_dns_servers(request.dns_servers) == network.dns_servers
    assert request.dns_suffix == network.dns_suffix
    assert request.flags == network.flags
    assert request.policies == ()


@given(networks())
def test_v1_output_fed_back_as_input_reproduces_the_network(network: Network) -> None:
    """Get-HnsNetwork output of one host must be accepted by another (read-only fields ignored)."""
    doc = json.loads(json.dumps(network_to_v1(network)))
    assert_request_reproduces(network_request_from_document(doc), network)


@given(networks())
def test_v2_output_fed_back_as_input_reproduces_the_network(network: Network) -> None:
    doc = json.loads(json.dumps(network_to_v2(network)))
    assert_request_reproduces(network_request_from_document(doc), network)


schemas = st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(0, 20)))


@given(networks(), schemas, st.integers(0, 1000), st.booleans())
def test_schema_version_endpoint_limit_and_outbound_nat_survive_both_prints(network: Network, schema: tuple[int, int] | None,
                                                                             limit: int, outbound_nat: bool) -> None:
    """What a document gave (SchemaVersion, MaxConcurrentEndpoints, the l2bridge OutBoundNAT) comes back from either
    print; a SchemaVersion of the other shape is not printed (it would read back as that shape)."""
    uplink = Uplink("eth1", outbound_nat=outbound_nat, outbound_nat_exceptions=("10.96.0.0/12",) if outbound_nat else ())
    network = dataclasses.replace(network, hns_schema=schema, max_endpoints=limit, uplink=uplink)
    for v2, to_doc in ((False, network_to_v1), (True, network_to_v2)):
        request = network_request_from_document(json.loads(json.dumps(to_doc(network))))
        kept = schema if schema is not None and (schema[0] >= 2) == v2 else None
        assert request.hns_schema == (kept if kept or not v2 else (2, 0))
        assert (request.max_endpoints, request.outbound_nat, request.adapter) == (limit, outbound_nat, "eth1")
        assert request.outbound_nat_exceptions == uplink.outbound_nat_exceptions


# ------------------------------------------------------------------ GUID case and SchemaVersion as Windows prints them


def test_v1_prints_the_network_id_upper_case_and_v2_lower_case() -> None:
    assert network_to_v1(DUAL)["ID"] == "6F3C2A1E-1B2C-4D5E-8F90-0123456789AB"
    assert network_to_v2(DUAL)["ID"] == NET_ID
    assert network_to_v1(DUAL)["BridgeName"] == network_to_v2(DUAL)["BridgeName"] == "hns-6f3c2a1e"  # kernel names stay lower


def test_printed_windows_v1_networks_carry_upper_case_ids_and_read_back() -> None:
    """The real Get-HnsNetwork prints: the same case as hnsctl's, and accepted (the service stores lower case)."""
    for name in ("network-netrestore-v1-nat-printed.json", "network-notes-v1-nat-ics-printed.json"):
        doc = json.loads((FIXTURES / name).read_text())
        assert doc["ID"] == doc["ID"].upper()
        assert network_request_from_document(doc).id == doc["ID"]


def test_an_upper_case_id_resolves_for_show_and_for_network_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What V1 prints is what a script passes back: `network show ID`, `--network ID` (the same resolver), a prefix."""
    from hnsctl.cli.app import app
    from hnsctl.service.lookup import resolve_network
    from hnsctl.service.network import NetworkService
    from hnsctl.store import Store
    from tests.unit.fakes import FakeBackend

    service = NetworkService(Store(tmp_path, lock_timeout=1.0), FakeBackend())
    made = service.create_network(NetworkRequest(name="web", subnets=(SubnetRequest("198.51.100.0/24"),)))
    printed = network_to_v1(made)["ID"]
    assert printed != made.id and printed.lower() == made.id
    for reference in (printed, printed[:8], f" {printed} "):
        assert resolve_network(reference, [made]) == made  # what `endpoint create --network` calls
        assert service.get_network(reference).network == made
    monkeypatch.setenv("HNSCTL_STATE_DIR", str(tmp_path))
    shown = CliRunner().invoke(app, ["network", "show", printed, "-o", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["ID"] == printed


def test_v2_prints_a_v2_schema_version_as_given() -> None:
    network = dataclasses.replace(DUAL, hns_schema=(2, 2))
    assert network_to_v2(network)["SchemaVersion"] == {"Major": 2, "Minor": 2}
    assert "SchemaVersion" not in network_to_v1(network)  # a V1 print that said Major 2 would read back as V2


def test_v1_prints_a_v1_schema_version_as_given_and_v2_its_own() -> None:
    network = dataclasses.replace(DUAL, hns_schema=(1, 0))
    assert network_to_v1(network)["SchemaVersion"] == {"Major": 1, "Minor": 0}
    assert network_to_v2(network)["SchemaVersion"] == {"Major": 2, "Minor": 0}  # a V2 print that said Major 1 would read as V1


def test_a_network_made_from_flags_prints_the_default_schema_version() -> None:
    assert DUAL.hns_schema is None
    assert network_to_v2(DUAL)["SchemaVersion"] == {"Major": 2, "Minor": 0}
    assert "SchemaVersion" not in network_to_v1(DUAL)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"SchemaVersion": {"Major": 2, "Minor": 2}, "Ipams": []}, (2, 2)),
        ({"SchemaVersion": {"Major": 2}, "Ipams": []}, (2, 0)),  # HCN reads a missing Minor as 0
        ({"SchemaVersion": {"Major": 1, "Minor": 0}, "Subnets": []}, (1, 0)),
        ({"Subnets": []}, None),
        ({"Ipams": []}, None),
    ],
)
def test_the_documents_schema_version_is_kept(doc: dict, expected: tuple[int, int] | None) -> None:
    assert network_request_from_document({"Name": "a", **doc}).hns_schema == expected


def test_the_hcsshim_v1_document_with_the_v1_schema_version_reads_as_v1() -> None:
    doc = json.loads((FIXTURES / "network-hcsshim-v1-nat-macpools-v1schema.json").read_text())
    request = network_request_from_document({**doc, "SchemaVersion": {"Major": 1, "Minor": 0}})
    assert (request.hns_schema, request.mac_pools) == ((1, 0), (("00-15-5D-52-C0-00", "00-15-5D-52-CF-FF"),))


@pytest.mark.parametrize(
    "schema",
    [{"Major": -1, "Minor": 0}, {"Major": "2", "Minor": 0}, {"Major": 2, "Minor": 1.5}, {"Major": True, "Minor": 0},
     {"Major": 2, "Minor": -3}, {"Minor": 0}, {}, {"Major": 2, "Minor": 0, "Patch": 1}, "2.0", [2, 0], 2],
)
def test_a_bad_schema_version_is_refused_naming_it(schema: object) -> None:
    with pytest.raises(InvalidInput) as info:
        network_request_from_document({"Name": "a", "Ipams": [], "SchemaVersion": schema})
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.message.startswith("invalid JSON field SchemaVersion: ") and "\n" not in info.value.message


def test_v2_carries_the_endpoint_limit_and_outbound_nat_under_their_v1_names() -> None:
    network = dataclasses.replace(DUAL, max_endpoints=7, uplink=Uplink("eth1", outbound_nat=True, outbound_nat_exceptions=("10.0.0.0/8",)))
    doc = network_to_v2(network)
    assert (doc["MaxConcurrentEndpoints"], doc["OutboundNat"], doc["OutboundNatExceptions"]) == (7, True, ["10.0.0.0/8"])
    plain = network_to_v2(DUAL)
    assert not {"MaxConcurrentEndpoints", "OutboundNat", "OutboundNatExceptions"} & set(plain)  # only when set


# ------------------------------------------------------------------ IsolateSwitch


def test_isolate_switch_false_is_what_every_network_is() -> None:
    assert network_request_from_document({"Name": "a", "IsolateSwitch": False}).name == "a"


def test_isolate_switch_true_is_refused_with_its_reason() -> None:
    with pytest.raises(InvalidInput) as info:
        network_request_from_document({"Name": "a", "IsolateSwitch": True})
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.message == "invalid JSON field IsolateSwitch: isolating a network's switch from the host is not built"
    assert info.value.hint and "private" in info.value.hint


def test_isolate_switch_must_be_a_boolean() -> None:
    with pytest.raises(InvalidInput, match="invalid JSON field IsolateSwitch: expected true or false"):
        network_request_from_document({"Name": "a", "IsolateSwitch": "yes"})


def test_isolate_switch_is_a_v1_field() -> None:
    with pytest.raises(InvalidInput, match="invalid JSON field IsolateSwitch: not a field"):
        network_request_from_document({"Name": "a", "Ipams": [], "IsolateSwitch": False})


# ------------------------------------------------------------------ input


def test_minimal_v1_document() -> None:
    request = network_request_from_document({"Name": "a", "Type": "NAT", "Subnets": [{"AddressPrefix": "10.0.0.0/24"}]})
    assert request.name == "a"
    assert request.type == "NAT"
    assert request.subnets[0].prefix == "10.0.0.0/24"
    assert request.subnets[0].gateway is None
    assert request.subnets[0].field == "Subnets[0].AddressPrefix"


def test_v2_integer_type_and_search_list_suffix() -> None:
    request = network_request_from_document({
        "SchemaVersion": {"Major": 2, "Minor": 0},
        "Name": "b",
        "Type": 7,
        "Dns": {"ServerList": ["10.0.0.53"], "Search": ["lab.local"]},
        "Ipams": [{"Type": "Static", "Subnets": [{"IpAddressPrefix": "10.1.0.0/16"}]}],
    })
    assert NetworkType.parse(request.type) is NetworkType.INTERNAL
    assert request.dns_suffix == "lab.local"
    assert request.subnets[0].field == "Ipams[0].Subnets[0].IpAddressPrefix"


def test_v1_network_adapter_name_is_carried_into_the_request() -> None:
    assert network_request_from_document({"Name": "t", "NetworkAdapterName": "eth0"}).adapter == "eth0"


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"Name": "a", "Subnet": []}, "Subnet"),
        ({"Name": "a", "Subnets": [{"AddressPrefix": "10.0.0.0/24", "Gateway": "10.0.0.1"}]}, "Subnets[0].Gateway"),
        ({"Name": "a", "Ipams": [], "DNSServerList": "10.0.0.1"}, "DNSServerList"),
        (
            {"Name": "a", "Ipams": [{"Subnets": [{"IpAddressPrefix": "10.0.0.0/24", "GatewayAddress": "10.0.0.1"}]}]},
            "Ipams[0].Subnets[0].GatewayAddress",
        ),
    ],
)
def test_unknown_keys_are_refused_naming_the_key(doc: dict, path: str) -> None:
    with pytest.raises(InvalidInput) as info:
        network_request_from_document(doc)
    assert info.value.exit_code == ExitCode.USAGE
    assert f"invalid JSON field {path}:" in info.value.message
    assert "check its spelling" in info.value.message
    assert info.value.hns_name == "HCN_E_INVALID_JSON"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"Name": 5}, "Name"),
        ({"Name": "a", "ID": 5}, "ID"),
        ({"Name": "a", "Type": True}, "Type"),
        ({"Name": "a", "Type": ["nat"]}, "Type"),
        ({"Name": "a", "Flags": -1}, "Flags"),
        ({"Name": "a", "Flags": "1"}, "Flags"),
        ({"Name": "a", "Flags": True}, "Flags"),
        ({"Name": "a", "Policies": ["x"]}, "Policies"),
        ({"Name": "a", "Subnets": {"AddressPrefix": "10.0.0.0/24"}}, "Subnets"),
        ({"Name": "a", "Subnets": [{"AddressPrefix": 10}]}, "Subnets[0].AddressPrefix"),
        ({"Name": "a", "DNSServerList": ["10.0.0.1"]}, "DNSServerList"),
        ({"Name": "a", "DNSSuffix": 1}, "DNSSuffix"),
        ({"Name": "a", "Ipams": [{"Subnets": [{"IpAddressPrefix": None}]}]}, "Ipams[0].Subnets[0].IpAddressPrefix"),
        ({"Name": "a", "Ipams": [{"Subnets": "x"}]}, "Ipams[0].Subnets"),
        ({"Name": "a", "Dns": ["10.0.0.1"]}, "Dns"),
        ({"Name": "a", "Dns": {"ServerList": "10.0.0.1"}}, "Dns.ServerList"),
    ],
)
def test_mistyped_fields_are_refused_naming_the_field(doc: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        network_request_from_document(doc)
    assert info.value.exit_code == ExitCode.USAGE
    assert f"invalid JSON field {field}:" in info.value.message


@pytest.mark.parametrize("text", ["", "{", "{'Name': 'a'}", '{"Name": "a",}', "nat"])
def test_load_document_refuses_bad_json_naming_the_source(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_document(text, source="net.json")
    assert info.value.exit_code == ExitCode.USAGE
    assert info.value.hns_name == "HCN_E_INVALID_JSON"
    assert "reading net.json: not valid JSON" in info.value.message
    assert "line" in info.value.message


@pytest.mark.parametrize(("text", "kind"), [("[]", "list"), ('"nat"', "str"), ("3", "int"), ("null", "NoneType")])
def test_load_document_wants_an_object(text: str, kind: str) -> None:
    with pytest.raises(InvalidInput, match=f"expected a JSON object, got {kind}") as info:
        load_document(text, source="standard input")
    assert info.value.exit_code == ExitCode.USAGE


def test_load_document_returns_the_object() -> None:
    assert load_document('{"Name": "a"}', source="x") == {"Name": "a"}
