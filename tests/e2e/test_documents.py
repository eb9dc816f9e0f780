"""HNS documents end to end: a flannel-style V2 overlay network whose document carries its VSID, adapter and
RemoteSubnetRoute policies, endpoints from documents with their Policies, with real traffic; and what
`endpoint show -o json` prints, fed back to `endpoint create --json`, makes an equivalent endpoint (networks of
every type: tests/e2e/test_round_trip_networks.py)."""

from __future__ import annotations

import json

import pytest

from hnsctl.models.network import dr_mac_for
from tests.e2e.conftest import Host
from tests.e2e.test_endpoints import Server, connect
from tests.e2e.test_overlay import SUBNET, UNDERLAY, OverlayHost, hosts  # noqa: F401  (fixture)

IDS = {"a": "a1b2c3d4-0000-4000-8000-0000000000a1", "b": "b1b2c3d4-0000-4000-8000-0000000000b2"}


def overlay_document(name: str, other: str) -> dict:
    """The shape flannel's Windows vxlan backend sends (V2), with this host's adapter and the other host's subnet."""
    return {
        "ID": IDS[name], "Name": "vxlan0", "Type": "Overlay", "Flags": 8, "SchemaVersion": {"Major": 2, "Minor": 0},
        "Ipams": [{"Type": "Static", "Subnets": [{"IpAddressPrefix": SUBNET[name],
                                                   "Policies": [{"Type": "VSID", "Settings": {"IsolationId": 4097}}],
                                                   "Routes": [{"NextHop": SUBNET[name].replace("0/24", "1"), "DestinationPrefix": "0.0.0.0/0"}]}]}],
        "Policies": [
            {"Type": "NetAdapterName", "Settings": {"NetworkAdapterName": "ul0"}},
            {"Type": "HostRoute", "Settings": {}},
            {"Type": "RemoteSubnetRoute", "Settings": {"DestinationPrefix": SUBNET[other], "IsolationId": 4097,
                                                       "ProviderAddress": UNDERLAY[other], "DistributedRouterMacAddress": dr_mac_for(IDS[other])}},
        ],
    }


def test_overlay_from_documents_carries_traffic(hosts: dict[str, OverlayHost]) -> None:
    a, b = hosts["a"], hosts["b"]
    for host in (a, b):
        host.ok("network", "delete", "vx")  # the fixture's own overlay: these documents bring theirs
    for name, host, other in (("a", a, "b"), ("b", b, "a")):
        created = host.run("network", "create", "--json", "-", "-o", "json", input=json.dumps(overlay_document(name, other)))
        assert created.returncode == 0, created.stderr
        shown = host.json("network", "show", "vxlan0")
        assert {"Type": "VSID", "VSID": 4097} in shown["Subnets"][0]["Policies"] and shown["DrMacAddress"] == dr_mac_for(IDS[name])
        assert [p["Type"] for p in shown["Policies"] if p["Type"] in ("HostRoute", "RemoteSubnetRoute")] == ["HostRoute", "RemoteSubnetRoute"]
    pod = {"Name": "pod-a", "VirtualNetworkName": "vxlan0", "Policies": [
        {"Type": "OutBoundNAT", "ExceptionList": ["10.244.0.0/16", "10.96.0.0/12"]},
        {"Type": "ROUTE", "DestinationPrefix": "10.96.0.0/12", "NeedEncap": True}]}
    made = a.run("endpoint", "create", "--json", "-", "--namespace", "pod-a", "-o", "json", input=json.dumps(pod))
    assert made.returncode == 0, made.stderr
    assert [p["Type"] for p in json.loads(made.stdout)["Policies"]] == ["OutBoundNAT", "ROUTE"]
    peer = b.json("endpoint", "create", "pod-b", "--network", "vxlan0", "--namespace", "pod-b")
    server, node = Server("pod-b", "0.0.0.0"), Server(b.namespace, UNDERLAY["b"])
    try:
        assert connect("pod-a", peer["IPAddress"]) == json.loads(made.stdout)["IPAddress"]  # pod to pod: its own address
        assert connect("pod-a", UNDERLAY["b"]) == UNDERLAY["a"]  # outside the exceptions: as the node
    finally:
        server.stop()
        node.stop()


def test_a_document_that_cannot_be_made_changes_nothing(hosts: dict[str, OverlayHost]) -> None:
    a = hosts["a"]
    a.ok("network", "delete", "vx")
    doc = overlay_document("a", "b")
    doc["Policies"][2]["Settings"]["DestinationPrefix"] = SUBNET["a"]  # overlaps this host's own subnet: refused under the lock
    doc["Ipams"][0]["Subnets"][0]["Policies"][0]["Settings"]["IsolationId"] = 4097
    doc["Policies"][2]["Settings"]["IsolationId"] = 4097
    before = a.dump()
    refused = a.run("network", "create", "--json", "-", input=json.dumps(doc))
    assert refused.returncode == 2 and "overlaps this host's own subnet" in refused.stderr
    assert a.dump() == before and a.json("network", "list") == []


@pytest.mark.parametrize("schema", ["1", "2"])
def test_what_show_prints_creates_an_equivalent_endpoint(host: Host, schema: str) -> None:
    host.ok("network", "create", "n", "--subnet", "10.77.0.0/24")
    host.ok("endpoint", "create", "first", "--network", "n", "--ip", "10.77.0.9", "-p", "8080:80/tcp")
    printed = host.json("endpoint", "show", "first", "--schema", schema)
    host.ok("endpoint", "delete", "first")
    printed["Name"] = "second"
    del printed["ID"]
    host.ok("endpoint", "create", "--json", "-", input=json.dumps(printed))
    again = host.json("endpoint", "show", "second", "--schema", schema)
    assert (again["MacAddress"], len(again["Policies"])) == (printed["MacAddress"], 1)
    assert again.get("IPAddress", again.get("IpConfigurations")) == printed.get("IPAddress", printed.get("IpConfigurations"))
