"""Pure rendering of load balancers as libnftables commands.

Per load balancer (short ID `s`), inside `inet hnsctl`:
  chain lb-s       one rule per port mapping: pick a bucket (numgen round robin, or jhash of the client
                   address for affinity), look the bucket up in map lb-s, DNAT to that backend
  map   lb-s       BUCKETS buckets -> backend address; a backend change rewrites these elements only
  lb-vips          verdict map, (VIP . protocol . port) -> jump lb-s
  lb-nodeports     verdict map, (protocol . port) -> jump lb-s, for traffic to any local address
  lb-snat          map, connection mark -> source VIP, read by one rule in postrouting
The number of rules in the shared chains never grows with the number of load balancers, so adding
the 1,000th costs what the first did, and changing one backend touches one map and one chain.
A load balancer without backends marks new connections with REJECT_MARK; the filter hooks refuse
them (TCP reset / ICMP port unreachable) instead of letting them hang.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

from hnsctl.backend.base import LbFrontend, LoadBalancerSpec

FAMILY = "inet"
TABLE = "hnsctl"
BUCKETS = 120  # divisible by 1-6, 8, 10, 12, 15: an even split for the usual backend counts
REJECT_MARK = 0x47FFFFFF
SNAT_MARK_BASE = 0x48000000
VIP_MAP = "lb-vips"
NODEPORT_MAP = "lb-nodeports"
SNAT_MAP = "lb-snat"
REJECT_CHAIN = "lb-reject"
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17}


def chain_name(short: str) -> str:
    return f"lb-{short}"


def is_lb_object(name: str) -> bool:
    """`lb-<8 hex>`: a per-load-balancer chain or map (the shared ones have longer names)."""
    parts = name.split("-")
    return len(parts) == 2 and parts[0] == "lb" and len(parts[1]) == 8 and all(c in "0123456789abcdef" for c in parts[1])


def snat_mark(sequence: int) -> int:
    return SNAT_MARK_BASE + (sequence & 0x00FFFFFF)


def skeleton_lines() -> list[str]:
    """nft statements for the shared load-balancer maps (added to the table skeleton, idempotent)."""
    return [
        f"add map {FAMILY} {TABLE} {VIP_MAP} {{ type ipv4_addr . inet_proto . inet_service : verdict; }}",
        f"add map {FAMILY} {TABLE} {NODEPORT_MAP} {{ type inet_proto . inet_service : verdict; }}",
        f"add map {FAMILY} {TABLE} {SNAT_MAP} {{ type mark : ipv4_addr; }}",
    ]


def infrastructure() -> list[tuple[str, str, str, bool]]:
    """(chain, comment, nft statement, insert-first) for the fixed load-balancer rules."""
    rules: list[tuple[str, str, str, bool]] = []
    for chain in ("prerouting", "output"):
        rules.append((chain, "hnsctl lb-vips", f"ip daddr . meta l4proto . th dport vmap @{VIP_MAP}", False))
        # not loopback: a host process on 127.0.0.1:<port> keeps its port (and DNAT from 127/8 would be dropped anyway)
        rules.append((chain, "hnsctl lb-nodeports", f"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @{NODEPORT_MAP}", False))
    rules.append(("postrouting", "hnsctl lb-snat", f"snat ip to ct mark map @{SNAT_MAP}", True))
    # Only the opening packet is refused: the reset the kernel sends back carries the same connection
    # (and mark) and passes these hooks too; refusing it again would turn "refused" into a hang.
    rules.append((REJECT_CHAIN, "hnsctl lb-reject-tcp", "tcp flags & (syn | ack) == syn reject with tcp reset", False))
    rules.append((REJECT_CHAIN, "hnsctl lb-reject-udp", "meta l4proto udp reject", False))
    for chain in ("forward", "input", "localout"):
        rules.append((chain, f"hnsctl lb-reject-{chain}", f"ct mark {REJECT_MARK:#x} jump {REJECT_CHAIN}", True))
    return rules


def object_script(short: str) -> str:
    """The load balancer's own chain and bucket map (nft syntax: libnftables 1.0.6 JSON has no `typeof` maps)."""
    name = chain_name(short)
    return (f"add chain {FAMILY} {TABLE} {name}\n"
            f"add map {FAMILY} {TABLE} {name} {{ typeof numgen inc mod {BUCKETS} : ip daddr; }}\n")


