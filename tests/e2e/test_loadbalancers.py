"""Load balancers and routes through the installed hnsctl, proven with real connections between namespaces."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from tests.e2e.conftest import UPLINK_ADDRESS, UPSTREAM_ADDRESS, Host
from tests.kernel import ip, nsexec

VIP = "10.96.0.10"

# Answers every connection with its name; with "echo", keeps the connection and echoes lines back.
NAMED_SERVER = """
import socket, sys, threading
name, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port)); s.listen(512)
print("ready", flush=True)
def serve(c):
    with c:
        c.sendall(name.encode() + b"\\n")
        while True:
            data = c.recv(100)
            if not data:
                return
            c.sendall(data)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# Opens N connections one after the other; prints {name: count} (failures as "refused" / "timeout" / "error").
COUNTER = """
import json, socket, sys
address, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = {}
for _ in range(count):
    try:
        c = socket.create_connection((address, port), timeout=3)
        f = c.makefile("rb")
        key = f.readline().decode().strip() or "empty"
        c.close()
    except ConnectionRefusedError:
        key = "refused"
    except socket.timeout:
        key = "timeout"
    except OSError as exc:
        key = "error"
    seen[key] = seen.get(key, 0) + 1
print(json.dumps(seen))
"""

# Holds one connection: prints the backend's name, then echoes each stdin line through it.
HOLDER = """
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
f = c.makefile("rb")
print(f.readline().decode().strip(), flush=True)
for line in sys.stdin:
    c.sendall(line.encode())
    print(f.readline().decode().strip() or "closed", flush=True)
"""


class Backends:
    """Named TCP servers, one per endpoint namespace."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, namespace: str, name: str, port: int = 8080) -> None:
        proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{namespace}", sys.executable, "-c", NAMED_SERVER, name, str(port)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        self.procs.append(proc)

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()


@pytest.fixture
def backends() -> object:
    running = Backends()
    yield running
    running.stop()


def count(namespace: str, address: str, port: int, connections: int) -> Counter:
    result = nsexec(namespace, sys.executable, "-c", COUNTER, address, str(port), str(connections))
    assert result.returncode == 0, result.stderr
    return Counter(json.loads(result.stdout))


def three_backends(host: Host, backends: Backends) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    for name in ("web1", "web2", "web3", "client"):
        host.ok("endpoint", "create", name, "--network", "demo", "--namespace", name)
    for name in ("web1", "web2", "web3"):
        backends.start(name, name)


def lb_nft_objects(host: Host) -> str:
    """Everything in hnsctl's table that belongs to some load balancer (empty once none is left)."""
    listing = host.nft("-j", "list", "table", "inet", "hnsctl")
    if listing.returncode != 0:
        return ""
    found = []
    for item in json.loads(listing.stdout)["nftables"]:
        for kind in ("chain", "map"):
            obj = item.get(kind)
            if obj and obj["name"].startswith("lb-") and obj["name"] not in ("lb-vips", "lb-nodeports", "lb-snat", "lb-reject"):
                found.append(f"{kind} {obj['name']}")
            if obj and obj["name"] in ("lb-vips", "lb-nodeports", "lb-snat") and obj.get("elem"):
                found.append(f"elements of {obj['name']}: {obj['elem']}")
    return "\n".join(found)


