"""End-to-end fixtures: the installed `hnsctl` run inside a namespace shaped like a real host.

The host namespace has an uplink `eth0` (192.0.2.10/24) whose peer lives in an `upstream`
namespace (192.0.2.1, the default gateway), so the first command a newcomer types on a real
machine — `hnsctl network create nat` — is exercised with a default route and a connected route.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.kernel import delete_namespace, ip, new_namespace, nsexec

UPLINK_ADDRESS = "192.0.2.10"
UPSTREAM_ADDRESS = "192.0.2.1"


def hnsctl_executable() -> str:
    """The installed console script (the README installs it next to the interpreter running pytest)."""
    candidate = Path(sys.executable).parent / "hnsctl"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("hnsctl")
    if not found:
        pytest.fail("the hnsctl command is not installed; run the README's install step (pip install .)")
    return found


@dataclass
class Host:
    """A simulated container host: its namespace, its upstream router, and its hnsctl state dir."""

    name: str
    upstream: str
    state_dir: Path
    extra_namespaces: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HNSCTL_STATE_DIR"] = str(self.state_dir)
        env["PATH"] = f"{Path(hnsctl_executable()).parent}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def hnsctl(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return nsexec(self.name, hnsctl_executable(), *args, env=self.env(), input=input)

    def ok(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = self.hnsctl(*args, input=input)
        assert result.returncode == 0, f"hnsctl {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> object:
        return json.loads(self.ok(*args, "-o", "json").stdout)

    def ip_json(self, *args: str) -> list[dict]:
        out = ip("-j", *args, netns=self.name).stdout
        return json.loads(out) if out.strip() else []

    def links(self) -> dict[str, dict]:
        return {link["ifname"]: link for link in self.ip_json("-d", "link", "show")}

    def nft(self, *args: str) -> subprocess.CompletedProcess[str]:
        return nsexec(self.name, "nft", *args)

    def namespace(self, prefix: str) -> str:
        name = new_namespace(prefix)
        self.extra_namespaces.append(name)
        return name


def named_namespaces() -> set[str]:
    try:
        return {p.name for p in Path("/run/netns").iterdir()}
    except FileNotFoundError:
        return set()


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    before = named_namespaces()
    name = new_namespace("host")
    upstream = new_namespace("up")
    h = Host(name, upstream, tmp_path / "state")
    try:
        ip("link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", "wan0", "netns", upstream)
        ip("addr", "add", f"{UPLINK_ADDRESS}/24", "dev", "eth0", netns=name)
        ip("link", "set", "eth0", "up", netns=name)
        ip("route", "add", "default", "via", UPSTREAM_ADDRESS, netns=name)
        ip("addr", "add", f"{UPSTREAM_ADDRESS}/24", "dev", "wan0", netns=upstream)
        ip("link", "set", "wan0", "up", netns=upstream)
        yield h
    finally:
        # everything made during the test: by the test itself or by hnsctl (namespace create / attach)
        for leftover in named_namespaces() - before:
            delete_namespace(leftover)
        subprocess.run(["sh", "-c", "rm -rf /etc/netns/*"], check=False)
