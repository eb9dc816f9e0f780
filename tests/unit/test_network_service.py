"""NetworkService over FakeBackend and a real Store in tmp_path: create/list/get/delete, rollback, dry-run."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from hnsctl.backend.base import BridgeSpec, NetworkFirewall, RouteInfo
from hnsctl.errors import (
    Conflict,
    ExitCode,
    InvalidInput,
    KernelError,
    NotFound,
    PermissionDenied,
)
from hnsctl.models import ids
from hnsctl.models.network import NetworkRequest, NetworkType, SubnetRequest
from hnsctl.service.network import NetworkService
from hnsctl.store import OverlayStore, Store
from tests.unit.fakes import FakeBackend


def ip_net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def req(name: str = "demo", **fields) -> NetworkRequest:
    return NetworkRequest(name=name, **fields)


def state_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.toml")) if root.exists() else []


@pytest.fixture
def service(store: Store, backend: FakeBackend) -> NetworkService:
    return NetworkService(store, backend)


# ------------------------------------------------------------------ create / list / get / delete


def test_create_then_list_get_delete(service: NetworkService, backend: FakeBackend, state_dir: Path) -> None:
    network = service.create_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    assert network.name == "web"
    assert network.type is NetworkType.NAT
    assert ids.is_guid(network.id)
    assert network.subnets[0].prefix == ip_net("10.200.0.0/24")
    assert network.subnets[0].gateway == ipaddress.ip_address("10.200.0.1")
    assert network.created_at.endswith("+00:00")
    assert state_files(state_dir) == [f"networks/{network.id}.toml"]

    assert [v.network for v in service.list_networks()] == [network]
    assert service.get_network("web").network == network
    assert service.get_network(network.id.upper()).network == network
    assert service.get_network(network.id[:6]).network == network

    deleted = service.delete_network("web")
    assert deleted == network
    assert ("remove_firewall", network.id) in backend.calls
    assert ("delete_link", network.bridge_name) in backend.calls
    assert service.list_networks() == []
    assert state_files(state_dir) == []
    with pytest.raises(NotFound):
        service.get_network("web")


def test_nat_create_calls_the_backend_in_order_with_the_planned_objects(service: NetworkService, backend: FakeBackend) -> None:
    network = service.create_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    assert backend.mutations() == [
        ("create_bridge", BridgeSpec(name=network.bridge_name, owner=network.id, addresses=(ipaddress.ip_interface("10.200.0.1/24"),))),
        (
            "apply_network_firewall",
            NetworkFirewall(owner=network.id, bridge=network.bridge_name, masquerade=(ip_net("10.200.0.0/24"),), allow_forwarding=True),
        ),
        ("enable_forwarding", 4),
    ]
    assert backend.names()[0] == "require_privileges"


def test_dual_stack_nat_enables_both_forwarding_sysctls(service: NetworkService, backend: FakeBackend) -> None:
    service.create_network(req("ds", subnets=(SubnetRequest("10.1.0.0/24"), SubnetRequest("fd00:1::/64"))))
    assert [arg for name, arg in backend.calls if name == "enable_forwarding"] == [4, 6]


def test_internal_network_is_isolated_and_not_forwarded(service: NetworkService, backend: FakeBackend) -> None:
    network = service.create_network(req("lab", type="internal", subnets=(SubnetRequest("192.168.50.0/24", "192.168.50.254"),)))
    mutations = dict(backend.mutations())
    assert mutations["create_bridge"].addresses == (ipaddress.ip_interface("192.168.50.254/24"),)
    assert mutations["apply_network_firewall"] == NetworkFirewall(owner=network.id, bridge=network.bridge_name, isolate=True)
    assert "enable_forwarding" not in mutations


def test_private_network_bridge_has_no_address(service: NetworkService, backend: FakeBackend) -> None:
    network = service.create_network(req("p", type="private"))
    assert network.subnets[0].gateway is None
    assert dict(backend.mutations())["create_bridge"].addresses == ()


def test_list_is_sorted_by_name(service: NetworkService) -> None:
    for name in ["zeta", "alpha", "mid"]:
        service.create_network(req(name))
    assert [v.network.name for v in service.list_networks()] == ["alpha", "mid", "zeta"]
    assert all(v.endpoint_count == 0 for v in service.list_networks())


def test_networks_survive_a_new_service_on_the_same_state_dir(service: NetworkService, state_dir: Path) -> None:
    created = service.create_network(req("web", dns_servers=("10.0.0.53",), dns_suffix="corp.example.com", flags=1))
    reopened = NetworkService(Store(state_dir, lock_timeout=1.0), FakeBackend())
    assert reopened.get_network("web").network == created


def test_delete_missing_network_is_not_found_and_changes_nothing(service: NetworkService, backend: FakeBackend) -> None:
    with pytest.raises(NotFound) as info:
        service.delete_network("nope")
    assert info.value.exit_code == ExitCode.NOT_FOUND
    assert backend.mutations() == []


# ------------------------------------------------------------------ automatic subnets


def test_auto_subnet_picks_consecutive_blocks_of_the_pool(service: NetworkService) -> None:
    first = service.create_network(req("a"))
    second = service.create_network(req("b"))
    assert first.subnets[0].prefix == ip_net("172.16.0.0/20")
    assert first.subnets[0].gateway == ipaddress.ip_address("172.16.0.1")
    assert second.subnets[0].prefix == ip_net("172.16.16.0/20")


def test_auto_subnet_skips_a_block_used_by_a_host_route(store: Store) -> None:
    backend = FakeBackend(routes=[RouteInfo(ip_net("172.16.0.0/20"), "docker0")])
    network = NetworkService(store, backend).create_network(req("a"))
    assert network.subnets[0].prefix == ip_net("172.16.16.0/20")


def test_auto_subnet_ignores_the_default_route(store: Store) -> None:
    backend = FakeBackend(routes=[RouteInfo(ip_net("0.0.0.0/0"), "eth0"), RouteInfo(ip_net("::/0"), "eth0")])
    assert NetworkService(store, backend).create_network(req("a")).subnets[0].prefix == ip_net("172.16.0.0/20")


def test_auto_subnet_reuses_a_freed_block(service: NetworkService) -> None:
    service.create_network(req("a"))
    service.create_network(req("b"))
    service.delete_network("a")
    assert service.create_network(req("c")).subnets[0].prefix == ip_net("172.16.0.0/20")


def test_exhausted_pool_is_a_conflict_asking_for_an_explicit_subnet(store: Store) -> None:
    backend = FakeBackend(routes=[RouteInfo(ip_net("172.16.0.0/12"), "vpn0")])
    with pytest.raises(Conflict, match="every /20 in 172.16.0.0/12") as info:
        NetworkService(store, backend).create_network(req("a"))
    assert "--subnet" in (info.value.hint or "")
    assert backend.mutations() == []


# ------------------------------------------------------------------ refusals that change nothing


def test_duplicate_name_is_a_conflict_and_touches_no_kernel_object(service: NetworkService, backend: FakeBackend, state_dir: Path) -> None:
    service.create_network(req("web"))
    before_calls = len(backend.calls)
    files = state_files(state_dir)
    with pytest.raises(Conflict) as info:
        service.create_network(req("web", subnets=(SubnetRequest("10.9.0.0/24"),)))
    assert info.value.exit_code == ExitCode.CONFLICT == 4
    assert [c for c in backend.calls[before_calls:] if c[0] not in ("require_privileges",)] == []
    assert state_files(state_dir) == files


def test_explicit_subnet_overlapping_another_network_is_a_conflict(service: NetworkService, backend: FakeBackend) -> None:
    service.create_network(req("a", subnets=(SubnetRequest("10.1.0.0/16"),)))
    mutations = len(backend.mutations())
    with pytest.raises(Conflict, match="overlaps network 'a'"):
        service.create_network(req("b", subnets=(SubnetRequest("10.1.2.0/24"),)))
    assert len(backend.mutations()) == mutations


def test_explicit_subnet_overlapping_a_route_is_a_conflict(store: Store) -> None:
    backend = FakeBackend(routes=[RouteInfo(ip_net("192.168.1.0/24"), "eth0")])
    with pytest.raises(Conflict, match="overlaps route 192.168.1.0/24 dev eth0"):
        NetworkService(store, backend).create_network(req("a", subnets=(SubnetRequest("192.168.0.0/16"),)))
    assert backend.mutations() == []


def test_invalid_request_is_refused_before_privileges_lock_or_kernel(service: NetworkService, backend: FakeBackend, state_dir: Path) -> None:
    with pytest.raises(InvalidInput):
        service.create_network(req("x", type="overlay"))
    assert backend.calls == []
    assert not state_dir.exists()


def test_missing_privileges_stop_before_the_lock_and_the_kernel(service: NetworkService, backend: FakeBackend, state_dir: Path) -> None:
    backend.privilege_error = PermissionDenied("changing networking: this needs root (CAP_NET_ADMIN)")
    with pytest.raises(PermissionDenied):
        service.create_network(req("x"))
    assert backend.names() == ["require_privileges"]
    assert not state_dir.exists()


# ------------------------------------------------------------------ rollback


def test_firewall_failure_rolls_back_the_bridge_and_writes_no_state(service: NetworkService, backend: FakeBackend, state_dir: Path) -> None:
    backend.fail_firewall = True
    with pytest.raises(KernelError) as info:
        service.create_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    assert info.value.exit_code == ExitCode.KERNEL == 5
    names = [name for name, _ in backend.mutations()]
    assert names == ["create_bridge", "apply_network_firewall", "remove_firewall", "delete_link"]
    bridge = backend.mutations()[0][1].name
    assert ("delete_link", bridge) in backend.calls
    assert bridge not in backend.links
    assert state_files(state_dir) == []
    assert service.list_networks() == []


def test_a_failing_state_write_rolls_the_kernel_back(service: NetworkService, backend: FakeBackend, store: Store, monkeypatch) -> None:
    def broken(network) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "save_network", broken)
    with pytest.raises(OSError):
        service.create_network(req("web"))
    assert [name for name, _ in backend.mutations()][-2:] == ["remove_firewall", "delete_link"]
    assert backend.links == set()


def test_state_lock_is_released_after_a_failed_create(service: NetworkService, backend: FakeBackend) -> None:
    backend.fail_firewall = True
    with pytest.raises(KernelError):
        service.create_network(req("web"))
    backend.fail_firewall = False
    assert service.create_network(req("web")).name == "web"


# ------------------------------------------------------------------ IDs


def test_requested_id_is_used_lower_case(service: NetworkService) -> None:
    network = service.create_network(req("a", id="6F3C2A1E-1B2C-4D5E-8F90-0123456789AB"))
    assert network.id == "6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"
    assert network.bridge_name == "hns-6f3c2a1e"


def test_requested_id_that_exists_is_a_conflict(service: NetworkService) -> None:
    service.create_network(req("a", id="6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"))
    with pytest.raises(Conflict, match="already exists"):
        service.create_network(req("b", id="6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"))


def test_requested_id_whose_bridge_name_is_taken_in_the_kernel_is_a_conflict(service: NetworkService, backend: FakeBackend) -> None:
    backend.links.add("hns-6f3c2a1e")
    with pytest.raises(Conflict, match="bridge name hns-6f3c2a1e is already in use"):
        service.create_network(req("b", id="6f3c2a1e-0000-4000-8000-000000000000"))
    assert backend.mutations() == []


def test_generated_id_avoids_bridge_names_already_in_the_kernel(service: NetworkService, backend: FakeBackend, monkeypatch) -> None:
    candidates = iter(["aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"])
    monkeypatch.setattr(ids, "new_id", lambda: next(candidates))
    backend.links.add("hns-aaaaaaaa")
    assert service.create_network(req("a")).id == "bbbbbbbb-0000-4000-8000-000000000002"


def test_no_free_bridge_name_is_a_conflict(service: NetworkService, backend: FakeBackend, monkeypatch) -> None:
    monkeypatch.setattr(ids, "new_id", lambda: "aaaaaaaa-0000-4000-8000-000000000001")
    backend.links.add("hns-aaaaaaaa")
    with pytest.raises(Conflict, match="no free bridge name"):
        service.create_network(req("a"))


# ------------------------------------------------------------------ --if-not-exists


def test_ensure_network_returns_the_existing_one_without_touching_the_kernel(service: NetworkService, backend: FakeBackend) -> None:
    created, was_created = service.ensure_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    assert was_created
    mutations = len(backend.mutations())
    again, was_created = service.ensure_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    assert (again, was_created) == (created, False)
    again, was_created = service.ensure_network(req("web"))  # no subnet given: accept whatever it has
    assert (again, was_created) == (created, False)
    assert len(backend.mutations()) == mutations


@pytest.mark.parametrize(
    "changes", [{"type": "internal"}, {"subnets": (SubnetRequest("10.201.0.0/24"),)}, {"subnets": (SubnetRequest("10.200.0.0/24", "10.200.0.9"),)}]
)
def test_ensure_network_that_contradicts_the_existing_one_is_a_conflict(service: NetworkService, changes) -> None:
    service.create_network(req("web", subnets=(SubnetRequest("10.200.0.0/24"),)))
    with pytest.raises(Conflict) as info:
        service.ensure_network(req("web", **changes))
    assert info.value.exit_code == ExitCode.CONFLICT


# ------------------------------------------------------------------ dry-run overlay


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under root with its mtime and contents (directories: empty contents)."""
    if not root.exists():
        return {}
    snapshot = {}
    for path in [root, *root.rglob("*")]:
        stat = path.stat()
        snapshot[str(path)] = (stat.st_mtime_ns, path.read_bytes() if path.is_file() else b"")
    return snapshot


