"""A dry run's plan as data: one `Operation` per kernel change, and the one renderer that prints them.

DryRunBackend records operations; `render_lines` turns them into the pseudo-iproute2/nft lines
`--dry-run` prints, `render_json` into plain objects for `--dry-run -o json`. Details hold only
JSON values (strings, numbers, booleans, None, lists and objects of them), so both outputs come
from the same record and the record itself can be compared in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hnsctl.backend.nftrules import FAMILY, TABLE
from hnsctl.models.ids import owner_tag


@dataclass(frozen=True)
class Operation:
    """One change the real backend would make: `verb` a `kind` of kernel object named `target`."""

    verb: str  # add, set, replace, delete, move, ...
    kind: str  # bridge, link, address, route, fdb, rules, sysctl, ...
    target: str  # the interface, address, owner ID or file the change is about
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"Verb": self.verb, "Kind": self.kind, "Target": self.target, "Details": dict(self.details)}


def render_lines(operations: Sequence[Operation]) -> list[str]:
    """The lines `--dry-run` prints, in order (an nftables transaction is several lines)."""
    return [line for op in operations for line in _RENDERERS[op.verb, op.kind](op.target, op.details)]


def render_json(operations: Sequence[Operation]) -> list[dict[str, Any]]:
    return [op.to_json() for op in operations]


Renderer = Callable[[str, Mapping[str, Any]], list[str]]


def _ip(d: Mapping[str, Any]) -> str:
    """`ip ` or `ip -n NS ` for a command run inside a namespace."""
    return f"ip -n {d['namespace']} " if d.get("namespace") else "ip "


def _tc(d: Mapping[str, Any]) -> str:
    return f"tc -n {d['namespace']} " if d.get("namespace") else "tc "


def _route_replace(t: str, d: Mapping[str, Any]) -> list[str]:
    via = f"via {d['via']} " + ("onlink " if d.get("onlink") else "") if d.get("via") else ""
    return [f"{_ip(d)}route replace {t} {via}{'scope link ' if d.get('scope') == 'link' else ''}dev {d['device']}"]


def _fdb_replace(t: str, d: Mapping[str, Any]) -> list[str]:
    if d.get("destination"):
        return [f"bridge fdb replace {t} dev {d['device']} dst {d['destination']} self permanent"]
    return [f"bridge fdb replace {t} dev {d['device']} master static"]


def _enslave(t: str, d: Mapping[str, Any]) -> list[str]:
    alias = f"alias {owner_tag(d['owner'])} " if d.get("owner") else ""
    return [f"ip link set {t} {alias}master {d['bridge']} up"]


def _rules(t: str, d: Mapping[str, Any]) -> list[str]:
    rules = [f'nft add rule {FAMILY} {TABLE} {r["chain"]} {r["text"]} comment "{r["comment"]}"' for r in d["rules"]]
    return [f"nft begin transaction (replace rules of {t} in {FAMILY} {TABLE})", *rules, "nft commit"]


def _l2_element(verb: str) -> Renderer:
    return lambda t, d: [f"nft {verb} element bridge hnsctl l2-{t} {d['ip']}" + (f" : {d['mac']}" if d.get("mac") else "")]


def _portmap(t: str, d: Mapping[str, Any]) -> list[str]:
    return [(f"nft add element {FAMILY} {TABLE} portmap {d['protocol']} {d['vip'] or 'local'}:{d['external_port']} "
             f"-> {d['target_ip']}:{d['target_port']}")]


def _host_endpoint(verb: str) -> Renderer:
    return lambda t, d: [f"nft {verb} element {FAMILY} {TABLE} host-endpoints {{ {d['bridge']} . {d['mac']} }}"]


def _load_balancer(t: str, d: Mapping[str, Any]) -> list[str]:
    frontends = ", ".join(f"{f['protocol']} {f['vip'] or '*'}:{f['external_port']}" for f in d["frontends"])
    backends = ", ".join(d["backends"]) or "none: connections refused"
    return [f"nft set load balancer lb-{t} in {FAMILY} {TABLE}: {frontends} -> {backends} (one transaction)"]


def _resolv_conf(t: str, d: Mapping[str, Any]) -> list[str]:
    return [f"write /etc/netns/{t}/resolv.conf (nameserver {' '.join(d['nameservers']) or '-'})"]


_RENDERERS: dict[tuple[str, str], Renderer] = {
    # links
    ("add", "bridge"): lambda t, d: [f"ip link add {t} type bridge"],
    ("repair", "bridge"): lambda t, d: [(f"ip link set {t} alias {owner_tag(d['owner'])} up; "
                                         f"add missing addresses {', '.join(d['addresses']) or '-'}")],
    ("add", "vxlan"): lambda t, d: [(f"ip link add {t} type vxlan id {d['vni']} dstport {d['port']} local {d['local']} "
                                     f"dev {d['underlay']} nolearning mtu {d['mtu']}")],
    ("add", "veth"): lambda t, d: [f"ip link add {t} master {d['bridge']} up type veth peer name {d['peer']} address {d['mac']}"],
    ("tag", "link"): lambda t, d: [f"ip link set {t} alias {owner_tag(d['owner'])}"],
    ("enslave", "link"): _enslave,
    ("up", "link"): lambda t, d: [f"{_ip(d)}link set {t} up"],
    ("rename", "link"): lambda t, d: [f"ip link set {t} name {d['name']}"],
    ("delete", "link"): lambda t, d: [f"ip link del {t}"],
    ("move", "adapter"): lambda t, d: [(f"ip link set {t} master {d['bridge']} up; move to {d['bridge']}: "
                                        + (", ".join(d["addresses"] + d["routes"]) or "nothing"))],
    ("release", "adapter"): lambda t, d: [(f"ip link set {t} nomaster; restore on {t}: "
                                           + (", ".join(d["addresses"] + d["routes"]) or "nothing"))],
    # namespaces and the container side of ports
    ("add", "namespace"): lambda t, d: [f"ip netns add {t} (in-process: unshare + bind mount); ip -n {t} link set lo up"],
    ("delete", "namespace"): lambda t, d: [f"ip netns del {t}"],
    ("write", "resolv.conf"): _resolv_conf,
    ("remove", "resolv.conf"): lambda t, d: [f"remove /etc/netns/{t}/resolv.conf (if hnsctl wrote it)"],
    ("move", "link"): lambda t, d: [f"ip link set {t} netns {d['namespace']} name {d['name']}"],
    ("park", "link"): lambda t, d: [(f"ip -n {d['namespace']} link set <interface tagged {owner_tag(d['owner'])}> down "
                                     f"netns <home> name {t}")],
    ("park", "host-interface"): lambda t, d: [f"ip link set {t} down; ip addr flush dev {t}; ip link set {t} name {d['parked_name']}"],
    # addresses and routes
    ("add", "address"): lambda t, d: [f"{_ip(d)}addr add {d['address']} dev {t}"],
    ("replace", "route"): _route_replace,
    ("delete", "route"): lambda t, d: [f"{_ip(d)}route del {t} dev {d['device']}"],
    # overlay entries
    ("replace", "fdb"): _fdb_replace,
    ("delete", "fdb"): lambda t, d: [f"bridge fdb del {t} dev {d['device']} (self and master)"],
    ("replace", "neighbour"): lambda t, d: [f"ip neigh replace {t} lladdr {d['mac']} dev {d['device']} nud permanent"],
    ("delete", "neighbour"): lambda t, d: [f"ip neigh del {t} dev {d['device']}"],
    # nftables
    ("replace", "rules"): _rules,
    ("delete", "rules"): lambda t, d: [f"nft delete rules of {t} from {FAMILY} {TABLE} (the table too if nothing else is left)"],
    ("add", "port-mapping"): _portmap,
    ("delete", "port-mapping"): lambda t, d: [(f"nft delete element {FAMILY} {TABLE} portmap {d['protocol']} "
                                               f"{d['vip'] or 'local'}:{d['external_port']}")],
    ("add", "host-endpoint-mark"): _host_endpoint("add"),
    ("delete", "host-endpoint-mark"): _host_endpoint("delete"),
    ("rebuild", "acl-chains"): lambda t, d: [(f"nft rebuild chains acl-{t}-in/-out in {FAMILY} {TABLE} with {d['rules']} rule(s) "
                                              "(one transaction)")],
    ("prune", "acl-chains"): lambda t, d: [f"nft delete ACL chains of endpoints other than {', '.join(d['keep']) or '(none)'}"],
    ("set", "load-balancer"): _load_balancer,
    ("delete", "load-balancer"): lambda t, d: [f"nft delete load balancer lb-{t} (chain, map, frontend elements) from {FAMILY} {TABLE}"],
    ("prune", "load-balancers"): lambda t, d: [(f"nft delete load balancers other than {', '.join(d['keep']) or '(none)'} "
                                                f"from {FAMILY} {TABLE}")],
    ("replace", "l2bridge"): lambda t, d: [(f"nft: bridge hnsctl MAC rewriting on {d['adapter']} as {d['host_mac']} "
                                            f"for {len(d['endpoints'])} endpoint(s)")],
    ("delete", "l2bridge"): lambda t, d: [f"nft: remove the MAC rewriting of {t} from bridge hnsctl"],
    ("add", "l2bridge-endpoint"): _l2_element("add"),
    ("delete", "l2bridge-endpoint"): _l2_element("delete"),
    # system
    ("set", "sysctl"): lambda t, d: [f"sysctl -w {t}={d['value']}"],
    ("set", "qos"): lambda t, d: [f"{_tc(d)}qdisc replace dev {t} root handle 1: tbf rate {d['bytes_per_second'] * 8}bit"],
    ("delete", "qos"): lambda t, d: [f"{_tc(d)}qdisc del dev {t} root"],
}
