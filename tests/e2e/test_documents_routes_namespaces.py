"""Route and namespace documents end to end: the real fixtures (tests/fixtures/hns, endpoint IDs replaced by
ones made here) create what they say, inside the endpoint's namespace; what `show -o json` prints, fed back
to `create --json`, makes an equivalent object; a bad document exits 2 with one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Host
from tests.kernel import ip

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hns"
PLACEHOLDER = "a1e47c3d-2b5f-4c8e-9d01-6f3b2a7e8c44"  # the endpoint GUID the fixtures carry (SOURCES.md)
SUBNET = "10.244.2.0/24"  # so that the fixtures' next hop 10.244.2.1 is the endpoints' gateway


def fixture(name: str, endpoint_id: str) -> str:
    return (FIXTURES / name).read_text().replace(PLACEHOLDER, endpoint_id)


def state(host: Host) -> dict[str, bytes]:
    """The state directory's records (not its read caches): what a refused command must leave alone."""
    return {str(p.relative_to(host.state_dir)): p.read_bytes() for p in sorted(host.state_dir.rglob("*"))
            if p.is_file() and "cache" not in p.parts and p.name != "lock"}


def fed(host: Host, document: str, *args: str) -> object:
    """`hnsctl ARGS --json - -o json` with the document on standard input, its JSON output parsed."""
    return json.loads(host.ok(*args, "--json", "-", "-o", "json", input=document).stdout)


def routes_in(namespace: str) -> str:
    return ip("route", "show", netns=namespace).stdout


@pytest.fixture
def pods(host: Host) -> dict[str, str]:
    """Two endpoints attached to namespaces named after them; returns name -> endpoint ID."""
    host.ok("network", "create", "pods", "--subnet", SUBNET)
    return {name: host.json("endpoint", "create", name, "--network", "pods", "--namespace", name)["ID"] for name in ("pod1", "pod2")}


@pytest.mark.parametrize("name, kernel_line", [
    ("route-sdn-v1-route-policylist.json", "10.96.0.0/12 via 10.244.2.1"),  # hns.psm1 New-HnsRoute -EncapEnabled
    ("route-sdn-v2-hostcomputeroute.json", "169.254.169.254 via 10.244.2.1"),  # hns.v2.psm1 New-HnsRoute -NextHop
])
def test_a_real_route_document_lands_in_the_endpoints_namespace(host: Host, pods: dict[str, str], name: str, kernel_line: str) -> None:
    route = fed(host, fixture(name, pods["pod1"]), "route", "create")
    assert route["References"] == [f"/endpoints/{pods['pod1']}"] and route["Policies"][0]["NeedEncap"] is True
    assert kernel_line in routes_in("pod1") and kernel_line.split()[0] not in routes_in("pod2")
    assert [r["ID"] for r in host.json("route", "list", "--endpoint", "pod1")] == [route["ID"]]
    assert host.json("policy", "show", route["ID"], "--effective")["Effective"]["Present"] is True  # hnsctl's own view agrees


def test_hcsshims_route_with_host_bits_is_refused_like_the_flag_and_flags_fix_it(host: Host, pods: dict[str, str]) -> None:
    document = fixture("route-hcsshim-v2-sdnroute-test.json", pods["pod1"])
    before, kernel = state(host), routes_in("pod1")
    refused = host.hnsctl("route", "create", "--json", "-", input=document)
    assert refused.returncode == 2 and refused.stderr.splitlines() == [
        "hnsctl: error: invalid Setting[0].DestinationPrefix '169.254.169.254/24': host bits are set; did you mean 169.254.169.0/24?"]
    flag = host.hnsctl("route", "create", "-e", "pod1", "--destination", "169.254.169.254/24")
    assert flag.returncode == 2 and "host bits are set" in flag.stderr  # the same rule as the flag
    assert state(host) == before and routes_in("pod1") == kernel
    # flags override the document's fields: the metadata address, through the endpoint's own gateway
    made = fed(host, document, "route", "create", "--destination", "169.254.169.254/32", "--next-hop", "10.244.2.1", "--schema", "2")
    assert made["Setting"] == [{"DestinationPrefix": "169.254.169.254/32", "NextHop": "10.244.2.1", "NeedEncap": False}]
    assert made["Routes"] == made["Setting"] and made["HostComputeEndpoints"] == [pods["pod1"]]
    assert "169.254.169.254 via 10.244.2.1" in routes_in("pod1")


