"""The installed hnsctl, end to end: create -> list -> show -> delete, with the kernel read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Host, hnsctl_executable
from tests.kernel import ip, nsexec


def hns_links(host: Host) -> dict[str, dict]:
    return {n: link for n, link in host.links().items() if n.startswith("hns-")}


def test_first_command_on_a_real_shaped_host(host: Host) -> None:
    created = host.json("network", "create", "nat")
    assert created["Name"] == "nat" and created["Type"] == "nat"
    assert created["Subnets"] == [{"AddressPrefix": "172.16.0.0/20", "GatewayAddress": "172.16.0.1", "Policies": []}]
    bridge = created["BridgeName"]
    link = host.links()[bridge]
    assert link["ifalias"] == f"hnsctl:{created['ID'].lower()}"  # V1 prints the network ID upper-case, the kernel tag is lower
    assert link["linkinfo"]["info_kind"] == "bridge"
    assert "UP" in link["flags"]
    addrs = host.ip_json("addr", "show", "dev", bridge)[0]["addr_info"]
    assert {(a["local"], a["prefixlen"]) for a in addrs if a["family"] == "inet"} == {("172.16.0.1", 20)}
    assert "masquerade" in host.nft("list", "table", "inet", "hnsctl").stdout

    listed = host.json("network", "list")
    assert [n["ID"] for n in listed] == [created["ID"]]
    table = host.ok("network", "list").stdout
    assert "nat" in table and "172.16.0.0/20" in table and created["ID"][:8].lower() in table
    for reference in ("nat", created["ID"], created["ID"][:8], created["ID"].lower()):
        assert host.json("network", "show", reference)["ID"] == created["ID"]
    v2 = host.json("network", "show", "nat", "--schema", "2")
    assert v2["Ipams"][0]["Subnets"][0]["IpAddressPrefix"] == "172.16.0.0/20"
    assert v2["SchemaVersion"]["Major"] == 2

    host.ok("network", "delete", "nat")
    assert hns_links(host) == {}
    assert host.nft("list", "table", "inet", "hnsctl").returncode != 0
    assert host.json("network", "list") == []


def test_free_subnet_skips_routes_and_networks(host: Host) -> None:
    ip("route", "add", "172.16.0.0/20", "via", "192.0.2.1", netns=host.name)
    first = host.json("network", "create", "a", "--type", "internal")
    second = host.json("network", "create", "b", "--type", "private")
    assert first["Subnets"][0]["AddressPrefix"] == "172.16.16.0/20"
    assert second["Subnets"][0]["AddressPrefix"] == "172.16.32.0/20"
    assert second["Subnets"][0]["GatewayAddress"] == ""
    private_addrs = [a for e in host.ip_json("addr", "show", "dev", second["BridgeName"]) for a in e.get("addr_info", [])]
    assert [a for a in private_addrs if a["family"] == "inet"] == []  # a private network has no host address


def test_nat_masquerades_traffic_leaving_the_uplink(host: Host) -> None:
    """A container-like namespace on the nat bridge reaches the upstream router with the host's address."""
    net = host.json("network", "create", "demo", "--subnet", "10.200.0.0/24")
    container = plug_namespace(host, net["BridgeName"], "10.200.0.5/24", "10.200.0.1")
    server = start_peer_reporter(host.upstream)
    reply = connect_and_read(container, "192.0.2.1")
    server.wait(timeout=10)
    assert reply == "192.0.2.10"  # the upstream saw the uplink address, not 10.200.0.5


def test_internal_network_reaches_the_host_but_is_not_routed(host: Host) -> None:
    net = host.json("network", "create", "lab", "--type", "internal", "--subnet", "192.168.50.0/24")
    container = plug_namespace(host, net["BridgeName"], "192.168.50.5/24", "192.168.50.1")
    # Make the routed path otherwise complete, so only hnsctl's isolation can stop it.
    assert nsexec(host.name, "sysctl", "-qw", "net.ipv4.ip_forward=1").returncode == 0
    ip("route", "add", "192.168.50.0/24", "via", "192.0.2.10", netns=host.upstream)
    assert reaches(container, "192.168.50.1")
    assert not reaches(container, "192.0.2.1")


