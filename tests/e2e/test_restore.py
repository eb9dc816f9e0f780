"""Reboot: state survives, the kernel does not; `hnsctl restore` brings everything back. Plus doctor."""

from __future__ import annotations

from tests.e2e.conftest import UPLINK_ADDRESS, Host
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import ip


def simulate_reboot(host: Host) -> None:
    """Every kernel object hnsctl made is gone; the state directory is untouched."""
    for namespace in host.json("namespace", "list"):
        ip("netns", "del", namespace["Name"], check=False)
    assert host.nft("flush", "ruleset").returncode == 0
    for name in list(host.links()):
        if name.startswith(("hns-", "hv-", "hp-", "he-")):
            ip("link", "del", name, netns=host.name, check=False)
    assert not [n for n in host.links() if n.startswith("hns-")]


def test_restore_after_a_reboot_brings_traffic_back(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("network", "create", "scratch", "--subnet", "10.230.0.0/24", "--non-persistent")
    web = host.json("endpoint", "create", "web", "--network", "demo", "--namespace", "web", "-p", "8080:80")
    host.ok("endpoint", "create", "client", "--network", "demo", "--namespace", "client")
    host.ok("endpoint", "create", "temp", "--network", "scratch")
    host.ok("policy", "add", "qos", "-e", "web", "--max-bandwidth", "1250000")
    assert host.json("network", "show", "scratch")["Flags"] & 8

    simulate_reboot(host)
    restored = host.json("restore")
    kinds = {(d["Kind"], d["Name"]) for d in restored["Differences"]}
    assert ("network", "scratch") in kinds  # dropped, not recreated
    assert [n["Name"] for n in host.json("network", "list")] == ["demo"]
    assert sorted(e["Name"] for e in host.json("endpoint", "list")) == ["client", "web"]
    assert host.json("reconcile")["Differences"] == []

    server = Server("web", "0.0.0.0", port=80, connections=2)
    try:
        assert connect("client", web["IPAddress"], 80) == "10.200.0.3"
        assert connect(host.upstream, UPLINK_ADDRESS, 8080) == "192.0.2.1"  # the port mapping is back
    finally:
        server.stop()


def test_doctor_reports_a_healthy_host_and_drift(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    report = host.json("doctor")
    statuses = {c["Name"]: c["Status"] for c in report["Checks"]}
    assert report["Healthy"] is True
    for feature in ("privileges", "netns", "bridge", "veth", "nf_tables", "state", "lock", "drift"):
        assert statuses[feature] == "ok", report
    assert "hnsctl-probe" not in host.nft("list", "tables").stdout  # the probe left nothing behind
    assert host.nft("flush", "ruleset").returncode == 0
    drifted = host.json("doctor")
    assert {c["Name"]: c["Status"] for c in drifted["Checks"]}["drift"] == "warn"
