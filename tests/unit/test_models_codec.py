"""models/networkcodec.py and codec.py: Network <-> TOML record. Strict: a record that does not decode is corrupt."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.models.codec import SCHEMA_VERSION, CodecError
from hnsctl.models.network import Network
from hnsctl.models.networkcodec import network_from_record, network_to_record
from tests.unit.strategies import networks


def through_toml(record: dict[str, Any]) -> dict[str, Any]:
    return tomllib.loads(tomli_w.dumps(record))


@given(networks())
def test_network_survives_record_and_toml_round_trip(network: Network) -> None:
    assert network_from_record(through_toml(network_to_record(network))) == network


@given(networks(), st.tuples(st.integers(0, 2**31), st.integers(0, 2**31)))
def test_the_documents_schema_version_survives_the_record(network: Network, schema: tuple[int, int]) -> None:
    network = dataclasses.replace(network, hns_schema=schema)
    record = through_toml(network_to_record(network))
    assert record["hns_schema"] == list(schema)
    assert network_from_record(record) == network


def test_a_record_without_the_schema_version_is_a_network_made_from_flags() -> None:
    """Records written before the field existed (and of networks made from flags) have none: they decode to None."""
    network = network_from_record(valid_record())
    assert network.hns_schema is None
    assert "hns_schema" not in network_to_record(network)


@pytest.mark.parametrize("schema", [[2], [2, 0, 1], [-1, 0], [2, "0"], [True, 0], [2.0, 0], "2.0", {"major": 2, "minor": 0}, 2])
def test_a_bad_schema_version_in_a_record_is_a_codec_error(schema: Any) -> None:
    with pytest.raises(CodecError, match="hns_schema"):
        network_from_record(valid_record(hns_schema=schema))


def valid_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": "6f3c2a1e-0000-4000-8000-000000000001",
        "name": "demo",
        "type": "nat",
        "flags": 0,
        "dns_servers": ["10.0.0.53"],
        "dns_suffix": "corp.example.com",
        "created_at": "2024-01-01T00:00:00+00:00",
        "subnets": [{"prefix": "10.200.0.0/24", "gateway": "10.200.0.1"}],
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not DROP}


DROP = object()


def test_record_layout_is_the_documented_one() -> None:
    network = network_from_record(valid_record())
    assert network_to_record(network) == valid_record()


def test_optional_fields_default_when_absent() -> None:
    network = network_from_record(valid_record(flags=DROP, dns_servers=DROP, dns_suffix=DROP, created_at=DROP, subnets=DROP))
    assert (network.flags, network.dns_servers, network.dns_suffix, network.created_at, network.subnets) == (0, (), "", "", ())


def test_a_subnet_without_gateway_decodes_to_none() -> None:
    network = network_from_record(valid_record(subnets=[{"prefix": "10.0.0.0/24"}]))
    assert network.subnets[0].gateway is None


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 99])
def test_newer_schema_version_is_refused_with_upgrade_advice(version: int) -> None:
    with pytest.raises(CodecError, match="newer than this hnsctl understands.*upgrade hnsctl"):
        network_from_record(valid_record(schema_version=version))


@pytest.mark.parametrize("version", [DROP, 0, -1, "1", 1.0, None])
def test_missing_or_bad_schema_version_is_refused(version: Any) -> None:
    with pytest.raises(CodecError, match="schema_version"):
        network_from_record(valid_record(schema_version=version))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": DROP},
        {"id": ""},
        {"id": 5},
        {"name": DROP},
        {"name": ["x"]},
        {"type": "bridge"},
        {"type": "NAT"},  # records store the V1 value; anything else was not written by hnsctl
        {"subnets": [{"gateway": "10.0.0.1"}]},
        {"subnets": [{"prefix": "10.200.0.5/24"}]},
        {"subnets": [{"prefix": "nonsense"}]},
        {"subnets": [{"prefix": "10.200.0.0/24", "gateway": "not-an-ip"}]},
        {"subnets": ["10.200.0.0/24"]},
        {"subnets": 7},
        {"flags": "lots"},
        {"flags": [1]},
        {"flags": math.nan},
        {"dns_servers": 5},
    ],
)
def test_garbage_records_raise_codec_error(changes: dict[str, Any]) -> None:
    with pytest.raises(CodecError):
        network_from_record(valid_record(**changes))


FIELDS = ["schema_version", "id", "name", "type", "flags", "dns_servers", "dns_suffix", "created_at", "subnets", "hns_schema"]
toml_scalars = st.one_of(
    st.booleans(), st.integers(), st.floats(allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["nat", "10.0.0.0/24", "10.0.0.1", "fe80::/64", "6f3c2a1e-0000-4000-8000-000000000001"]),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["prefix", "gateway", "x"]), inner, max_size=3)), max_leaves=8)


@given(st.dictionaries(st.sampled_from(FIELDS), toml_values))
def test_decoding_anything_gives_a_network_or_codec_error_never_a_crash(record: dict[str, Any]) -> None:
    """The store turns CodecError into CorruptState (exit 7); any other exception would be a traceback."""
    record.setdefault("schema_version", 1)
    try:
        network_from_record(record)
    except CodecError:
        pass


def test_infinite_flags_are_a_codec_error() -> None:
    record = tomllib.loads(tomli_w.dumps(valid_record(flags=DROP)) + "flags = inf\n")
    with pytest.raises(CodecError):
        network_from_record(record)


def test_dns_servers_as_a_string_is_a_codec_error() -> None:
    with pytest.raises(CodecError):
        network_from_record(valid_record(dns_servers="10.0.0.53"))
