"""The architecture, checked: no import cycles among the project's modules, no module over 450 lines,
and the domain layer (``bench``) never reaching up into ``rubrics``, ``ui`` or Streamlit.

Imports are read with :mod:`ast` from every ``.py`` file (every import statement at any depth, so a
lazy import inside a function counts too: it is a dependency all the same). An import of a package
depends on its ``__init__``; ``from package import name`` depends on ``package.name`` when that is a
module, else on the package's ``__init__`` (a re-export).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "rubrics", "ui", "pages")
TOP_FILES = ("app.py",)
MAX_LINES = 450
#: module -> why it may be longer than MAX_LINES (none today; add a reason, never a silent exception)
LONG_MODULE_EXCEPTIONS: dict[str, str] = {}
#: what the domain layer must not import (quality arrives through bench.quality_source)
BENCH_MUST_NOT_IMPORT = ("rubrics", "ui", "pages", "app", "streamlit")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def project_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project (tests and benchmarks excluded)."""
    files = [ROOT / name for name in TOP_FILES]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return {_module_name(f): f for f in files if "__pycache__" not in f.parts}


def _is_package(module: str) -> bool:
    return project_files()[module].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if _is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _project(name: str) -> str | None:
    """The project module ``name`` refers to (itself or the closest enclosing package), else None."""
    modules = project_files()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def raw_imports(module: str) -> set[str]:
    """Every module name ``module`` imports (anything: project, stdlib, third party)."""
    tree = ast.parse(project_files()[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """Project module -> the project modules it imports (not itself)."""
    out = {}
    for module in project_files():
        deps = {_project(name) for name in raw_imports(module)}
        out[module] = frozenset(d for d in deps if d and d != module)
    return out


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_cycles_and_reexports() -> None:
    """The cycle finder on a known graph, and the import reader on a real package re-export."""
    assert cycles(
        {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    ) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []
    assert "bench.acquire.service_snapshot" in graph()["bench.acquire.foundry_service"]  # its re-exports
    assert "bench.store" in graph()["bench.results"]  # a plain `from bench.store import Store`
    assert "bench.cli" in graph()["bench.__main__"]  # `from bench.cli import main`: the package's __init__


def test_no_import_cycles_among_the_projects_modules() -> None:
    found = cycles(graph())
    assert not found, "import cycles (each line one cycle):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_module_over_450_lines() -> None:
    long = {
        module: n
        for module, path in project_files().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and module not in LONG_MODULE_EXCEPTIONS
    }
    assert not long, f"modules over {MAX_LINES} lines (split them along their ideas): {long}"


def test_bench_never_imports_rubrics_ui_or_streamlit() -> None:
    bad = {
        module: sorted(name for name in raw_imports(module) if name.split(".")[0] in BENCH_MUST_NOT_IMPORT)
        for module in project_files()
        if module == "bench" or module.startswith("bench.")
    }
    bad = {module: names for module, names in bad.items() if names}
    assert not bad, f"bench reaches up into rubrics/ui/pages/Streamlit: {bad}"