def test_vip_spreads_over_three_backends_for_every_kind_of_client(host: Host, backends: Backends) -> None:
    three_backends(host, backends)
    lb = host.json("loadbalancer", "create", "--vip", VIP, "--protocol", "tcp", "--external-port", "80", "--internal-port", "8080",
                   "--endpoint", "web1", "--endpoint", "web2", "--endpoint", "web3")
    assert lb["Policies"][0]["Type"] == "ELB" and lb["Policies"][0]["Protocol"] == 6 and lb["Policies"][0]["VIPs"] == [VIP]
    assert len(lb["References"]) == 3 and all(r.startswith("/endpoints/") for r in lb["References"])

    spread = count("client", VIP, 80, 300)  # a client endpoint on the same network
    assert set(spread) == {"web1", "web2", "web3"}, spread
    assert all(60 <= n <= 140 for n in spread.values()), spread  # a wide band around a third

    assert sum(count(host.name, VIP, 80, 30)[n] for n in ("web1", "web2", "web3")) == 30  # the host itself
    ip("route", "add", "10.96.0.0/12", "via", UPLINK_ADDRESS, netns=host.upstream)
    assert sum(count(host.upstream, VIP, 80, 30)[n] for n in ("web1", "web2", "web3")) == 30  # another machine
    hairpin = count("web1", VIP, 80, 30)  # a backend reaching its own service
    assert sum(hairpin[n] for n in ("web1", "web2", "web3")) == 30 and hairpin["web1"] > 0, hairpin

    v2 = host.json("loadbalancer", "show", lb["ID"], "--schema", "2")
    assert v2["FrontendVIPs"] == [VIP] and len(v2["HostComputeEndpoints"]) == 3
    assert v2["PortMappings"] == [{"Protocol": 6, "InternalPort": 8080, "ExternalPort": 80, "DistributionType": 0, "Flags": 0}]


def test_sourceip_keeps_a_client_on_one_backend(host: Host, backends: Backends) -> None:
    three_backends(host, backends)
    host.ok("loadbalancer", "create", "--vip", VIP, "--external-port", "80", "--internal-port", "8080",
            "-e", "web1", "-e", "web2", "-e", "web3", "--distribution", "sourceip")
    landed = count("client", VIP, 80, 60)
    assert len(landed) == 1 and sum(landed.values()) == 60 and next(iter(landed)) in ("web1", "web2", "web3"), landed


def test_nodeport_style_from_outside_host_endpoint_and_hairpin(host: Host, backends: Backends) -> None:
    three_backends(host, backends)
    host.ok("loadbalancer", "create", "--local-routed-vip", "--external-port", "30080", "--internal-port", "8080", "-e", "web1", "-e", "web2")
    for client in (host.upstream, host.name, "client", "web1"):
        landed = count(client, UPLINK_ADDRESS, 30080, 20)
        assert sum(landed[n] for n in ("web1", "web2")) == 20, (client, landed)
    assert count("client", "10.200.0.1", 30080, 10)["refused"] == 0  # the gateway address is a local address too


