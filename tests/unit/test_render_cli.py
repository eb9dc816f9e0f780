"""`--columns`, `--filter` and `-o csv` on every list command, through the real CLI over a faked kernel.

The objects are made with hnsctl's own create commands; the backend is the in-memory fake, so nothing
touches the kernel and no root is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from ipaddress import ip_address
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hnsctl.cli.app import app, main
from hnsctl.cli.kinds import KINDS
from hnsctl.models.loadbalancer import LbPortMapping, LoadBalancer
from hnsctl.store import Store
from tests.unit.fakes import FakeBackend

REPO = Path(__file__).resolve().parents[2]
LISTS = {"network": "network", "endpoint": "endpoint", "namespace": "namespace", "policy": "policy",
         "loadbalancer": "loadbalancer", "route": "route"}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch) -> CliRunner:
    """A state directory with two networks, two endpoints, a namespace, an ACL, a route and a load balancer."""
    monkeypatch.setenv("HNSCTL_STATE_DIR", str(tmp_path / "state"))
    backend = FakeBackend()
    monkeypatch.setattr("hnsctl.backend.open_backend", lambda dry_run=False: backend)
    runner = CliRunner()
    for argv in (
        ["network", "create", "demo", "--subnet", "10.200.0.0/24", "--dns", "10.0.0.53"],
        ["network", "create", "lab", "--type", "internal", "--subnet", "192.168.50.0/24"],
        ["endpoint", "create", "web1", "--network", "demo", "--namespace", "web1"],
        ["endpoint", "create", "api", "--network", "lab"],
        ["policy", "add", "acl", "--endpoint", "web1", "--action", "block", "--direction", "in", "--protocol", "tcp", "--local-port", "22"],
        ["route", "create", "--endpoint", "web1", "--destination", "169.254.169.254/32"],
    ):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, (argv, result.output)
    # The fake kernel does not model load balancers: record one as `loadbalancer create` would.
    store = Store(tmp_path / "state", lock_timeout=1.0)
    backends = tuple(sorted((e for e in store.load_endpoints()), key=lambda e: e.name != "web1"))
    store.save_loadbalancer(LoadBalancer(id="7b9d0000-0000-4000-8000-000000000001", backends=tuple(e.id for e in backends),
                                         port_mappings=(LbPortMapping("tcp", 80, 80),), frontend_vips=(ip_address("10.96.0.10"),),
                                         network_id=backends[0].network_id, created_at="2025-01-01T00:00:00+00:00", sequence=1))
    return runner


def invoke(cli: CliRunner, *argv: str) -> str:
    result = cli.invoke(app, list(argv))
    assert result.exit_code == 0, (argv, result.output)
    return result.stdout


@pytest.mark.parametrize("group", list(LISTS))
def test_csv_has_the_table_headers_and_one_line_per_object(cli: CliRunner, group: str) -> None:
    kind = next(k for k in KINDS if k.columns.kind == LISTS[group])
    lines = invoke(cli, group, "list", "-o", "csv").splitlines()
    assert lines[0] == ",".join(c.header for c in kind.columns.defaults())
    assert len(lines) - 1 == len(invoke(cli, group, "list", "-q").split())
    assert len(lines) > 1


@pytest.mark.parametrize("group", list(LISTS))
def test_every_column_of_every_list_can_be_chosen_and_filtered_on(cli: CliRunner, group: str) -> None:
    kind = next(k for k in KINDS if k.columns.kind == LISTS[group])
    names = kind.columns.names()
    lines = invoke(cli, group, "list", "-o", "csv", "--columns", ",".join(n.upper() for n in names)).splitlines()
    assert lines[0].split(",") == [c.header for c in kind.columns.all]
    first = kind.columns.all[0]
    value = invoke(cli, group, "list", "-o", "csv", "--columns", first.name).splitlines()[1].strip('"')
    ids = invoke(cli, group, "list", "-q", "--filter", f"{first.name}={value}").split()
    assert 1 <= len(ids) <= len(invoke(cli, group, "list", "-q").split())


def test_filters_narrow_json_quiet_table_and_csv_alike(cli: CliRunner) -> None:
    assert [n["Name"] for n in json.loads(invoke(cli, "network", "list", "-o", "json", "--filter", "type=internal"))] == ["lab"]
    assert len(invoke(cli, "network", "list", "-q", "--filter", "type=internal").split()) == 1
    table = invoke(cli, "network", "list", "--filter", "type=internal")
    assert "lab" in table and "demo" not in table
    assert invoke(cli, "network", "list", "-o", "csv", "--filter", "type=internal", "--columns", "name") == "NAME\nlab\n"
    assert invoke(cli, "network", "list", "-o", "csv", "--filter", "type=nat", "--filter", "name=lab") == \
        "NAME,ID,TYPE,SUBNETS,GATEWAY,ENDPOINTS\n"


def test_filters_on_endpoint_namespace_policy_route_and_loadbalancer_columns(cli: CliRunner) -> None:
    assert invoke(cli, "endpoint", "list", "-o", "csv", "--filter", "network=lab", "--columns", "name,state") == "NAME,STATE\napi,created\n"
    assert invoke(cli, "endpoint", "list", "-o", "csv", "--filter", "namespace=web1", "--columns", "name") == "NAME\nweb1\n"
    assert invoke(cli, "namespace", "list", "-o", "csv", "--filter", "endpoints=web1", "--columns", "name") == "NAME\nweb1\n"
    assert invoke(cli, "policy", "list", "-o", "csv", "--filter", "type=acl", "--columns", "endpoint,type") == "ENDPOINT,TYPE\nweb1,acl\n"
    assert invoke(cli, "route", "list", "-o", "csv", "--filter", "endpoint=api", "--columns", "endpoint") == "ENDPOINT\n"
    assert invoke(cli, "loadbalancer", "list", "-o", "csv", "--filter", "backends=api", "--columns", "backends") == \
        'BACKENDS\n"web1, api"\n'
    assert invoke(cli, "policylist", "list", "-o", "csv", "--columns", "backends") == 'BACKENDS\n"web1, api"\n'


def test_an_id_filter_takes_the_start_of_the_full_id(cli: CliRunner) -> None:
    full = invoke(cli, "network", "list", "-q", "--filter", "name=demo").strip()
    assert invoke(cli, "network", "list", "-q", "--filter", f"id={full[:4].upper()}").split() == [full]
    assert invoke(cli, "network", "list", "-q", "--filter", f"id={full}").split() == [full]


def test_extra_columns_are_off_by_default(cli: CliRunner) -> None:
    table = invoke(cli, "network", "list")
    assert "BRIDGE" not in table and "10.0.0.53" not in table
    assert invoke(cli, "network", "list", "-o", "csv", "--columns", "name,dns", "--filter", "name=demo") == "NAME,DNS\ndemo,10.0.0.53\n"


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("group", list(LISTS))
def test_unknown_columns_and_filter_keys_exit_2_listing_the_valid_ones(cli: CliRunner, capsys, group: str) -> None:
    kind = next(k for k in KINDS if k.columns.kind == LISTS[group])
    valid = ", ".join(kind.columns.names())
    code, out, err = run_main([group, "list", "--columns", "id,bogus"], capsys)
    assert (code, out) == (2, "") and "no column 'bogus'" in err and valid in err
    code, out, err = run_main([group, "list", "--filter", "Bogus=1", "-o", "json"], capsys)
    assert (code, out) == (2, "")
    body = json.loads(err)
    assert "no column 'Bogus'" in body["Error"] and valid in body["Error"] and body["ExitCode"] == 2
    code, _, err = run_main([group, "list", "--filter", "name"], capsys)
    assert code == 2 and "expected KEY=VALUE" in err


def test_csv_is_only_for_lists(capsys) -> None:
    code, _, err = run_main(["version", "-o", "csv"], capsys)
    assert code == 2 and "csv" in err


PROBE = """
import sys
sys.argv = ['hnsctl', *sys.argv[1:]]
from hnsctl.cli.app import main
try:
    main()
