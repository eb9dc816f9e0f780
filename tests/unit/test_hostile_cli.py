"""Hostile input: generated arguments and documents never crash hnsctl, never leave the documented exit
codes, and never change the state directory (every call here is read-only or a dry run)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hnsctl.cli.app import main

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7}

nasty_text = st.one_of(
    st.text(min_size=0, max_size=80),
    st.sampled_from(["../../etc/passwd", "/", "..", ".", "a/b", "Any", "*", "-1", "99999999999999999999", "1e309",
                     "10.0.0.0/33", "::/129", "10.0.0.1/8", "0x10", "nat\n", "ñåmé", "\u202e", "a" * 300, "--help"]),
    st.integers(-(2**70), 2**70).map(str),
)

json_documents = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["{", "[]", "null", "1", '"x"', '{"Name": 5}', '{"Name": "x", "Subnets": "10.0.0.0/24"}',
                     '{"Name": "x", "Type": 99}', '{"Name": "x", "Flags": -1}', '{"SchemaVersion": {"Major": 2}, "Ipams": 3}',
                     '{"Name": "x", "Subnets": [{"AddressPrefix": "10.0.0.0/24", "GatewayAddress": "1.1.1.1"}]}',
                     '{"Type": "ACL", "Settings": {"Action": "Block", "Direction": "Sideways"}}',
                     '{"Name": "../x", "IPAddress": "10.0.0.999"}']),
)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "cache" not in p.parts}


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> tuple[int, str]:
    old_stdin = os.sys.stdin  # type: ignore[attr-defined]
    os.sys.stdin = io.StringIO(stdin)  # type: ignore[attr-defined]
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.sys.stdin = old_stdin  # type: ignore[attr-defined]
    return code, capsys.readouterr().err


@pytest.fixture
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "state"
    root.mkdir(mode=0o700)
    return root


COMMANDS = [
    lambda s, v: ["network", "create", v, "--dry-run"],
    lambda s, v: ["network", "create", "x", "--subnet", v, "--dry-run"],
    lambda s, v: ["network", "create", "x", "--subnet", "10.250.0.0/24", "--gateway", v, "--dry-run"],
    lambda s, v: ["network", "create", "x", "--type", v, "--dry-run"],
    lambda s, v: ["network", "create", "x", "--dns", v, "--dns-suffix", v, "--dry-run"],
    lambda s, v: ["network", "show", v],
    lambda s, v: ["network", "delete", v, "--dry-run"],
    lambda s, v: ["endpoint", "show", v],
    lambda s, v: ["endpoint", "create", v, "--network", v, "--ip", v, "--mac", v, "--dry-run"],
    lambda s, v: ["namespace", "create", v, "--dry-run"],
    lambda s, v: ["policy", "add", v, "--endpoint", v, "--dry-run"],
    lambda s, v: ["policy", "add", "portmapping", "--endpoint", "x", "--external-port", v, "--internal-port", v, "--dry-run"],
    lambda s, v: ["policy", "add", "acl", "--endpoint", "x", "--action", v, "--direction", v, "--local-port", v, "--dry-run"],
    lambda s, v: ["policy", "show", v],
    lambda s, v: ["network", "list", "-o", v],
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(COMMANDS) - 1), nasty_text)
def test_generated_arguments(state: Path, capsys: pytest.CaptureFixture[str], which: int, value: str) -> None:
    if "\x00" in value:
        value = value.replace("\x00", "")  # argv cannot carry NUL
    before = snapshot(state)
    code, err = run(["--state-dir", str(state), *COMMANDS[which](state, value)], capsys)
    assert code in DOCUMENTED, (code, err)
    assert "Traceback" not in err
    assert snapshot(state) == before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["network", "endpoint", "policy"]), json_documents, st.booleans())
def test_generated_json_documents(state: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
                                  kind: str, document: str, from_stdin: bool) -> None:
    before = snapshot(state)
    source = "-"
    if not from_stdin:
        source = str(tmp_path_factory.mktemp("doc") / "doc.json")
        Path(source).write_text(document)
    extra = ["acl", "--endpoint", "x"] if kind == "policy" else []
    verb = "add" if kind == "policy" else "create"
    code, err = run(["--state-dir", str(state), kind, verb, *extra, "--json", source, "--dry-run"], capsys, stdin=document)
    assert code in DOCUMENTED, (code, err)
    assert "Traceback" not in err
    assert snapshot(state) == before


def test_a_corrupt_state_file_is_reported_not_crashed(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (state / "networks").mkdir(mode=0o700)
    for content in ("\x00\xff garbage", "schema_version = 99\nid = 'x'", 'schema_version = 1\nid = "00000000-0000-4000-8000-000000000000"'):
        (state / "networks" / "00000000-0000-4000-8000-000000000000.toml").write_bytes(content.encode("utf-8", "surrogateescape"))
        code, err = run(["--state-dir", str(state), "network", "list"], capsys)
        assert code == 7 and "00000000-0000-4000-8000-000000000000.toml" in err and "Traceback" not in err