def test_dry_run_overlay_never_creates_the_state_dir(overlay: OverlayStore, backend: FakeBackend, state_dir: Path) -> None:
    service = NetworkService(overlay, backend)
    network = service.create_network(req("web"))
    assert [v.network for v in service.list_networks()] == [network]  # the same run sees its own writes
    service.delete_network("web")
    assert service.list_networks() == []
    assert not state_dir.exists()


def test_dry_run_overlay_never_writes_over_existing_state(store: Store, state_dir: Path) -> None:
    real = NetworkService(store, FakeBackend()).create_network(req("keep"))
    before = tree(state_dir)
    overlay_service = NetworkService(OverlayStore(state_dir, lock_timeout=1.0), FakeBackend())
    overlay_service.create_network(req("new"))
    overlay_service.delete_network("keep")
    assert [v.network.name for v in overlay_service.list_networks()] == ["new"]
    assert tree(state_dir) == before
    assert [v.network for v in NetworkService(store, FakeBackend()).list_networks()] == [real]


def test_dry_run_overlay_takes_no_lock(state_dir: Path) -> None:
    """A dry run must work while a real command holds the lock (and for users who cannot create it)."""
    real = Store(state_dir, lock_timeout=0.05)
    with real.lock():
        NetworkService(OverlayStore(state_dir, lock_timeout=0.05), FakeBackend()).create_network(req("x"))
    assert not (state_dir / "networks").exists()
    assert os.listdir(state_dir) == ["lock"]


def test_an_uplink_network_without_adapter_or_default_route_is_refused(service: NetworkService, backend: FakeBackend) -> None:
    with pytest.raises(InvalidInput, match="no IPv4 default route") as info:
        service.create_network(req("x", type="l2bridge"))
    assert info.value.hns_name == "HCN_E_ADAPTER_NOT_FOUND" and "--adapter" in (info.value.hint or "")
    assert backend.mutations() == []
