"""models/hnsjson.py: the HNS V1 / HCN V2 JSON contract (field names scripts ported from Windows read)."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models.hnsjson import load_document, network_request_from_document, network_to_v1, network_to_v2
from hnsctl.models.network import Network, NetworkRequest, NetworkType, Subnet, parse_dns_servers, parse_subnet
from tests.unit.strategies import networks

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
    assert doc["ID"] == NET_ID
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
    assert request.id == network.id
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
