"""store/ hardening: nothing in the state tree is used through a link, subdirectories are checked like the
state directory, a regular file as --state-dir is one line and exit 7, and the lock holder sweeps the temp
files a killed writer left. Every test works in tmp_path; none needs root (one needs it to chown)."""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from pathlib import Path

import pytest

from hnsctl.backend.kernel import KernelBackend
from hnsctl.cli.app import main
from hnsctl.errors import CorruptState, ExitCode
from hnsctl.models.network import Network, NetworkType, Subnet
from hnsctl.store import Store
from hnsctl.store.atomic import temp_path, write_atomic
from hnsctl.store.lock import StateLock, lock_holder, read_holder
from tests.unit.fakes import READS, protocol_methods

NET_ID = "6f3c2a1e-1b2c-4d5e-8f90-0123456789ab"
OTHER_ID = "0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3"
NETWORK = Network(
    id=NET_ID, name="web", type=NetworkType.NAT,
    subnets=(Subnet(ipaddress.ip_network("10.200.0.0/24"), ipaddress.ip_address("10.200.0.1")),),
)
SUBDIRS = ["networks", "endpoints", "namespaces", "policies", "loadbalancers", "intents", "cache"]
TEST_NET = "198.51.100.0/24"  # TEST-NET-2: never routed on a real host


@pytest.fixture(autouse=True)
def no_kernel_changes(monkeypatch) -> None:
    """The CLI tests may run as root: any real kernel change fails the test instead of happening."""
    for name in protocol_methods() - READS:
        def refuse(self, *args, _name=name, **kwargs):
            raise AssertionError(f"unit test tried to change the kernel: KernelBackend.{_name}{args}")

        monkeypatch.setattr(KernelBackend, name, refuse, raising=False)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state directory holding one network, written the way a mutation writes it, and its read cache."""
    root = tmp_path / "state"
    store = Store(root, lock_timeout=1.0)
    with store.lock():
        store.save_network(NETWORK)
    assert Store(root, lock_timeout=1.0).load_networks() == [NETWORK]  # fills cache/networks.json
    return root


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the state that a link points at: it must come out of every test byte-for-byte intact."""
    path = tmp_path / "victim.txt"
    path.write_bytes(b"4242\nprecious, not hnsctl's\n")
    os.chmod(path, 0o644)
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def dead_pid() -> int:
    """A pid no process can have (above pid_max)."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """The console entry point: an HnsError becomes SystemExit(code); anything else propagates (a traceback)."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def refuses(store: Store, action: str) -> CorruptState:
    """Run a read or a locked mutation and return the CorruptState it must raise."""
    with pytest.raises(CorruptState) as info:
        if action == "read":
            store.load_networks()
        else:
            with store.lock():
                store.save_network(NETWORK)
    assert info.value.exit_code == ExitCode.CORRUPT_STATE == 7
    assert "\n" not in info.value.message
    return info.value


# ------------------------------------------------------------------ the lock


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_is_unchanged(state: Path, victim: Path) -> None:
    lock = state / "lock"
    lock.unlink()
    lock.symlink_to(victim)
    before = victim.read_bytes()
    error = refuses(Store(state, lock_timeout=1.0), "lock")
    assert error.message == f"using state lock {lock}: it is a symbolic link; hnsctl never follows links in its state"
    assert victim.read_bytes() == before
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert lock.is_symlink()


def test_the_lock_itself_refuses_a_link_even_when_the_store_did_not_look_first(tmp_path: Path, victim: Path) -> None:
    lock = tmp_path / "lock"
    lock.symlink_to(victim)
    before = victim.read_bytes()
    with pytest.raises(CorruptState, match="symbolic link"):
        StateLock(lock, timeout=0.5).acquire()
    assert victim.read_bytes() == before
    assert read_holder(lock) is None  # the pid-looking content of the target is not read either
    assert lock_holder(lock) is None


