"""Architecture metrics of a checkout (issue 10's closing note): lines per pass file, hand-rolled
region walkers in passes and analyses, copies of the fence-language tables, import circles,
ruff findings and the share of pass tests written as lit + FileCheck cases.

    python bench/arch_metrics.py [REPO]          # REPO defaults to this checkout

Run it on an old commit with ``git worktree add /tmp/old <rev>`` and point REPO there. The
``duplicates`` pairs are counted with the library command (see docs/passes.md), not here.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx

# Source folder -> installed package (pyproject's package-dir)
PACKAGES = {"skvmc": "skvmc", "dialects": "skvmc.dialects", "passes": "skvmc.passes",
            "targets": "skvmc.targets", "grammar": "skvmc.grammar"}
# Fence infos by kind: a literal collection holding three or more of them is a language table,
# a copy of a kind's table where it holds two or more of that kind.
_LANG_WORDS = {"shell": {"bash", "sh", "shell", "zsh", "console", "shell-session", "terminal"},
               "python": {"python", "py", "python3"},
               "js": {"js", "javascript", "ts", "typescript", "node", "mjs", "jsx", "tsx"},
               "structured": {"json", "yaml", "yml"}}
_ALL_LANGS = set().union(*_LANG_WORDS.values())
_ANALYSIS_DIRS = ("passes", "passes/analysis", "skvmc/analysis")


def modules(repo: Path) -> dict[str, Path]:
    out = {}
    for folder, package in PACKAGES.items():
        for path in (repo / folder).rglob("*.py"):
            rel = path.relative_to(repo / folder).with_suffix("")
            if "__pycache__" in rel.parts or (folder == "skvmc" and rel.parts[0] in PACKAGES):
                continue
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def import_graph(mods: dict[str, Path], top_level_only: bool) -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in mods.items():
        graph.add_node(name)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        for node in nodes:
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import sub` depends on the submodule (its package is loaded first
                # anyway); `from mod import name` on the module
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods
                           else node.module for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = name.rsplit(".", node.level - (path.name == "__init__.py"))[0]
                targets = [f"{base}.{node.module}" if node.module else base]
            for t in targets:
                if t in mods and t != name:
                    graph.add_edge(name, t)
    return graph


def circles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def _is_pass_module(path: Path) -> bool:
    return re.search(r"^class \w+\(Pass\):", path.read_text(encoding="utf-8"), re.M) is not None


def walkers(path: Path) -> list[str]:
    """Functions that rebuild regions by hand: they read ``.regions`` (or a region's ``ops``
    recursively) and construct ``Region(...)`` from what they computed."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        reads = any(isinstance(n, ast.Attribute) and n.attr == "regions" for n in ast.walk(fn))
        builds = any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Region"
                     and n.args and not isinstance(n.args[0], ast.Tuple | ast.List)
                     for n in ast.walk(fn))
        if reads and builds:
            found.append(f"{path.name}:{fn.lineno} {fn.name}")
    return found


def lang_tables(mods: dict[str, Path]) -> dict[str, list[str]]:
    """Literal collections of fence infos, by the kind they spell out."""
    out: dict[str, list[str]] = {k: [] for k in _LANG_WORDS}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Set | ast.Tuple | ast.List | ast.Dict):
                continue
            elts = node.keys if isinstance(node, ast.Dict) else node.elts
            words = {e.value for e in elts if isinstance(e, ast.Constant)
                     and isinstance(e.value, str)}
            if len(words & _ALL_LANGS) < 3:
                continue
            for kind, marks in _LANG_WORDS.items():
                if len(words & marks) >= 2:
                    out[kind].append(f"{name}:{node.lineno}")
    return out


def ruff_findings(repo: Path) -> int:
    r = subprocess.run([sys.executable, "-m", "ruff", "check", ".", "--output-format", "json"],
                       cwd=repo, capture_output=True, text=True)
    return len(json.loads(r.stdout or "[]"))


def filecheck_share(repo: Path) -> tuple[int, int]:
    cases = len(list((repo / "tests" / "filecheck").rglob("*.skir")))
    pytest_cases = sum(len(re.findall(r"^(?:    )?def test_", p.read_text(encoding="utf-8"), re.M))
                       for p in (repo / "tests" / "passes").glob("test_*.py"))
    return cases, pytest_cases


def main(argv: list[str]) -> int:
    repo = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
    mods = modules(repo)
    pass_files = sorted(p for p in (repo / "passes").rglob("*.py") if _is_pass_module(p))
    print(f"# {repo}")
    print("lines per pass file:")
    for p in pass_files:
        print(f"  {p.relative_to(repo)}: {len(p.read_text(encoding='utf-8').splitlines())}")
    walk_files = sorted({p for p in (repo / "passes").rglob("*.py")} |
                        {p for d in _ANALYSIS_DIRS[1:] for p in (repo / d).rglob("*.py")})
    found = [w for p in walk_files for w in walkers(p)]
    print(f"hand-rolled region walkers: {len(found)}")
    for w in found:
        print(f"  {w}")
    print("fence-language tables (copies per kind):")
    for kind, places in lang_tables(mods).items():
        print(f"  {kind}: {len(places)}  {' '.join(places)}")
    for top, label in ((True, "module level"), (False, "any import, lazy ones too")):
        cs = circles(import_graph(mods, top))
        print(f"import circles ({label}): {len(cs)}")
        for c in cs:
            print(f"  {' <-> '.join(c)}")
    print(f"ruff findings: {ruff_findings(repo)}")
    cases, tests = filecheck_share(repo)
    share = cases / (cases + tests) if cases + tests else 0.0
    print(f"pass tests: {cases} filecheck cases, {tests} pytest functions in tests/passes "
          f"({share:.0%} filecheck)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
