"""Endpoints and namespaces through the installed hnsctl, with real traffic between namespaces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Host
from tests.kernel import ip, nsexec

REPORTER = """
import socket, sys
s = socket.socket(socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4); s.settimeout(15)
print("ready", flush=True)
for _ in range(int(sys.argv[3])):
    c, peer = s.accept(); c.sendall(peer[0].encode()); c.close()
"""

CLIENT = """
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    print(c.recv(100).decode())
except OSError as e:
    print("failed", type(e).__name__)
"""


class Server:
    """A TCP server in a namespace that answers each connection with the client's address."""

    def __init__(self, namespace: str, address: str, port: int = 8080, connections: int = 1) -> None:
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{namespace}", sys.executable, "-c", REPORTER, address, str(port), str(connections)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def connect(namespace: str, address: str, port: int = 8080) -> str:
    result = nsexec(namespace, sys.executable, "-c", CLIENT, address, str(port))
    return result.stdout.strip()


def ep_links(namespace: str | None = None) -> list[str]:
    out = ip("-j", "link", "show", netns=namespace).stdout
    return [link["ifname"] for link in json.loads(out) if link["ifname"].startswith(("hv-", "hp-", "he-"))]


def test_two_namespaces_talk_and_reach_the_gateway(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("namespace", "create", "web1")
    a = host.json("endpoint", "create", "web1-ep", "--network", "demo", "--namespace", "web1")
    b = host.json("endpoint", "create", "web2-ep", "--network", "demo", "--namespace", "web2")  # namespace made on demand
    assert (a["IPAddress"], b["IPAddress"]) == ("10.200.0.2", "10.200.0.3")
    assert a["State"] == 2 and a["Namespace"]["Name"] == "web1"
    server = Server("web1", "10.200.0.2")
    try:
        assert connect("web2", "10.200.0.2") == "10.200.0.3"  # same bridge: no NAT in between
    finally:
        server.stop()
    gateway = Server(host.name, "10.200.0.1")
    try:
        assert connect("web1", "10.200.0.1") == "10.200.0.2"
    finally:
        gateway.stop()


def test_kernel_matches_the_json(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    ep = host.json("endpoint", "create", "api", "--network", "demo", "--ip", "10.200.0.50",
                   "--mac", "00:15:5d:00:00:50", "--dns", "10.200.0.1", "--dns-suffix", "corp.example", "--namespace", "api1")
    assert ep["MacAddress"] == "00-15-5D-00-00-50" and ep["PrefixLength"] == 24 and ep["GatewayAddress"] == "10.200.0.1"
    (eth0,) = json.loads(ip("-j", "addr", "show", "dev", "eth0", netns="api1").stdout)
    assert eth0["address"] == "00:15:5d:00:00:50"
    assert [(a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a["family"] == "inet"] == [("10.200.0.50", 24)]
    assert "UP" in eth0["flags"]
    routes = json.loads(ip("-j", "route", "show", "default", netns="api1").stdout)
    assert [(r["gateway"], r["dev"]) for r in routes] == [("10.200.0.1", "eth0")]
    resolv = Path("/etc/netns/api1/resolv.conf").read_text()
    assert "nameserver 10.200.0.1" in resolv and "search corp.example" in resolv
    host_side = host.links()[ep["HostInterfaceName"]]
    assert host_side["ifalias"] == f"hnsctl:{ep['ID']}" and host_side["master"].startswith("hns-")
    addresses = host.json("endpoint", "addresses", "api")
    assert addresses["Kernel"] == [{"InterfaceName": "eth0", "MacAddress": "00-15-5D-00-00-50", "Address": "10.200.0.50/24"}]
    v2 = host.json("endpoint", "show", "api", "--schema", "2")
    assert v2["IpConfigurations"] == [{"IpAddress": "10.200.0.50", "PrefixLength": 24}]
    assert v2["Routes"][0]["NextHop"] == "10.200.0.1"
    ns = host.json("namespace", "show", "api1")
    assert ns["ResourceList"] == [{"Type": "Endpoint", "Data": {"ID": ep["ID"]}}]


def test_host_endpoint_is_reachable_from_a_namespaced_endpoint(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "web1-ep", "--network", "demo", "--namespace", "web1")
    hostep = host.json("endpoint", "create", "hostep", "--network", "demo")
    assert hostep["State"] == 1
    attached = host.json("endpoint", "attach", "hostep", "--host")
    assert attached["HostAttached"] is True and attached["Namespace"] is None
    server = Server(host.name, attached["IPAddress"])
    try:
        assert connect("web1", attached["IPAddress"]) == "10.200.0.2"
    finally:
        server.stop()


def test_detach_breaks_traffic_and_reattach_restores_it(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "client", "--network", "demo", "--namespace", "c1")
    server_ep = host.json("endpoint", "create", "server", "--network", "demo", "--namespace", "s1")
    server = Server("s1", server_ep["IPAddress"], connections=2)
    try:
        assert connect("c1", server_ep["IPAddress"]) == "10.200.0.2"
        detached = host.json("endpoint", "detach", "client")
        assert detached["State"] == 4 and detached["IPAddress"] == "10.200.0.2"
        assert json.loads(ip("-j", "link", "show", netns="c1").stdout)[0]["ifname"] == "lo"
        assert len(json.loads(ip("-j", "link", "show", netns="c1").stdout)) == 1  # nothing left inside
        assert connect("c1", server_ep["IPAddress"]).startswith("failed")
        host.ok("endpoint", "attach", "client", "--namespace", "c1")
        assert connect("c1", server_ep["IPAddress"]) == "10.200.0.2"
    finally:
        server.stop()


def test_stats_count_real_traffic(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "a", "--network", "demo", "--namespace", "na")
    b = host.json("endpoint", "create", "b", "--network", "demo", "--namespace", "nb")
    before = host.json("endpoint", "stats", "a")
    server = Server("nb", b["IPAddress"])
    try:
        assert connect("na", b["IPAddress"]) == "10.200.0.2"
    finally:
        server.stop()
    after = host.json("endpoint", "stats", "a")
    assert after["PacketsSent"] > before["PacketsSent"] and after["BytesSent"] > before["BytesSent"]
    assert after["PacketsReceived"] > before["PacketsReceived"] and after["BytesReceived"] > before["BytesReceived"]


def test_delete_removes_everything_and_frees_the_address(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    ep = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "w")
    host.ok("endpoint", "delete", "web")
    assert ep_links() == [] or all(not n.startswith(("hv-", "hp-")) for n in host_links(host))
    assert [link["ifname"] for link in json.loads(ip("-j", "link", "show", netns="w").stdout)] == ["lo"]
    assert host.json("endpoint", "list") == []
    again = host.json("endpoint", "create", "web2", "--network", "demo")
    assert again["IPAddress"] == ep["IPAddress"]  # freed addresses are reused


def test_default_network_is_created_on_demand(host: Host) -> None:
    ep = host.json("endpoint", "create", "solo")
    assert ep["VirtualNetworkName"] == "nat"
    (network,) = host.json("network", "list")
    assert network["Name"] == "nat" and network["CurrentEndpointCount"] == 1


def test_address_rules_and_in_use_refusals(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    holder = host.json("endpoint", "create", "holder", "--network", "demo", "--ip", "10.200.0.9")
    cases = [
        (["endpoint", "create", "x", "--network", "demo", "--ip", "10.200.0.9"], 4, "already held by endpoint 'holder'"),
        (["endpoint", "create", "x", "--network", "demo", "--ip", "10.201.0.9"], 4, "outside the network's subnet"),
        (["endpoint", "create", "x", "--network", "demo", "--ip", "10.200.0.1"], 4, "gateway"),
        (["endpoint", "create", "x", "--network", "demo", "--mac", "01-00-5E-00-00-01"], 2, "multicast"),
        (["endpoint", "create", "holder", "--network", "demo"], 4, "already exists"),
        (["endpoint", "create", "x", "--network", "nope"], 3, "not found"),
        (["network", "delete", "demo"], 4, "holder"),
        (["endpoint", "show", "nope"], 3, "not found"),
    ]
    for args, code, fragment in cases:
        result = host.hnsctl(*args)
        assert (result.returncode, fragment in result.stderr) == (code, True), (args, result.stderr)
    assert [e["ID"] for e in host.json("endpoint", "list")] == [holder["ID"]]
    assert host.hnsctl("endpoint", "delete", "nope", "--if-exists").returncode == 0
    host.ok("network", "delete", "demo", "--force")
    assert host.json("endpoint", "list") == []
    assert not [n for n in host_links(host) if n.startswith(("hv-", "hp-", "hns-"))]


def test_a_namespace_deleted_behind_hnsctl_does_not_wedge_it(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    ep = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "gone")
    ip("netns", "del", "gone")
    assert ep["HostInterfaceName"] not in host_links(host)  # the kernel took the pair with the namespace
    host.ok("endpoint", "detach", "web")
    host.ok("endpoint", "attach", "web", "--namespace", "gone")  # recreates both the namespace and the pair
    assert [link["ifname"] for link in json.loads(ip("-j", "link", "show", netns="gone").stdout)] == ["lo", "eth0"]
    ip("netns", "del", "gone")
    host.ok("endpoint", "delete", "web")
    host.ok("namespace", "delete", "gone")
    assert host.json("namespace", "list") == []


def test_failed_attach_rolls_back(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "first", "--network", "demo", "--namespace", "shared")
    host.ok("endpoint", "create", "second", "--network", "demo")
    result = host.hnsctl("endpoint", "attach", "second", "--namespace", "shared")  # eth0 is taken there
    assert result.returncode == 4 and "--ifname" in result.stderr
    second = host.json("endpoint", "show", "second")
    assert second["State"] == 1 and second["Namespace"] is None
    assert f"hp-{second['ID'].replace('-', '')[:8]}" in host_links(host)  # parked again, ready for a retry
    retried = host.json("endpoint", "attach", "second", "--namespace", "shared", "--ifname", "eth1")
    assert retried["State"] == 2 and retried["InterfaceName"] == "eth1"
    names = [link["ifname"] for link in json.loads(ip("-j", "link", "show", netns="shared").stdout)]
    assert sorted(names) == ["eth0", "eth1", "lo"]


def test_namespace_lifecycle_and_in_use(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    ns = host.json("namespace", "create", "box")
    assert ns["NamespaceId"] == 1 and ns["ResourceList"] == []
    assert "box" in ip("netns", "list").stdout
    ep = host.json("endpoint", "create", "inside", "--network", "demo")
    host.ok("namespace", "add-endpoint", "box", "inside")
    assert host.json("namespace", "show", "box")["ResourceList"] == [{"Type": "Endpoint", "Data": {"ID": ep["ID"]}}]
    refused = host.hnsctl("namespace", "delete", "box")
    assert refused.returncode == 4 and "inside" in refused.stderr
    host.ok("namespace", "remove-endpoint", "box", "inside")
    assert host.json("endpoint", "show", "inside")["State"] == 4
    host.ok("namespace", "delete", "box")
    assert "box" not in ip("netns", "list").stdout
    assert host.hnsctl("namespace", "create", "bad/name").returncode == 2


def test_adopted_namespace_is_never_deleted(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    name = host.namespace("foreign")
    host.ok("endpoint", "create", "guest", "--network", "demo", "--namespace", name)
    listed = host.json("namespace", "show", name)
    assert listed["Owned"] is False
    assert host.hnsctl("namespace", "create", name).returncode == 4
    host.ok("namespace", "delete", name, "--force")
    assert name in ip("netns", "list").stdout  # forgotten by hnsctl, still there for its owner


def test_endpoint_from_hns_document(host: Host) -> None:
    net = host.json("network", "create", "demo", "--subnet", "10.200.0.0/24")
    doc = {"Name": "fromjson", "VirtualNetwork": net["ID"], "IPAddress": "10.200.0.77", "MacAddress": "00-15-5D-AA-BB-CC",
           "DNSServerList": "10.200.0.1"}
    ep = json.loads(host.ok("endpoint", "create", "--json", "-", "-o", "json", input=json.dumps(doc)).stdout)
    assert (ep["IPAddress"], ep["MacAddress"], ep["VirtualNetworkName"]) == ("10.200.0.77", "00-15-5D-AA-BB-CC", "demo")
    v2 = {"SchemaVersion": {"Major": 2, "Minor": 0}, "Name": "v2ep", "HostComputeNetwork": net["ID"],
          "IpConfigurations": [{"IpAddress": "10.200.0.78", "PrefixLength": 24}]}
    ep2 = json.loads(host.ok("endpoint", "create", "--json", "-", "-o", "json", input=json.dumps(v2)).stdout)
    assert ep2["IPAddress"] == "10.200.0.78"


def test_dry_run_endpoint_changes_nothing(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    out = host.ok("endpoint", "create", "web", "--network", "demo", "--namespace", "dry", "--dry-run").stdout
    assert "type veth" in out and "netns dry" in out
    assert host.json("endpoint", "list") == []
    assert "dry" not in ip("netns", "list").stdout
    assert not [n for n in host_links(host) if n.startswith(("hv-", "hp-"))]


def host_links(host: Host) -> list[str]:
    return list(host.links())


def test_quickstart_runs_and_is_idempotent(host: Host) -> None:
    quickstart = Path(__file__).resolve().parents[2] / "examples" / "quickstart.sh"
    for _ in range(2):
        result = nsexec(host.name, "sh", str(quickstart), env=host.env())
        assert result.returncode == 0, result.stdout + result.stderr
    (endpoint,) = host.json("endpoint", "list")
    assert endpoint["Name"] == "web1-ep" and endpoint["Namespace"]["Name"] == "web1" and endpoint["VirtualNetworkName"] == "nat"
    assert endpoint["IPAddress"] == "172.16.0.2"


def test_if_not_exists_returns_a_matching_endpoint_and_refuses_a_different_one(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    first = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "w", "--if-not-exists")
    again = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "w", "--if-not-exists")
    assert again["ID"] == first["ID"]
    differs = host.hnsctl("endpoint", "create", "web", "--network", "demo", "--ip", "10.200.0.99", "--if-not-exists")
    assert differs.returncode == 4 and "--ip 10.200.0.99" in differs.stderr
    assert host.json("namespace", "create", "w", "--if-not-exists")["Name"] == "w"
    assert host.hnsctl("namespace", "create", "w").returncode == 4


def test_gateway_and_prefix_length_as_new_hnsendpoint_takes_them(host: Host) -> None:
    """-Gateway 0.0.0.0 (no default route), another on-link gateway, and -PrefixLength, in the kernel and in JSON."""
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "relay", "--network", "demo", "--ip", "10.200.0.2", "--namespace", "relay")
    bare = host.json("endpoint", "create", "bare", "--network", "demo", "--ip", "10.200.0.3", "--gateway", "0.0.0.0",
                     "--prefix-length", "32", "--namespace", "bare")
    assert (bare["GatewayAddress"], bare["PrefixLength"]) == ("0.0.0.0", 32)
    assert json.loads(ip("-j", "route", "show", "default", netns="bare").stdout) == []
    (eth0,) = json.loads(ip("-j", "addr", "show", "dev", "eth0", netns="bare").stdout)
    assert [(a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a["family"] == "inet"] == [("10.200.0.3", 32)]
    via = host.json("endpoint", "create", "via", "--network", "demo", "--ip", "10.200.0.4", "--gateway", "10.200.0.2", "--namespace", "via")
    assert via["GatewayAddress"] == "10.200.0.2"
    routes = json.loads(ip("-j", "route", "show", "default", netns="via").stdout)
    assert [r["gateway"] for r in routes] == ["10.200.0.2"]
    assert host.json("endpoint", "show", "via", "--schema", "2")["Routes"][0]["NextHop"] == "10.200.0.2"
    # what is printed comes back the same, in both schemas
    for schema in ("1", "2"):
        printed = host.json("endpoint", "show", "bare", "--schema", schema)
        printed["Name"] = f"copy{schema}"
        del printed["ID"], printed["MacAddress"]
        if schema == "1":
            printed["IPAddress"] = "10.200.0.1" + schema + "0"
        else:
            printed["IpConfigurations"][0]["IpAddress"] = "10.200.0.1" + schema + "0"
        host.ok("endpoint", "create", "--json", "-", input=json.dumps(printed))
        copy = host.json("endpoint", "show", f"copy{schema}")
        assert (copy["GatewayAddress"], copy["PrefixLength"]) == ("0.0.0.0", 32)
    # --if-not-exists compares them; bad ones are refused naming the field, changing nothing
    assert host.hnsctl("endpoint", "create", "bare", "--network", "demo", "--gateway", "0.0.0.0", "--if-not-exists").returncode == 0
    differs = host.hnsctl("endpoint", "create", "bare", "--network", "demo", "--gateway", "10.200.0.1", "--if-not-exists")
    assert differs.returncode == 4 and "--gateway 10.200.0.1" in differs.stderr
    before = host.ok("endpoint", "list", "-o", "json").stdout
    for args, words in ((("--gateway", "10.9.9.9"), "own link 10.200.0.0/24"), (("--prefix-length", "16"), "takes /24 to /32"),
                        (("--prefix-length", "30"), "gateway 10.200.0.1 would be outside")):
        refused = host.hnsctl("endpoint", "create", "bad", "--network", "demo", "--ip", "10.200.0.77", *args)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr
    assert host.ok("endpoint", "list", "-o", "json").stdout == before
