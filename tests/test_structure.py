"""The architecture, checked: stages import only the stages below them, no import cycles, no module
over 450 lines, and the domain layer (``bench``) never reaching up into ``rubrics``, ``ui`` or Streamlit.

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
#: what the domain layer must not import (quality arrives through bench.quality.score_sources)
BENCH_MUST_NOT_IMPORT = ("rubrics", "ui", "pages", "app", "streamlit")

#: bench's stages, lowest first: a module imports only its own stage and the stages of lower rank
#: (stages of equal rank never import each other). The pipeline reads top to bottom:
#: inputs -> measure -> store -> quality -> run/load -> stats -> results -> decide/compare -> report.
STAGE_RANK: dict[str, int] = {
    "core": 0,  # bench/*.py at the top: errors, escape, units, paths, the Foundry manager
    "backends": 1,
    "acquire": 1,
    "inputs": 2,
    "measure": 3,
    "store": 4,
    "quality": 5,
    "run": 6,
    "load": 6,
    "stats": 7,
    "results": 8,  # bench/results.py: the results layer every output reads
    "decide": 9,
    "compare": 9,
    "report": 10,
    "cli": 11,
    "main": 12,  # bench/__main__.py
}
#: top-level modules of bench that are a stage of their own (every other top-level module is core)
TOP_LEVEL_STAGES = {"bench.results": "results", "bench.__main__": "main"}
MAX_TOP_LEVEL_MODULES = 10


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
    assert "bench.store.store" in graph()["bench.results"]  # a plain `from bench.store.store import Store`
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


def stage_of(module: str) -> str:
    """The stage a bench module belongs to: its subpackage, or core/results/main for top-level modules."""
    if module in TOP_LEVEL_STAGES:
        return TOP_LEVEL_STAGES[module]
    parts = module.split(".")
    if len(parts) >= 2 and _is_package(".".join(parts[:2])):
        return parts[1]
    return "core"


def test_every_bench_subpackage_is_a_known_stage_with_a_docstring() -> None:
    """A new subpackage must be placed in the layering (and say its job), never left out of it."""
    packages = {m for m in project_files() if m.count(".") == 1 and m.startswith("bench.") and _is_package(m)}
    unknown = sorted(p for p in packages if p.split(".")[1] not in STAGE_RANK)
    assert not unknown, f"subpackages with no rank in STAGE_RANK: {unknown}"
    bare = sorted(p for p in packages if not ast.get_docstring(ast.parse(project_files()[p].read_text())))
    assert not bare, f"stage packages whose __init__ does not say their job: {bare}"


def test_stages_import_only_the_stages_below_them() -> None:
    bad = []
    for module, deps in graph().items():
        if not module.startswith("bench.") and module != "bench":
            continue
        here = stage_of(module)
        for dep in deps:
            if not dep.startswith("bench"):
                continue
            there = stage_of(dep)
            if there == here:
                continue
            if STAGE_RANK[there] >= STAGE_RANK[here]:
                bad.append(f"{module} ({here}) imports {dep} ({there})")
    assert not bad, "imports against the pipeline's direction:\n" + "\n".join(sorted(bad))


def test_the_top_of_bench_stays_small() -> None:
    top = sorted(
        m for m in project_files() if m.count(".") == 1 and m.startswith("bench.") and not _is_package(m)
    )
    assert len(top) <= MAX_TOP_LEVEL_MODULES, f"{len(top)} modules at the top of bench/: {top}"


def test_the_layering_check_sees_a_violation() -> None:
    """The checker itself, on known modules: a report module is above stats, a store module below it."""
    assert stage_of("bench.report.exports") == "report" and stage_of("bench.store.store") == "store"
    assert stage_of("bench.errors") == "core" and stage_of("bench.results") == "results"
    assert STAGE_RANK[stage_of("bench.store.store")] < STAGE_RANK[stage_of("bench.stats.aggregates")]