@pytest.mark.parametrize("schema", ["1", "2"])
def test_what_route_show_prints_creates_an_equivalent_route(host: Host, pods: dict[str, str], schema: str) -> None:
    first = host.json("route", "create", "-e", "pod1", "--destination", "10.96.0.0/12", "--next-hop", "10.244.2.1", "--encap")
    printed = host.json("route", "show", first["ID"], "--schema", schema)
    host.ok("route", "delete", first["ID"])
    assert "10.96.0.0/12" not in routes_in("pod1")
    del printed["ID"]
    again_id = host.ok("route", "create", "--json", "-", "-q", input=json.dumps(printed)).stdout.strip()
    again = host.json("route", "show", again_id, "--schema", schema)
    assert again_id != first["ID"] and {k: v for k, v in again.items() if k != "ID"} == printed
    assert "10.96.0.0/12 via 10.244.2.1" in routes_in("pod1")
    # the same print with another endpoint named by flag: the route goes there instead
    other = fed(host, json.dumps(printed), "route", "create", "-e", "pod2", "--schema", schema)
    assert pods["pod2"] in json.dumps(other) and "10.96.0.0/12 via 10.244.2.1" in routes_in("pod2")


def test_a_document_with_several_endpoints_and_routes_makes_every_pair_or_none(host: Host, pods: dict[str, str]) -> None:
    document = {"HostComputeEndpoints": [pods["pod1"], "pod2"], "SchemaVersion": {"Major": 2, "Minor": 0},
                "Setting": [{"DestinationPrefix": "10.96.0.0/12", "NeedEncap": True}, {"DestinationPrefix": "10.100.0.0/16"}]}
    host.ok("route", "create", "-e", "pod2", "--destination", "10.100.0.0/16")  # the last pair will conflict
    before, kernel = state(host), (routes_in("pod1"), routes_in("pod2"))
    refused = host.hnsctl("route", "create", "--json", "-", input=json.dumps(document))
    assert refused.returncode == 4 and "already has a route to 10.100.0.0/16" in refused.stderr
    assert state(host) == before and (routes_in("pod1"), routes_in("pod2")) == kernel  # the pairs made first were undone
    host.ok("route", "delete", *[r["ID"] for r in host.json("route", "list")])
    made = fed(host, json.dumps(document), "route", "create")
    assert isinstance(made, list) and len(made) == 4 and len(host.json("route", "list")) == 4
    for pod in ("pod1", "pod2"):
        assert "10.96.0.0/12 via 10.244.2.1" in routes_in(pod) and "10.100.0.0/16 via 10.244.2.1" in routes_in(pod)


@pytest.mark.parametrize("document, code, words", [
    ({"HostComputeEndpoints": ["pod1"], "Setting": [{"DestinationPrefix": "10.96.0.0/12", "Nexthop": "10.244.2.1"}]}, 2,
     "invalid JSON field Setting[0].Nexthop: not a field of an HNS route document"),
    ({"Policies": [{"Type": "ROUTE", "DestinationPrefix": "10.96.0.0/12"}]}, 2, "a route needs an endpoint"),
    ({"References": ["/endpoints/pod1"], "Policies": [{"Type": "ELB", "VIPs": ["10.96.0.1"]}]}, 2, "loadbalancer create --json"),
    ({"HostComputeEndpoints": ["pod1", "nosuch"], "Routes": [{"DestinationPrefix": "10.96.0.0/12"}]}, 3, "endpoint 'nosuch' not found"),
])
def test_a_bad_route_document_changes_nothing(host: Host, pods: dict[str, str], document: dict, code: int, words: str) -> None:
    before, kernel = state(host), routes_in("pod1")
    refused = host.hnsctl("route", "create", "--json", "-", input=json.dumps(document))
    assert refused.returncode == code and words in refused.stderr
    if code == 2:
        assert len(refused.stderr.splitlines()) == 1
    assert state(host) == before and routes_in("pod1") == kernel and host.json("route", "list") == []


