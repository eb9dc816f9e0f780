"""Start-up cost: read-only JSON commands must not import pyroute2 (netlink) or rich (tables)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import atexit, json, sys

def report():
    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pyroute2', 'rich'))
    sys.stderr.write('MODULES ' + json.dumps(heavy) + '\\n')

atexit.register(report)
sys.argv = ['hnsctl', *sys.argv[1:]]
from hnsctl.cli.app import main
main()
"""


def run_probe(args: list[str], state_dir: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    env = dict(os.environ, PYTHONPATH=str(REPO), HNSCTL_STATE_DIR=str(state_dir))
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, f"probe did not report (exit {proc.returncode}): {proc.stderr}"
    return proc, json.loads(lines[-1].removeprefix("MODULES "))


def test_network_list_json_imports_neither_pyroute2_nor_rich(tmp_path: Path) -> None:
    proc, heavy = run_probe(["network", "list", "-o", "json"], tmp_path / "state")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    assert heavy == []
    assert not (tmp_path / "state").exists()


def test_the_probe_would_notice_rich(tmp_path: Path) -> None:
    """Control: the table output does load rich, so an empty list above means something."""
    proc, heavy = run_probe(["network", "list"], tmp_path / "state")
    assert proc.returncode == 0, proc.stderr
    assert any(m.startswith("rich") for m in heavy)


def test_every_read_only_list_json_stays_light(tmp_path: Path) -> None:
    for group in ("endpoint", "namespace", "policy", "loadbalancer", "policylist", "route"):
        proc, heavy = run_probe([group, "list", "-o", "json"], tmp_path / "state")
        assert proc.returncode == 0, (group, proc.stderr)
        assert json.loads(proc.stdout) == [] and heavy == [], (group, heavy)