def _frontend_element(frontend: LbFrontend, short: str | None) -> tuple[str, list[Any]]:
    """(map name, element) of one frontend; with `short` None the key alone (for deletes)."""
    proto = frontend.protocol
    if frontend.vip:
        table_map, key = VIP_MAP, {"concat": [frontend.vip, proto, frontend.external_port]}
    else:
        table_map, key = NODEPORT_MAP, {"concat": [proto, frontend.external_port]}
    return table_map, ([key, {"jump": {"target": chain_name(short)}}] if short else key)


def _element(verb: str, table_map: str, elements: list[Any]) -> dict[str, Any]:
    return {verb: {"element": {"family": FAMILY, "table": TABLE, "name": table_map, "elem": elements}}}


def _selector(frontend: LbFrontend, seed: int) -> dict[str, Any]:
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    if frontend.distribution == 2:
        return {"jhash": {"expr": saddr, "mod": BUCKETS, "seed": seed}}
    if frontend.distribution == 1:
        return {"jhash": {"expr": {"concat": [saddr, {"meta": {"key": "l4proto"}}]}, "mod": BUCKETS, "seed": seed}}
    return {"numgen": {"mode": "inc", "mod": BUCKETS, "offset": 0}}


def frontend_rule(spec: LoadBalancerSpec, frontend: LbFrontend) -> list[dict[str, Any]]:
    """Match the frontend's protocol and port, then DNAT through the bucket map (or mark for refusal)."""
    expr: list[dict[str, Any]] = [
        {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": PROTOCOL_NUMBERS[frontend.protocol]}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "th", "field": "dport"}}, "right": frontend.external_port}},
    ]
    if not spec.backends:
        expr.append({"mangle": {"key": {"ct": {"key": "mark"}}, "value": REJECT_MARK}})
        return expr
    if spec.snat_mark is not None:
        expr.append({"mangle": {"key": {"ct": {"key": "mark"}}, "value": spec.snat_mark}})
    seed = zlib.crc32(spec.owner.encode())
    expr.append({"dnat": {"family": "ip", "addr": {"map": {"key": _selector(frontend, seed), "data": f"@{chain_name(spec.short)}"}},
                          "port": frontend.internal_port}})
    return expr


def bucket_elements(backends: tuple[str, ...]) -> list[list[Any]]:
    """Bucket i -> backend i mod N: with numgen round robin every backend gets its turn in order."""
    if not backends:
        return []
    return [[bucket, backends[bucket % len(backends)]] for bucket in range(BUCKETS)]


def apply_commands(spec: LoadBalancerSpec) -> list[dict[str, Any]]:
    """One transaction that brings the load balancer's chain, map and elements to `spec`.

    The chain and map already exist (object_script). Re-adding an identical frontend element is a
    no-op in nftables, so the same transaction serves create, update and repair.
    """
    name = chain_name(spec.short)
    commands: list[dict[str, Any]] = [
        {"flush": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}},
        {"flush": {"map": {"family": FAMILY, "table": TABLE, "name": name}}},
    ]
    elements = bucket_elements(spec.backends)
    if elements:
        commands.append(_element("add", name, elements))
    # The chain's name says whose rules these are; the comment deliberately carries no owner tag, so
    # the per-owner rule bookkeeping of networks and policies never sees (or deletes) them.
    for frontend in _distinct_rules(spec.frontends):
        commands.append({"add": {"rule": {"family": FAMILY, "table": TABLE, "chain": name,
                                          "expr": frontend_rule(spec, frontend), "comment": f"hnsctl load balancer {spec.owner}"}}})
    commands.extend(frontend_commands("add", spec))
    return commands


def backend_commands(spec: LoadBalancerSpec) -> list[dict[str, Any]]:
    """A backend change that keeps the load balancer non-empty: the bucket map's elements, nothing else."""
    name = chain_name(spec.short)
    return [{"flush": {"map": {"family": FAMILY, "table": TABLE, "name": name}}}, _element("add", name, bucket_elements(spec.backends))]


def only_backends_differ(before: LoadBalancerSpec, after: LoadBalancerSpec) -> bool:
    """Rules depend on frontends, the SNAT mark and whether there is any backend at all, never on which."""
    return bool(before.backends) and bool(after.backends) and replace(before, backends=after.backends) == after


def _distinct_rules(frontends: tuple[LbFrontend, ...]) -> list[LbFrontend]:
    """One rule per (protocol, port): several VIPs of one port mapping share the rule."""
    seen: dict[tuple[str, int], LbFrontend] = {}
    for frontend in frontends:
        seen.setdefault((frontend.protocol, frontend.external_port), frontend)
    return list(seen.values())