def test_a_dangling_lock_link_creates_nothing_where_it_points(tmp_path: Path) -> None:
    root = tmp_path / "state"
    root.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    (root / "lock").symlink_to(target)
    refuses(Store(root, lock_timeout=1.0), "lock")
    assert not target.exists()


def test_a_lock_that_is_a_directory_is_exit_7(state: Path) -> None:
    (state / "lock").unlink()
    (state / "lock").mkdir()
    error = refuses(Store(state, lock_timeout=1.0), "lock")
    assert str(state / "lock") in error.message and "not a regular file" in error.message


# ------------------------------------------------------------------ links in the tree


@pytest.mark.parametrize("action", ["read", "lock"])
@pytest.mark.parametrize("name", SUBDIRS)
def test_a_symlinked_subdirectory_is_refused_and_nothing_is_touched_through_it(
    state: Path, tmp_path: Path, name: str, action: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o700)
    (outside / f"{OTHER_ID}.toml").write_text((state / "networks" / f"{NET_ID}.toml").read_text().replace(NET_ID, OTHER_ID))
    (outside / f".{OTHER_ID}.toml.{dead_pid()}.tmp").write_text("looks like a leftover")
    (outside / f".networks.json.{dead_pid()}.tmp").write_text("{}")
    before = snapshot(outside)
    subdir = state / name
    if subdir.exists():
        for child in subdir.iterdir():
            child.unlink()
        subdir.rmdir()
    subdir.symlink_to(outside, target_is_directory=True)
    error = refuses(Store(state, lock_timeout=1.0), action)
    assert error.message == f"using state subdirectory {subdir}: it is a symbolic link; hnsctl never follows links in its state"
    assert snapshot(outside) == before


def test_a_symlinked_generation_file_is_refused_and_not_rewritten(state: Path, victim: Path) -> None:
    generation = state / "generation"
    generation.unlink()
    generation.symlink_to(victim)
    before = victim.read_bytes()
    for action in ("read", "lock"):
        error = refuses(Store(state, lock_timeout=1.0), action)
        assert error.message.startswith(f"using state file {generation}: it is a symbolic link")
    assert victim.read_bytes() == before


def test_a_symlinked_cache_file_is_refused_and_not_rewritten(state: Path, tmp_path: Path) -> None:
    cache = state / "cache" / "networks.json"
    outside = tmp_path / "outside.json"
    outside.write_bytes(cache.read_bytes())
    before = outside.read_bytes()
    json.loads(before)  # a real cache, so only the link makes it wrong
    cache.unlink()
    cache.symlink_to(outside)
    for action in ("read", "lock"):
        error = refuses(Store(state, lock_timeout=1.0), action)
        assert error.message.startswith(f"using cache file {cache}: it is a symbolic link")
    assert outside.read_bytes() == before


def test_a_record_swapped_for_a_link_to_itself_is_refused_even_on_a_cache_hit(state: Path, tmp_path: Path) -> None:
    """The moved file keeps its inode, mtime and size; the cache must not vouch for it through the link."""
    record = state / "networks" / f"{NET_ID}.toml"
    moved = tmp_path / "moved.toml"
    os.rename(record, moved)
    record.symlink_to(moved)
    with pytest.raises(CorruptState, match="symbolic link") as info:
        Store(state, lock_timeout=1.0).load_networks()
    assert str(record) in info.value.message


def test_a_temp_name_that_is_a_link_is_refused_not_written_through(tmp_path: Path, victim: Path) -> None:
    target = tmp_path / "x.toml"
    temp_path(target).symlink_to(victim)
    before = victim.read_bytes()
    with pytest.raises(CorruptState, match="symbolic link"):
        write_atomic(target, b"new = 1\n")
    assert victim.read_bytes() == before
    assert not target.exists()


def test_the_state_directory_itself_may_still_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    store = Store(link, lock_timeout=1.0)
    with store.lock():
        store.save_network(NETWORK)
    assert Store(link, lock_timeout=1.0).load_networks() == [NETWORK]
    assert (real / "networks" / f"{NET_ID}.toml").is_file()


