"""`hnsctl doctor`: what this host can do and whether hnsctl's state and kernel objects are healthy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hnsctl.errors import HnsError

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend
    from hnsctl.store import Store


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str


def diagnose(store: Store, backend: Backend) -> list[Check]:
    from hnsctl.backend.privileges import (  # capability bits, no kernel calls
        CAP_NET_ADMIN,
        has_capability,
    )

    checks: list[Check] = []
    privileged = has_capability(CAP_NET_ADMIN)
    checks.append(Check("privileges", "ok" if privileged else "fail",
                        "CAP_NET_ADMIN present" if privileged else "not root / no CAP_NET_ADMIN: mutations will be refused"))
    checks.extend(_state(store))
    if privileged:
        for name, works, detail in backend.kernel_features():
            optional = name in ("vxlan", "tc", "802.1q", "bridge-vlan-filtering")  # only some features need them
            checks.append(Check(name, "ok" if works else ("warn" if optional else "fail"), detail))
    for name, path, want, meaning in (
        ("ip_forward", "/proc/sys/net/ipv4/ip_forward", "1", "nat networks turn it on when created"),
        ("br_netfilter", "/proc/sys/net/bridge/bridge-nf-call-iptables", "1", "ACLs between endpoints of one bridge need it"),
    ):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            checks.append(Check(name, "warn", f"{path} missing: {meaning}"))
            continue
        checks.append(Check(name, "ok" if value == want else "warn", f"{value} ({meaning})"))
    if privileged:
        try:
            from hnsctl.service.reconcile import ReconcileService

            drift = ReconcileService(store, backend).reconcile(repair=False)
            checks.append(Check("drift", "ok" if not drift else "warn",
                                "kernel matches state" if not drift else f"{len(drift)} difference(s): run `hnsctl reconcile`"))
        except HnsError as exc:
            checks.append(Check("drift", "fail", exc.message))
    return checks


def _state(store: Store) -> list[Check]:
    from hnsctl.store.lock import lock_holder, lock_problem

    root = store.root
    if not root.exists():
        return [Check("state", "ok", f"{root} does not exist yet (created on the first change)")]
    mode = root.stat().st_mode & 0o777
    checks = [Check("state", "ok" if mode & 0o077 == 0 else "warn", f"{root} mode {mode:o}" + ("" if mode & 0o077 == 0 else " (others can read it)"))]
    try:
        counts = {"networks": len(store.load_networks()), "endpoints": len(store.load_endpoints()),
                  "namespaces": len(store.load_namespaces()), "policies": len(store.load_policies())}
        intents = store.load_intents()
        checks.append(Check("records", "ok" if not intents else "warn",
                            ", ".join(f"{v} {k}" for k, v in counts.items())
                            + (f"; {len(intents)} interrupted delete(s): run `hnsctl reconcile`" if intents else "")))
    except HnsError as exc:
        checks.append(Check("records", "fail", exc.message))
    problem = lock_problem(root / "lock")
    if problem is not None:
        checks.append(Check("lock", "fail", problem))
        return checks
    holder = lock_holder(root / "lock")
    checks.append(Check("lock", "ok" if holder is None else "warn", "free" if holder is None else f"held by process {holder}"))
    return checks
