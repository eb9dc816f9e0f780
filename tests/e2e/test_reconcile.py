"""`hnsctl reconcile`: drift made by hand is reported, repaired, and traffic works again."""

from __future__ import annotations

import json

from tests.e2e.conftest import Host
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import ip

ORPHAN_OWNER = "11111111-2222-4333-8444-555555555555"


def test_reconcile_repairs_drift_and_removes_only_tagged_orphans(host: Host) -> None:
    net = host.json("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "a", "--network", "demo", "--namespace", "na")
    b = host.json("endpoint", "create", "b", "--network", "demo", "--namespace", "nb")
    assert host.json("reconcile")["Differences"] == []

    # drift: firewall flushed, a veth deleted, a namespace deleted, the bridge's address removed
    assert host.nft("flush", "ruleset").returncode == 0
    ip("link", "del", b["HostInterfaceName"], netns=host.name)
    ip("netns", "del", "na")
    ip("addr", "flush", "dev", net["BridgeName"], netns=host.name)
    # an orphan (tagged for an unknown object) and a foreign bridge
    ip("link", "add", "hv-orphan1", "type", "bridge", netns=host.name)
    ip("link", "set", "hv-orphan1", "alias", f"hnsctl:{ORPHAN_OWNER}", netns=host.name)
    ip("link", "add", "foreign0", "type", "bridge", netns=host.name)
    foreign_before = host.ip_json("-d", "link", "show", "foreign0")

    report = host.json("reconcile", "--dry-run")
    problems = {(d["Kind"], d["Name"]) for d in report["Differences"]}
    assert {("namespace", "na"), ("network", "demo"), ("endpoint", "a"), ("endpoint", "b"), ("orphan", "hv-orphan1")} <= problems
    assert all(d["Action"].startswith("would ") for d in report["Differences"])
    assert "hv-orphan1" in host.links()  # a dry run changes nothing

    repaired = host.json("reconcile")
    assert len(repaired["Differences"]) == len(report["Differences"])
    assert host.json("reconcile")["Differences"] == []  # converged
    assert "hv-orphan1" not in host.links()
    assert host.ip_json("-d", "link", "show", "foreign0") == foreign_before
    assert "masquerade" in host.nft("list", "table", "inet", "hnsctl").stdout

    server = Server("nb", b["IPAddress"])
    try:
        assert connect("na", b["IPAddress"]) == "10.200.0.2"  # traffic works again
    finally:
        server.stop()


def test_reconcile_removes_what_a_crash_left_behind(host: Host) -> None:
    """State written last: a crash after kernel changes leaves only tagged objects, which reconcile removes."""
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    ep = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "w")
    # simulate a crash before the state write: drop the records the kernel objects belong to
    (host.state_dir / "endpoints" / f"{ep['ID']}.toml").unlink()
    report = host.json("reconcile")
    assert any(d["Kind"] == "orphan" and d["ID"] == ep["ID"] for d in report["Differences"])
    assert ep["HostInterfaceName"] not in host.links()
    assert json.loads(ip("-j", "link", "show", netns="w").stdout)[0]["ifname"] == "lo"
    assert host.json("reconcile")["Differences"] == []


def test_reconcile_repairs_what_it_can_and_fails_naming_what_it_cannot(host: Host) -> None:
    """One unrepairable object (a foreign interface squats on an endpoint's port name) does not stop the
    run: the other endpoint's lost port mapping is put back, and the exit code says one remains."""
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    a = host.json("endpoint", "create", "a", "--network", "demo", "--namespace", "na")
    host.ok("endpoint", "create", "b", "--network", "demo", "--namespace", "nb", "-p", "8082:80/tcp")
    port = a["HostInterfaceName"]
    ip("link", "del", port, netns=host.name)
    ip("link", "add", port, "type", "bridge", netns=host.name)  # untagged: not hnsctl's, never touched
    assert host.nft("delete", "element", "inet", "hnsctl", "portmap-tcp", "{ 8082 }").returncode == 0

    result = host.hnsctl("reconcile", "-o", "json")
    assert result.returncode != 0, result.stdout
    report = json.loads(result.stdout)
    failed = [d for d in report["Differences"] if d["Error"]]
    assert {d["Name"] for d in failed} == {"a"} and all(d["Action"].startswith("could not ") for d in failed)
    assert "8082" in host.nft("list", "map", "inet", "hnsctl", "portmap-tcp").stdout  # repaired all the same
    assert host.links()[port].get("linkinfo", {}).get("info_kind") == "bridge"  # the squatter is left alone
    table = host.hnsctl("reconcile")
    assert table.returncode != 0 and "could not be" in table.stdout and "error" in table.stderr
