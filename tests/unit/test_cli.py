"""The CLI end to end in-process: argument parsing, output formats, exit codes, dry-run. No kernel changes.

Successful commands go through typer's CliRunner; failures through `main()`, the one place that turns
an HnsError into its exit code (the app itself raises), with capsys for stdout/stderr.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hnsctl.backend.kernel import KernelBackend
from hnsctl.cli.app import app, main
from hnsctl.models.network import NetworkRequest, SubnetRequest
from hnsctl.service.network import NetworkService
from hnsctl.store import Store
from tests.unit.fakes import READS, FakeBackend, protocol_methods

REPO = Path(__file__).resolve().parents[2]
# TEST-NET-2 (RFC 5737): never routed on a real host, so dry-run overlap checks against the host's routes pass.
TEST_NET = "198.51.100.0/24"


@pytest.fixture(autouse=True)
def no_kernel_changes(monkeypatch) -> None:
    """These tests may run as root: make any real kernel change fail the test instead of happening."""
    for name in protocol_methods() - READS:
        def refuse(self, *args, _name=name, **kwargs):
            raise AssertionError(f"unit test tried to change the kernel: KernelBackend.{_name}{args}")

        monkeypatch.setattr(KernelBackend, name, refuse, raising=False)


@pytest.fixture
def env_state(state_dir: Path, monkeypatch) -> Path:
    monkeypatch.setenv("HNSCTL_STATE_DIR", str(state_dir))
    return state_dir


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_main(argv: list[str], capsys, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def seed(state_dir: Path, *names: str) -> list:
    """Networks recorded in state the way `create` records them (kernel faked)."""
    service = NetworkService(Store(state_dir, lock_timeout=1.0), FakeBackend())
    return [service.create_network(NetworkRequest(name=n, subnets=(SubnetRequest(f"10.{i + 10}.0.0/24"),))) for i, n in enumerate(names)]


# ------------------------------------------------------------------ list / show


def test_network_list_on_empty_state_prints_headers_only(runner: CliRunner, env_state: Path) -> None:
    result = runner.invoke(app, ["network", "list"])
    assert result.exit_code == 0, result.output
    assert "NAME" in result.stdout and "SUBNETS" in result.stdout
    assert not env_state.exists()


def test_network_list_json_on_empty_state_is_an_empty_array(runner: CliRunner, env_state: Path) -> None:
    result = runner.invoke(app, ["network", "list", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert not env_state.exists()


def test_state_dir_flag_wins_over_the_environment(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HNSCTL_STATE_DIR", str(tmp_path / "env"))
    seed(tmp_path / "flag", "fromflag")
    result = runner.invoke(app, ["--state-dir", str(tmp_path / "flag"), "network", "list", "-q"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == 1


def test_network_list_shows_recorded_networks(runner: CliRunner, env_state: Path) -> None:
    web, db = seed(env_state, "web", "db")
    table = runner.invoke(app, ["network", "list"])
    assert table.exit_code == 0, table.output
    assert table.stdout.index("db") < table.stdout.index("web")
    assert web.id[:8] in table.stdout and "10.10.0.0/24" in table.stdout

    v1 = json.loads(runner.invoke(app, ["network", "list", "-o", "json"]).stdout)
    assert [d["Name"] for d in v1] == ["db", "web"]
    assert v1[1]["ID"] == web.id.upper() and v1[1]["Type"] == "nat"  # V1 networks print their ID upper-case, as Windows
    assert v1[1]["Subnets"][0]["AddressPrefix"] == "10.10.0.0/24"

    v2 = json.loads(runner.invoke(app, ["network", "list", "-o", "json", "--schema", "2"]).stdout)
    assert v2[0]["Type"] == "NAT" and v2[0]["SchemaVersion"]["Major"] == 2

    quiet = runner.invoke(app, ["network", "list", "-q"])
    assert quiet.stdout.split() == [db.id, web.id]


def test_network_show_by_name_prefix_and_json(runner: CliRunner, env_state: Path) -> None:
    (web,) = seed(env_state, "web")
    shown = runner.invoke(app, ["network", "show", "web"])
    assert shown.exit_code == 0, shown.output
    assert "ID:" in shown.stdout and web.id in shown.stdout
    assert "Bridge:" in shown.stdout and web.bridge_name in shown.stdout
    by_prefix = runner.invoke(app, ["network", "show", web.id[:8], "-o", "json"])
    assert json.loads(by_prefix.stdout)["Name"] == "web"


def test_network_show_missing_exits_3(env_state: Path, capsys) -> None:
    code, out, err = run_main(["network", "show", "nope"], capsys)
    assert code == 3
    assert out == ""
    assert "hnsctl: error: network 'nope' not found" in err
    assert "hint:" in err


def test_json_output_errors_are_json_on_stderr(env_state: Path, capsys) -> None:
    code, out, err = run_main(["network", "show", "nope", "-o", "json"], capsys)
    assert code == 3
    assert out == ""
    body = json.loads(err)
    assert body["Success"] is False
    assert body["ErrorName"] == "HCN_E_NETWORK_NOT_FOUND"
    assert body["ErrorCode"] == "0x803b0001"
    assert body["ExitCode"] == 3
    assert "nope" in body["Error"]


def test_table_output_errors_are_one_line_plus_hint(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "create", "a/b"], capsys)
    assert code == 2
    assert err.startswith("hnsctl: error: invalid network name 'a/b'")
    assert all(line.startswith(("hnsctl: error:", "hint:")) for line in err.splitlines())


# ------------------------------------------------------------------ create refusals


def test_create_with_a_bad_name_exits_2_and_writes_nothing(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "create", "a/b"], capsys)
    assert code == 2
    assert "invalid network name" in err
    assert not env_state.exists()


def test_create_without_a_required_flag_exits_2(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "create", "x", "--type", "overlay", "--subnet", "10.244.1.0/24"], capsys)
    assert code == 2
    assert "needs --vsid" in err
    assert not env_state.exists()


def test_create_error_as_json_names_the_hcn_error(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "create", "x", "--type", "bogus", "-o", "json"], capsys)
    assert code == 2
    body = json.loads(err)
    assert body["ErrorName"] == "HCN_E_INVALID_NETWORK_TYPE"
    assert body["ExitCode"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["network", "create", "x", "--subnet", "10.0.0.0/24", "--gateway", "10.0.0.1", "--gateway", "10.0.0.2"], "more times than --subnet"),
        (["network", "create", "x", "--subnet", "10.0.0.5/24", "--dry-run"], "did you mean 10.0.0.0/24?"),
        (["network", "create", "--dry-run"], "missing network name"),
    ],
)
def test_create_usage_errors_exit_2(env_state: Path, capsys, argv: list[str], message: str) -> None:
    code, _, err = run_main(argv, capsys)
    assert code == 2
    assert message in err


def test_gateway_without_subnet_says_it_needs_a_subnet(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "create", "x", "--gateway", "10.0.0.1"], capsys)
    assert code == 2
    assert "--gateway needs --subnet" in err


def test_click_usage_errors_exit_2(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "list", "--bogus"], capsys)
    assert code == 2
    assert "--bogus" in err


def test_interrupt_exits_130(env_state: Path, capsys, monkeypatch) -> None:
    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(NetworkService, "list_networks", interrupted)
    code, out, _ = run_main(["network", "list", "-o", "json"], capsys)
    assert code == 130
    assert out == ""


# ------------------------------------------------------------------ --json and --dry-run


def v1_document(name: str = "fromfile") -> dict:
    return {"Name": name, "Type": "NAT", "Subnets": [{"AddressPrefix": TEST_NET, "GatewayAddress": "198.51.100.1"}],
            "DNSServerList": "10.0.0.53", "Flags": 0}


def v2_document(name: str = "fromstdin") -> dict:
    return {
        "SchemaVersion": {"Major": 2, "Minor": 0}, "Name": name, "Type": "Internal",
        "Ipams": [{"Type": "Static", "Subnets": [{"IpAddressPrefix": TEST_NET,
                                                  "Routes": [{"NextHop": "198.51.100.254", "DestinationPrefix": "0.0.0.0/0"}]}]}],
    }


def test_create_from_a_json_file_with_dry_run_prints_the_plan_and_changes_nothing(runner: CliRunner, tmp_path: Path, env_state: Path) -> None:
    doc = tmp_path / "net.json"
    doc.write_text(json.dumps(v1_document()))
    result = runner.invoke(app, ["network", "create", "--json", str(doc), "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("would run:\n")
    assert "ip link add hns-" in out and "type bridge" in out
    assert "ip addr add 198.51.100.1/24 dev hns-" in out
    assert "nft commit" in out
    assert "sysctl -w net.ipv4.ip_forward=1" in out
    assert out.rstrip().endswith(f"dry run: network 'fromfile' would be created with subnet {TEST_NET}; nothing was changed")
    assert not env_state.exists()


def test_create_from_stdin_with_dry_run(runner: CliRunner, env_state: Path) -> None:
    result = runner.invoke(app, ["network", "create", "--json", "-", "--dry-run"], input=json.dumps(v2_document()))
    assert result.exit_code == 0, result.output
    assert "ip addr add 198.51.100.254/24" in result.stdout
    assert "sysctl" not in result.stdout  # internal networks are not forwarded
    assert "network 'fromstdin' would be created" in result.stdout
    assert not env_state.exists()


def test_flags_override_the_json_document(runner: CliRunner, tmp_path: Path, env_state: Path) -> None:
    doc = tmp_path / "net.json"
    doc.write_text(json.dumps(v1_document()))
    result = runner.invoke(app, ["network", "create", "renamed", "--json", str(doc), "--gateway", "198.51.100.9", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "network 'renamed' would be created" in result.stdout
    assert "ip addr add 198.51.100.9/24" in result.stdout


def test_dry_run_delete_keeps_the_state(runner: CliRunner, env_state: Path) -> None:
    (web,) = seed(env_state, "web")
    before = sorted(p.name for p in (env_state / "networks").iterdir())
    result = runner.invoke(app, ["network", "delete", "web", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"ip link del {web.bridge_name}" in result.stdout
    assert "network 'web' would be deleted" in result.stdout
    assert sorted(p.name for p in (env_state / "networks").iterdir()) == before


def test_delete_missing_exits_3_unless_if_exists(env_state: Path, capsys) -> None:
    assert run_main(["network", "delete", "nope"], capsys)[0] == 3
    assert run_main(["network", "delete", "nope", "--if-exists"], capsys)[0] == 0


def test_delete_of_several_missing_networks_reports_all(env_state: Path, capsys) -> None:
    code, _, err = run_main(["network", "delete", "nope1", "nope2"], capsys)
    assert code == 3
    assert "nope1" in err and "nope2" in err


def test_a_missing_json_file_exits_2(env_state: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = run_main(["network", "create", "--json", str(missing), "--dry-run"], capsys)
    assert code == 2
    assert f"reading --json {missing}" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"Name": "x", "Subnetz": []}', "invalid JSON field Subnetz"),
        ('{"Name": "x", "Type": "Overlay", "Subnets": [{"AddressPrefix": "10.244.1.0/24"}]}', "needs --vsid"),
    ],
)
def test_a_bad_json_file_exits_2_naming_the_problem(env_state: Path, tmp_path: Path, capsys, content: str, message: str) -> None:
    doc = tmp_path / "bad.json"
    doc.write_text(content)
    code, _, err = run_main(["network", "create", "--json", str(doc), "--dry-run"], capsys)
    assert code == 2
    assert message in err
    assert not env_state.exists()


def test_bad_json_on_stdin_exits_2_naming_standard_input(env_state: Path, capsys, monkeypatch) -> None:
    code, _, err = run_main(["network", "create", "--json", "-", "--dry-run", "-o", "json"], capsys, stdin="{", monkeypatch=monkeypatch)
    assert code == 2
    body = json.loads(err)
    assert body["ErrorName"] == "HCN_E_INVALID_JSON"
    assert "standard input" in body["Error"]


def test_version_json(runner: CliRunner) -> None:
    from hnsctl import __version__

    result = runner.invoke(app, ["version", "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["Version"] == __version__


# ------------------------------------------------------------------ unprivileged dry run

# Runs hnsctl's main() only if this process really has no capabilities, so a failed privilege drop
# can never turn the negative control below into a real `network create`.
UNPRIVILEGED_MAIN = """
import sys
from pathlib import Path
for line in Path('/proc/self/status').read_text().splitlines():
    if line.startswith('CapEff:') and int(line.split()[1], 16) != 0:
        sys.exit(99)
