"""ICS networks: NAT plus a DNS forwarder at the gateway, so endpoints resolve through the host."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.conftest import UPLINK_ADDRESS, UPSTREAM_ADDRESS, Host, hnsctl_executable
from tests.e2e.test_policies import UDP_CLIENT, UDP_ECHO, start
from tests.kernel import nsexec


def create_ics(host: Host, resolv: Path, *args: str):
    env = {**host.env(), "HNSCTL_RESOLV_CONF": str(resolv)}  # the host's resolver configuration, for this test
    return nsexec(host.name, hnsctl_executable(), "network", "create", "wsl", "--type", "ics", *args, env=env)


def test_endpoints_ask_the_gateway_and_the_host_forwards_to_its_resolver(host: Host, tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"# the host's resolver\nnameserver {UPSTREAM_ADDRESS}\n")
    result = create_ics(host, resolv, "--subnet", "10.230.0.0/24")
    assert result.returncode == 0, result.stderr
    endpoint = host.json("endpoint", "create", "app", "--network", "wsl", "--namespace", "app")
    assert endpoint["DNSServerList"] == "10.230.0.1"  # endpoints are told the gateway
    assert "nameserver 10.230.0.1" in Path("/etc/netns/app/resolv.conf").read_text()
    echo = start(host.upstream, UDP_ECHO, UPSTREAM_ADDRESS, "53")  # an echo stands in for the host's resolver
    try:
        answer = nsexec("app", sys.executable, "-c", UDP_CLIENT, "10.230.0.1", "53").stdout.strip()
        assert answer == f"udp:{UPLINK_ADDRESS}"  # the query reached the resolver, from the host's address
    finally:
        echo.kill()
    host.ok("network", "delete", "wsl", "--force")
    assert host.nft("list", "table", "inet", "hnsctl").returncode != 0


def test_ics_without_a_resolver_says_so(host: Host, tmp_path: Path) -> None:
    empty = tmp_path / "resolv.conf"
    empty.write_text("")
    result = create_ics(host, empty)
    assert result.returncode == 2 and "--dns" in result.stderr
    assert host.json("network", "list") == []