finally:
    sys.stderr.write('GROUPS ' + ' '.join(sorted(m for m in sys.modules if m.startswith('hnsctl.cli.'))) + '\\n')
"""


def test_only_the_group_a_command_names_is_imported(tmp_path: Path) -> None:
    """The root group loads command groups through click's get_command, on demand, not by scanning argv."""
    env = {"PYTHONPATH": str(REPO), "HNSCTL_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", PROBE, "--lock-timeout", "3", "network", "list", "-o", "json"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stderr.split("GROUPS ", 1)[1].split()
    assert "hnsctl.cli.network" in loaded
    assert not {"hnsctl.cli.endpoint", "hnsctl.cli.namespace", "hnsctl.cli.policy", "hnsctl.cli.loadbalancer",
                "hnsctl.cli.route"} & set(loaded), loaded


def test_a_mistyped_group_is_suggested_although_it_was_never_loaded(capsys) -> None:
    code, _, err = run_main(["netwrk", "list"], capsys)
    assert code == 2 and "Did you mean 'network'?" in err


def test_the_cli_package_has_no_import_cycle() -> None:
    """endpoint <-> policy used to import each other; every module of hnsctl.cli now imports only downwards."""
    import ast

    cli_dir = REPO / "hnsctl" / "cli"
    graph: dict[str, set[str]] = {}
    for path in cli_dir.glob("*.py"):
        name = f"hnsctl.cli.{path.stem}"
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hnsctl.cli"):
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                graph[name] |= {t for t in targets if (cli_dir / f"{t.rsplit('.', 1)[-1]}.py").exists() and t.count(".") == 2}
    seen: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " -> ".join((*path, module))
        if module in seen:
            return
        for target in graph.get(module, ()):
            visit(target, (*path, module))
        seen.add(module)

    for module in graph:
        visit(module, ())
