"""hnsctl's nftables table, driven through libnftables: each change is one transaction touching only
the rules one owner holds, or one port-mapping element."""

from __future__ import annotations

from typing import Any

from hnsctl.backend import lbrules
from hnsctl.backend.base import (
    EndpointAclSpec,
    L2BridgeSpec,
    LoadBalancerSpec,
    NetworkFirewall,
    OutboundNatSpec,
    PortMapSpec,
)
from hnsctl.backend.libnftables import Nftables
from hnsctl.backend.nftrules import (
    BASE_CHAINS,
    FAMILY,
    HOST_ENDPOINTS_SET,
    INFRASTRUCTURE_COMMENTS,
    REGULAR_CHAINS,
    TABLE,
    ListedRule,
    Rule,
    acl_commands,
    delete_rule_command,
    delete_table_command,
    host_endpoint_command,
    listed_map_elements,
    listed_rules,
    network_rules,
    outbound_nat_rules,
    port_map_command,
    skeleton_script,
)
from hnsctl.errors import Conflict, KernelError
from hnsctl.models.ids import owner_from_tag


class Firewall:
    """Touches only `inet hnsctl`; never lists, flushes or edits another table."""

    def __init__(self) -> None:
        self._nft: Nftables | None = None

    @property
    def nft(self) -> Nftables:
        if self._nft is None:
            self._nft = Nftables()
        return self._nft

    def _listing(self) -> dict[str, Any] | None:
        """hnsctl's table as JSON, or None when it does not exist."""
        try:
            return self.nft.run([{"list": {"table": {"family": FAMILY, "name": TABLE}}}], doing="listing nftables table inet hnsctl")
        except KernelError as exc:  # "No such file or directory": no table yet
            if "No such file or directory" in str(exc):
                return None
            raise

    def _rules(self) -> list[ListedRule] | None:
        """Rules of hnsctl's chains (not the maps: with 10,000 port mappings a table listing is slow)."""
        # One `list chain` per call: libnftables 1.0.6 answers "No such file or directory" to a batch of them.
        rules: list[ListedRule] = []
        for name in [c["name"] for c in BASE_CHAINS] + list(REGULAR_CHAINS):
            try:
                listing = self.nft.run([{"list": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}}],
                                       doing="listing nftables chains of inet hnsctl")
            except KernelError as exc:  # no table (or an older layout without this chain)
                if "No such file or directory" in str(exc):
                    whole = self._listing()
                    return None if whole is None else listed_rules(whole)
                raise
            rules.extend(listed_rules(listing))
        return rules

    def _ensure_skeleton(self, existing: list[ListedRule] | None) -> None:
        """Create what is missing of the table's fixed layout (its own transaction; idempotent)."""
        present = {r.comment for r in existing or [] if r.comment in INFRASTRUCTURE_COMMENTS}
        if existing is not None and present == INFRASTRUCTURE_COMMENTS:
            return
        self.nft.run_text(skeleton_script(present), doing="creating nftables table inet hnsctl")

    def apply_rules(self, owner: str, rules: list[Rule]) -> None:
        existing = self._rules()
        self._ensure_skeleton(existing)
        commands: list[dict[str, Any]] = []
        for rule in existing or []:
            if rule.owner == owner:
                commands.append(delete_rule_command(rule.chain, rule.handle))
        commands.extend(rule.add_command() for rule in rules)
        self.nft.run(commands, doing=f"applying nftables rules for {owner}")

    def apply(self, firewall: NetworkFirewall) -> None:
        self.apply_rules(firewall.owner, network_rules(firewall))

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        self.apply_rules(spec.owner, outbound_nat_rules(spec))

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        existing = self._rules()
        self._ensure_skeleton(existing)
        dispatch = [r for r in existing or [] if r.owner == spec.owner and r.comment.endswith(("acl-dispatch-in", "acl-dispatch-out"))]
        self.nft.run(acl_commands(spec, dispatch), doing=f"applying the ACLs of endpoint {spec.owner}")

    def remove(self, owner: str) -> None:
        listing = self._listing()
        if listing is None:
            return
        existing = listed_rules(listing)
        mine = [r for r in existing if r.owner == owner]
        others = [r for r in existing if r.owner is not None and r.owner != owner]
        mappings = any(listed_map_elements(listing).values())
        if others or mappings:
            commands = [delete_rule_command(r.chain, r.handle) for r in mine]
        else:
            commands = [delete_table_command()]  # nothing but infrastructure and this owner's rules is left
        if commands:
            self.nft.run(commands, doing=f"removing nftables rules of {owner}")

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        """One element in one transaction; the table is built first only when it is missing."""
        element = port_map_command("add", spec.protocol, spec.external_port, spec.vip, (spec.target_ip, spec.target_port))
        doing = f"adding port mapping {spec.protocol}/{spec.external_port}"
        try:
            try:
                self.nft.run([element], doing=doing)
            except KernelError as exc:
                if "No such file or directory" not in str(exc):
                    raise
                self._ensure_skeleton(self._rules())
                self.nft.run([element], doing=doing)
        except KernelError as exc:
            if "File exists" in str(exc):
                raise Conflict(f"{doing}: the kernel already maps it", hint="run `hnsctl reconcile`") from None
            raise

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        command = port_map_command("delete", spec.protocol, spec.external_port, spec.vip, None)
        try:
            self.nft.run([command], doing=f"removing port mapping {spec.protocol}/{spec.external_port}")
        except KernelError as exc:
            if "No such file or directory" not in str(exc):
                raise  # gone already (element, map or table) counts as done

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        listing = self._listing()
        if listing is None:
            return set()
        keys: set[tuple[str, int, str | None]] = set()
        for name, elements in listed_map_elements(listing).items():
            if not name.startswith("portmap-"):
                continue
            protocol = name.rsplit("-", 1)[1]
            for element in elements:
                key = element[0] if isinstance(element, list) else element
                if isinstance(key, dict) and "concat" in key:
                    keys.add((protocol, int(key["concat"][1]), str(key["concat"][0])))
                else:
                    keys.add((protocol, int(key), None))
        return keys

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        """Add (present) or remove one host endpoint's element; the table is built first when missing."""
        doing = f"{'marking' if present else 'unmarking'} host endpoint {mac} on {bridge}"
        command = host_endpoint_command("add" if present else "delete", bridge, mac)
        try:
            self.nft.run([command], doing=doing)
        except KernelError as exc:
            if "No such file or directory" not in str(exc):
                raise
            if not present:
                return  # gone already (element, set or table)
            self._ensure_skeleton(self._rules())
            self.nft.run([command], doing=doing)

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        """(bridge, MAC) elements present; one small set listed, not the table."""
        try:
            listing = self.nft.run([{"list": {"set": {"family": FAMILY, "table": TABLE, "name": HOST_ENDPOINTS_SET}}}],
                                   doing="listing the host endpoint set")
        except KernelError as exc:
            if "No such file or directory" in str(exc):
                return set()
            raise
        marks: set[tuple[str, str]] = set()
        for item in listing.get("nftables", []):
            for element in item.get("set", {}).get("elem", []):
                bridge, mac = element["concat"]
                marks.add((str(bridge), str(mac)))
        return marks

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        """Delete per-endpoint ACL chains (`acl-<8 hex>-in|out`) of endpoints not in `keep` (8-hex IDs)."""
        listing = self._listing()
        if listing is None:
            return []
        stale = []
        for item in listing.get("nftables", []):
            chain = item.get("chain")
            if chain and chain.get("table") == TABLE and chain["name"].startswith("acl-") and chain["name"].count("-") == 2:
                if chain["name"].split("-")[1] not in keep:
                    stale.append(chain["name"])
        if stale:
            commands: list[dict[str, Any]] = []
            for name in stale:
                commands.append({"flush": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}})
                commands.append({"delete": {"chain": {"family": FAMILY, "table": TABLE, "name": name}}})
            self.nft.run(commands, doing="removing ACL chains of endpoints hnsctl has no record of")
        return stale

    # -- load balancers

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        """One JSON transaction; the chain and bucket map are made first when `new` or found missing,
        and the table's fixed layout only when that fails too (the first load balancer of a host).
        Given the `previous` spec of a backend change, only the bucket map's elements are replaced."""
        doing = f"applying load balancer {spec.owner}"
        if previous is not None and lbrules.only_backends_differ(previous, spec):
            try:
                self.nft.run(lbrules.backend_commands(spec), doing=doing)
                return
            except KernelError as exc:
                if "No such file or directory" not in str(exc):
                    raise  # otherwise rebuild everything below

        def make_objects() -> None:
            try:
                self.nft.run_text(lbrules.object_script(spec.short), doing=doing)
            except KernelError as exc:
                if "No such file or directory" not in str(exc):
                    raise
                self._ensure_skeleton(self._rules())
                self.nft.run_text(lbrules.object_script(spec.short), doing=doing)

        try:
            if new:
                make_objects()
            try:
                self.nft.run(lbrules.apply_commands(spec), doing=doing)
            except KernelError as exc:
                if new or "No such file or directory" not in str(exc):
                    raise
                make_objects()
                self.nft.run(lbrules.apply_commands(spec), doing=doing)
        except KernelError as exc:
            if "File exists" in str(exc):
                raise Conflict(f"{doing}: the kernel already holds one of its frontends or its source-VIP mark for another "
                               "load balancer (a leftover)", hint="run `hnsctl reconcile`, which removes leftovers") from None
            raise

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        try:
            self.nft.run(lbrules.remove_commands(spec), doing=f"removing load balancer {spec.owner}")
        except KernelError as exc:
            if "No such file or directory" not in str(exc):
                raise
            listing = self._listing()  # partly gone already: delete exactly what is left
            if listing is None:
                return
            _stale, commands = lbrules.orphan_commands(listing, set(), only=spec.short)
            if spec.snat_mark is not None and any(
                item.get("map", {}).get("name") == lbrules.SNAT_MAP and any(int(m) == spec.snat_mark for m, _ in item["map"].get("elem", []))
                for item in listing.get("nftables", [])
            ):
                commands.append({"delete": {"element": {"family": FAMILY, "table": TABLE, "name": lbrules.SNAT_MAP, "elem": [spec.snat_mark]}}})
            if commands:
                self.nft.run(commands, doing=f"removing what is left of load balancer {spec.owner}")
        self.remove(spec.owner)  # drops the table once nothing of anybody is left in it

    def load_balancer_marks(self) -> set[int]:
        """One small map listed, not the table."""
        try:
            listing = self.nft.run([{"list": {"map": {"family": FAMILY, "table": TABLE, "name": lbrules.SNAT_MAP}}}],
                                   doing="listing the source-VIP map")
        except KernelError as exc:
            if "No such file or directory" in str(exc):
                return set()
            raise
        return {int(mark) for item in listing.get("nftables", []) if "map" in item for mark, _vip in item["map"].get("elem", [])}

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        listing = self._listing()
        return {} if listing is None else lbrules.listed_state(listing)

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        listing = self._listing()
        if listing is None:
            return []
        stale, commands = lbrules.orphan_commands(listing, keep, keep_marks=keep_marks)
        if commands:
            self.nft.run(commands, doing="removing load balancers hnsctl has no record of")
        return stale

    # -- l2bridge MAC rewriting (table `bridge hnsctl`)

    def _l2_listing(self) -> dict[str, Any] | None:
        try:
            return self.nft.run([{"list": {"table": {"family": "bridge", "name": TABLE}}}], doing="listing nftables table bridge hnsctl")
        except KernelError as exc:
            if "No such file or directory" in str(exc):
                return None
            raise

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        from hnsctl.backend import l2rules

        doing = f"applying the MAC rewriting of network {spec.owner}"
        self.nft.run_text(l2rules.skeleton_script(spec.short), doing=doing)
        listing = self._l2_listing() or {}
        commands: list[dict[str, Any]] = []
        for item in listing.get("nftables", []):
            rule = item.get("rule")
            if rule and owner_from_tag(rule.get("comment", "")) == spec.owner:
                commands.append({"delete": {"rule": {"family": "bridge", "table": TABLE, "chain": rule["chain"], "handle": rule["handle"]}}})
        commands.append({"flush": {"map": {"family": "bridge", "table": TABLE, "name": l2rules.map_name(spec.short)}}})
        commands.extend(l2rules.network_rules(spec.owner, spec.short, spec.adapter, spec.host_mac))
        commands.extend(l2rules.element_command("add", spec.short, ip, mac) for ip, mac in spec.endpoints)
        self.nft.run(commands, doing=doing)

    def remove_l2bridge(self, owner: str, short: str) -> None:
        from hnsctl.backend import l2rules

        listing = self._l2_listing()
        if listing is None:
            return
        commands: list[dict[str, Any]] = []
        maps: list[dict[str, Any]] = []  # after the rules that use them, or the kernel says the map is busy
        others = False
        for item in listing.get("nftables", []):
            rule, table_map = item.get("rule"), item.get("map")
            if rule:
                if owner_from_tag(rule.get("comment", "")) == owner:
                    commands.append({"delete": {"rule": {"family": "bridge", "table": TABLE, "chain": rule["chain"], "handle": rule["handle"]}}})
                else:
                    others = True
            if table_map and table_map["name"] == l2rules.map_name(short):
                maps.append({"delete": {"map": {"family": "bridge", "table": TABLE, "name": table_map["name"]}}})
            elif table_map:
                others = True
        commands += maps
        if not others:
            commands = [{"delete": {"table": {"family": "bridge", "name": TABLE}}}]
        self.nft.run(commands, doing=f"removing the MAC rewriting of network {owner}")

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        from hnsctl.backend import l2rules

        try:
            self.nft.run([l2rules.element_command("add" if mac else "delete", short, ip, mac)], doing=f"MAC rewriting for {ip}")
        except KernelError as exc:
            if mac is not None or "No such file or directory" not in str(exc):
                raise

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        from hnsctl.backend import l2rules

        listing = self._l2_listing() or {}
        rules = 0
        elements: set[tuple[str, str]] = set()
        for item in listing.get("nftables", []):
            if item.get("rule") and owner_from_tag(item["rule"].get("comment", "")) == owner:
                rules += 1
            if item.get("map") and item["map"]["name"] == l2rules.map_name(short):
                elements.update((str(k), str(v)) for k, v in item["map"].get("elem", []))
        return rules, frozenset(elements)

    def owners(self) -> set[str]:
        """Owners of any rule in the table, per-endpoint ACL chains included (reconcile, `--effective`)."""
        listing = self._listing()
        return set() if listing is None else {r.owner for r in listed_rules(listing) if r.owner}

    def close(self) -> None:
        if self._nft is not None:
            self._nft.close()