# ------------------------------------------------------------------ subdirectory owner and mode


@pytest.mark.parametrize("action", ["read", "lock"])
@pytest.mark.parametrize("name", SUBDIRS)
def test_a_group_or_other_writable_subdirectory_is_refused_naming_it_and_the_fix(
    state: Path, name: str, action: str
) -> None:
    subdir = state / name
    subdir.mkdir(mode=0o700, exist_ok=True)
    os.chmod(subdir, 0o770 if name != "cache" else 0o702)
    before = snapshot(subdir)
    error = refuses(Store(state, lock_timeout=1.0), action)
    assert error.message.startswith(f"using state subdirectory {subdir}: it is writable by other users (mode 7")
    assert error.hint == f"chmod 700 {subdir}"
    assert snapshot(subdir) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_a_subdirectory_owned_by_someone_else_is_refused(state: Path) -> None:
    subdir = state / "endpoints"
    subdir.mkdir(mode=0o700)
    os.chown(subdir, 65534, 65534)
    error = refuses(Store(state, lock_timeout=1.0), "read")
    assert error.message == f"using state subdirectory {subdir}: it belongs to uid 65534, not to this user or root"
    assert error.hint and f"chmod 700 {subdir}" in error.hint


def test_a_subdirectory_that_is_a_regular_file_is_refused(state: Path) -> None:
    (state / "policies").write_text("not a directory")
    error = refuses(Store(state, lock_timeout=1.0), "lock")
    assert error.message == f"using state subdirectory {state / 'policies'}: it is not a directory"


def test_the_cli_names_the_shared_subdirectory_and_the_chmod(state: Path, capsys) -> None:
    os.chmod(state / "networks", 0o775)
    code, out, err = run_main(["--state-dir", str(state), "network", "list"], capsys)
    assert code == 7
    assert out == ""
    assert err.splitlines() == [
        f"hnsctl: error: using state subdirectory {state / 'networks'}: it is writable by other users (mode 775)",
        f"hint: chmod 700 {state / 'networks'}",
    ]


# ------------------------------------------------------------------ a regular file as --state-dir

COMMANDS = {
    "network-list": ["network", "list"],
    "endpoint-list": ["endpoint", "list"],
    "network-create": ["network", "create", "probe", "--subnet", TEST_NET],
    "network-create-dry-run": ["network", "create", "probe", "--subnet", TEST_NET, "--dry-run"],
    "network-delete": ["network", "delete", "nosuch"],
}


@pytest.mark.parametrize("via", ["flag", "env"])
@pytest.mark.parametrize("argv", list(COMMANDS.values()), ids=list(COMMANDS))
def test_a_regular_file_as_state_dir_is_one_line_and_exit_7(
    tmp_path: Path, capsys, monkeypatch, argv: list[str], via: str
) -> None:
    path = tmp_path / "not-a-dir"
    path.write_bytes(b"someone's file\n")
    if via == "flag":
        argv = ["--state-dir", str(path), *argv]
    else:
        monkeypatch.setenv("HNSCTL_STATE_DIR", str(path))
    code, _, err = run_main(argv, capsys)
    assert code == ExitCode.CORRUPT_STATE == 7
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"hnsctl: error: using state directory {path}: it is not a directory"
    assert all(line.startswith("hint:") for line in lines[1:]) and len(lines) <= 2
    assert path.read_bytes() == b"someone's file\n"


def test_a_state_dir_below_a_regular_file_is_one_line_too(tmp_path: Path, capsys) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    for argv in (["network", "list"], ["network", "delete", "nosuch"]):
        code, _, err = run_main(["--state-dir", str(path / "sub"), *argv], capsys)
        assert code == 7
        assert err.splitlines()[0] == (
            f"hnsctl: error: using state directory {path / 'sub'}: a component of the path is not a directory"
        )


# ------------------------------------------------------------------ leftover temp files


