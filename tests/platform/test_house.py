"""The layered house (docs/architecture.md), checked on the source itself.

import-linter (`make lint`) enforces the layers; these tests state the two rules it
cannot: no two apps import each other in any direction (imports inside functions
count), and the rooms stay small (modules under 600 lines, functions under 80 outside
the demo data).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "klantstuur"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Demo data is a script of an evening and a shop's history, read top to bottom.
LONG_FUNCTIONS_ALLOWED = ("demo/",)


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts]


def _app_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_apps(path: Path, tree: ast.AST) -> set[str]:
    """Top-level packages of klantstuur this module imports, anywhere in it."""
    here = list(path.relative_to(PACKAGE).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                module = ".".join(["klantstuur", *base, *([node.module] if node.module else [])])
                names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            elif node.module == "klantstuur":
                names = [f"klantstuur.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        for name in names:
            parts = name.split(".")
            if parts[0] == "klantstuur" and len(parts) > 1:
                found.add(parts[1])
    return found


def two_way_pairs(sources: dict[Path, str]) -> set[tuple[str, str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path, text in sources.items():
        app = _app_of(path)
        edges[app] |= _imported_apps(path, ast.parse(text)) - {app}
    return {(a, b) for a, targets in edges.items() for b in targets if a < b and a in edges[b]}


def test_no_two_apps_import_each_other() -> None:
    pairs = two_way_pairs({p: p.read_text() for p in _sources()})
    assert pairs == set(), f"apps importing each other: {sorted(pairs)}"


def test_a_two_way_import_inside_a_function_is_found() -> None:
    sources = {
        PACKAGE / "orders" / "x.py": "from klantstuur.floor import models\n",
        PACKAGE / "floor" / "y.py": "def f():\n    from klantstuur.orders import x\n",
    }
    assert two_way_pairs(sources) == {("floor", "orders")}


def test_modules_are_under_600_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in _sources()
        if (n := p.read_text().count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}


def long_functions(path: Path, text: str) -> dict[str, int]:
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found[f"{path.relative_to(PACKAGE)}:{node.name}"] = length
    return found


def test_functions_are_under_80_lines() -> None:
    long: dict[str, int] = {}
    for path in _sources():
        if not str(path.relative_to(PACKAGE)).startswith(LONG_FUNCTIONS_ALLOWED):
            long |= long_functions(path, path.read_text())
    assert long == {}


@pytest.mark.parametrize("body_lines, found", [(78, False), (79, False), (80, True)])
def test_the_function_limit_counts_every_line(body_lines: int, found: bool) -> None:
    text = "def f():\n" + "    x = 1\n" * body_lines
    assert bool(long_functions(PACKAGE / "core" / "x.py", text)) is found
