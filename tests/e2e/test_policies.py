"""Endpoint policies through the installed hnsctl, proven with real traffic from an outside namespace."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.conftest import UPLINK_ADDRESS, UPSTREAM_ADDRESS, Host
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import ip, nsexec

UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(15)
print("ready", flush=True)
data, peer = s.recvfrom(100); s.sendto(b"udp:" + peer[0].encode(), peer)
"""

UDP_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"hi", (sys.argv[1], int(sys.argv[2])))
try:
    print(s.recv(100).decode())
except OSError:
    print("failed")
"""

SINK = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9000)); s.listen(1); s.settimeout(30)
print("ready", flush=True)
c, _ = s.accept()
while c.recv(65536):
    pass
"""

SEND = """
import socket, sys, time
c = socket.create_connection((sys.argv[1], 9000), timeout=30)
start = time.monotonic(); c.sendall(b"x" * int(sys.argv[2])); c.shutdown(socket.SHUT_WR); c.recv(1)
print(time.monotonic() - start)
"""


def web_endpoint(host: Host) -> dict:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    return host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "web")


def start(namespace: str, program: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{namespace}", sys.executable, "-c", program, *args],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_port_mapping_tcp_and_udp_from_outside_and_from_the_host(host: Host) -> None:
    web_endpoint(host)
    tcp = host.json("policy", "add", "portmapping", "--endpoint", "web", "--external-port", "8080", "--internal-port", "80")
    host.ok("policy", "add", "nat", "-e", "web", "--external-port", "5353", "--internal-port", "53", "--protocol", "UDP")
    server = Server("web", "0.0.0.0", port=80, connections=2)
    try:
        assert connect(host.upstream, UPLINK_ADDRESS, 8080) == UPSTREAM_ADDRESS  # from another machine
        assert connect(host.name, UPLINK_ADDRESS, 8080) == UPLINK_ADDRESS  # from the host itself
    finally:
        server.stop()
    echo = start("web", UDP_ECHO, "0.0.0.0", "53")
    try:
        assert nsexec(host.upstream, sys.executable, "-c", UDP_CLIENT, UPLINK_ADDRESS, "5353").stdout.strip() == f"udp:{UPSTREAM_ADDRESS}"
    finally:
        echo.kill()
    effective = host.json("policy", "show", tcp["ID"], "--effective")["Effective"]
    assert effective["Present"] is True and "10.200.0.2:80" in effective["Kernel"]
    host.ok("policy", "remove", tcp["ID"])
    server = Server("web", "0.0.0.0", port=80)
    try:
        assert connect(host.upstream, UPLINK_ADDRESS, 8080).startswith("failed")  # the mapping is gone
    finally:
        server.stop()


def test_mapping_refusals(host: Host) -> None:
    web_endpoint(host)
    host.ok("network", "create", "lab", "--type", "internal", "--subnet", "10.210.0.0/24")
    host.ok("endpoint", "create", "inner", "--network", "lab")
    host.ok("policy", "add", "portmapping", "-e", "web", "--external-port", "8080", "--internal-port", "80")
    cases = [
        (["policy", "add", "portmapping", "-e", "web", "--external-port", "0", "--internal-port", "80"], 2, "--external-port"),
        (["policy", "add", "portmapping", "-e", "web", "--external-port", "65536", "--internal-port", "80"], 2, "--external-port"),
        (["policy", "add", "portmapping", "-e", "web", "--external-port", "81", "--internal-port", "80", "--protocol", "sctp"], 2, "--protocol"),
        (["policy", "add", "outboundnat", "-e", "web", "--exception", "10.0.0.1/8"], 2, "host bits"),
        (["policy", "add", "outboundnat", "-e", "web", "--exception", "Any"], 2, "--exception"),
        (["policy", "add", "bogus", "-e", "web"], 2, "TYPE"),
        (["policy", "add", "portmapping", "-e", "inner", "--external-port", "81", "--internal-port", "80"], 2, "mapping not supported"),
        (["policy", "add", "portmapping", "-e", "web", "--external-port", "8080", "--internal-port", "81"], 4, "already mapped to endpoint 'web'"),
        (["policy", "remove", "00000000"], 3, "not found"),
    ]
    for args, code, fragment in cases:
        result = host.hnsctl(*args)
        assert (result.returncode, fragment in result.stderr) == (code, True), (args, result.stderr)
    assert len(host.json("policy", "list")) == 1


def test_outbound_nat_exceptions_keep_the_endpoint_address(host: Host) -> None:
    web_endpoint(host)
    ip("addr", "add", "198.51.100.1/24", "dev", "wan0", netns=host.upstream)  # a second outside address
    ip("route", "add", "198.51.100.0/24", "via", UPSTREAM_ADDRESS, netns=host.name)
    ip("route", "add", "10.200.0.0/24", "via", UPLINK_ADDRESS, netns=host.upstream)  # replies can come straight back
    host.ok("policy", "add", "outboundnat", "-e", "web", "--exception", "198.51.100.0/24")
    for address, expected in ((UPSTREAM_ADDRESS, UPLINK_ADDRESS), ("198.51.100.1", "10.200.0.2")):
        server = Server(host.upstream, address, port=7070)
        try:
            assert connect("web", address, 7070) == expected, address
        finally:
            server.stop()


def test_qos_limits_egress_and_goes_away_with_the_policy(host: Host) -> None:
    web_endpoint(host)
    payload = str(400_000)

    def transfer_seconds() -> float:
        sink = start(host.name, SINK, "10.200.0.1")
        try:
            return float(nsexec("web", sys.executable, "-c", SEND, "10.200.0.1", payload).stdout.strip())
        finally:
            sink.kill()
            sink.wait()

    baseline = transfer_seconds()
    qos = host.json("policy", "add", "qos", "-e", "web", "--max-bandwidth", "100000")
    qdisc = json.loads(subprocess.run(["ip", "netns", "exec", "web", "tc", "-j", "qdisc", "show", "dev", "eth0"],
                                      capture_output=True, text=True, check=True).stdout)
    assert qdisc[0]["kind"] == "tbf" and qdisc[0]["options"]["rate"] == 100000
    limited = transfer_seconds()
    assert limited > 2.0 and limited > 5 * baseline, (baseline, limited)  # 400 kB at 100 kB/s: about 3.5 s
    host.ok("policy", "remove", qos["ID"])
    out = subprocess.run(["ip", "netns", "exec", "web", "tc", "-j", "qdisc", "show", "dev", "eth0"], capture_output=True, text=True).stdout
    assert "tbf" not in out


def test_route_policy_and_reapply_on_attach(host: Host) -> None:
    web_endpoint(host)
    route = host.json("policy", "add", "route", "-e", "web", "--destination", "10.96.0.0/12")
    routes = json.loads(ip("-j", "route", "show", "10.96.0.0/12", netns="web").stdout)
    assert [(r["dst"], r["gateway"]) for r in routes] == [("10.96.0.0/12", "10.200.0.1")]
    host.ok("endpoint", "detach", "web")
    host.ok("endpoint", "attach", "web", "--namespace", "web")
    assert json.loads(ip("-j", "route", "show", "10.96.0.0/12", netns="web").stdout)  # re-applied on attach
    assert host.json("policy", "show", route["ID"], "--effective")["Effective"]["Present"] is True
    assert host.json("endpoint", "show", "web")["Policies"][0]["Type"] == "ROUTE"


def test_a_default_route_policy_is_seen_as_applied(host: Host) -> None:
    """The kernel reports a default route without a destination attribute: it must still count as present."""
    web_endpoint(host)
    route = host.json("policy", "add", "route", "-e", "web", "--destination", "0.0.0.0/0", "--next-hop", "10.200.0.1")
    assert host.json("policy", "show", route["ID"], "--effective")["Effective"]["Present"] is True
    assert host.json("reconcile")["Differences"] == []


def test_deleting_the_endpoint_removes_its_policies(host: Host) -> None:
    web_endpoint(host)
    host.ok("policy", "add", "portmapping", "-e", "web", "--external-port", "8080", "--internal-port", "80")
    host.ok("policy", "add", "outboundnat", "-e", "web", "--exception", "10.0.0.0/8")
    host.ok("endpoint", "delete", "web")
    assert host.json("policy", "list") == []
    table = host.nft("list", "table", "inet", "hnsctl").stdout
    assert "8080" not in table and "outboundnat" not in table


def test_endpoint_create_with_port_mappings_is_all_or_nothing(host: Host) -> None:
    web_endpoint(host)
    host.ok("policy", "add", "portmapping", "-e", "web", "--external-port", "8080", "--internal-port", "80")
    result = host.hnsctl("endpoint", "create", "api", "--network", "demo", "-p", "9090:90", "-p", "8080:80/tcp")
    assert result.returncode == 4
    assert [e["Name"] for e in host.json("endpoint", "list")] == ["web"]
    assert len(host.json("policy", "list")) == 1
    ok = host.json("endpoint", "create", "api", "--network", "demo", "-p", "9090:90/udp")
    assert ok["Policies"][0]["ExternalPort"] == 9090 and ok["Policies"][0]["Protocol"] == "udp"


def test_acls_block_allow_priority_and_direction(host: Host) -> None:
    web_endpoint(host)
    client = host.json("endpoint", "create", "client", "--network", "demo", "--namespace", "client")
    web_ip = "10.200.0.2"
    servers = [Server("web", web_ip, port=port, connections=5) for port in (22, 80)]
    try:
        assert connect("client", web_ip, 22) == client["IPAddress"]  # no ACLs: everything passes
        block = host.json("policy", "add", "acl", "-e", "web", "--action", "block", "--direction", "in",
                          "--protocol", "tcp", "--local-port", "22", "--priority", "200")
        assert connect("client", web_ip, 22).startswith("failed")  # blocked (bridged traffic, same network)
        assert connect("client", web_ip, 80) == client["IPAddress"]  # another port still works
        host.ok("policy", "add", "acl", "-e", "web", "--action", "allow", "--direction", "in", "--protocol", "tcp",
                "--local-port", "22", "--remote-address", f"{client['IPAddress']}/32", "--priority", "100")
        assert connect("client", web_ip, 22) == client["IPAddress"]  # the higher-priority allow wins
        assert host.json("policy", "show", block["ID"], "--effective")["Effective"]["Present"] is True
    finally:
        for server in servers:
            server.stop()
    # out direction: the endpoint's own connections
    outside = Server(host.name, "10.200.0.1", port=7070, connections=3)
    try:
        assert connect("web", "10.200.0.1", 7070) == web_ip
        out = host.json("policy", "add", "acl", "-e", "web", "--action", "block", "--direction", "out",
                        "--protocol", "tcp", "--remote-port", "7070")
        assert connect("web", "10.200.0.1", 7070).startswith("failed")
        host.ok("policy", "remove", out["ID"])
        assert connect("web", "10.200.0.1", 7070) == web_ip
    finally:
        outside.stop()


def test_block_everything_in_still_lets_replies_back(host: Host) -> None:
    """Established/related replies pass a catch-all block; only an explicit rule stops them."""
    web_endpoint(host)
    host.ok("policy", "add", "acl", "-e", "web", "--action", "block", "--direction", "in")
    server = Server(host.name, "10.200.0.1", port=7071)
    try:
        assert connect("web", "10.200.0.1", 7071) == "10.200.0.2"  # its own connection gets its replies
    finally:
        server.stop()
    host.ok("endpoint", "create", "client", "--network", "demo", "--namespace", "client")
    inbound = Server("web", "10.200.0.2", port=80)
    try:
        assert connect("client", "10.200.0.2", 80).startswith("failed")  # new inbound connections do not
    finally:
        inbound.stop()


def test_listener_warning_and_json_policy_documents(host: Host) -> None:
    web_endpoint(host)
    listener = Server(host.name, "0.0.0.0", port=8081)
    try:
        result = host.ok("policy", "add", "portmapping", "-e", "web", "--external-port", "8081", "--internal-port", "80")
        assert "hnsctl: warning: a local process already listens on tcp port 8081" in result.stderr
    finally:
        listener.stop()
    v1 = '{"Type": "NAT", "Protocol": "udp", "InternalPort": 53, "ExternalPort": 5353}'
    added = json.loads(host.ok("policy", "add", "nat", "-e", "web", "--json", "-", "-o", "json", input=v1).stdout)
    assert (added["Type"], added["Protocol"], added["ExternalPort"]) == ("NAT", "udp", 5353)
    v2 = ('{"Type": "ACL", "Settings": {"Protocols": "6", "Action": "Block", "Direction": "In", '
          '"LocalPorts": "22", "RuleType": "Switch", "Priority": 100}}')
    acl = json.loads(host.ok("policy", "add", "acl", "-e", "web", "--json", "-", "-o", "json", "--schema", "2", input=v2).stdout)
    assert acl["Type"] == "ACL" and acl["Settings"]["LocalPorts"] == "22" and acl["Settings"]["Action"] == "Block"
    bad = host.hnsctl("policy", "add", "acl", "-e", "web", "--json", "-", input='{"Type": "ACL", "Action": "Block", "Direction": "In", "Bogus": 1}')
    assert bad.returncode == 2 and "Bogus" in bad.stderr
