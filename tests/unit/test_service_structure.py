"""The house rules of the service layer, checked on the source: no import circle between its modules
(every import counts, as in test_layers), no module over ~400 lines, and no test of what kind of settings
a policy holds outside the policy drivers (hnsctl/service/policies/)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit.test_layers import IMPORTS, PACKAGE_DIR, within

SERVICE = "hnsctl.service"
MAX_LINES = 400
SETTINGS_CLASSES = {"PortMapping", "OutboundNat", "Acl", "Qos", "Route", "RemoteSubnetRoute", "HostRoute"}


def module_graph(package: str) -> dict[str, set[str]]:
    """Importer -> imported modules, both inside `package` (a `from a import b` of a module b counts as a.b)."""
    modules = {i.importer for i in IMPORTS if within(i.importer, package)}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in IMPORTS:
        if imp.importer in graph and imp.target in modules and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def parent_package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ importing its own submodules is how a registry is built, not a circle."""
    return {m: {t for t in targets if not within(m, t)} for m, targets in graph.items()}


def test_no_import_circle_inside_the_service_layer() -> None:
    found = cycles(parent_package_edges(module_graph(SERVICE)))
    assert not found, "import circles:\n  " + "\n  ".join(" <-> ".join(c) for c in found)


def test_a_circle_would_be_reported() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_service_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(PACKAGE_DIR.parent)): n for p in sorted((PACKAGE_DIR / "service").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_only_policy_drivers_ask_what_settings_a_policy_holds() -> None:
    """isinstance(x, PortMapping) and friends belong in hnsctl/service/policies/, one driver per type."""
    found = []
    for path in sorted((PACKAGE_DIR / "service").rglob("*.py")):
        if "policies" in path.relative_to(PACKAGE_DIR / "service").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                if names & SETTINGS_CLASSES:
                    found.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{node.lineno}")
    assert not found, "settings type tests outside the drivers: " + ", ".join(found)


def test_every_policy_type_has_a_driver() -> None:
    from hnsctl.models.policy import PolicyType
    from hnsctl.service.policies import DRIVERS, NETWORK_DRIVERS

    assert set(DRIVERS) | set(NETWORK_DRIVERS) == set(PolicyType)
    assert all(kind.on_network for kind in NETWORK_DRIVERS) and not any(kind.on_network for kind in DRIVERS)


def test_the_scan_found_the_service_modules() -> None:
    graph = module_graph(SERVICE)
    assert "hnsctl.service.policies.nat" in graph and "hnsctl.service.lookup" in graph["hnsctl.service.endpoint"]
    assert Path(PACKAGE_DIR / "service" / "policies").is_dir()
