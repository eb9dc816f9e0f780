"""What `network show -o json [--schema 2]` prints, fed back to `network create --json` with a new name and
without its ID, makes an equivalent network: for every network type and both schemas.

"Equivalent" is checked on the whole printed document: the second network's print equals the first's except
for the fields a network derives from its own ID or from the moment it was made (`DERIVED`), so anything a
document can say and the print shows is proven to survive the way back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hnsctl.models.network import dr_mac_for
from tests.e2e.conftest import UPLINK_ADDRESS, Host
from tests.e2e.test_transparent import LAN_HOST, lan

# Each field left out of the comparison, and why it cannot be the same on the second network:
DERIVED = {
    "ID": "dropped from the document on purpose: the second network gets a fresh GUID",
    "Name": "renamed on purpose: a second network of the same name is refused",
    "BridgeName": "hns-<first 8 hex digits of the ID>: follows the new ID",
    "CreatedAt": "the time the network was made",
}
# The distributed-router MAC (overlay) is derived from the ID too (`dr_mac_for`): rather than dropping it,
# `comparable` checks it is the one of the document's own ID and then masks it.
DR_MAC_KEYS = ("DrMacAddress", "DRMacAddress")
MASKED = "<derived from the ID>"


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without `DERIVED`, with its DR MAC (V1 fields, V2 `DrMacAddress` policy) checked and masked."""
    dr_mac = dr_mac_for(doc["ID"].lower())
    out = {k: v for k, v in doc.items() if k not in DERIVED}
    for key in DR_MAC_KEYS:
        if key in out:
            assert out[key] == dr_mac, f"{key} {out[key]} is not the one derived from ID {doc['ID']}"
            out[key] = MASKED
    policies = []
    for policy in out.get("Policies", []):
        if policy.get("Type") == "DrMacAddress":
            assert policy["Settings"]["Address"] == dr_mac
            policy = {**policy, "Settings": {**policy["Settings"], "Address": MASKED}}
        policies.append(policy)
    out["Policies"] = policies
    return out


def assert_round_trip(host: Host, schema: str) -> dict[str, Any]:
    """Network `first` printed, fed back (ID kept: refused with a hint; ID dropped, renamed: made), printed again."""
    printed = host.json("network", "show", "first", "--schema", schema)
    assert isinstance(printed, dict)
    with_id = host.hnsctl("network", "create", "--json", "-", input=json.dumps(printed))
    assert with_id.returncode == 4 and "hint:" in with_id.stderr, with_id.stderr  # same ID (and name): says what to drop
    host.ok("network", "delete", "first", "--force")  # an uplink network gives its adapter back here
    document = {k: v for k, v in printed.items() if k != "ID"}
    document["Name"] = "second"
    host.ok("network", "create", "--json", "-", input=json.dumps(document))
    again = host.json("network", "show", "second", "--schema", schema)
    assert isinstance(again, dict)
    assert comparable(again) == comparable(printed)
    return printed


@pytest.mark.parametrize("schema", ["1", "2"])
@pytest.mark.parametrize("kind", ["nat", "internal", "private", "ics"])
def test_a_bridge_network_round_trips(host: Host, kind: str, schema: str) -> None:
    extra = ("--dns", "192.0.2.53") if kind == "ics" else ("--dns", "192.0.2.53", "--dns-suffix", "corp.example.com")
    host.ok("network", "create", "first", "--type", kind, "--subnet", "10.77.0.0/24", "--non-persistent", *extra)
    printed = assert_round_trip(host, schema)
    assert printed["Flags"] == 8


UPLINK_FLAGS = {
    # the subnet and gateway from the adapter itself (its LAN, no default route through it: no gateway)
    "transparent": (),
    # explicit LAN, and the node's own OutBoundNAT with exceptions (cluster and service CIDRs)
    "l2bridge": ("--subnet", "198.18.0.0/24", "--gateway", LAN_HOST, "--outbound-nat",
                 "--outbound-nat-exception", "10.244.0.0/16", "--outbound-nat-exception", "10.96.0.0/12"),
    "l2tunnel": ("--subnet", "198.18.0.0/24", "--gateway", LAN_HOST),
}