def test_foreign_objects_survive_a_full_cycle(host: Host) -> None:
    """A foreign bridge, veth, namespace, route and nftables table, made before and during a full lifecycle
    (create, endpoints, policies, drift + reconcile, delete), are byte-for-byte unchanged afterwards."""
    ip("link", "add", "br-foreign", "type", "bridge", netns=host.name)
    ip("addr", "add", "10.99.0.1/24", "dev", "br-foreign", netns=host.name)
    ip("route", "add", "198.51.100.0/24", "via", "192.0.2.1", netns=host.name)
    foreign_rules = (
        "table inet foreign {\n chain passthrough {\n  type filter hook forward priority 10; policy accept;\n"
        '  ip saddr 10.99.0.0/24 counter accept comment "keep me"\n }\n}\n'
    )
    assert nsexec_nft(host, foreign_rules).returncode == 0
    foreign_ns = host.namespace("foreign")
    ip("link", "add", "fv0", "type", "veth", "peer", "name", "fv1", "netns", foreign_ns, netns=host.name)

    def snapshot() -> tuple[object, ...]:
        return (
            host.ip_json("-d", "link", "show", "br-foreign"),
            host.ip_json("addr", "show", "dev", "br-foreign"),
            host.ip_json("-d", "link", "show", "fv0"),
            json.loads(ip("-j", "-d", "link", "show", netns=foreign_ns).stdout),
            host.ip_json("route", "show", "198.51.100.0/24"),
            json.loads(host.nft("-j", "list", "table", "inet", "foreign").stdout),
        )

    before = snapshot()
    host.ok("network", "create", "nat")
    host.ok("network", "create", "lab", "--type", "internal")
    host.ok("network", "create", "iso", "--type", "private")
    host.ok("endpoint", "create", "web", "--network", "nat", "--namespace", "w", "-p", "8080:80")
    host.ok("policy", "add", "acl", "-e", "web", "--action", "block", "--direction", "in", "--protocol", "tcp", "--local-port", "22")
    host.ok("policy", "add", "outboundnat", "-e", "web", "--exception", "10.0.0.0/8")
    host.ok("policy", "add", "qos", "-e", "web", "--max-bandwidth", "125000")
    ip("link", "add", "br-later", "type", "bridge", netns=host.name)  # made during the cycle
    assert host.nft("flush", "table", "inet", "hnsctl").returncode == 0
    host.ok("reconcile")
    host.ok("network", "delete", "nat", "lab", "iso", "--force")
    assert snapshot() == before
    assert "br-later" in host.links()
    assert hns_links(host) == {}


