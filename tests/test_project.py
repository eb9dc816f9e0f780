"""Project-level contracts: completions are current, CI runs the README's test command, the runbook exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_current(shell: str) -> None:
    env = dict(os.environ, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    generated = subprocess.run(
        [sys.executable, "-m", "hnsctl", "--show-completion", shell], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout
    committed = (ROOT / "completions" / f"hnsctl.{shell}").read_text()
    assert generated == committed, "run completions/generate.sh and commit the result"


def test_completion_offers_commands_and_network_names(tmp_path: Path) -> None:
    state = tmp_path / "networks"
    state.mkdir(parents=True)
    (state / "5b9c2c50-521e-4e17-b633-d603087cde6d.toml").write_text(
        'schema_version = 1\nid = "5b9c2c50-521e-4e17-b633-d603087cde6d"\nname = "demo"\ntype = "nat"\n'
        '[[subnets]]\nprefix = "10.200.0.0/24"\ngateway = "10.200.0.1"\n'
    )
    env = dict(os.environ, _HNSCTL_COMPLETE="complete_bash", HNSCTL_STATE_DIR=str(tmp_path))

    def complete(words: str) -> list[str]:
        parts = words.split(" ")
        run_env = dict(env, COMP_WORDS=words, COMP_CWORD=str(len(parts) - 1))
        out = subprocess.run([sys.executable, "-m", "hnsctl"], capture_output=True, text=True, env=run_env, cwd=ROOT).stdout
        return out.split()

    assert "network" in complete("hnsctl net")
    assert complete("hnsctl network show de") == ["demo"]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if "pytest" in line)
    assert command in readme, "the README's test command and .ci/run must be the same command"
    assert "unshare --net --mount" in command
