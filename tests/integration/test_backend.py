"""KernelBackend against the real kernel: bridges, addresses, tags and nftables rules read back."""

from __future__ import annotations

import ipaddress
import json
import subprocess

import pytest
from pyroute2 import IPRoute

from hnsctl.backend.base import BridgeSpec, NetworkFirewall
from hnsctl.backend.kernel import KernelBackend
from hnsctl.errors import Conflict

OWNER = "0b7e4c2a-1111-4222-8333-444455556666"
OTHER = "9f00aa11-1111-4222-8333-444455556666"


def nft_json(*args: str) -> dict:
    out = subprocess.run(["nft", "-j", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def hnsctl_rules() -> list[dict]:
    try:
        listing = nft_json("list", "table", "inet", "hnsctl")
    except subprocess.CalledProcessError:
        return []
    return [item["rule"] for item in listing["nftables"] if "rule" in item]


def test_create_bridge_sets_tag_addresses_and_up(netns: str) -> None:
    backend = KernelBackend()
    backend.create_bridge(BridgeSpec("hns-0b7e4c2a", OWNER, (ipaddress.ip_interface("10.77.0.1/24"), ipaddress.ip_interface("fd77::1/64"))))
    with IPRoute() as ipr:
        (link,) = ipr.get_links(ifname="hns-0b7e4c2a")
        assert link.get("ifalias") == f"hnsctl:{OWNER}"
        assert link.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == "bridge"
        assert link["flags"] & 1  # IFF_UP
        addrs = {(a.get("address"), a["prefixlen"]) for a in ipr.get_addr(index=link["index"])}
    assert ("10.77.0.1", 24) in addrs and ("fd77::1", 64) in addrs
    assert [(o.name, o.owner) for o in backend.list_owned_links()] == [("hns-0b7e4c2a", OWNER)]
    routes = {str(r.prefix) for r in backend.list_routes()}
    assert "10.77.0.0/24" in routes
    backend.close()


def test_create_bridge_twice_is_a_conflict_and_delete_is_idempotent(netns: str) -> None:
    backend = KernelBackend()
    backend.create_bridge(BridgeSpec("hns-0b7e4c2a", OWNER))
    with pytest.raises(Conflict):
        backend.create_bridge(BridgeSpec("hns-0b7e4c2a", OWNER))
    with pytest.raises(Conflict, match="tagged"):
        backend.delete_link("hns-0b7e4c2a", OTHER)  # another owner's interface is never removed
    backend.delete_link("hns-0b7e4c2a", OWNER)
    backend.delete_link("hns-0b7e4c2a", OWNER)  # already gone counts as done
    assert not backend.link_exists("hns-0b7e4c2a")


def test_firewall_apply_replaces_and_remove_deletes_only_the_owner(netns: str) -> None:
    backend = KernelBackend()
    nat = NetworkFirewall(OWNER, "hns-0b7e4c2a", masquerade=(ipaddress.ip_network("10.77.0.0/24"),), allow_forwarding=True)
    internal = NetworkFirewall(OTHER, "hns-9f00aa11", isolate=True)
    backend.apply_network_firewall(nat)
    backend.apply_network_firewall(nat)  # re-apply replaces, never duplicates
    backend.apply_network_firewall(internal)
    rules = hnsctl_rules()
    mine = [r for r in rules if r.get("comment", "").startswith(f"hnsctl:{OWNER}")]
    assert len(mine) == 4  # forward out, forward reply, masquerade, hairpin masquerade
    assert any("masquerade" in str(r["expr"]) and r["chain"] == "postrouting" for r in mine)
    assert len([r for r in rules if r.get("comment", "").startswith(f"hnsctl:{OTHER}")]) == 2
    assert len([r for r in rules if r.get("comment") == "hnsctl isolation"]) == 1  # the skeleton is made once
    backend.remove_firewall(OWNER)
    rules = hnsctl_rules()
    assert not [r for r in rules if OWNER in r.get("comment", "")]
    assert len([r for r in rules if OTHER in r.get("comment", "")]) == 2
    backend.remove_firewall(OTHER)
    assert subprocess.run(["nft", "list", "table", "inet", "hnsctl"], capture_output=True).returncode != 0
    backend.remove_firewall(OTHER)  # nothing left: still fine
    backend.close()


def test_enable_forwarding_is_per_namespace(netns: str) -> None:
    backend = KernelBackend()
    backend.enable_forwarding(4)
    with open("/proc/sys/net/ipv4/ip_forward") as handle:
        assert handle.read().strip() == "1"
