"""No import circles among skvmc's modules, and every module imports on its own.

The graph is built from each module's *top-level* imports (``import x`` / ``from x import y``
outside functions), which are what runs at import time; imports inside functions are lazy on
purpose and cannot form a circle at import time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

# installed name -> source folder (pyproject's package-dir)
PACKAGES = {"skvmc": "skvmc", "skvmc.passes": "passes", "skvmc.targets": "targets",
            "skvmc.dialects": "dialects", "skvmc.grammar": "grammar"}


def modules() -> dict[str, Path]:
    out = {}
    for pkg, folder in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            if pkg == "skvmc" and parts and parts[0] in {"passes", "targets", "dialects",
                                                        "grammar"}:
                continue
            out[name] = path
    return out


def top_level_imports(path: Path, name: str, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in tree.body:  # top level only: function-level imports are lazy
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name if is_pkg else name.rsplit(".", 1)[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rsplit(".", 1)[0]
                base = f"{pkg}.{base}" if base else pkg
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: top_level_imports(p, m, known) for m, p in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_find_cycle_sees_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


DRIVER = ["skvmc.cli", "skvmc.driver", "skvmc.compile", "skvmc.batch", "skvmc.cache",
          "skvmc.cliargs", "skvmc.exitcodes", "skvmc.cli_opt", "skvmc.matrix"]


def test_driver_modules_form_no_import_circle():
    """The compile path (cli, driver, compile, batch, cache, ...) has no circle, counting
    function-level imports too: none of them may import a module that imports it back."""
    mods = modules()
    known = set(mods)
    graph = {}
    for m in DRIVER:
        tree = ast.parse(mods[m].read_text(encoding="utf-8"))
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in known and not node.level:
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names
                         if f"{node.module}.{a.name}" in known}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name in known}
        graph[m] = {d for d in deps if d in DRIVER and d != m}
    assert find_cycle(graph) is None, find_cycle(graph)


def test_exit_codes_are_a_leaf():
    tree = ast.parse((REPO / "skvmc" / "exitcodes.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_no_import_circles():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


@pytest.mark.parametrize("module", DRIVER)
def test_each_driver_module_imports_alone(module):
    """Each in a fresh interpreter, so no other import can hide a circle or a missing one."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def _all_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top level or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_passes_read_the_target_through_the_context():
    """Layers: passes and analyses never import the target configuration (skvmc.targets);
    they ask ``PassContext.targets``."""
    offenders = {str(p.relative_to(REPO)): sorted(i for i in _all_imports(p)
                                                  if i.startswith("skvmc.targets"))
                 for p in (REPO / "passes").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_analyses_import_no_pass():
    """The shared analyses sit below the passes: they import no pass module."""
    from skvmc.passes import REGISTRY

    pass_modules = {target.partition(":")[0] for target in REGISTRY.values()}
    for path in (REPO / "passes" / "analysis").glob("*.py"):
        assert not _all_imports(path) & pass_modules, path.name


def test_moved_analyses_keep_their_old_names():
    import skvmc.passes.analysis.dataflow as new
    from skvmc.passes import dataflow as old

    assert old is new
