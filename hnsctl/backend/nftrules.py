"""Pure rendering of hnsctl's nftables objects as libnftables JSON commands (and nft text for humans).

Layout of the one table hnsctl owns, `inet hnsctl`:
  forward      filter/forward base chain: `jump isolation` first, then per-network accepts
  isolation    regular chain: drops that keep internal/private networks off the routed path
  postrouting  nat/postrouting base chain: per-network masquerade
  raw          filter/prerouting base chain at raw priority: the bridged hop of frames to and from a host
               endpoint (set `host-endpoints`) stays out of conntrack, so the host's routed pass NATs them
Every rule hnsctl adds for an object carries the comment `hnsctl:<object-id> <purpose>`, which is how
delete and reconcile find exactly the rules an object owns and nothing else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from hnsctl.backend import lbrules
from hnsctl.backend.base import (
    EndpointAclSpec,
    IPNetwork,
    NetworkFirewall,
    OutboundNatSpec,
)
from hnsctl.models.ids import owner_from_tag, owner_tag
from hnsctl.models.policy import PROTOCOL_NAMES, Acl

FAMILY = "inet"
TABLE = "hnsctl"

BASE_CHAINS: tuple[dict[str, Any], ...] = (
    {"name": "raw", "type": "filter", "hook": "prerouting", "prio": -300, "policy": "accept"},
    {"name": "prerouting", "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"},
    {"name": "output", "type": "nat", "hook": "output", "prio": -100, "policy": "accept"},
    {"name": "forward", "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"},
    {"name": "input", "type": "filter", "hook": "input", "prio": 0, "policy": "accept"},
    {"name": "localout", "type": "filter", "hook": "output", "prio": 0, "policy": "accept"},
    {"name": "postrouting", "type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"},
)
REGULAR_CHAINS: tuple[str, ...] = ("isolation", "outbound", "acl", lbrules.REJECT_CHAIN)
PROTOCOLS = ("tcp", "udp")


def port_map_name(protocol: str, *, vip: bool) -> str:
    """Maps hold the port mappings: adding the 10,000th costs one element, like the first."""
    return f"portmap-vip-{protocol}" if vip else f"portmap-{protocol}"


MAP_TYPES = {False: "inet_service", True: "ipv4_addr . inet_service"}

HOST_ENDPOINTS_SET = "host-endpoints"  # (bridge, MAC) of every endpoint attached to the host itself


def host_endpoint_command(verb: str, bridge: str, mac: str) -> dict[str, Any]:
    """Add or delete one host endpoint's (bridge . MAC) element."""
    return {verb: {"element": {"family": FAMILY, "table": TABLE, "name": HOST_ENDPOINTS_SET, "elem": [{"concat": [bridge, mac]}]}}}


def _infrastructure() -> list[tuple[str, str, str, bool]]:
    """(chain, comment, nft statement, insert-first) for the rules every hnsctl table carries.

    Written in nft's own syntax: libnftables 1.0.6 crashes parsing the JSON form of a DNAT whose
    address comes from a map with a concatenated key, so the skeleton goes through the text parser
    (same library, same transaction semantics); everything per-object stays JSON.
    """
    rules: list[tuple[str, str, str, bool]] = [
        # A frame between an endpoint and a host endpoint crosses the bridge (br_netfilter runs the inet
        # hooks there) and is then routed by the host. Tracked on the bridged hop, its flow would be
        # confirmed there without NAT and the routed pass could no longer apply OutBoundNAT or a port mapping.
        ("raw", "hnsctl host-endpoint-to", f"iifname . ether daddr @{HOST_ENDPOINTS_SET} notrack", False),
        ("raw", "hnsctl host-endpoint-from", f"iifname . ether saddr @{HOST_ENDPOINTS_SET} notrack", False),
        ("forward", "hnsctl isolation", "jump isolation", False),
        ("forward", "hnsctl dnat", "ct status dnat accept", False),
        ("postrouting", "hnsctl outbound", "jump outbound", True),
        ("forward", "hnsctl acl", "jump acl", True),
        ("input", "hnsctl acl-input", "jump acl", False),
        ("localout", "hnsctl acl-output", "jump acl", False),
    ]
    for chain in ("prerouting", "output"):
        for proto in PROTOCOLS:
            rules.append((chain, f"hnsctl portmap-vip-{proto}", f"dnat ip to ip daddr . {proto} dport map @{port_map_name(proto, vip=True)}", False))
        for proto in PROTOCOLS:
            rules.append((chain, f"hnsctl portmap-{proto}", f"fib daddr type local dnat ip to {proto} dport map @{port_map_name(proto, vip=False)}", False))
    return rules + lbrules.infrastructure()


