"""Pure rendering of hnsctl's nftables objects as libnftables JSON commands (and nft text for humans).

Layout of the one table hnsctl owns, `inet hnsctl`:
  forward      filter/forward base chain: `jump isolation` first, then per-network accepts
  isolation    regular chain: drops that keep internal/private networks off the routed path
  postrouting  nat/postrouting base chain: per-network masquerade
Every rule hnsctl adds for an object carries the comment `hnsctl:<object-id> <purpose>`, which is how
delete and reconcile find exactly the rules an object owns and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hnsctl.backend.base import IPNetwork, NetworkFirewall
from hnsctl.models.ids import owner_from_tag, owner_tag

FAMILY = "inet"
TABLE = "hnsctl"
INFRASTRUCTURE_COMMENT = "hnsctl"

BASE_CHAINS: tuple[dict[str, Any], ...] = (
    {"name": "forward", "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"},
    {"name": "postrouting", "type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"},
)
REGULAR_CHAINS: tuple[str, ...] = ("isolation",)


@dataclass(frozen=True)
class Rule:
    chain: str
    expr: tuple[dict[str, Any], ...]
    comment: str
    text: str

    def add_command(self) -> dict[str, Any]:
        return {
            "add": {
                "rule": {
                    "family": FAMILY,
                    "table": TABLE,
                    "chain": self.chain,
                    "expr": list(self.expr),
                    "comment": self.comment,
                }
            }
        }


def _meta(key: str, op: str, value: str) -> dict[str, Any]:
    return {"match": {"op": op, "left": {"meta": {"key": key}}, "right": value}}


def _saddr(prefix: IPNetwork) -> dict[str, Any]:
    proto = "ip" if prefix.version == 4 else "ip6"
    return {
        "match": {
            "op": "==",
            "left": {"payload": {"protocol": proto, "field": "saddr"}},
            "right": {"prefix": {"addr": str(prefix.network_address), "len": prefix.prefixlen}},
        }
    }


ESTABLISHED = {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}
ACCEPT = {"accept": None}
DROP = {"drop": None}
MASQUERADE = {"masquerade": None}


def network_rules(firewall: NetworkFirewall) -> list[Rule]:
    """The rules one network owns, in order."""
    bridge = firewall.bridge

    def rule(chain: str, purpose: str, text: str, *expr: dict[str, Any]) -> Rule:
        return Rule(chain, expr, f"{owner_tag(firewall.owner)} {purpose}", text)

    rules: list[Rule] = []
    if firewall.isolate:
        rules.append(rule("isolation", "isolate-out", f'iifname "{bridge}" oifname != "{bridge}" drop',
                          _meta("iifname", "==", bridge), _meta("oifname", "!=", bridge), DROP))
        rules.append(rule("isolation", "isolate-in", f'oifname "{bridge}" iifname != "{bridge}" drop',
                          _meta("oifname", "==", bridge), _meta("iifname", "!=", bridge), DROP))
    if firewall.allow_forwarding:
        rules.append(rule("forward", "forward-out", f'iifname "{bridge}" accept',
                          _meta("iifname", "==", bridge), ACCEPT))
        rules.append(rule("forward", "forward-reply", f'oifname "{bridge}" ct state established,related accept',
                          _meta("oifname", "==", bridge), ESTABLISHED, ACCEPT))
    for prefix in firewall.masquerade:
        proto = "ip" if prefix.version == 4 else "ip6"
        rules.append(rule("postrouting", f"masquerade {prefix}",
                          f'{proto} saddr {prefix} oifname != "{bridge}" masquerade',
                          _saddr(prefix), _meta("oifname", "!=", bridge), MASQUERADE))
    return rules


def skeleton_commands(*, with_jump: bool) -> list[dict[str, Any]]:
    """Table and chains, idempotent (`add` of an identical object is a no-op); the jump only once."""
    commands: list[dict[str, Any]] = [{"add": {"table": {"family": FAMILY, "name": TABLE}}}]
    for chain in BASE_CHAINS:
        commands.append({"add": {"chain": {"family": FAMILY, "table": TABLE, **chain}}})
    for name in REGULAR_CHAINS:
        commands.append({"add": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}})
    if with_jump:
        commands.append({"add": {"rule": {
            "family": FAMILY, "table": TABLE, "chain": "forward",
            "expr": [{"jump": {"target": "isolation"}}], "comment": INFRASTRUCTURE_COMMENT,
        }}})
    return commands


def delete_rule_command(chain: str, handle: int) -> dict[str, Any]:
    return {"delete": {"rule": {"family": FAMILY, "table": TABLE, "chain": chain, "handle": handle}}}


def delete_table_command() -> dict[str, Any]:
    return {"delete": {"table": {"family": FAMILY, "name": TABLE}}}


@dataclass(frozen=True)
class ListedRule:
    chain: str
    handle: int
    comment: str
    owner: str | None


def listed_rules(listing: dict[str, Any]) -> list[ListedRule]:
    """Rules of hnsctl's table from a `list table` JSON answer."""
    rules = []
    for item in listing.get("nftables", []):
        rule = item.get("rule")
        if rule and rule.get("table") == TABLE and rule.get("family") == FAMILY:
            comment = rule.get("comment", "")
            rules.append(ListedRule(rule["chain"], int(rule["handle"]), comment, owner_from_tag(comment)))
    return rules


def describe(command: dict[str, Any]) -> str:
    """One readable line for a JSON command, for --dry-run output."""
    verb, body = next(iter(command.items()))
    kind, obj = next(iter(body.items()))
    where = f"{obj.get('family', FAMILY)} {obj.get('table', obj.get('name'))}"
    if kind == "table":
        return f"nft {verb} table {obj['family']} {obj['name']}"
    if kind == "chain":
        return f"nft {verb} chain {where} {obj['name']}"
    if kind == "rule" and verb == "delete":
        return f"nft delete rule {where} {obj['chain']} handle {obj['handle']}"
    return f"nft {verb} rule {where} {obj['chain']} (comment {obj.get('comment', '')!r})"
