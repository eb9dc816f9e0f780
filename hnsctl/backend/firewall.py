"""hnsctl's nftables table, driven through libnftables: replace or remove one owner's rules per transaction."""

from __future__ import annotations

from typing import Any

from hnsctl.backend.base import NetworkFirewall
from hnsctl.backend.libnftables import Nftables
from hnsctl.errors import KernelError
from hnsctl.backend.nftrules import (
    FAMILY,
    INFRASTRUCTURE_COMMENT,
    TABLE,
    ListedRule,
    delete_rule_command,
    delete_table_command,
    listed_rules,
    network_rules,
    skeleton_commands,
)


class Firewall:
    """Touches only `inet hnsctl`; never lists, flushes or edits another table."""

    def __init__(self) -> None:
        self._nft: Nftables | None = None

    @property
    def nft(self) -> Nftables:
        if self._nft is None:
            self._nft = Nftables()
        return self._nft

    def _rules(self) -> list[ListedRule] | None:
        """Rules of our table, or None when the table does not exist."""
        try:
            listing = self.nft.run([{"list": {"table": {"family": FAMILY, "name": TABLE}}}], doing="listing nftables table inet hnsctl")
        except KernelError as exc:  # "No such file or directory": no table yet
            if "No such file or directory" in str(exc):
                return None
            raise
        return listed_rules(listing)

    def apply(self, firewall: NetworkFirewall) -> None:
        existing = self._rules()
        has_jump = existing is not None and any(r.comment == INFRASTRUCTURE_COMMENT for r in existing)
        commands: list[dict[str, Any]] = skeleton_commands(with_jump=not has_jump)
        for rule in existing or []:
            if rule.owner == firewall.owner:
                commands.append(delete_rule_command(rule.chain, rule.handle))
        commands.extend(rule.add_command() for rule in network_rules(firewall))
        self.nft.run(commands, doing=f"applying nftables rules for {firewall.owner}")

    def remove(self, owner: str) -> None:
        existing = self._rules()
        if existing is None:
            return
        mine = [r for r in existing if r.owner == owner]
        others = [r for r in existing if r.owner is not None and r.owner != owner]
        if others:
            commands = [delete_rule_command(r.chain, r.handle) for r in mine]
        else:
            commands = [delete_table_command()]  # the table held only our infrastructure and this owner
        if commands:
            self.nft.run(commands, doing=f"removing nftables rules of {owner}")

    def owners(self) -> set[str]:
        return {r.owner for r in self._rules() or [] if r.owner}

    def close(self) -> None:
        if self._nft is not None:
            self._nft.close()
