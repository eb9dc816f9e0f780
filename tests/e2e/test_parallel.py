"""Many hnsctl processes at once: the state lock serialises them, nothing is lost or doubled."""

from __future__ import annotations

import fcntl
import os
import subprocess

from tests.e2e.conftest import Host, hnsctl_executable


def spawn(host: Host, *args: str) -> subprocess.Popen:
    return subprocess.Popen(["nsenter", f"--net=/run/netns/{host.name}", "--", hnsctl_executable(), *args],
                            env=host.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sixteen_endpoint_creates_at_once_get_distinct_addresses(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    procs = [spawn(host, "endpoint", "create", f"ep{i}", "--network", "demo", "-q") for i in range(16)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _ in results), results
    endpoints = host.json("endpoint", "list")
    addresses = [e["IPAddress"] for e in endpoints]
    assert len(endpoints) == 16 and len(set(addresses)) == 16
    links = host.links()
    assert all(e["HostInterfaceName"] in links for e in endpoints)
    assert host.json("reconcile")["Differences"] == []


def test_concurrent_creates_and_deletes_of_the_same_names_end_consistent(host: Host) -> None:
    procs = []
    for round_ in range(2):
        for k in range(4):
            procs.append(spawn(host, "network", "create", f"net{k}", "--subnet", f"10.{100 + k}.0.0/24", "-q"))
            procs.append(spawn(host, "network", "delete", f"net{k}", "-q"))
    codes = [p.wait(timeout=120) for p in procs]
    assert set(codes) <= {0, 3, 4}, codes  # created, already gone (3) or already there (4): never anything else
    networks = host.json("network", "list")
    bridges = {n for n in host.links() if n.startswith("hns-")}
    assert bridges == {n["BridgeName"] for n in networks}
    assert host.json("reconcile")["Differences"] == []


def test_a_held_lock_times_out_with_exit_6_naming_the_holder(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    lock = host.state_dir / "lock"
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        result = host.hnsctl("--lock-timeout", "0.5", "network", "create", "other")
        assert result.returncode == 6
        assert str(os.getpid()) in result.stderr and "lock" in result.stderr
        assert host.hnsctl("network", "list").returncode == 0  # reads never wait for the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert [n["Name"] for n in host.json("network", "list")] == ["demo"]
