"""The standard-library imports a model's Python code uses and leaves out.

Weak models drop an import when they rewrite code: the 1.5B wrote
``defaultdict(float)`` without ``from collections import defaultdict``, added it after the
NameError, and lost ``import csv`` in the same edit, then swapped the two back and forth until
the step ended (csv-group-by-region, a task none of the VM's mechanisms were tuned on). Such
a name, used and bound nowhere in the code, raises NameError for certain; the one import
that gives it a meaning is added before the code runs, and the observation says so.

Only names with one standard-library meaning are completed: module names used as modules
(``csv.DictReader``) and a short table of well-known members. ``datetime`` is completed by
what follows it (``datetime.now`` is the class, ``datetime.date`` the module). Code that can
bind names out of sight (``import *``, ``exec``, ``globals()``) is left as written.
"""

from __future__ import annotations

import ast

from skvmc.vm.skill_library import free_names, parse_code

# modules whose name is used as the module itself (``csv.DictReader``)
MODULES = frozenset({
    "bisect", "collections", "copy", "csv", "decimal", "fnmatch", "functools", "glob",
    "gzip", "hashlib", "heapq", "io", "itertools", "json", "math", "operator", "os",
    "pathlib", "random", "re", "shutil", "statistics", "string", "subprocess", "sys",
    "textwrap", "time", "zipfile",
})
# a member -> its module, for members written without their module
MEMBERS = {
    "defaultdict": "collections", "Counter": "collections", "OrderedDict": "collections",
    "namedtuple": "collections", "deque": "collections", "Path": "pathlib",
    "Decimal": "decimal", "ROUND_HALF_UP": "decimal", "reduce": "functools",
    "groupby": "itertools", "timedelta": "datetime", "timezone": "datetime",
}
# attributes of the datetime *class* (``from datetime import datetime``); anything else after
# ``datetime.`` is read as the module
_DATETIME_CLASS_ATTRS = frozenset({
    "now", "utcnow", "today", "strptime", "fromisoformat", "fromtimestamp",
    "utcfromtimestamp", "combine", "min", "max",
})
_OUT_OF_SIGHT = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__"})
LIMIT = 20_000  # characters: longer code is not analysed here


def _datetime_import(tree: ast.AST) -> str:
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "datetime" and node.attr in _DATETIME_CLASS_ATTRS):
            return "from datetime import datetime"
    return "import datetime"


def _parsed(code: str) -> ast.Module | None:
    if not isinstance(code, str) or len(code) > LIMIT:
        return None
    return parse_code(code)


def missing_imports(code: str) -> list[str]:
    """The import lines ``code`` needs for the standard-library names it uses unbound, in
    the order first used; empty when there are none or the code is not analysable."""
    tree = _parsed(code)
    return _missing(tree) if tree is not None else []


def _missing(tree: ast.Module) -> list[str]:
    first: dict[str, tuple[int, int]] = {}  # a name read -> where it is first read
    as_module: set[str] = set()  # names read as ``name.attr``
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id in _OUT_OF_SIGHT:
                return []  # names may be bound where this cannot see
            pos = (node.lineno, node.col_offset)
            first[node.id] = min(first.get(node.id, pos), pos)
        elif isinstance(node, ast.ImportFrom) and node.names[0].name == "*":
            return []
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            as_module.add(node.value.id)
    free = free_names(tree)
    lines: list[str] = []
    for name in sorted(free, key=first.get):
        if name == "datetime":
            line = _datetime_import(tree)
        elif name in MODULES and name in as_module:
            line = f"import {name}"
        elif name in MEMBERS:
            line = f"from {MEMBERS[name]} import {name}"
        else:
            continue
        if line not in lines:
            lines.append(line)
    return lines


def complete_imports(code: str) -> tuple[str, str]:
    """(code to run, note for the model): ``code`` with the imports it leaves out put first
    (after a ``from __future__`` import, which must stay first), or as it was with no note."""
    tree = _parsed(code)
    lines = _missing(tree) if tree is not None else []
    if not lines:
        return code, ""
    body = code.split("\n")
    at = 0
    for node in tree.body:  # a docstring and __future__ imports stay where they are
        is_doc = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str) and node is tree.body[0])
        if is_doc or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            at = node.end_lineno or at
        else:
            break
    new = "\n".join(body[:at] + lines + body[at:])
    return new, ("note: your code uses names it does not import; it ran with "
                 + "; ".join(lines) + " added at the top.")