@pytest.mark.parametrize("schema", ["1", "2"])
@pytest.mark.parametrize("kind", sorted(UPLINK_FLAGS))
def test_an_uplink_network_round_trips(host: Host, kind: str, schema: str) -> None:
    """The spare adapter eth1 (with a route of its own) is taken over, given back by the delete, taken over again."""
    lan(host)
    host.ok("network", "create", "first", "--type", kind, "--adapter", "eth1", "--dns", "198.18.0.53", "--dns-suffix", "lan.example",
            *UPLINK_FLAGS[kind])
    printed = assert_round_trip(host, schema)
    if schema == "1":
        assert printed["NetworkAdapterName"] == "eth1" and printed["MovedRoutes"]
        assert printed.get("OutboundNatExceptions", []) == (["10.244.0.0/16", "10.96.0.0/12"] if kind == "l2bridge" else [])
    else:
        assert {"Type": "NetAdapterName", "Settings": {"NetworkAdapterName": "eth1"}} in printed["Policies"]
        assert printed.get("OutboundNat", False) is (kind == "l2bridge")


OVERLAY_DOCUMENTS = {
    # as Get-HnsNetwork / New-HnsNetwork take it, with the V1 SchemaVersion HCN gives V1 documents
    "1": {"Name": "first", "Type": "overlay", "SchemaVersion": {"Major": 1, "Minor": 0}, "Flags": 8, "NetworkAdapterName": "eth0",
          "Subnets": [{"AddressPrefix": "10.244.1.0/24", "GatewayAddress": "10.244.1.1", "Policies": [{"Type": "VSID", "VSID": 4096}]}],
          "Policies": [{"Type": "VxlanPort", "Port": 4790}], "DNSServerList": "10.96.0.10", "DNSSuffix": "svc.cluster.local",
          "MacPools": [{"StartMacAddress": "00-15-5D-3A-10-00", "EndMacAddress": "00-15-5D-3A-1F-FF"}], "MaxConcurrentEndpoints": 5},
    # as flannel sends it (HCN V2), with a schema minor version of its own
    "2": {"Name": "first", "Type": "Overlay", "SchemaVersion": {"Major": 2, "Minor": 2}, "Flags": 8,
          "Ipams": [{"Type": "Static", "Subnets": [{"IpAddressPrefix": "10.244.1.0/24",
                                                     "Routes": [{"NextHop": "10.244.1.1", "DestinationPrefix": "0.0.0.0/0"}],
                                                     "Policies": [{"Type": "VSID", "Settings": {"IsolationId": 4096}}]}]}],
          "Policies": [{"Type": "NetAdapterName", "Settings": {"NetworkAdapterName": "eth0"}}, {"Type": "VxlanPort", "Settings": {"Port": 4790}}],
          "Dns": {"ServerList": ["10.96.0.10"], "Search": ["svc.cluster.local"]},
          "MacPool": {"Ranges": [{"StartMacAddress": "00-15-5D-3A-10-00", "EndMacAddress": "00-15-5D-3A-1F-FF"}]},
          "MaxConcurrentEndpoints": 5},
}


@pytest.mark.parametrize("schema", ["1", "2"])
def test_an_overlay_network_round_trips_with_its_policies(host: Host, schema: str) -> None:
    """MacPools, MaxConcurrentEndpoints and SchemaVersion from a document, RemoteSubnetRoute and HostRoute added by
    command: the printed `Policies` carry the routes, and the second network makes them again."""
    host.ok("network", "create", "--json", "-", input=json.dumps(OVERLAY_DOCUMENTS[schema]))
    host.ok("policy", "add", "remotesubnetroute", "--network", "first", "--destination", "10.244.2.0/24",
            "--provider-address", "192.0.2.20", "--dr-mac", "02-11-AA-BB-CC-DD")
    host.ok("policy", "add", "hostroute", "--network", "first")
    printed = assert_round_trip(host, schema)
    assert printed["SchemaVersion"] == OVERLAY_DOCUMENTS[schema]["SchemaVersion"]  # as given
    route = {"DestinationPrefix": "10.244.2.0/24", "ProviderAddress": "192.0.2.20", "DistributedRouterMacAddress": "02-11-AA-BB-CC-DD"}
    if schema == "1":
        assert (printed["MaxConcurrentEndpoints"], printed["ManagementIP"], len(printed["MacPools"])) == (5, UPLINK_ADDRESS, 1)
        assert [p for p in printed["Policies"] if p["Type"] in ("RemoteSubnetRoute", "HostRoute")] == [
            {"Type": "RemoteSubnetRoute", **route}, {"Type": "HostRoute"}]
    else:
        assert (printed["MaxConcurrentEndpoints"], len(printed["MacPool"]["Ranges"])) == (5, 1)
        assert [p for p in printed["Policies"] if p["Type"] in ("RemoteSubnetRoute", "HostRoute")] == [
            {"Type": "RemoteSubnetRoute", "Settings": {**route, "IsolationId": 4096}}, {"Type": "HostRoute", "Settings": {}}]
    assert [p["Type"] for p in host.json("policy", "list")] == ["RemoteSubnetRoute", "HostRoute"]  # made again, in order