def test_bad_input_changes_nothing(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    links_before = set(host.links())
    rules_before = host.nft("list", "table", "inet", "hnsctl").stdout
    state_before = sorted(p.name for p in (host.state_dir / "networks").iterdir())
    cases = [
        (["network", "create", "x", "--subnet", "10.0.0.300/24"], 2, "--subnet"),
        (["network", "create", "x", "--subnet", "10.1.0.0/24", "--gateway", "10.2.0.1"], 2, "--gateway"),
        (["network", "create", "bad/name"], 2, "name"),
        (["network", "create", "x", "--type", "l2bridge", "--adapter", "nosuch0"], 2, "no such interface"),
        (["network", "create", "x", "--type", "overlay"], 2, "--vsid"),
        (["network", "create", "x", "--vlan", "7"], 2, "uplink adapter"),
        (["network", "create", "x", "--vsid", "7"], 2, "overlay networks only"),
        (["network", "create", "x", "--type", "bogus"], 2, "--type"),
        (["network", "create", "demo"], 4, "already exists"),
        (["network", "create", "x", "--subnet", "10.200.0.128/25"], 4, "overlaps network 'demo'"),
        (["network", "create", "x", "--subnet", "192.0.2.0/24"], 4, "overlaps route 192.0.2.0/24 dev eth0"),
        (["network", "show", "missing"], 3, "not found"),
        (["network", "delete", "missing"], 3, "not found"),
    ]
    for args, code, fragment in cases:
        result = host.hnsctl(*args)
        assert result.returncode == code, (args, result.stderr)
        assert fragment in result.stderr, (args, result.stderr)
        assert result.stderr.startswith("hnsctl: error: ")
        assert "Traceback" not in result.stderr
    assert set(host.links()) == links_before
    assert host.nft("list", "table", "inet", "hnsctl").stdout == rules_before
    assert sorted(p.name for p in (host.state_dir / "networks").iterdir()) == state_before


def test_json_errors_and_if_exists(host: Host) -> None:
    result = host.hnsctl("network", "show", "missing", "-o", "json")
    assert result.returncode == 3
    error = json.loads(result.stderr)
    assert error["ErrorName"] == "HCN_E_NETWORK_NOT_FOUND" and error["ExitCode"] == 3 and error["Success"] is False
    assert host.hnsctl("network", "delete", "missing", "--if-exists").returncode == 0


def test_dry_run_changes_nothing(host: Host) -> None:
    result = host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24", "--dry-run")
    assert "ip link add hns-" in result.stdout and "masquerade" in result.stdout
    assert hns_links(host) == {}
    assert host.nft("list", "table", "inet", "hnsctl").returncode != 0
    assert not (host.state_dir / "networks").exists() or not list((host.state_dir / "networks").iterdir())


def test_create_from_hns_documents(host: Host, tmp_path: Path) -> None:
    v1 = {"Name": "v1net", "Type": "NAT", "Subnets": [{"AddressPrefix": "10.210.0.0/24", "GatewayAddress": "10.210.0.254"}],
          "DNSServerList": "10.210.0.254,1.1.1.1", "DNSSuffix": "corp.example", "ActivityId": "ignored"}
    created = json.loads(host.ok("network", "create", "--json", "-", "-o", "json", input=json.dumps(v1)).stdout)
    assert created["Subnets"][0]["GatewayAddress"] == "10.210.0.254"
    assert created["DNSServerList"] == "10.210.0.254,1.1.1.1" and created["DNSSuffix"] == "corp.example"
    v2 = {"SchemaVersion": {"Major": 2, "Minor": 0}, "Name": "v2net", "Type": "Internal",
          "Ipams": [{"Type": "Static", "Subnets": [{"IpAddressPrefix": "10.220.0.0/24",
                     "Routes": [{"NextHop": "10.220.0.1", "DestinationPrefix": "0.0.0.0/0"}]}]}],
          "Dns": {"ServerList": ["10.220.0.1"]}}
    doc = tmp_path / "v2.json"
    doc.write_text(json.dumps(v2))
    shown = json.loads(host.ok("network", "create", "--json", str(doc), "-o", "json", "--schema", "2").stdout)
    assert shown["Type"] == "Internal" and shown["Dns"]["ServerList"] == ["10.220.0.1"]
    bad = host.hnsctl("network", "create", "--json", "-", input='{"Name": "x", "Subnet": []}')
    assert bad.returncode == 2 and "Subnet" in bad.stderr


def test_corrupt_state_is_reported_with_its_path(host: Host) -> None:
    host.ok("network", "create", "demo")
    (host.state_dir / "networks").joinpath("00000000-0000-4000-8000-000000000000.toml").write_text("this is = = not toml")
    result = host.hnsctl("network", "list")
    assert result.returncode == 7
    assert "00000000-0000-4000-8000-000000000000.toml" in result.stderr


def test_unprivileged_user_gets_one_clear_line(host: Host, tmp_path: Path) -> None:
    result = run_without_capabilities(host, "network", "create", "demo")
    assert result.returncode == 1
    assert "needs root" in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert hns_links(host) == {}


def test_runbook_example_runs(host: Host) -> None:
    runbook = Path(__file__).resolve().parents[2] / "examples" / "first-network.sh"
    result = nsexec(host.name, "sh", str(runbook), env=host.env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert hns_links(host) == {}


# ---------------------------------------------------------------- helpers

def nsexec_nft(host: Host, ruleset: str):
    return nsexec(host.name, "nft", "-f", "-", input=ruleset)


def run_without_capabilities(host: Host, *args: str):
    """Root without capabilities: what `sudo` forgot, or a container without CAP_NET_ADMIN, looks like."""
    return nsexec(host.name, "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--",
                  hnsctl_executable(), *args, env=host.env())


def plug_namespace(host: Host, bridge: str, address: str, gateway: str) -> str:
    """Hand-made endpoint (endpoints are a later feature): a veth from a new namespace onto the bridge."""
    name = host.namespace("c")
    peer = f"v{name[-8:]}"
    ip("link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", name, netns=host.name)
    ip("link", "set", peer, "master", bridge, "up", netns=host.name)
    ip("addr", "add", address, "dev", "eth0", netns=name)
    ip("link", "set", "eth0", "up", netns=name)
    ip("route", "add", "default", "via", gateway, netns=name)
    return name


REPORTER = """
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7777)); s.listen(1); s.settimeout(10)
c, peer = s.accept(); c.sendall(peer[0].encode()); c.close()
"""

CLIENT = """
import socket, sys, time
for _ in range(50):
    try:
        c = socket.create_connection((sys.argv[1], 7777), timeout=2); break
    except OSError:
        time.sleep(0.1)
print(c.recv(100).decode())
"""


def start_peer_reporter(namespace: str) -> subprocess.Popen:
    return subprocess.Popen(["nsenter", f"--net=/run/netns/{namespace}", sys.executable, "-c", REPORTER])


def connect_and_read(namespace: str, address: str) -> str:
    result = nsexec(namespace, sys.executable, "-c", CLIENT, address)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except ConnectionRefusedError:
    print("reached")  # a RST came back: the address answered
except OSError:
    print("unreachable")
else:
    print("reached")
"""


def reaches(namespace: str, address: str) -> bool:
    """TCP probe to a closed port: a reset proves the path works, silence proves it is dropped."""
    result = nsexec(namespace, sys.executable, "-c", PROBE, address, "9")
    return result.stdout.strip() == "reached"
