"""Architecture: cli -> service -> backend/store, models at the bottom. Checked on the source with ast.

Every import counts: module level, inside functions, and under `if TYPE_CHECKING:` (a type-only
import is still a dependency a refactor can turn into a real one).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import hnsctl

PACKAGE_DIR = Path(hnsctl.__file__).parent

# The composition root is the one place that wires backends and stores to services.
COMPOSITION_ROOT = "hnsctl.service"


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted name imported (for `from a import b`: "a.b" and "a" are both recorded)
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def collect_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend(Import(name, alias.name, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    target = resolve_relative(name, path.name == "__init__.py", node.level, node.module)
                found.append(Import(name, target, node.lineno))
                found.extend(Import(name, f"{target}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*")
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__"):
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.append(Import(name, node.args[0].value, node.lineno))
    return found


IMPORTS = collect_imports()


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(importers: str | tuple[str, ...], forbidden: tuple[str, ...], *, allowed_in: tuple[str, ...] = ()) -> list[str]:
    """Imports of `forbidden` by modules in `importers`, except by modules within `allowed_in`."""
    importers = (importers,) if isinstance(importers, str) else importers
    return sorted({
        str(imp)
        for imp in IMPORTS
        if any(within(imp.importer, p) for p in importers)
        and not any(within(imp.importer, a) for a in allowed_in)
        and any(within(imp.target, f) for f in forbidden)
    })


def test_the_scan_sees_imports_at_every_level() -> None:
    """Guard against a scanner that silently finds nothing: known imports must show up."""
    targets = {(i.importer, i.target) for i in IMPORTS}
    assert ("hnsctl.backend.pyroute", "pyroute2.iproute.linux") in targets  # inside a function
    assert ("hnsctl.cli.render", "rich.table") in targets  # inside a function
    assert ("hnsctl.service", "hnsctl.backend") in targets  # function-level, composition root
    assert len({i.importer for i in IMPORTS}) >= 30


RULES = [
    pytest.param("hnsctl.cli", ("pyroute2", "hnsctl.backend", "hnsctl.store"), (), id="cli-not-backend-store-pyroute2"),
    pytest.param("hnsctl.service", ("typer", "rich", "click"), (), id="service-not-typer-rich"),
    pytest.param("hnsctl", ("pyroute2",), ("hnsctl.backend",), id="pyroute2-only-in-backend"),
    pytest.param(
        ("hnsctl.models", "hnsctl.errors", "hnsctl.config"),
        ("hnsctl.cli", "hnsctl.service", "hnsctl.backend", "hnsctl.store"),
        (),
        id="models-errors-config-at-the-bottom",
    ),
    pytest.param("hnsctl.backend", ("hnsctl.service", "hnsctl.store", "hnsctl.cli"), (), id="backend-not-service-store-cli"),
    pytest.param("hnsctl.store", ("hnsctl.backend", "hnsctl.service", "hnsctl.cli"), (), id="store-not-backend-service-cli"),
    pytest.param("hnsctl", ("subprocess",), (), id="no-subprocess-anywhere"),
    pytest.param("hnsctl", ("typer", "rich", "click"), ("hnsctl.cli",), id="ui-libraries-only-in-cli"),
]


@pytest.mark.parametrize(("importers", "forbidden", "allowed_in"), RULES)
def test_layer_rule(importers, forbidden, allowed_in) -> None:
    found = violations(importers, forbidden, allowed_in=allowed_in)
    assert not found, "layer violations:\n  " + "\n  ".join(found)


def test_a_violation_would_be_reported() -> None:
    """Control for the rules above: the checker does flag a known import when it is forbidden."""
    assert violations("hnsctl.backend.pyroute", ("pyroute2",)) != []
    assert violations("hnsctl", ("pyroute2",), allowed_in=("hnsctl.backend",)) == []


def test_only_the_composition_root_wires_backend_and_store_into_services() -> None:
    """hnsctl/service/__init__.py picks the real or dry-run backend and store; nothing else in service does."""
    concrete = ("hnsctl.backend.kernel", "hnsctl.backend.dryrun", "hnsctl.backend.open_backend", "hnsctl.store.OverlayStore")
    wiring = {i.importer for i in IMPORTS if within(i.importer, "hnsctl.service") and any(within(i.target, c) for c in concrete)}
    assert wiring <= {COMPOSITION_ROOT}


# ---------------------------------------------------------------- no import cycles inside a layer

# Layers whose modules import each other in one direction only. Extend it as the other layers' cycles go.
ACYCLIC_PACKAGES = ("hnsctl.models", "hnsctl.store", "hnsctl.backend")

MODULE_FILES = {module_name(path): path.relative_to(PACKAGE_DIR.parent).as_posix() for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def imported_module(target: str) -> str | None:
    """The hnsctl module an import target names: `a.b.name` is module `a.b` when `name` is not a module itself."""
    while target:
        if target in MODULE_FILES:
            return target
        target = target.rpartition(".")[0]
    return None


def only_submodules_of(package: str, statement_targets: set[str]) -> bool:
    """`from pkg import mod_a, mod_b` depends on the submodules; `pkg/__init__.py` runs first as it does for
    `from pkg.mod_a import name`, which is no edge to the package either. A name defined in the package is."""
    names = [t for t in statement_targets if t.startswith(package + ".") and "." not in t[len(package) + 1:]]
    return bool(names) and all(n in MODULE_FILES for n in names)


def import_graph(package: str) -> dict[str, dict[str, int]]:
    """importer -> {imported module: first line importing it}, for modules inside `package` only."""
    graph: dict[str, dict[str, int]] = {name: {} for name in MODULE_FILES if within(name, package)}
    statements: dict[tuple[str, int], set[str]] = {}
    for imp in IMPORTS:
        statements.setdefault((imp.importer, imp.line), set()).add(imp.target)
    for imp in IMPORTS:
        target = imported_module(imp.target)
        if target == imp.target and only_submodules_of(target, statements[(imp.importer, imp.line)]):
            continue
        if imp.importer in graph and target in graph and target != imp.importer:
            edges = graph[imp.importer]
            edges[target] = min(edges.get(target, imp.line), imp.line)
    return graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[tuple[str, int]]]:
    """One cycle per strongly connected group of modules, as [(module, line of its import of the next), ...]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graphs are small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    cycles = []
    for group in sorted(groups):
        start, members = group[0], set(group)
        paths = {start: [start]}  # breadth first: the shortest way back to `start`
        frontier = [start]
        found: list[str] | None = None
        while frontier and found is None:
            following = []
            for node in frontier:
                for child in sorted(graph[node]):
                    if child == start:
                        found = paths[node]
                        break
                    if child in members and child not in paths:
                        paths[child] = paths[node] + [child]
                        following.append(child)
                if found is not None:
                    break
            frontier = following
        assert found is not None
        cycles.append([(node, graph[node][(found + [start])[i + 1]]) for i, node in enumerate(found)])
    return cycles