@pytest.mark.parametrize("schema", ["1", "2"])
def test_what_namespace_show_prints_creates_an_equivalent_namespace(host: Host, schema: str) -> None:
    host.ok("namespace", "create", "first")
    printed = host.json("namespace", "show", "first", "--schema", schema)
    with_id = host.hnsctl("namespace", "create", "copy", "--json", "-", input=json.dumps(printed))
    assert with_id.returncode == 4 and "already in use" in with_id.stderr and "hint: drop ID" in with_id.stderr
    del printed["ID"]
    printed["Name"] = "second"
    made = host.ok("namespace", "create", "--json", "-", input=json.dumps(printed))
    assert "NamespaceId 1 is held by namespace 'first'" in made.stderr  # the number is taken: the next one, said so
    again = host.json("namespace", "show", "second", "--schema", schema)
    derived = {"ID", "Name", "CreatedAt", "Path", "NamespaceId"}
    assert {k: v for k, v in again.items() if k not in derived} == {k: v for k, v in printed.items() if k not in derived}
    assert again["NamespaceId"] == 2 and again["Path"] == "/run/netns/second" and Path("/run/netns/second").exists()


def test_a_nameless_hcn_namespace_keeps_its_id_and_number(host: Host) -> None:
    document = {"ID": "C6B1E2F4-0D3A-4E5B-9F70-1A2B3C4D5E6F", "NamespaceId": 14, "Type": "Host", "Resources": [],
                "SchemaVersion": {"Major": 2, "Minor": 0}}
    made = fed(host, json.dumps(document), "namespace", "create", "--schema", "2")
    assert (made["ID"], made["Name"], made["NamespaceId"]) == ("c6b1e2f4-0d3a-4e5b-9f70-1a2b3c4d5e6f", "namespace-c6b1e2f4", 14)
    assert Path("/run/netns/namespace-c6b1e2f4").exists()
    host.ok("endpoint", "create", "ep", "--namespace", made["ID"])  # callers know it by ID
    assert host.json("namespace", "show", "namespace-c6b1e2f4", "--schema", "2")["Resources"] == [
        {"Type": "Endpoint", "Data": {"ID": host.json("endpoint", "show", "ep")["ID"]}}]  # Windows' spelling
    named = fed(host, json.dumps({"IsDefault": False}), "namespace", "create", "web1")
    assert named["Name"] == "web1" and named["NamespaceId"] == 15


@pytest.mark.parametrize("name, words", [
    ("namespace-hcsshim-v2-hostdefault-test.json", "the host's default compartment is the host's own network namespace"),
    ("namespace-sdn-v2-default-create.json", "the host's default compartment is the host's own network namespace"),
    ("namespace-hcsshim-v2-modify-add-endpoint.json", "use `hnsctl namespace add-endpoint NS EP`"),
    ("namespace-hcsshim-v1-addresource-endpoint.json", "use `hnsctl namespace add-endpoint NS EP`"),
])
def test_real_namespace_documents_without_an_equivalent_are_refused(host: Host, name: str, words: str) -> None:
    host.ok("namespace", "create", "keep")
    before, netns = state(host), sorted(p.name for p in Path("/run/netns").iterdir())
    refused = host.hnsctl("namespace", "create", "--json", "-", input=fixture(name, PLACEHOLDER))
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and words in refused.stderr
    assert state(host) == before and sorted(p.name for p in Path("/run/netns").iterdir()) == netns


def test_a_bad_namespace_document_changes_nothing(host: Host, pods: dict[str, str]) -> None:
    before = state(host)
    for document, words in (
        ({"Name": "x1", "SchemaVersion": {"Major": 2, "Minor": 0}, "Typo": True}, "invalid JSON field Typo: not a field"),
        ({"Name": "x2", "Resources": [{"Type": "Endpoint", "Data": {"ID": pods["pod1"]}}]}, "namespace add-endpoint"),
    ):
        refused = host.hnsctl("namespace", "create", "--json", "-", input=json.dumps(document))
        assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1 and words in refused.stderr
    assert state(host) == before and not Path("/run/netns/x1").exists() and not Path("/run/netns/x2").exists()
