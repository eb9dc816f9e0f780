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