def test_the_lock_holder_removes_leftover_temp_files_and_nothing_else(state: Path, tmp_path: Path, victim: Path) -> None:
    dead = dead_pid()
    leftovers = [
        state / "networks" / f".{NET_ID}.toml.{dead}.tmp",
        state / "networks" / f".{OTHER_ID}.toml.{os.getpid()}.tmp",
        state / "cache" / f".networks.json.{dead}.tmp",
        state / f".generation.{dead}.tmp",
    ]
    (state / "intents").mkdir(mode=0o700)
    leftovers.append(state / "intents" / f".{OTHER_ID}.toml.1.tmp")  # records: the lock holder is the only writer
    kept = [
        state / "networks" / "README",
        state / "networks" / ".notes.tmp",
        state / "networks" / f"{NET_ID}.toml.{dead}.tmp",
        state / "networks" / f".{NET_ID}.toml.{dead}.tmp.bak",
        state / "cache" / ".endpoints.json.1.tmp",  # pid 1 is alive: a lock-free reader may be mid-write
        state / f".{NET_ID}.toml.{dead}.tmp",  # a record temp name, but not in a record directory
        state / f"generation.{dead}.tmp",
    ]
    (state / "other").mkdir(mode=0o700)
    kept.append(state / "other" / f".{NET_ID}.toml.{dead}.tmp")  # not one of hnsctl's directories
    for path in leftovers + kept:
        path.write_text("half-written")
    link = state / "networks" / f".{OTHER_ID}.toml.{dead}.tmp"
    link.symlink_to(victim)
    before = victim.read_bytes()

    reader = Store(state, lock_timeout=1.0)
    assert reader.load_networks() == [NETWORK]
    assert all(path.exists() for path in leftovers)  # reads take no lock and remove nothing

    store = Store(state, lock_timeout=1.0)
    with store.lock():
        assert [path for path in leftovers if path.exists()] == []
        store.save_network(NETWORK)
    assert [path for path in kept if not path.exists()] == []
    assert link.is_symlink() and victim.read_bytes() == before
    assert Store(state, lock_timeout=1.0).load_networks() == [NETWORK]


def test_leftovers_go_through_the_cli_mutation_path_too(state: Path, capsys) -> None:
    leftover = state / "networks" / f".{NET_ID}.toml.{dead_pid()}.tmp"
    leftover.write_text("half")
    code, _, err = run_main(["--state-dir", str(state), "network", "delete", "nosuch"], capsys)
    assert code == ExitCode.NOT_FOUND, err  # took the lock, found nothing to delete
    assert not leftover.exists()


def test_a_dry_run_removes_no_leftovers(state: Path, capsys) -> None:
    leftover = state / "networks" / f".{NET_ID}.toml.{dead_pid()}.tmp"
    leftover.write_text("half")
    code, _, err = run_main(["--state-dir", str(state), "network", "delete", "web", "--dry-run"], capsys)
    assert code == 0, err
    assert leftover.exists()


def test_a_shared_state_root_is_exit_7_like_its_subdirectories(state: Path, capsys) -> None:
    os.chmod(state, 0o777)
    code, out, err = run_main(["--state-dir", str(state), "network", "list"], capsys)
    assert (code, out) == (7, "") and "it is writable by other users (mode 777)" in err.splitlines()[0]


def test_doctor_reports_a_symlinked_lock_instead_of_calling_it_free(state: Path, tmp_path: Path) -> None:
    from hnsctl.store.lock import lock_holder, lock_problem

    target = tmp_path / "precious"
    target.write_text("keep me")
    (state / "lock").unlink(missing_ok=True)
    (state / "lock").symlink_to(target)
    assert lock_holder(state / "lock") is None  # never opened through the link...
    problem = lock_problem(state / "lock")
    assert problem is not None and "symbolic link" in problem  # ...and named as what it is
    assert target.read_text() == "keep me"
    assert lock_problem(tmp_path / "absent") is None
