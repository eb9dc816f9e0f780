"""Real HNS documents (tests/fixtures/hns, sources in SOURCES.md) are accepted with their meaning, or refused
with a reason that names what is not built: never with a complaint about a field Windows itself prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models import (
    endpointjson,
    hnsjson,
    lbjson,
    namespacejson,
    networkjson,
    policyjson,
    routejson,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hns"
PARSERS = {
    "network": networkjson.network_request_from_document,
    "endpoint": endpointjson.endpoint_request_from_document,
    "policy": lambda doc: policyjson.policy_request_from_document(doc, type_hint=None, endpoint="pod"),
    "route": lambda doc: routejson.route_document_from_json(doc).requests(),
    "namespace": namespacejson.namespace_request_from_document,
    "loadbalancer": lbjson.loadbalancer_request_from_document,
}
# Refused on purpose, with the words the refusal must contain.
REFUSED = {
    "endpoint-sdn-v2-dualstack-outboundnat-pa.json": "IPv6",
    "policy-cni-v2-provideraddress.json": "expected one of",  # a PA is part of an endpoint document, not a policy to add
    "policy-hcsshim-v2-acl-request.json": "one policy per",
    "policy-hcsshim-v2-tieracl-request.json": "one policy per",
    "policy-hcsshim-v2-l4wfpproxy-request.json": "expected one of",
    "policy-hcsshim-v2-networkacl-request.json": "expected one of",
    # hcsshim's test route: host bits set, refused as `--destination 169.254.169.254/24` is
    "route-hcsshim-v2-sdnroute-test.json": "Setting[0].DestinationPrefix '169.254.169.254/24': host bits are set",
    # the host's default compartment is the host itself, not a namespace object
    "namespace-hcsshim-v2-hostdefault-test.json": "Type 'HostDefault': the host's default compartment",
    "namespace-sdn-v2-default-create.json": "Type 'HostDefault': the host's default compartment",
    # requests that add a member to an existing namespace, not namespaces
    "namespace-hcsshim-v2-modify-add-endpoint.json": "namespace add-endpoint",
    "namespace-hcsshim-v1-addresource-endpoint.json": "namespace add-endpoint",
}
DOCUMENTS = sorted(p for p in FIXTURES.glob("*.json") if p.name.split("-")[0] in PARSERS)


def test_the_fixtures_are_there() -> None:
    assert len(DOCUMENTS) >= 40 and (FIXTURES / "SOURCES.md").exists()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_real_document(path: Path) -> None:
    parse = PARSERS[path.name.split("-")[0]]
    doc = json.loads(path.read_text())
    if path.name in REFUSED:
        with pytest.raises(InvalidInput) as info:
            parse(doc)
        assert REFUSED[path.name] in info.value.message and info.value.exit_code == ExitCode.USAGE
        return
    parse(doc)


def test_network_documents_keep_their_meaning() -> None:
    flannel = networkjson.network_request_from_document(json.loads((FIXTURES / "network-flannel-v2-overlay-vxlan0.json").read_text()))
    assert (flannel.type, flannel.vsid, flannel.adapter, flannel.flags) == ("Overlay", 4096, "Ethernet", 8)
    moby = networkjson.network_request_from_document(json.loads((FIXTURES / "network-moby-v1-overlay-swarm.json").read_text()))
    assert moby.vsid == 4097  # from Subnets[].Policies
    pools = networkjson.network_request_from_document(json.loads((FIXTURES / "network-hcsshim-v2-nat-gotestnat.json").read_text()))
    assert pools.mac_pools == (("00-15-5D-52-C0-00", "00-15-5D-52-CF-FF"),)
    printed = networkjson.network_request_from_document(json.loads((FIXTURES / "network-netrestore-v1-nat-printed.json").read_text()))
    assert printed.vlan is None  # VLAN 1 is what Windows prints for "untagged"
    docker = networkjson.network_request_from_document({"Name": "DockerNAT (1)", "Type": "nat", "Subnets": [{"AddressPrefix": "0.0.0.0/0"}]})
    assert docker.subnets == ()  # Docker's "pick one"


def test_endpoint_documents_keep_their_meaning() -> None:
    overlay = endpointjson.endpoint_request_from_document(json.loads((FIXTURES / "endpoint-cni-v1-winoverlay-sample.json").read_text()))
    assert [p.type for p in overlay.policies] == ["outboundnat", "route"]
    remote = endpointjson.endpoint_request_from_document(json.loads((FIXTURES / "endpoint-moby-v1-overlay-remote-peer.json").read_text()))
    assert remote.remote and remote.provider_address == "10.0.0.5"
    nameless = endpointjson.endpoint_request_from_document({"HostComputeNetwork": "x", "SchemaVersion": {"Major": 2, "Minor": 0}})
    assert nameless.name.startswith("endpoint-") and nameless.id


ENDPOINT = "a1e47c3d-2b5f-4c8e-9d01-6f3b2a7e8c44"  # the placeholder the fixtures' sources note


def _route_requests(name: str) -> list[tuple[str, str | None, str | None, bool]]:
    document = routejson.route_document_from_json(json.loads((FIXTURES / name).read_text()))
    return [(r.endpoint, r.destination, r.next_hop, r.encap) for r in document.requests()]


def test_route_documents_keep_their_meaning() -> None:
    assert _route_requests("route-sdn-v1-route-policylist.json") == [(ENDPOINT, "10.96.0.0/12", None, True)]
    assert _route_requests("route-sdn-v2-hostcomputeroute.json") == [(ENDPOINT, "169.254.169.254/32", "10.244.2.1", True)]
    hcsshim = json.loads((FIXTURES / "route-hcsshim-v2-sdnroute-test.json").read_text())
    hcsshim["Setting"][0]["DestinationPrefix"] = "169.254.169.254/32"  # what its author meant: one address
    document = routejson.route_document_from_json(hcsshim)
    assert [(r.endpoint, r.destination, r.next_hop, r.encap) for r in document.requests()] == [
        (ENDPOINT, "169.254.169.254/32", "127.10.0.34", False)]  # NeedEncap false: dropped by omitempty


def test_route_documents_expand_and_take_flags() -> None:
    both = {"HostComputeEndpoints": ["e1", "e2"], "Setting": [{"DestinationPrefix": "10.1.0.0/16"}, {"DestinationPrefix": "10.2.0.0/16"}],
            "SchemaVersion": {"Major": 2, "Minor": 0}}
    requests = routejson.route_document_from_json(both).requests()
    assert [(r.endpoint, r.destination) for r in requests] == [
        ("e1", "10.1.0.0/16"), ("e1", "10.2.0.0/16"), ("e2", "10.1.0.0/16"), ("e2", "10.2.0.0/16")]
    flagged = routejson.route_document_from_json(both).overridden(endpoint="web1", destination=None, next_hop="10.0.0.9", encap=True)
    assert {(r.endpoint, r.next_hop, r.encap) for r in flagged.requests()} == {("web1", "10.0.0.9", True)}
    with pytest.raises(InvalidInput, match="one-route document"):
        routejson.route_document_from_json(both).overridden(endpoint=None, destination="10.3.0.0/16", next_hop=None, encap=None)
    fixed = routejson.route_document_from_json({"References": ["/endpoints/e1"], "Policies": [
        {"Type": "ROUTE", "DestinationPrefix": "10.0.0.5/8"}]}).overridden(endpoint=None, destination="10.0.0.0/8", next_hop=None, encap=None)
    assert [r.destination for r in fixed.requests()] == ["10.0.0.0/8"]  # a flag replaces a bad value before it is checked


def test_what_route_show_prints_parses_back() -> None:
    from hnsctl.models.policy import Policy, PolicyRequest, validate_settings

    kind, settings = validate_settings(PolicyRequest(type="route", endpoint="e", destination="10.96.0.0/12", next_hop="10.0.0.1", encap=True))
    policy = Policy(id="4a0f0000-0000-4000-8000-000000000001", endpoint_id="1d5e0000-0000-4000-8000-000000000002", type=kind, settings=settings)
    v2 = routejson.route_to_v2(policy)
    assert v2["Setting"] == v2["Routes"] == [{"DestinationPrefix": "10.96.0.0/12", "NextHop": "10.0.0.1", "NeedEncap": True}]
    for printed in (routejson.route_to_v1(policy), v2):
        again = routejson.route_document_from_json(printed).requests()
        assert [(r.endpoint, r.destination, r.next_hop, r.encap) for r in again] == [(policy.endpoint_id, "10.96.0.0/12", "10.0.0.1", True)]


@pytest.mark.parametrize("document, words", [
    ({"HostComputeEndpoints": ["e"], "Setting": [{"DestinationPrefix": "10.0.0.0/8", "Nexthop": "10.0.0.1"}]}, "Setting[0].Nexthop: not a field"),
    ({"HostComputeEndpoints": ["e"], "Setting": [{"DestinationPrefix": "10.0.0.0/8"}], "Routes": [{"DestinationPrefix": "10.1.0.0/16"}]},
     "differs from Setting"),
    ({"HostComputeEndpoints": ["e"], "Routes": [{"DestinationPrefix": "10.0.0.0/8", "AutomaticEndpointMonitor": True}]}, "MonitorDynamicEndpoints"),
    ({"HostComputeEndpoints": ["e"], "Setting": [{"DestinationPrefix": "10.0.0.0/8", "Metric": 5}]}, "Metric 5: route metrics are not built"),
    ({"HostComputeEndpoints": [], "Setting": [{"DestinationPrefix": "10.0.0.0/8"}]}, "a route needs an endpoint"),
    ({"References": ["/endpoints/e"], "Policies": [{"Type": "ELB", "VIPs": []}]}, "loadbalancer create --json"),
    ({"References": ["/endpoints/e"], "Policies": []}, "a route needs a destination"),
    ({"References": ["/endpoints/e"], "Policies": [{"Type": "ROUTE", "DestinationPrefix": "10.0.0.0/8", "NeedEncap": "yes"}]},
     "Policies[0].NeedEncap: expected true or false"),
])
def test_bad_route_documents_name_the_field(document: dict, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        routejson.route_document_from_json(document).requests()
    assert words in info.value.message and info.value.exit_code == ExitCode.USAGE and info.value.hint is None


def test_namespace_documents_keep_their_meaning() -> None:
    nameless = namespacejson.namespace_request_from_document({"Type": "Host", "NamespaceId": 5, "SchemaVersion": {"Major": 2, "Minor": 0}})
    assert nameless.name == "namespace-" + nameless.id.replace("-", "")[:8] and nameless.compartment_id == 5
    given = namespacejson.namespace_request_from_document({"ID": "C6B1E2F4-0D3A-4E5B-9F70-1A2B3C4D5E6F", "IsDefault": False, "CompartmentId": 0})
    assert (given.name, given.id, given.compartment_id) == ("namespace-c6b1e2f4", "c6b1e2f4-0d3a-4e5b-9f70-1a2b3c4d5e6f", None)


def test_what_namespace_show_prints_parses_back() -> None:
    from hnsctl.models.namespace import Namespace

    namespace = Namespace(id="c6b1e2f4-0d3a-4e5b-9f70-1a2b3c4d5e6f", name="web1", compartment_id=3, created_at="2026-01-01T00:00:00+00:00")
    for printed in (namespacejson.namespace_to_v1(namespace, []), namespacejson.namespace_to_v2(namespace, [])):
        assert namespacejson.namespace_request_from_document(printed) == namespacejson.NamespaceRequest("web1", namespace.id, 3)
    v2 = namespacejson.namespace_to_v2(namespace, ["1d5e0000-0000-4000-8000-000000000002"])
    assert v2["Resources"] == [{"Type": "Endpoint", "Data": {"ID": "1d5e0000-0000-4000-8000-000000000002"}}]  # Windows' spelling
    with pytest.raises(InvalidInput, match="Resources\\[0\\]: `namespace create` makes the namespace empty"):
        namespacejson.namespace_request_from_document(v2)


@pytest.mark.parametrize("document, words", [
    ({"Name": "a", "Typo": 1}, "invalid JSON field Typo: not a field of an HNS namespace document"),
    ({"Type": "Guest", "SchemaVersion": {"Major": 2, "Minor": 0}}, "utility VM"),
    ({"IsDefault": True}, "IsDefault true: the host's default compartment"),
    ({"ID": "not-a-guid"}, "invalid JSON field ID 'not-a-guid': expected a GUID"),
    ({"NamespaceId": 2, "CompartmentId": 3}, "differs from NamespaceId"),
    ({"NamespaceId": -1}, "NamespaceId: expected an integer"),
    ({"Resources": [{"Type": "Container", "Data": {"ID": "x"}}]}, "Container members are not supported"),
    ({"Resources": [{"Type": "Endpoint", "Data": {"ID": "x"}, "Extra": 1}]}, "Resources[0].Extra: not a field"),
])
def test_bad_namespace_documents_name_the_field(document: dict, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        namespacejson.namespace_request_from_document(document)
    assert words in info.value.message and info.value.exit_code == ExitCode.USAGE and info.value.hint is None


def test_unknown_keys_are_still_refused_with_their_path() -> None:
    with pytest.raises(InvalidInput, match="Subnets\\[0\\].Gateway"):
        networkjson.network_request_from_document({"Name": "n", "Subnets": [{"AddressPrefix": "10.0.0.0/24", "Gateway": "10.0.0.1"}]})
    with pytest.raises(InvalidInput, match="not supported: IP set"):
        networkjson.network_request_from_document({"Name": "n", "Policies": [{"Type": "SetPolicy", "Settings": {}}],
                                               "SchemaVersion": {"Major": 2, "Minor": 0}})


@pytest.mark.parametrize("depth", [40, 5000, 100000])
def test_a_deeply_nested_document_is_a_one_line_usage_error(depth: int) -> None:
    text = '{"Name": "x", "Policies": [' + '{"a": ' * depth + "1" + "}" * depth + "]}"
    with pytest.raises(InvalidInput) as info:
        hnsjson.load_document(text, source="standard input")
    assert "nested" in info.value.message and "\n" not in info.value.message and info.value.exit_code == ExitCode.USAGE
