"""Real HNS documents (tests/fixtures/hns, sources in SOURCES.md) are accepted with their meaning, or refused
with a reason that names what is not built: never with a complaint about a field Windows itself prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models import hnsjson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hns"
PARSERS = {
    "network": hnsjson.network_request_from_document,
    "endpoint": hnsjson.endpoint_request_from_document,
    "policy": lambda doc: hnsjson.policy_request_from_document(doc, type_hint=None, endpoint="pod"),
}
# Refused on purpose, with the words the refusal must contain.
REFUSED = {
    "endpoint-sdn-v2-dualstack-outboundnat-pa.json": "IPv6",
    "policy-cni-v2-provideraddress.json": "expected one of",  # a PA is part of an endpoint document, not a policy to add
    "policy-hcsshim-v2-acl-request.json": "one policy per",
    "policy-hcsshim-v2-tieracl-request.json": "one policy per",
    "policy-hcsshim-v2-l4wfpproxy-request.json": "expected one of",
    "policy-hcsshim-v2-networkacl-request.json": "expected one of",
}
DOCUMENTS = sorted(p for p in FIXTURES.glob("*.json") if p.name.split("-")[0] in PARSERS)


def test_the_fixtures_are_there() -> None:
    assert len(DOCUMENTS) >= 40 and (FIXTURES / "SOURCES.md").exists()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_real_document(path: Path) -> None:
    parse = PARSERS[path.name.split("-")[0]]
    doc = json.loads(path.read_text())
    if path.name in REFUSED:
        with pytest.raises(InvalidInput) as info:
            parse(doc)
        assert REFUSED[path.name] in info.value.message and info.value.exit_code == ExitCode.USAGE
        return
    parse(doc)


def test_network_documents_keep_their_meaning() -> None:
    flannel = hnsjson.network_request_from_document(json.loads((FIXTURES / "network-flannel-v2-overlay-vxlan0.json").read_text()))
    assert (flannel.type, flannel.vsid, flannel.adapter, flannel.flags) == ("Overlay", 4096, "Ethernet", 8)
    moby = hnsjson.network_request_from_document(json.loads((FIXTURES / "network-moby-v1-overlay-swarm.json").read_text()))
    assert moby.vsid == 4097  # from Subnets[].Policies
    pools = hnsjson.network_request_from_document(json.loads((FIXTURES / "network-hcsshim-v2-nat-gotestnat.json").read_text()))
    assert pools.mac_pools == (("00-15-5D-52-C0-00", "00-15-5D-52-CF-FF"),)
    printed = hnsjson.network_request_from_document(json.loads((FIXTURES / "network-netrestore-v1-nat-printed.json").read_text()))
    assert printed.vlan is None  # VLAN 1 is what Windows prints for "untagged"
    docker = hnsjson.network_request_from_document({"Name": "DockerNAT (1)", "Type": "nat", "Subnets": [{"AddressPrefix": "0.0.0.0/0"}]})
    assert docker.subnets == ()  # Docker's "pick one"


def test_endpoint_documents_keep_their_meaning() -> None:
    overlay = hnsjson.endpoint_request_from_document(json.loads((FIXTURES / "endpoint-cni-v1-winoverlay-sample.json").read_text()))
    assert [p.type for p in overlay.policies] == ["outboundnat", "route"]
    remote = hnsjson.endpoint_request_from_document(json.loads((FIXTURES / "endpoint-moby-v1-overlay-remote-peer.json").read_text()))
    assert remote.remote and remote.provider_address == "10.0.0.5"
    nameless = hnsjson.endpoint_request_from_document({"HostComputeNetwork": "x", "SchemaVersion": {"Major": 2, "Minor": 0}})
    assert nameless.name.startswith("endpoint-") and nameless.id


def test_unknown_keys_are_still_refused_with_their_path() -> None:
    with pytest.raises(InvalidInput, match="Subnets\\[0\\].Gateway"):
        hnsjson.network_request_from_document({"Name": "n", "Subnets": [{"AddressPrefix": "10.0.0.0/24", "Gateway": "10.0.0.1"}]})
    with pytest.raises(InvalidInput, match="not supported: IP set"):
        hnsjson.network_request_from_document({"Name": "n", "Policies": [{"Type": "SetPolicy", "Settings": {}}],
                                               "SchemaVersion": {"Major": 2, "Minor": 0}})
