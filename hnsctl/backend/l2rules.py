"""l2bridge networks' MAC rewriting, in hnsctl's own bridge-family table `bridge hnsctl`.

On the wire every endpoint uses the host's MAC (the adapter's, which the bridge also takes):
  prerouting   frames from the adapter addressed to an endpoint's IP get the endpoint's MAC back
               (IPv4: Ethernet destination; ARP: Ethernet and ARP target hardware address)
  postrouting  frames leaving by the adapter get the host's MAC as source (Ethernet, and ARP sender)
The endpoint IP -> MAC pairs live in one map per network (`l2-<8 hex>`), so an endpoint is one element.
Rules carry the owner comment `hnsctl:<network-id> …` like every other hnsctl rule.
"""

from __future__ import annotations

from typing import Any

from hnsctl.models.ids import owner_tag

FAMILY = "bridge"
TABLE = "hnsctl"
CHAINS = (("prerouting", "prerouting", -300), ("postrouting", "postrouting", 300))


def map_name(short: str) -> str:
    return f"l2-{short}"


def skeleton_script(short: str) -> str:
    lines = [f"add table {FAMILY} {TABLE}"]
    for name, hook, priority in CHAINS:
        lines.append(f"add chain {FAMILY} {TABLE} {name} {{ type filter hook {hook} priority {priority}; policy accept; }}")
    lines.append(f"add map {FAMILY} {TABLE} {map_name(short)} {{ type ipv4_addr : ether_addr; }}")
    return "\n".join(lines) + "\n"


def network_rules(owner: str, short: str, adapter: str, host_mac: str) -> list[dict[str, Any]]:
    """The four rules of one l2bridge network (adapter and host MAC are fixed for its lifetime)."""
    tag = owner_tag(owner)
    table_map = f"@{map_name(short)}"
    from_adapter = {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": adapter}}
    to_adapter = {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": adapter}}
    not_from_adapter = {"match": {"op": "!=", "left": {"meta": {"key": "iifname"}}, "right": adapter}}
    ip_daddr = {"payload": {"protocol": "ip", "field": "daddr"}}
    arp_tpa = {"payload": {"protocol": "arp", "field": "daddr ip"}}

    def rule(chain: str, purpose: str, *expr: dict[str, Any]) -> dict[str, Any]:
        return {"add": {"rule": {"family": FAMILY, "table": TABLE, "chain": chain, "expr": list(expr), "comment": f"{tag} {purpose}"}}}

    return [
        rule("prerouting", "l2bridge-in", from_adapter,
             {"match": {"op": "==", "left": ip_daddr, "right": table_map}},
             {"mangle": {"key": {"payload": {"protocol": "ether", "field": "daddr"}}, "value": {"map": {"key": ip_daddr, "data": table_map}}}}),
        rule("prerouting", "l2bridge-arp-in", from_adapter,
             {"match": {"op": "==", "left": arp_tpa, "right": table_map}},
             {"mangle": {"key": {"payload": {"protocol": "ether", "field": "daddr"}}, "value": {"map": {"key": arp_tpa, "data": table_map}}}},
             {"mangle": {"key": {"payload": {"protocol": "arp", "field": "daddr ether"}}, "value": {"map": {"key": arp_tpa, "data": table_map}}}}),
        rule("postrouting", "l2bridge-out", to_adapter, not_from_adapter,
             {"mangle": {"key": {"payload": {"protocol": "ether", "field": "saddr"}}, "value": host_mac}}),
        rule("postrouting", "l2bridge-arp-out", to_adapter, not_from_adapter,
             {"match": {"op": "==", "left": {"meta": {"key": "protocol"}}, "right": "arp"}},
             {"mangle": {"key": {"payload": {"protocol": "arp", "field": "saddr ether"}}, "value": host_mac}}),
    ]


def element_command(verb: str, short: str, ip: str, mac: str | None) -> dict[str, Any]:
    elem: Any = [ip, mac] if mac else ip
    return {verb: {"element": {"family": FAMILY, "table": TABLE, "name": map_name(short), "elem": [elem]}}}
