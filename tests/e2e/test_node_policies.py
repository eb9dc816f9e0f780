"""Kubernetes-node policies on the network types a node uses: OutBoundNAT with exceptions and port
mappings (hostPort) on l2bridge, l2tunnel and overlay endpoints, with real traffic.

A pod on such a node keeps its own address towards the cluster (the exceptions: cluster CIDR, service
CIDR, node subnet) and leaves as the node for everything else; a hostPort reaches the pod from other
machines and from the node itself."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Host
from tests.e2e.test_endpoints import Server, connect
from tests.e2e.test_overlay import SUBNET, UNDERLAY, OverlayHost, endpoint, hosts  # noqa: F401  (fixture)
from tests.e2e.test_transparent import ADAPTER_ADDRESS, LAN_HOST, lan
from tests.kernel import ip

POD = "198.18.0.100"


@pytest.mark.parametrize("kind", ["l2bridge", "l2tunnel"])
def test_outbound_nat_policy_on_an_uplink_network(host: Host, kind: str) -> None:
    machine = lan(host)
    ip("addr", "add", "203.0.113.1/32", "dev", "lo", netns=machine)  # beyond the LAN, via its router
    ip("addr", "add", "203.0.114.1/32", "dev", "lo", netns=machine)  # e.g. the service CIDR: an exception
    host.ok("network", "create", "cbr0", "--type", kind, "--adapter", "eth1", "--subnet", "198.18.0.0/24", "--gateway", LAN_HOST)
    host.ok("endpoint", "create", "pod", "--network", "cbr0", "--namespace", "pod", "--ip", POD)
    server = Server(machine, "0.0.0.0", connections=3)
    try:
        assert connect("pod", "203.0.113.1") == POD  # no policy yet: the pod's own address
        host.ok("policy", "add", "outboundnat", "--endpoint", "pod", "--exception", "203.0.114.0/24")
        assert connect("pod", "203.0.113.1") == ADAPTER_ADDRESS  # leaves as the node
        assert connect("pod", "203.0.114.1") == POD  # an exception keeps the pod's address
    finally:
        server.stop()
    lan_server = Server(machine, LAN_HOST)
    try:
        assert connect("pod", LAN_HOST) == POD  # the node's own LAN is never NATed
    finally:
        lan_server.stop()
    policy = host.json("policy", "list", "--endpoint", "pod")[0]
    assert host.json("policy", "show", policy["ID"], "--effective")["Effective"]["Present"] is True
    host.nft("flush", "chain", "inet", "hnsctl", "outbound")
    assert host.json("reconcile")["Differences"][0]["Problem"] == "outbound NAT rules missing"
    assert host.json("reconcile")["Differences"] == []
    host.ok("network", "delete", "cbr0", "--force")
    assert "outboundnat" not in host.nft("list", "ruleset").stdout


@pytest.mark.parametrize("kind", ["l2bridge", "l2tunnel"])
def test_port_mapping_on_an_uplink_network(host: Host, kind: str) -> None:
    machine = lan(host)
    host.ok("network", "create", "cbr0", "--type", kind, "--adapter", "eth1", "--subnet", "198.18.0.0/24", "--gateway", LAN_HOST)
    host.ok("endpoint", "create", "pod", "--network", "cbr0", "--namespace", "pod", "--ip", POD)
    host.ok("policy", "add", "portmapping", "--endpoint", "pod", "--external-port", "30080", "--internal-port", "80", "--protocol", "tcp")
    server = Server("pod", "0.0.0.0", port=80, connections=2)
    try:
        assert connect(machine, ADAPTER_ADDRESS, 30080) == LAN_HOST  # another machine, through the node's address
        assert connect(host.name, ADAPTER_ADDRESS, 30080) == ADAPTER_ADDRESS  # the node itself
    finally:
        server.stop()
    host.ok("network", "delete", "cbr0", "--force")
    assert "30080" not in host.nft("list", "ruleset").stdout


def test_policies_on_overlay_endpoints(hosts: dict[str, OverlayHost]) -> None:
    a, b = hosts["a"], hosts["b"]
    pod = endpoint(a, "a1")
    peer = endpoint(b, "b1")
    a.ok("policy", "add", "remotesubnetroute", "--network", "vx", "--destination", SUBNET["b"], "--provider-address", UNDERLAY["b"],
         "--dr-mac", b.json("network", "show", "vx")["DRMacAddress"])
    b.ok("policy", "add", "remotesubnetroute", "--network", "vx", "--destination", SUBNET["a"], "--provider-address", UNDERLAY["a"],
         "--dr-mac", a.json("network", "show", "vx")["DRMacAddress"])
    a.ok("policy", "add", "outboundnat", "--endpoint", "a1", "--exception", "10.244.0.0/16", "--exception", "10.96.0.0/12")
    a.ok("policy", "add", "portmapping", "--endpoint", "a1", "--external-port", "30080", "--internal-port", "80")

    in_cluster = Server("b1", "0.0.0.0")
    on_node_b = Server(b.namespace, UNDERLAY["b"])
    try:
        assert connect("a1", peer["IPAddress"]) == pod["IPAddress"]  # pod to pod across hosts keeps its address
        assert connect("a1", UNDERLAY["b"]) == UNDERLAY["a"]  # outside the exceptions: leaves as node a
    finally:
        in_cluster.stop()
        on_node_b.stop()

    host_port = Server("a1", "0.0.0.0", port=80, connections=3)
    try:
        assert connect(b.namespace, UNDERLAY["a"], 30080) == UNDERLAY["b"]  # another node reaches the hostPort
        assert connect(a.namespace, UNDERLAY["a"], 30080) == UNDERLAY["a"]  # so does node a itself
        assert connect("b1", UNDERLAY["a"], 30080) == UNDERLAY["b"]  # and a pod elsewhere (leaving node b as node b)
    finally:
        host_port.stop()
    a.ok("endpoint", "delete", "a1")
    assert "30080" not in json.dumps(a.json("policy", "list"))


def test_mappings_stay_refused_where_hns_refuses_them(host: Host) -> None:
    lan(host)
    host.ok("network", "create", "lan", "--type", "transparent", "--adapter", "eth1", "--subnet", "198.18.0.0/24", "--gateway", LAN_HOST)
    host.ok("endpoint", "create", "vm", "--network", "lan", "--ip", POD)
    refused = host.hnsctl("policy", "add", "portmapping", "--endpoint", "vm", "--external-port", "8080", "--internal-port", "80", "-o", "json")
    assert refused.returncode == 2 and json.loads(refused.stderr)["ErrorName"] == "HCN_E_MAPPING_NOT_SUPPORTED"
    host.ok("network", "create", "priv", "--type", "private")
    host.ok("endpoint", "create", "p", "--network", "priv")
    assert host.hnsctl("policy", "add", "outboundnat", "--endpoint", "p").returncode == 2