from hnsctl.cli.app import main
main(sys.argv[1:])
"""


def run_unprivileged(argv: list[str], state_dir: Path) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv(1) is not available to drop capabilities")
        prefix = [setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]
    env = dict(os.environ, PYTHONPATH=str(REPO), HNSCTL_STATE_DIR=str(state_dir))
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", UNPRIVILEGED_MAIN, *argv], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )
    if proc.returncode == 99:
        pytest.skip("could not get a process without capabilities here")
    return proc


def test_dry_run_works_without_any_capability(tmp_path: Path) -> None:
    """--dry-run only reads routes and links via netlink, which needs no privilege."""
    proc = run_unprivileged(["network", "create", "probe", "--subnet", TEST_NET, "--dry-run"], tmp_path / "state")
    assert proc.returncode == 0, proc.stderr
    assert "would run:" in proc.stdout
    assert "nothing was changed" in proc.stdout
    assert not (tmp_path / "state").exists()


def test_real_create_without_capability_is_refused_early(tmp_path: Path) -> None:
    """The control for the test above: without --dry-run the same process is refused before any change."""
    proc = run_unprivileged(["network", "create", "probe", "--subnet", TEST_NET], tmp_path / "state")
    assert proc.returncode == 1, proc.stderr
    assert "CAP_NET_ADMIN" in proc.stderr
    assert "--dry-run" in proc.stderr  # the hint
    assert not (tmp_path / "state" / "networks").exists()