INFRASTRUCTURE_COMMENTS = frozenset(comment for _, comment, _, _ in _infrastructure())


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


DNATTED = {"match": {"op": "in", "left": {"ct": {"key": "status"}}, "right": "dnat"}}
ESTABLISHED = {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}
# An ACL chain lets untracked packets by with the replies: they are the bridged hop to or from a host
# endpoint (chain `raw`), whose routed pass is tracked and meets the same ACLs.
REPLIES = {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related", "untracked"]}}
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
    for gateway, upstream in firewall.dns_forward:
        # ICS: endpoints ask the gateway; the host forwards their queries to its own resolver (in-kernel DNAT)
        rules.append(rule("prerouting", f"dns-forward {gateway}", f'iifname "{bridge}" ip daddr {gateway} meta l4proto {{ tcp, udp }} th dport 53 dnat ip to {upstream}',
                          _meta("iifname", "==", bridge),
                          {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": gateway}},
                          {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": {"set": [6, 17]}}},
                          {"match": {"op": "==", "left": {"payload": {"protocol": "th", "field": "dport"}}, "right": 53}},
                          {"dnat": {"family": "ip", "addr": upstream}}))
    for subnet, host_ip, exceptions in firewall.snat:
        # l2bridge OutBoundNAT: bridged endpoint traffic (br_netfilter) leaving the LAN goes out as the host
        keep = [{"prefix": {"addr": str(p.network_address), "len": p.prefixlen}} for p in (subnet, *exceptions) if p.version == 4]
        rules.append(rule("postrouting", f"outboundnat {subnet}",
                          f"ip saddr {subnet} ip daddr != {{ {', '.join(str(p) for p in (subnet, *exceptions))} }} snat ip to {host_ip}",
                          _saddr(subnet),
                          {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"set": keep}}},
                          {"snat": {"family": "ip", "addr": host_ip}}))
    for prefix in firewall.masquerade:
        proto = "ip" if prefix.version == 4 else "ip6"
        rules.append(rule("postrouting", f"masquerade {prefix}",
                          f'{proto} saddr {prefix} oifname != "{bridge}" masquerade',
                          _saddr(prefix), _meta("oifname", "!=", bridge), MASQUERADE))
        # hairpin: an endpoint reaching a port mapping served on its own bridge must see the reply come back via the host
        rules.append(rule("postrouting", f"hairpin {prefix}",
                          f'oifname "{bridge}" ct status dnat {proto} saddr {prefix} masquerade',
                          _meta("oifname", "==", bridge), DNATTED, _saddr(prefix), MASQUERADE))
    return rules


def acl_chain(short: str, direction: str) -> str:
    return f"acl-{short}-{direction}"


def _addresses(field: str, prefixes: tuple[IPNetwork, ...]) -> dict[str, Any]:
    elements = [{"prefix": {"addr": str(p.network_address), "len": p.prefixlen}} for p in prefixes]
    return {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": field}}, "right": {"set": elements}}}


def _ports(protocol: str, field: str, ranges: tuple[tuple[int, int], ...]) -> dict[str, Any]:
    elements: list[Any] = [a if a == b else {"range": [a, b]} for a, b in ranges]
    return {"match": {"op": "==", "left": {"payload": {"protocol": protocol, "field": field}}, "right": {"set": elements}}}


def acl_rule(policy_id: str, acl: Acl) -> Rule:
    """One ACL as an nft rule in its endpoint's chain. In: local is the destination; out: the source."""
    local, remote = ("daddr", "saddr") if acl.direction == "in" else ("saddr", "daddr")
    local_port, remote_port = ("dport", "sport") if acl.direction == "in" else ("sport", "dport")
    expr: list[dict[str, Any]] = []
    if acl.local_addresses:
        expr.append(_addresses(local, acl.local_addresses))
    if acl.remote_addresses:
        expr.append(_addresses(remote, acl.remote_addresses))
    name = PROTOCOL_NAMES.get(acl.protocol or 0)
    if acl.protocol and not (acl.local_ports or acl.remote_ports):
        expr.append({"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": acl.protocol}})
    if acl.local_ports:
        expr.append(_ports(name or "tcp", local_port, acl.local_ports))
    if acl.remote_ports:
        expr.append(_ports(name or "tcp", remote_port, acl.remote_ports))
    verdict = ACCEPT if acl.action == "allow" else DROP
    text = f"{acl.action} {acl.direction} {name or acl.protocol or 'any'} priority {acl.priority}"
    return Rule("", (*expr, verdict), f"{owner_tag(policy_id)} acl", text)


def acl_commands(spec: EndpointAclSpec, dispatch: list[ListedRule]) -> list[dict[str, Any]]:
    """Rebuild one endpoint's two ACL chains in one transaction; nothing of another endpoint is touched.

    Order: the ACLs by priority (ties: older first); established/related replies (and untracked
    packets, see REPLIES) are accepted just
    before the first catch-all block, so an explicit block still stops them but "block everything
    else" never cuts the endpoint's own connections off from their replies.
    """
    commands: list[dict[str, Any]] = []
    chains = {d: acl_chain(spec.short, d) for d in ("in", "out")}
    empty = not spec.rules_in and not spec.rules_out
    for rule in dispatch:
        commands.append(delete_rule_command(rule.chain, rule.handle))
    for chain in chains.values():
        commands.append({"add": {"chain": {"family": FAMILY, "table": TABLE, "name": chain}}})
        commands.append({"flush": {"chain": {"family": FAMILY, "table": TABLE, "name": chain}}})
    if empty:
        for chain in chains.values():
            commands.append({"delete": {"chain": {"family": FAMILY, "table": TABLE, "name": chain}}})
        return commands
    tag = owner_tag(spec.owner)
    ip_match = {"in": "daddr", "out": "saddr"}
    for direction, rules in (("in", spec.rules_in), ("out", spec.rules_out)):
        established_done = False
        for policy_id, acl in rules:
            if not established_done and acl.is_catch_all and acl.action == "block":
                commands.append(_rule_command(chains[direction], [REPLIES, ACCEPT], f"{tag} acl-established"))
                established_done = True
            rendered = acl_rule(policy_id, acl)
            commands.append(_rule_command(chains[direction], list(rendered.expr), rendered.comment))
        endpoint = {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": ip_match[direction]}}, "right": spec.endpoint_ip}}
        commands.append(_rule_command("acl", [endpoint, {"jump": {"target": chains[direction]}}], f"{tag} acl-dispatch-{direction}"))
    return commands


def _rule_command(chain: str, expr: list[dict[str, Any]], comment: str) -> dict[str, Any]:
    return {"add": {"rule": {"family": FAMILY, "table": TABLE, "chain": chain, "expr": expr, "comment": comment}}}


def outbound_nat_rules(spec: OutboundNatSpec) -> list[Rule]:
    """An endpoint's OutBoundNAT: exceptions keep its own address, everything else leaves as the host (or VIP)."""
    tag = owner_tag(spec.owner)
    source = _saddr(ipaddress.ip_network(spec.endpoint_ip))
    rules = []
    if spec.exceptions:
        v4 = [e for e in spec.exceptions if e.version == 4]
        elements = [{"prefix": {"addr": str(e.network_address), "len": e.prefixlen}} for e in v4]
        exceptions = {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"set": elements}}}
        rules.append(Rule("outbound", (source, exceptions, ACCEPT), f"{tag} outboundnat-exceptions",
                          f"ip saddr {spec.endpoint_ip} ip daddr {{ {', '.join(str(e) for e in v4)} }} accept"))
    if spec.host_ip is not None:
        local = [{"prefix": {"addr": str(p.network_address), "len": p.prefixlen}} for p in spec.local if p.version == 4]
        off_lan = [{"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"set": local}}}] if local else []
        address = spec.vip or spec.host_ip
        rules.append(Rule("outbound", (source, *off_lan, {"snat": {"family": "ip", "addr": address}}), f"{tag} outboundnat",
                          f"ip saddr {spec.endpoint_ip} ip daddr != {{ {', '.join(str(p) for p in spec.local)} }} snat ip to {address}"))
        return rules
    not_bridge = _meta("oifname", "!=", spec.bridge)
    if spec.vip:
        rules.append(Rule("outbound", (source, not_bridge, {"snat": {"family": "ip", "addr": spec.vip}}), f"{tag} outboundnat",
                          f'ip saddr {spec.endpoint_ip} oifname != "{spec.bridge}" snat ip to {spec.vip}'))
    else:
        rules.append(Rule("outbound", (source, not_bridge, MASQUERADE), f"{tag} outboundnat",
                          f'ip saddr {spec.endpoint_ip} oifname != "{spec.bridge}" masquerade'))
    return rules


def skeleton_script(present: set[str]) -> str:
    """Table, chains, maps (idempotent `add`s) and the infrastructure rules whose comments are not `present`."""
    lines = [f"add table {FAMILY} {TABLE}"]
    for chain in BASE_CHAINS:
        lines.append(f"add chain {FAMILY} {TABLE} {chain['name']} {{ type {chain['type']} hook {chain['hook']} "
                     f"priority {chain['prio']}; policy {chain['policy']}; }}")
    for name in REGULAR_CHAINS:
        lines.append(f"add chain {FAMILY} {TABLE} {name}")
    for proto in PROTOCOLS:
        for vip in (True, False):
            lines.append(f"add map {FAMILY} {TABLE} {port_map_name(proto, vip=vip)} "
                         f"{{ type {MAP_TYPES[vip]} : ipv4_addr . inet_service; }}")
    lines.append(f"add set {FAMILY} {TABLE} {HOST_ENDPOINTS_SET} {{ type ifname . ether_addr; }}")
    lines.extend(lbrules.skeleton_lines())
    for chain, comment, statement, first in _infrastructure():
        if comment not in present:
            verb = "insert" if first else "add"
            lines.append(f'{verb} rule {FAMILY} {TABLE} {chain} {statement} comment "{comment}"')
    return "\n".join(lines) + "\n"


def port_map_command(verb: str, protocol: str, external_port: int, vip: str | None, target: tuple[str, int] | None) -> dict[str, Any]:
    """Add (with target) or delete (key only) one port-mapping element."""
    key: Any = {"concat": [vip, external_port]} if vip else external_port
    elem: Any = [key, {"concat": [target[0], target[1]]}] if target else key
    return {verb: {"element": {"family": FAMILY, "table": TABLE, "name": port_map_name(protocol, vip=vip is not None), "elem": [elem]}}}


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


def listed_map_elements(listing: dict[str, Any]) -> dict[str, list[Any]]:
    """Elements of hnsctl's maps and sets from a `list table` JSON answer."""
    found: dict[str, list[Any]] = {}
    for item in listing.get("nftables", []):
        table_map = item.get("map") or item.get("set")
        if table_map and table_map.get("table") == TABLE and table_map.get("family") == FAMILY:
            found[table_map["name"]] = list(table_map.get("elem", []))
    return found


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
