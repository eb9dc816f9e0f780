"""The Kubernetes node runbooks in examples/ (k8s-l2bridge-node.sh, k8s-overlay-node.sh), run end to end
with `sh` inside simulated hosts, each checked with real TCP traffic: hostPort from another machine,
OutBoundNAT with the cluster's exceptions, pod to pod across nodes; then run again (idempotent) and
undone with one `network delete --force`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Host, hnsctl_executable, named_namespaces
from tests.e2e.test_endpoints import Server, connect
from tests.e2e.test_overlay import SUBNET, UNDERLAY, OverlayHost
from tests.e2e.test_transparent import ADAPTER_ADDRESS, LAN_HOST, adapter_state, lan
from tests.kernel import delete_namespace, ip, new_namespace, nsexec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
L2BRIDGE_SCRIPT = EXAMPLES / "k8s-l2bridge-node.sh"
OVERLAY_SCRIPT = EXAMPLES / "k8s-overlay-node.sh"

POD_SUBNET = "10.244.1.0/24"  # this node's podCIDR, off the LAN (198.18.0.0/24)
POD_IP = "10.244.1.10"
INTERNET = "203.0.113.1"  # beyond the LAN's router (lan() routes 203.0.113.0/24 via it)
HOST_PORT = 30080
CONTAINER_PORT = 80


def run_script(namespace: str, script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = nsexec(namespace, "sh", str(script), env=env)
    assert result.returncode == 0, f"{script.name} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


# -- l2bridge (flannel host-gw)


def l2bridge_node(host: Host) -> tuple[str, dict[str, str]]:
    """The LAN of test_transparent, whose machine is also the router: it routes this node's podCIDR to the
    node (what flannel host-gw adds on every other node) and holds an "internet" address behind it."""
    machine = lan(host)
    ip("route", "add", POD_SUBNET, "via", ADAPTER_ADDRESS, netns=machine)
    ip("addr", "add", f"{INTERNET}/32", "dev", "lo", netns=machine)
    env = host.env() | {
        "ADAPTER": "eth1", "NODE_SUBNET": "198.18.0.0/24", "POD_SUBNET": POD_SUBNET, "POD_IP": POD_IP,
        "CLUSTER_CIDR": "10.244.0.0/16", "SERVICE_CIDR": "10.96.0.0/12", "POD_NAMESPACE": "pod1",
        "HOST_PORT": str(HOST_PORT), "CONTAINER_PORT": str(CONTAINER_PORT),
    }
    return machine, env


def test_l2bridge_node_script(host: Host) -> None:
    machine, env = l2bridge_node(host)
    before = adapter_state(host)
    first = run_script(host.name, L2BRIDGE_SCRIPT, env)
    assert "moved from eth1" in first.stdout  # the adapter's address went to the bridge

    network = host.json("network", "show", "cbr0")
    assert network["Type"] == "l2bridge" and network["NetworkAdapterName"] == "eth1" and network["ManagementIP"] == ADAPTER_ADDRESS
    assert network["Subnets"][0]["AddressPrefix"] == POD_SUBNET and network["Subnets"][0]["GatewayAddress"] == "10.244.1.1"
    cbr0_ep = host.json("endpoint", "show", "cbr0_ep")
    assert cbr0_ep["HostAttached"] is True and cbr0_ep["IPAddress"] == "10.244.1.2"
    pod = host.json("endpoint", "show", "pod1")
    assert pod["IPAddress"] == POD_IP and pod["Namespace"]["Name"] == "pod1"
    types = sorted(p["Type"] for p in host.json("policy", "list", "--endpoint", "pod1"))
    assert types == ["NAT", "OutBoundNAT"]
    assert (pod["GatewayAddress"], cbr0_ep["GatewayAddress"]) == ("10.244.1.2", "0.0.0.0")  # -Gateway as win-bridge gives it
    outbound = next(p for p in pod["Policies"] if p["Type"] == "OutBoundNAT")
    assert sorted(outbound["ExceptionList"]) == ["10.244.0.0/16", "10.96.0.0/12", "198.18.0.0/24"]
    assert "default via 10.244.1.2 dev eth0" in ip("route", netns="pod1").stdout  # the pod routes through cbr0_ep

    hostport = Server("pod1", "0.0.0.0", port=CONTAINER_PORT)
    try:
        assert connect(machine, ADAPTER_ADDRESS, HOST_PORT) == LAN_HOST  # another machine, through the node's address
    finally:
        hostport.stop()
    on_lan = Server(machine, LAN_HOST)
    try:
        assert connect("pod1", LAN_HOST) == POD_IP  # the node subnet is an exception: the pod's own address
    finally:
        on_lan.stop()

    again = run_script(host.name, L2BRIDGE_SCRIPT, env)
    assert again.stdout.count("kept existing") == 2 and "already exists" in again.stdout and "moved from" not in again.stdout
    assert sorted(p["Type"] for p in host.json("policy", "list", "--endpoint", "pod1")) == types  # nothing added twice
    assert [e["Name"] for e in host.json("endpoint", "list", "--network", "cbr0")] == ["cbr0_ep", "pod1"]

    host.ok("network", "delete", "cbr0", "--force")
    assert adapter_state(host) == before  # the adapter's addresses and routes back exactly
    assert host.json("network", "list") == [] and host.json("policy", "list") == []
    assert str(HOST_PORT) not in host.nft("list", "ruleset").stdout


def host_endpoint_marks(host: Host) -> str:
    return host.nft("list", "set", "inet", "hnsctl", "host-endpoints").stdout


def test_l2bridge_node_pod_leaves_as_the_node(host: Host) -> None:
    """The pod routes through cbr0_ep: its frames cross the bridge to cbr0_ep, then the node routes and NATs
    them. The bridged hop stays out of conntrack (the host-endpoints set), or OutBoundNAT never happens."""
    machine, env = l2bridge_node(host)
    run_script(host.name, L2BRIDGE_SCRIPT, env)
    cbr0_ep = host.json("endpoint", "show", "cbr0_ep")
    mac = cbr0_ep["MacAddress"].replace("-", ":").lower()
    internet = Server(machine, INTERNET, connections=5)
    try:
        assert connect("pod1", INTERNET) == ADAPTER_ADDRESS  # outside the exceptions: leaves as the node
        assert mac in host_endpoint_marks(host)

        host.nft("flush", "set", "inet", "hnsctl", "host-endpoints")  # drift: the mark is what makes it work
        assert connect("pod1", INTERNET) != ADAPTER_ADDRESS
        problems = [d["Problem"] for d in host.json("reconcile")["Differences"]]
        assert problems == ["its host endpoint mark (nftables set host-endpoints) is missing"]
        assert connect("pod1", INTERNET) == ADAPTER_ADDRESS
        assert host.json("reconcile")["Differences"] == []

        # the bridged hop of the replies is untracked: a pod blocking everything inbound still gets them
        host.ok("policy", "add", "acl", "-e", "pod1", "--action", "block", "--direction", "in")
        assert connect("pod1", INTERNET) == ADAPTER_ADDRESS
    finally:
        internet.stop()

    host.ok("endpoint", "detach", "cbr0_ep")  # no longer on the host: its mark goes with it
    assert mac not in host_endpoint_marks(host)
    host.ok("endpoint", "attach", "cbr0_ep", "--host")
    assert mac in host_endpoint_marks(host)
    host.ok("network", "delete", "cbr0", "--force")
    assert "host-endpoints" not in host.nft("list", "ruleset").stdout  # nothing of hnsctl's is left


# -- overlay (flannel vxlan)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, OverlayHost]]:
    """Two nodes joined by an underlay link (test_overlay's layout), with no network yet: the script makes it."""
    before = named_namespaces()
    made = {name: OverlayHost(new_namespace(f"k8{name}"), tmp_path / f"state-{name}") for name in ("a", "b")}
    try:
        ip("link", "add", "ul0", "netns", made["a"].namespace, "type", "veth", "peer", "name", "ul0", "netns", made["b"].namespace)
        for name, node in made.items():
            ip("addr", "add", f"{UNDERLAY[name]}/24", "dev", "ul0", netns=node.namespace)
            ip("link", "set", "ul0", "up", netns=node.namespace)
        yield made
    finally:
        for leftover in named_namespaces() - before:
            delete_namespace(leftover)
        subprocess.run(["sh", "-c", "rm -rf /etc/netns/*"], check=False)


def overlay_env(node: OverlayHost, name: str, peers: str) -> dict[str, str]:
    return dict(os.environ, HNSCTL_STATE_DIR=str(node.state_dir),
                PATH=f"{Path(hnsctl_executable()).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                ADAPTER="ul0", POD_SUBNET=SUBNET[name], POD_NAMESPACE=f"pod-{name}", POD_ENDPOINT=f"pod-{name}",
                CLUSTER_CIDR="10.244.0.0/16", SERVICE_CIDR="10.96.0.0/12",
                HOST_PORT=str(HOST_PORT), CONTAINER_PORT=str(CONTAINER_PORT), PEERS=peers)


def peer_line(result: subprocess.CompletedProcess[str]) -> str:
    """The script's last line names the node as another node's PEERS entry needs it."""
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("== this node for the other nodes' PEERS: "), result.stdout
    return last.rsplit(" ", 1)[1]


def test_overlay_node_script_on_two_nodes(nodes: dict[str, OverlayHost]) -> None:
    a, b = nodes["a"], nodes["b"]
    # pass 1: every node makes its network (and pod); its DR MAC exists from then on
    first = {name: run_script(node.namespace, OVERLAY_SCRIPT, overlay_env(node, name, "")) for name, node in nodes.items()}
    lines = {name: peer_line(result) for name, result in first.items()}
    for name, node in nodes.items():
        network = node.json("network", "show", "vxlan0")
        assert lines[name] == f"{SUBNET[name]}={UNDERLAY[name]}={network['DRMacAddress']}"
        assert {"Type": "VSID", "VSID": 4096} in network["Policies"] and network["NetworkAdapterName"] == "ul0"
    # pass 2: each node learns the other's subnet
    second = {name: run_script(node.namespace, OVERLAY_SCRIPT, overlay_env(node, name, lines["b" if name == "a" else "a"]))
              for name, node in nodes.items()}
    assert "hostroute policy on vxlan0 (kept)" in second["a"].stdout and "outbound NAT for pod-a (kept)" in second["a"].stdout

    routes = [p for p in a.json("policy", "list") if p["Type"] == "RemoteSubnetRoute"]
    assert [(p["DestinationPrefix"], p["ProviderAddress"]) for p in routes] == [(SUBNET["b"], UNDERLAY["b"])]
    assert sorted(p["Type"] for p in a.json("policy", "list")) == ["HostRoute", "NAT", "OutBoundNAT", "RemoteSubnetRoute"]
    pod_a, pod_b = a.json("endpoint", "show", "pod-a"), b.json("endpoint", "show", "pod-b")
    assert (pod_a["IPAddress"], pod_b["IPAddress"]) == ("10.244.1.10", "10.244.2.10")

    in_cluster = Server("pod-b", "0.0.0.0")
    node_b = Server(b.namespace, UNDERLAY["b"])
    try:
        assert connect("pod-a", pod_b["IPAddress"]) == pod_a["IPAddress"]  # pod to pod across nodes keeps its address
        assert connect("pod-a", UNDERLAY["b"]) == UNDERLAY["a"]  # the other node's underlay address: NATed to node a
    finally:
        in_cluster.stop()
        node_b.stop()
    hostport = Server("pod-a", "0.0.0.0", port=CONTAINER_PORT, connections=2)
    try:
        assert connect(b.namespace, UNDERLAY["a"], HOST_PORT) == UNDERLAY["b"]  # the other node reaches the hostPort
        assert connect("pod-b", UNDERLAY["a"], HOST_PORT) == UNDERLAY["b"]  # a pod there too (leaving node b as node b)
    finally:
        hostport.stop()

    # pass 3, unchanged: nothing new; then node b "recreates" its network: a new DR MAC replaces the route
    policies = [p["ID"] for p in a.json("policy", "list")]
    third = run_script(a.namespace, OVERLAY_SCRIPT, overlay_env(a, "a", lines["b"]))
    assert f"remote subnet {SUBNET['b']} via {UNDERLAY['b']}" in third.stdout and "(kept)" in third.stdout
    assert [p["ID"] for p in a.json("policy", "list")] == policies
    moved = lines["b"].rsplit("=", 1)[0] + "=02-11-0A-F4-02-99"
    fourth = run_script(a.namespace, OVERLAY_SCRIPT, overlay_env(a, "a", moved))
    assert "replacing its route" in fourth.stdout
    routes = [p for p in a.json("policy", "list") if p["Type"] == "RemoteSubnetRoute"]
    assert [p["DistributedRouterMacAddress"] for p in routes] == ["02-11-0A-F4-02-99"]

    bad = nsexec(a.namespace, "sh", str(OVERLAY_SCRIPT), env=overlay_env(a, "a", "10.244.3.0/24=198.51.100.13"))
    assert bad.returncode == 2 and "PODCIDR=PROVIDER_ADDRESS=DR_MAC" in bad.stderr

    for node in nodes.values():
        node.ok("network", "delete", "vxlan0", "--force")
        assert node.json("network", "list") == [] and node.json("policy", "list") == []
        assert "hvx-" not in ip("-br", "link", netns=node.namespace).stdout
        assert {r["dev"] for r in json.loads(ip("-j", "route", netns=node.namespace).stdout)} == {"ul0"}
