"""Overlay across two hosts: two namespaces act as container hosts joined by an underlay link, each running
hnsctl with its own state directory; endpoints on one reach endpoints on the other through VXLAN."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import hnsctl_executable, named_namespaces
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import delete_namespace, ip, new_namespace, nsexec

UNDERLAY = {"a": "198.51.100.11", "b": "198.51.100.12"}
SUBNET = {"a": "10.244.1.0/24", "b": "10.244.2.0/24"}
VSID = "4096"


@dataclass
class OverlayHost:
    namespace: str
    state_dir: Path

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, HNSCTL_STATE_DIR=str(self.state_dir))
        return nsexec(self.namespace, hnsctl_executable(), *args, env=env, input=input)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"hnsctl {' '.join(args)} -> {result.returncode}\n{result.stderr}"
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self.ok(*args, "-o", "json").stdout)

    def dump(self) -> str:
        """Every interface, FDB entry, neighbour, route and nft object of the host (for leftover checks)."""
        # permanent neighbours and static/remote FDB entries only: what the kernel learns by itself comes and goes
        parts = [ip("-br", "link", netns=self.namespace).stdout, ip("neigh", "show", "nud", "permanent", netns=self.namespace).stdout,
                 ip("route", netns=self.namespace).stdout]
        fdb_all = subprocess.run(["bridge", "-n", self.namespace, "fdb", "show"], capture_output=True, text=True).stdout
        fdb = "\n".join(line for line in fdb_all.splitlines() if " dst " in line or line.endswith(" static"))
        nft = nsexec(self.namespace, "nft", "list", "ruleset").stdout
        return "\n".join(parts + [fdb, nft])


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[dict[str, OverlayHost]]:
    before = named_namespaces()
    made = {name: OverlayHost(new_namespace(f"ov{name}"), tmp_path / f"state-{name}") for name in ("a", "b")}
    try:
        ip("link", "add", "ul0", "netns", made["a"].namespace, "type", "veth", "peer", "name", "ul0", "netns", made["b"].namespace)
        for name, host in made.items():
            ip("addr", "add", f"{UNDERLAY[name]}/24", "dev", "ul0", netns=host.namespace)
            ip("link", "set", "ul0", "up", netns=host.namespace)
            host.ok("network", "create", "vx", "--type", "overlay", "--subnet", SUBNET[name], "--vsid", VSID, "--adapter", "ul0")
        yield made
    finally:
        for leftover in named_namespaces() - before:
            delete_namespace(leftover)
        subprocess.run(["sh", "-c", "rm -rf /etc/netns/*"], check=False)


def endpoint(host: OverlayHost, name: str) -> dict:
    return host.json("endpoint", "create", name, "--network", "vx", "--namespace", name)


def register(host: OverlayHost, name: str, peer: dict, provider: str) -> dict:
    return host.json("endpoint", "create", name, "--network", "vx", "--remote", "--ip", peer["IPAddress"],
                     "--mac", peer["MacAddress"], "--provider-address", provider)


def test_overlay_network_is_a_bridge_and_a_vxlan_device(hosts: dict[str, OverlayHost]) -> None:
    a = hosts["a"]
    network = a.json("network", "show", "vx")
    assert network["Type"] == "overlay" and network["ManagementIP"] == UNDERLAY["a"] and network["NetworkAdapterName"] == "ul0"
    assert {"Type": "VSID", "VSID": 4096} in network["Policies"] and network["MTU"] == 1450
    details = json.loads(ip("-j", "-d", "link", "show", netns=a.namespace).stdout)
    vxlan = next(link for link in details if link["ifname"].startswith("hvx-"))
    data = vxlan["linkinfo"]["info_data"]
    assert (data["id"], data["port"], data["local"], data.get("learning")) == (4096, 4789, UNDERLAY["a"], False)
    bridge = next(link for link in details if link["ifname"] == network["BridgeName"])
    assert bridge["address"] == network["DRMacAddress"].replace("-", ":").lower() and bridge["mtu"] == 1450
    ep = endpoint(a, "a1")
    inside = json.loads(ip("-j", "link", "show", "eth0", netns="a1").stdout)[0]
    assert inside["mtu"] == 1450  # room for the encapsulation
    v2 = a.json("network", "show", "vx", "--schema", "2")
    assert v2["Ipams"][0]["Subnets"][0]["Policies"] == [{"Type": "VSID", "Settings": {"IsolationId": 4096}}]
    assert ep["IPAddress"] == "10.244.1.2"


def test_remote_endpoints_carry_tcp_between_hosts(hosts: dict[str, OverlayHost]) -> None:
    a, b = hosts["a"], hosts["b"]
    a1 = endpoint(a, "a1")
    b1, b2 = endpoint(b, "b1"), endpoint(b, "b2")
    baseline = a.dump()
    peers = [register(a, "peer-b1", b1, UNDERLAY["b"]), register(a, "peer-b2", b2, UNDERLAY["b"])]
    register(b, "peer-a1", a1, UNDERLAY["a"])
    assert peers[0]["IsRemoteEndpoint"] is True and {"Type": "PA", "PA": UNDERLAY["b"]} in peers[0]["Policies"]
    assert [e["Name"] for e in a.json("endpoint", "list", "--remote")] == ["peer-b1", "peer-b2"]
    assert [e["Name"] for e in a.json("endpoint", "list", "--local")] == ["a1"]
    fdb = subprocess.run(["bridge", "-n", a.namespace, "fdb", "show"], capture_output=True, text=True).stdout
    mac = b1["MacAddress"].replace("-", ":").lower()
    assert any(line.startswith(mac) and f"dst {UNDERLAY['b']}" in line for line in fdb.splitlines()), fdb

    servers = [Server("b1", "0.0.0.0", connections=2), Server("b2", "0.0.0.0", connections=2)]
    try:
        assert connect("a1", b1["IPAddress"]) == a1["IPAddress"]  # TCP across hosts, no NAT on the way
        assert connect("a1", b2["IPAddress"]) == a1["IPAddress"]
        assert a.run("endpoint", "attach", "peer-b1", "--namespace", "x").returncode == 2  # it lives elsewhere
        a.ok("endpoint", "delete", "peer-b1")  # breaks exactly that path
        assert connect("a1", b1["IPAddress"]).startswith("failed")
        assert connect("a1", b2["IPAddress"]) == a1["IPAddress"]
    finally:
        for server in servers:
            server.stop()
    a.ok("endpoint", "delete", "peer-b2")
    assert a.dump() == baseline  # no FDB entry, neighbour, route or interface left behind


def test_remote_subnet_routes_instead_of_per_endpoint_remotes(hosts: dict[str, OverlayHost]) -> None:
    a, b = hosts["a"], hosts["b"]
    a1, b1 = endpoint(a, "a1"), endpoint(b, "b1")
    baseline = a.dump()
    dr = {name: host.json("network", "show", "vx")["DRMacAddress"] for name, host in hosts.items()}
    route = a.json("policy", "add", "remotesubnetroute", "--network", "vx", "--destination", SUBNET["b"],
                   "--provider-address", UNDERLAY["b"], "--dr-mac", dr["b"])
    b.ok("policy", "add", "remotesubnetroute", "--network", "vx", "--destination", SUBNET["a"], "--provider-address", UNDERLAY["a"], "--dr-mac", dr["a"])
    a.ok("policy", "add", "hostroute", "--network", "vx")
    assert route["Type"] == "RemoteSubnetRoute" and route["DestinationPrefix"] == SUBNET["b"] and route["NetworkId"]
    assert a.json("policy", "show", route["ID"], "--effective")["Effective"]["Present"] is True
    server = Server("b1", "0.0.0.0", connections=2)
    try:
        assert connect("a1", b1["IPAddress"]) == a1["IPAddress"]
        a.ok("reconcile")
        assert a.json("reconcile")["Differences"] == []
        ip("neigh", "flush", "dev", a.json("network", "show", "vx")["BridgeName"], "nud", "permanent", netns=a.namespace)
        assert a.json("reconcile")["Differences"][0]["Kind"] == "policy"  # drift found and repaired
        assert connect("a1", b1["IPAddress"]) == a1["IPAddress"]
        a.ok("policy", "remove", route["ID"])
        assert connect("a1", b1["IPAddress"]).startswith("failed")
    finally:
        server.stop()
    for policy in a.json("policy", "list"):
        a.ok("policy", "remove", policy["ID"])
    assert a.dump() == baseline


def test_overlay_delete_leaves_nothing(hosts: dict[str, OverlayHost]) -> None:
    a, b = hosts["a"], hosts["b"]
    empty = subprocess.run(["ip", "-n", a.namespace, "-br", "link"], capture_output=True, text=True).stdout
    b1 = endpoint(b, "b1")
    endpoint(a, "a1")
    register(a, "peer-b1", b1, UNDERLAY["b"])
    a.ok("policy", "add", "remotesubnetroute", "--network", "vx", "--destination", "10.244.9.0/24",
         "--provider-address", "198.51.100.19", "--dr-mac", "02-11-0A-F4-09-01")
    assert a.run("network", "create", "vx2", "--type", "overlay", "--subnet", "10.245.1.0/24", "--vsid", VSID,
                 "--adapter", "ul0").returncode == 4  # one host joins a segment once
    a.ok("network", "delete", "vx", "--force")
    assert a.json("policy", "list") == [] and a.json("endpoint", "list") == []
    assert subprocess.run(["ip", "-n", a.namespace, "-br", "link"], capture_output=True, text=True).stdout.replace("\n", "") \
        .count("hvx-") == 0
    links = subprocess.run(["ip", "-n", a.namespace, "-br", "link"], capture_output=True, text=True).stdout
    assert {line.split()[0] for line in links.splitlines()} == {line.split()[0] for line in empty.splitlines()} - {
        n for n in (line.split()[0] for line in empty.splitlines()) if n.startswith(("hns-", "hvx-"))}
    assert "10.244.9.0" not in ip("route", netns=a.namespace).stdout
    assert nsexec(a.namespace, "nft", "list", "table", "inet", "hnsctl").returncode != 0