def test_update_keeps_established_connections_and_empty_refuses(host: Host, backends: Backends) -> None:
    three_backends(host, backends)
    lb = host.json("loadbalancer", "create", "--vip", VIP, "--external-port", "80", "--internal-port", "8080", "-e", "web1", "-e", "web2")
    holder = subprocess.Popen(["nsenter", "--net=/run/netns/client", sys.executable, "-c", HOLDER, VIP, "80"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        kept = holder.stdout.readline().strip()
        other = "web2" if kept == "web1" else "web1"
        updated = host.json("loadbalancer", "update", lb["ID"][:8], "--add-endpoint", "web3", "--remove-endpoint", other)
        assert updated["ID"] == lb["ID"] and len(updated["References"]) == 2
        holder.stdin.write("still here\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "still here"  # the established connection survived the change
        assert set(count("client", VIP, 80, 30)) == {kept, "web3"}
    finally:
        holder.kill()
        holder.wait()
    handles = host.nft("-a", "list", "chain", "inet", "hnsctl", f"lb-{lb['ID'][:8]}").stdout
    host.ok("loadbalancer", "update", lb["ID"], "--add-endpoint", other)
    assert host.nft("-a", "list", "chain", "inet", "hnsctl", f"lb-{lb['ID'][:8]}").stdout == handles  # elements changed, not rules
    dry = host.ok("loadbalancer", "update", lb["ID"], "--remove-endpoint", other, "--dry-run")
    assert "would" in dry.stdout and len(host.json("loadbalancer", "show", lb["ID"])["References"]) == 3  # a dry run changes nothing
    host.ok("loadbalancer", "update", lb["ID"], "--remove-endpoint", other)
    host.ok("loadbalancer", "update", lb["ID"], "--remove-endpoint", kept, "--remove-endpoint", "web3")
    assert count("client", VIP, 80, 3) == Counter({"refused": 3})  # refused at once, not a hang
    assert count(host.name, VIP, 80, 3) == Counter({"refused": 3})
    host.ok("loadbalancer", "update", lb["ID"], "--add-endpoint", "web2")
    assert count("client", VIP, 80, 5) == Counter({"web2": 5})


def test_source_vip_is_what_backends_see(host: Host, backends: Backends) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "web1", "--network", "demo", "--namespace", "web1")
    from tests.e2e.test_endpoints import Server, connect

    host.ok("loadbalancer", "create", "--vip", VIP, "--external-port", "80", "--internal-port", "8080", "-e", "web1", "--source-vip", "10.96.0.250")
    ip("route", "add", "10.96.0.0/12", "via", UPLINK_ADDRESS, netns=host.upstream)
    server = Server("web1", "0.0.0.0")
    try:
        assert connect(host.upstream, VIP, 80) == "10.96.0.250"
    finally:
        server.stop()
    # an address inside the backends' subnet works once the host holds it (a host endpoint)
    host.ok("endpoint", "create", "svc", "--network", "demo", "--ip", "10.200.0.250", "--host")
    host.ok("loadbalancer", "create", "--vip", "10.96.0.12", "--external-port", "80", "--internal-port", "8080", "-e", "web1",
            "--source-vip", "10.200.0.250")
    server = Server("web1", "0.0.0.0")
    try:
        assert connect(host.upstream, "10.96.0.12", 80) == "10.200.0.250"
    finally:
        server.stop()
    dsr = host.hnsctl("loadbalancer", "create", "--vip", "10.96.0.11", "--external-port", "80", "-e", "web1", "--dsr", "--source-vip", "10.96.0.250")
    assert dsr.returncode == 0 and "--dsr" in dsr.stderr  # says plainly what DSR means here
    server = Server("web1", "0.0.0.0", port=80)
    try:
        assert connect(host.upstream, "10.96.0.11", 80) == UPSTREAM_ADDRESS  # the client's own address is kept
    finally:
        server.stop()


def test_conflicts_bad_input_and_cleanup(host: Host, backends: Backends) -> None:
    three_backends(host, backends)
    first = host.json("loadbalancer", "create", "--vip", VIP, "--external-port", "80", "--internal-port", "8080", "-e", "web1", "-e", "web2")
    clash = host.hnsctl("loadbalancer", "create", "--vip", VIP, "--external-port", "80", "-e", "web3")
    assert clash.returncode == 4 and first["ID"] in clash.stderr
    nodeport = host.json("loadbalancer", "create", "--local-routed-vip", "--external-port", "30080", "-e", "web3")
    taken = host.hnsctl("policy", "add", "portmapping", "-e", "web3", "--external-port", "30080", "--internal-port", "80")
    assert taken.returncode == 4 and nodeport["ID"] in taken.stderr  # a port mapping cannot take a load balancer's port
    host.ok("loadbalancer", "delete", nodeport["ID"])
    on_host = host.json("loadbalancer", "create", "--vip", UPLINK_ADDRESS, "--external-port", "30081", "-e", "web3")
    clash = host.hnsctl("loadbalancer", "create", "--local-routed-vip", "--external-port", "30081", "-e", "web3")
    assert clash.returncode == 4 and on_host["ID"] in clash.stderr  # the host's own address is one of "every local address"
    host.ok("loadbalancer", "delete", on_host["ID"])
    web3_ip = host.json("endpoint", "show", "web3")["IPAddress"]
    assert host.hnsctl("loadbalancer", "create", "--vip", web3_ip, "--external-port", "80", "-e", "web1").returncode == 2
    assert host.hnsctl("loadbalancer", "create", "--vip", VIP, "-e", "web3").returncode == 2  # no port mapping
    assert host.hnsctl("loadbalancer", "create", "--external-port", "81", "-e", "web3").returncode == 2  # no VIP, not local-routed
    assert host.hnsctl("loadbalancer", "create", "--vip", VIP, "--external-port", "81", "-e", "nope").returncode == 3
    assert host.hnsctl("loadbalancer", "update", first["ID"], "--remove-endpoint", "web3").returncode == 3
    for bad in ("../../evil", "7b9d"):
        refused = host.hnsctl("loadbalancer", "create", "--json", "-", input=json.dumps(
            {"ID": bad, "FrontendVIPs": ["10.96.0.30"], "PortMappings": [{"Protocol": 6, "ExternalPort": 80}]}))
        assert refused.returncode == 2 and "ID" in refused.stderr
    assert host.hnsctl("loadbalancer", "create", "--vip", "127.0.0.1", "--external-port", "22", "-e", "web3").returncode == 2
    assert [lb["ID"] for lb in host.json("policylist", "list")] == [first["ID"]]  # nothing half-made

    document = {"HostComputeEndpoints": [], "FrontendVIPs": ["10.96.0.20"],
                "PortMappings": [{"Protocol": 17, "InternalPort": 53, "ExternalPort": 53, "DistributionType": 0, "Flags": 0}]}
    from_json = json.loads(host.ok("loadbalancer", "create", "--json", "-", "-e", "web3", "-o", "json", "--schema", "2",
                                   input=json.dumps(document)).stdout)
    assert from_json["PortMappings"][0]["Protocol"] == 17 and len(from_json["HostComputeEndpoints"]) == 1
    v1 = {"References": [f"/endpoints/{host.json('endpoint', 'show', 'web1')['ID']}"],
          "Policies": [{"Type": "ELB", "Protocol": 6, "InternalPort": 8080, "ExternalPort": 8081, "VIPs": ["10.96.0.21"]}]}
    host.ok("policylist", "create", "--json", "-", input=json.dumps(v1))
    assert len(host.json("loadbalancer", "list")) == 3

    snat = host.json("loadbalancer", "create", "--vip", "10.96.0.22", "--external-port", "80", "-e", "web2", "--source-vip", "10.96.0.250")
    host.nft("flush", "map", "inet", "hnsctl", "lb-snat")
    assert any(d["ID"] == snat["ID"] for d in host.json("reconcile")["Differences"])  # a lost source-VIP mark is found
    assert host.json("reconcile")["Differences"] == [] and "10.96.0.250" in host.nft("list", "map", "inet", "hnsctl", "lb-snat").stdout
    host.ok("loadbalancer", "delete", snat["ID"])
    host.ok("endpoint", "delete", "web1")  # a deleted backend leaves every load balancer
    web2 = host.json("endpoint", "show", "web2")["ID"]
    assert host.json("loadbalancer", "show", first["ID"])["References"] == [f"/endpoints/{web2}"]
    assert count("client", VIP, 80, 10) == Counter({"web2": 10})

    host.ok("network", "delete", "demo", "--force")  # every backend goes with the network
    assert all(lb["References"] == [] for lb in host.json("loadbalancer", "list"))
    host.ok("loadbalancer", "delete", *[lb["ID"] for lb in host.json("loadbalancer", "list")])
    assert lb_nft_objects(host) == ""
    assert host.nft("list", "table", "inet", "hnsctl").returncode != 0  # nothing of hnsctl is left at all


def test_routes_inside_an_endpoint(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "web1", "--network", "demo", "--namespace", "web1")
    route = host.json("route", "create", "--endpoint", "web1", "--destination", "169.254.169.254/32", "--encap")
    assert route["Policies"] == [{"Type": "ROUTE", "DestinationPrefix": "169.254.169.254/32", "NextHop": "", "NeedEncap": True}]
    table = ip("route", "show", netns="web1").stdout
    assert "169.254.169.254 via 10.200.0.1" in table
    v2 = host.json("route", "show", route["ID"], "--schema", "2")
    assert v2["Routes"][0]["DestinationPrefix"] == "169.254.169.254/32" and v2["HostComputeEndpoints"] == [route["References"][0].split("/")[-1]]
    assert [r["ID"] for r in host.json("route", "list")] == [route["ID"]]
    host.ok("route", "delete", route["ID"][:8])
    assert "169.254.169.254" not in ip("route", "show", netns="web1").stdout
    assert host.hnsctl("route", "delete", route["ID"]).returncode == 3
