"""store/: atomic owner-only files, strict decoding with the path in every error, the state lock."""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tomli_w

from hnsctl.errors import CorruptState, ExitCode, StateLocked
from hnsctl.models.network import Network, NetworkType, Subnet
from hnsctl.models.networkcodec import network_to_record
from hnsctl.store import Store, atomic
from hnsctl.store.atomic import ensure_private_dir, remove_durably, write_atomic
from hnsctl.store.lock import StateLock, read_holder

NET_ID = "6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"
NETWORK = Network(
    id=NET_ID, name="web", type=NetworkType.NAT,
    subnets=(Subnet(ipaddress.ip_network("10.200.0.0/24"), ipaddress.ip_address("10.200.0.1")),),
)
REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ atomic writes


def test_write_atomic_creates_an_owner_only_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    write_atomic(target, b"a = 1\n")
    assert target.read_bytes() == b"a = 1\n"
    assert mode(target) == 0o600
    assert os.listdir(tmp_path) == ["x.toml"]


def test_write_atomic_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "x.toml"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600
    assert os.listdir(tmp_path) == ["x.toml"]


def test_write_atomic_failure_keeps_the_old_file_and_removes_the_temp_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "x.toml"
    target.write_bytes(b"old")

    def broken_replace(src, dst) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.toml"]


def test_ensure_private_dir_creates_0700_and_leaves_an_existing_dir_alone(tmp_path: Path) -> None:
    """`--state-dir /tmp` must never chmod /tmp: only directories hnsctl creates get 0700."""
    fresh = tmp_path / "a"
    ensure_private_dir(fresh)
    assert mode(fresh) == 0o700
    shared = tmp_path / "b"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o1777)
    ensure_private_dir(shared)
    assert mode(shared) == 0o1777


def test_ensure_private_dir_ignores_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ensure_private_dir(tmp_path / "c")
    finally:
        os.umask(old)
    assert mode(tmp_path / "c") == 0o700


def test_remove_durably_tolerates_a_missing_file(tmp_path: Path) -> None:
    remove_durably(tmp_path / "nope.toml")
    (tmp_path / "x").write_text("1")
    remove_durably(tmp_path / "x")
    assert os.listdir(tmp_path) == []


def test_store_files_are_0600_and_dirs_0700(store: Store, state_dir: Path) -> None:
    with store.lock():
        store.save_network(NETWORK)
    assert mode(state_dir) == 0o700
    assert mode(state_dir / "networks") == 0o700
    assert mode(state_dir / "networks" / f"{NET_ID}.toml") == 0o600
    assert mode(state_dir / "lock") == 0o600
    assert sorted(p.name for p in (state_dir / "networks").iterdir()) == [f"{NET_ID}.toml"]


def test_store_round_trips_a_network_and_removes_it(store: Store, state_dir: Path) -> None:
    with store.lock():
        store.save_network(NETWORK)
    assert store.load_networks() == [NETWORK]
    with store.lock():
        store.remove_network(NET_ID)
        store.remove_network(NET_ID)  # idempotent
    assert store.load_networks() == []


# ------------------------------------------------------------------ reads


def test_reading_a_missing_state_dir_returns_nothing_and_creates_nothing(state_dir: Path) -> None:
    store = Store(state_dir, lock_timeout=1.0)
    assert store.load_networks() == []
    assert not state_dir.exists()


def test_reads_ignore_temp_and_foreign_files(store: Store, state_dir: Path) -> None:
    with store.lock():
        store.save_network(NETWORK)
    (state_dir / "networks" / f".{NET_ID}.toml.123.tmp").write_text("garbage")
    (state_dir / "networks" / "README").write_text("notes")
    assert store.load_networks() == [NETWORK]


def write_record(state_dir: Path, name: str, text: str) -> Path:
    directory = state_dir / "networks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text",
    ['schema_version = 1\nid = "unterminated\n', "= 1\n", "[[subnets]\n", "\xff\xfe"],
    ids=["unterminated-string", "missing-key", "bad-table", "not-utf8"],
)
def test_corrupt_toml_is_corrupt_state_naming_the_file(store: Store, state_dir: Path, text: str) -> None:
    path = write_record(state_dir, f"{NET_ID}.toml", "")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CorruptState) as info:
        store.load_networks()
    assert info.value.exit_code == ExitCode.CORRUPT_STATE == 7
    assert str(path) in info.value.message
    assert "not valid TOML" in info.value.message


def test_a_record_whose_id_does_not_match_its_file_name_is_corrupt(store: Store, state_dir: Path) -> None:
    path = write_record(state_dir, "00000000-0000-4000-8000-000000000000.toml", tomli_w.dumps(network_to_record(NETWORK)))
    with pytest.raises(CorruptState) as info:
        store.load_networks()
    assert info.value.exit_code == ExitCode.CORRUPT_STATE
    assert str(path) in info.value.message
    assert "does not match the file name" in info.value.message


def test_a_newer_schema_version_is_corrupt_state_asking_for_an_upgrade(store: Store, state_dir: Path) -> None:
    record = network_to_record(NETWORK) | {"schema_version": 2}
    path = write_record(state_dir, f"{NET_ID}.toml", tomli_w.dumps(record))
    with pytest.raises(CorruptState) as info:
        store.load_networks()
    assert info.value.exit_code == ExitCode.CORRUPT_STATE
    assert str(path) in info.value.message
    assert "upgrade hnsctl" in info.value.message
    assert "never overwrites" in (info.value.hint or "")


def test_an_undecodable_record_is_corrupt_state(store: Store, state_dir: Path) -> None:
    record = network_to_record(NETWORK) | {"type": "bridge"}
    path = write_record(state_dir, f"{NET_ID}.toml", tomli_w.dumps(record))
    with pytest.raises(CorruptState, match=re.escape(str(path))):
        store.load_networks()


# ------------------------------------------------------------------ lock

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from hnsctl.store.lock import StateLock

    with StateLock(Path(sys.argv[1]), timeout=5):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the test closes our stdin
    """
)


@pytest.fixture
def lock_holder(tmp_path: Path):
    """Another process holding the state lock until the test is done with it."""
    lock_path = tmp_path / "lock"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        yield lock_path, child
    finally:
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=10)


def test_second_lock_times_out_with_state_locked_naming_the_holder(lock_holder) -> None:
    lock_path, child = lock_holder
    assert read_holder(lock_path) == child.pid
    with pytest.raises(StateLocked) as info:
        StateLock(lock_path, timeout=0.2).acquire()
    assert info.value.exit_code == ExitCode.LOCKED == 6
    assert f"process {child.pid}" in info.value.message
    assert str(lock_path) in info.value.message
    assert "--lock-timeout" in (info.value.hint or "")


def test_lock_is_free_again_once_the_holder_exits(lock_holder) -> None:
    lock_path, child = lock_holder
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=10)
    with StateLock(lock_path, timeout=2) as lock:
        assert read_holder(lock_path) == os.getpid()
    assert lock.path.read_text() == ""  # released: holder pid cleared


def test_store_lock_through_the_store_api_times_out_too(tmp_path: Path, lock_holder) -> None:
    lock_path, child = lock_holder
    store = Store(lock_path.parent, lock_timeout=0.1)
    with pytest.raises(StateLocked, match=f"process {child.pid}"):
        with store.lock():
            pass


def test_read_holder_without_a_pid() -> None:
    assert read_holder(Path("/nonexistent/lock")) is None


def test_lock_is_reentrant_across_sequential_uses(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    for _ in range(3):
        with StateLock(path, timeout=0.5):
            assert read_holder(path) == os.getpid()
    assert mode(path) == 0o600
