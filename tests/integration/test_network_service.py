"""The network service over the real kernel: what create builds, what delete removes, what rollback undoes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pyroute2 import IPRoute

from hnsctl.config import Settings
from hnsctl.errors import Conflict, KernelError
from hnsctl.models.network import NetworkRequest, SubnetRequest
from hnsctl.service import open_services
from tests.kernel import ip


def services(tmp_path: Path):
    return open_services(Settings(state_dir=tmp_path / "state", lock_timeout=5))


def nft_text() -> str:
    return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, check=True).stdout


def test_nat_network_lifecycle(netns: str, tmp_path: Path) -> None:
    svc = services(tmp_path)
    net = svc.network.create_network(NetworkRequest("demo", "nat", (SubnetRequest("10.200.0.0/24"),)))
    with IPRoute() as ipr:
        (link,) = ipr.get_links(ifname=net.bridge_name)
        assert link.get("ifalias") == f"hnsctl:{net.id}"
        assert [a.get("address") for a in ipr.get_addr(index=link["index"], family=2)] == ["10.200.0.1"]
    ruleset = nft_text()
    assert f'ip saddr 10.200.0.0/24 oifname != "{net.bridge_name}" masquerade' in ruleset
    assert f'iifname "{net.bridge_name}" accept' in ruleset
    assert (tmp_path / "state" / "networks" / f"{net.id}.toml").exists()
    svc.network.delete_network("demo")
    assert ip("link", "show", net.bridge_name, check=False).returncode != 0
    assert "hnsctl" not in nft_text()
    assert not (tmp_path / "state" / "networks" / f"{net.id}.toml").exists()
    svc.close()


def test_internal_and_private_networks(netns: str, tmp_path: Path) -> None:
    svc = services(tmp_path)
    internal = svc.network.create_network(NetworkRequest("lab", "Internal", (SubnetRequest("192.168.50.0/24", "192.168.50.254"),)))
    private = svc.network.create_network(NetworkRequest("iso", "private"))
    with IPRoute() as ipr:
        (lab,) = ipr.get_links(ifname=internal.bridge_name)
        assert [a.get("address") for a in ipr.get_addr(index=lab["index"], family=2)] == ["192.168.50.254"]
        (iso,) = ipr.get_links(ifname=private.bridge_name)
        assert ipr.get_addr(index=iso["index"], family=2) == ()
    ruleset = nft_text()
    assert "masquerade" not in ruleset
    assert f'iifname "{internal.bridge_name}" oifname != "{internal.bridge_name}" drop' in ruleset
    svc.close()


def test_rollback_when_the_firewall_fails(netns: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = services(tmp_path)

    def broken(_firewall: object) -> None:
        raise KernelError("applying nftables rules: injected failure")

    monkeypatch.setattr(svc.backend, "apply_network_firewall", broken)
    with pytest.raises(KernelError):
        svc.network.create_network(NetworkRequest("demo", "nat", (SubnetRequest("10.200.0.0/24"),)))
    assert svc.backend.list_owned_links() == []
    assert svc.network.list_networks() == []
    svc.close()


def test_overlap_with_a_kernel_route_is_refused_and_nothing_is_made(netns: str, tmp_path: Path) -> None:
    ip("link", "add", "up0", "type", "veth", "peer", "name", "up1")
    ip("addr", "add", "10.60.0.2/16", "dev", "up0")
    ip("link", "set", "up0", "up")
    svc = services(tmp_path)
    with pytest.raises(Conflict, match="overlaps route 10.60.0.0/16 dev up0"):
        svc.network.create_network(NetworkRequest("demo", "nat", (SubnetRequest("10.60.3.0/24"),)))
    assert svc.backend.list_owned_links() == []
    svc.close()