def frontend_commands(verb: str, spec: LoadBalancerSpec) -> list[dict[str, Any]]:
    """Add (with verdicts) or delete (keys) the frontend elements and the source-VIP element."""
    commands = []
    for frontend in spec.frontends:
        table_map, element = _frontend_element(frontend, spec.short if verb == "add" else None)
        commands.append(_element(verb, table_map, [element]))
    if spec.snat_mark is not None and spec.source_vip:
        commands.append(_element(verb, SNAT_MAP, [[spec.snat_mark, spec.source_vip]] if verb == "add" else [spec.snat_mark]))
    return commands


def remove_commands(spec: LoadBalancerSpec) -> list[dict[str, Any]]:
    """Elements pointing at the chain first (a referenced chain cannot be deleted), then chain and map."""
    name = chain_name(spec.short)
    return [
        *frontend_commands("delete", spec),
        {"flush": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}},
        {"delete": {"map": {"family": FAMILY, "table": TABLE, "name": name}}},
        {"delete": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}},
    ]


def listed_state(listing: dict[str, Any]) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
    """Per short ID: (rules in its chain, backend addresses in its map, frontend keys pointing at it)."""
    rules: dict[str, int] = {}
    backends: dict[str, set[str]] = {}
    frontends: dict[str, set[tuple[str | None, str, int]]] = {}
    for item in listing.get("nftables", []):
        if "chain" in item and item["chain"].get("table") == TABLE and is_lb_object(item["chain"]["name"]):
            rules.setdefault(item["chain"]["name"][3:], 0)
        elif "rule" in item and item["rule"].get("table") == TABLE and is_lb_object(item["rule"]["chain"]):
            short = item["rule"]["chain"][3:]
            rules[short] = rules.get(short, 0) + 1
        elif "map" in item and item["map"].get("table") == TABLE:
            table_map = item["map"]
            if is_lb_object(table_map["name"]):
                backends.setdefault(table_map["name"][3:], set()).update(str(e[1]) for e in table_map.get("elem", []))
            elif table_map["name"] in (VIP_MAP, NODEPORT_MAP):
                for key, verdict in table_map.get("elem", []):
                    target = verdict.get("jump", {}).get("target", "") if isinstance(verdict, dict) else ""
                    if not is_lb_object(target):
                        continue
                    parts = key["concat"]
                    frontend = (str(parts[0]), str(parts[1]), int(parts[2])) if len(parts) == 3 else (None, str(parts[0]), int(parts[1]))
                    frontends.setdefault(target[3:], set()).add(frontend)
    shorts = set(rules) | set(backends) | set(frontends)
    return {s: (rules.get(s, 0), frozenset(backends.get(s, ())), frozenset(frontends.get(s, ()))) for s in shorts}


def orphan_commands(listing: dict[str, Any], keep: set[str], *, only: str | None = None,
                    keep_marks: set[int] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Commands deleting every per-load-balancer object whose short ID is not in `keep` (or just `only`'s),
    and source-VIP elements whose mark is not in `keep_marks` (None: leave them)."""
    stale: set[str] = set()
    commands: list[dict[str, Any]] = []
    # Order matters within the transaction: nothing may be deleted while something still refers to it
    # (frontend elements -> chain, chain rules -> map).
    flushes: list[dict[str, Any]] = []
    maps: list[dict[str, Any]] = []
    chains: list[dict[str, Any]] = []
    for item in listing.get("nftables", []):
        for kind in ("chain", "map"):
            obj = item.get(kind)
            if obj and obj.get("table") == TABLE and is_lb_object(obj["name"]) and _stale(obj["name"][3:], keep, only):
                stale.add(obj["name"][3:])
                ref = {kind: {"family": FAMILY, "table": TABLE, "name": obj["name"]}}
                if kind == "chain":
                    flushes.append({"flush": ref})
                    chains.append({"delete": ref})
                else:
                    maps.append({"delete": ref})
        table_map = item.get("map")
        if table_map and table_map.get("table") == TABLE and table_map["name"] in (VIP_MAP, NODEPORT_MAP):
            for key, verdict in table_map.get("elem", []):
                target = verdict.get("jump", {}).get("target", "") if isinstance(verdict, dict) else ""
                if is_lb_object(target) and _stale(target[3:], keep, only):
                    stale.add(target[3:])
                    commands.append(_element("delete", table_map["name"], [key]))
        if table_map and table_map.get("table") == TABLE and table_map["name"] == SNAT_MAP and keep_marks is not None:
            for mark, _vip in table_map.get("elem", []):
                if int(mark) not in keep_marks:
                    commands.append(_element("delete", SNAT_MAP, [int(mark)]))
    return sorted(stale), commands + flushes + maps + chains


def _stale(short: str, keep: set[str], only: str | None) -> bool:
    return short == only if only is not None else short not in keep