def cycle_text(cycle: list[tuple[str, int]]) -> str:
    """`a.py:12 -> b.py:30 -> a.py`: each file with the line that imports the next one."""
    return " -> ".join(f"{MODULE_FILES.get(module, module)}:{line}" for module, line in cycle) + \
        f" -> {MODULE_FILES.get(cycle[0][0], cycle[0][0])}"


@pytest.mark.parametrize("package", ACYCLIC_PACKAGES)
def test_no_import_cycle_inside_the_layer(package: str) -> None:
    cycles = find_cycles(import_graph(package))
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycle_text(c) for c in cycles)


def test_a_cycle_would_be_reported() -> None:
    """Control for the test above: a circle of three is found and printed in import order, a chain is not."""
    circle = {"p.a": {"p.b": 3}, "p.b": {"p.c": 5}, "p.c": {"p.a": 7}, "p.d": {"p.a": 1}}
    assert [cycle_text(c) for c in find_cycles(circle)] == ["p.a:3 -> p.b:5 -> p.c:7 -> p.a"]
    assert find_cycles({"p.a": {"p.b": 1}, "p.b": {}, "p.c": {"p.a": 2}}) == []
    assert import_graph("hnsctl.models")["hnsctl.models.network"]  # the scan sees imports inside the layer


# ---------------------------------------------------------------- small modules

# Packages whose modules stay under MAX_MODULE_LINES. Extend it as the other layers are split.
SIZE_CHECKED_PACKAGES = ("hnsctl.models", "hnsctl.store")
MAX_MODULE_LINES = 400


@pytest.mark.parametrize("package", SIZE_CHECKED_PACKAGES)
def test_no_module_is_too_long(package: str) -> None:
    """A module over the limit has more than one job: split it by kind or by job, as models/*json.py are."""
    assert any(within(name, package) for name in MODULE_FILES), f"no module of {package} was found"
    too_long = sorted(
        f"{path} has {length} lines"
        for name, path in MODULE_FILES.items()
        if within(name, package) and (length := len((PACKAGE_DIR.parent / path).read_text().splitlines())) > MAX_MODULE_LINES
    )
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines:\n  " + "\n  ".join(too_long)
