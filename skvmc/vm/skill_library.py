"""The functions a skill's own Python fences define, for the code a model writes in a step.

Skills often show a helper (``def flatten(obj, prefix=""): ...``) and a weak model then
calls it without defining it: the 1.5B sent ``flat = flatten(users)`` eight times, each a
NameError (json-flatten-users). A fence counts as a library only when it holds nothing but
imports, function and class definitions, docstrings and constants (``NAME = literal`` or
``NAME = re.compile("literal")``: the 1.5B used log-triage's ``LINE`` pattern undefined four
times in a row on log-errors-by-component), so putting it before the model's code runs no
statement of the skill's beyond binding those names. It is put there only for a name the
model's code uses and never binds; the observation says so. A fence with any other statement
is an example or a script, and stays text.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import textwrap
import warnings

_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*(?:python3?|py)[ \t]*\n(.*?)^\1\2[ \t]*$",
                    re.MULTILINE | re.DOTALL | re.IGNORECASE)
_LIBRARY_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                       ast.ClassDef)
_BUILTINS = frozenset(dir(builtins))
SOURCE_LIMIT = 200_000  # characters of model code analysed; longer code is left alone


def parse_code(source: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():  # a skill's or model's code is not ours to warn about
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _is_constant(node: ast.AST) -> bool:
    """A value computed without effects: a literal (numbers, strings, and lists, tuples,
    sets and dicts of them), or ``re.compile`` of a literal pattern with ``re.`` flags."""
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Attribute) and func.attr == "compile"
                and isinstance(func.value, ast.Name) and func.value.id == "re"
                and not node.keywords and 1 <= len(node.args) <= 2
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and all(_is_flags(a) for a in node.args[1:]))
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _is_flags(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_flags(node.left) and _is_flags(node.right)
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "re" and node.attr.isupper())


def _constant_names(stmt: ast.stmt) -> list[str]:
    """The names a ``NAME = constant`` statement binds (empty for anything else)."""
    if isinstance(stmt, ast.Assign) and _is_constant(stmt.value):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and stmt.simple \
            and _is_constant(stmt.value):
        targets = [stmt.target]
    else:
        return []
    if all(isinstance(t, ast.Name) for t in targets):
        return [t.id for t in targets]
    return []


def _is_library(module: ast.Module) -> bool:
    body = module.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring
    return bool(body) and all(isinstance(s, _LIBRARY_STATEMENTS) or _constant_names(s)
                              for s in body)


class SkillLibrary:
    def __init__(self, fences: list[str]):
        self.definitions: dict[str, str] = {}  # a defined name -> the fence that defines it
        for fence in fences:
            module = parse_code(fence)
            if module is None or not _is_library(module):
                continue
            for stmt in module.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.definitions.setdefault(stmt.name, fence)
                for name in _constant_names(stmt):
                    self.definitions.setdefault(name, fence)

    @classmethod
    def from_text(cls, text: str) -> SkillLibrary:
        return cls([textwrap.dedent(m.group(3)) for m in _FENCE.finditer(text or "")])

    def __bool__(self) -> bool:
        return bool(self.definitions)

    def complete(self, code: str) -> tuple[str, str]:
        """(``code`` with the library fences it needs put before it, a note or "")."""
        completed, note, _ = self.complete_at(code)
        return completed, note

    def complete_at(self, code: str) -> tuple[str, str, int]:
        """``complete``, and the number of lines put before ``code`` (0 when none)."""
        if not self.definitions or len(code) > SOURCE_LIMIT:
            return code, "", 0
        module = parse_code(code)
        if module is None:
            return code, "", 0
        names = [n for n in sorted(free_names(module)) if n in self.definitions]
        if not names:
            return code, "", 0
        fences = list(dict.fromkeys(self.definitions[n] for n in names))
        shown = ", ".join(f"`{n}`" for n in names)
        prefix = "\n\n".join(f.rstrip() for f in fences) + "\n\n"
        return (prefix + code,
                f"note: your code uses {shown} without defining it; the skill's definition "
                "was put before your code.", prefix.count("\n"))


    def explain_error(self, code: str, start: int, stderr: str) -> str:
        """A note for a traceback raised inside a library function that ``complete_at`` put
        before the model's code (``code`` is the model's own code, ``start`` the lines put
        before it): the model never saw those lines, so the traceback's last frames point at
        code it did not write, with line numbers it cannot map (the 1.5B resent the same
        ``flatten(users)`` on a list, each time an AttributeError in the helper's
        ``obj.items()``). The note names the helper, its signature, and the model's own line
        that called it, in the model's numbering."""
        if not start or "Traceback" not in (stderr or ""):
            return ""
        frames = [(int(m.group("line")), m.group("func")) for m in _FRAME.finditer(stderr)
                  if "/.skvm/" in m.group("path") or m.group("path").startswith(".skvm/")]
        last_own = max((i for i, (n, _) in enumerate(frames) if n > start), default=None)
        if last_own is None:
            return ""
        inside = [f for n, f in frames[last_own + 1:] if n <= start and f in self.definitions]
        if not inside:
            return ""
        name, line_no = inside[0], frames[last_own][0] - start
        lines = code.split("\n")
        own = lines[line_no - 1].strip() if 0 < line_no <= len(lines) else ""
        head = re.compile(rf"\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b")
        signature = next((ln.strip().rstrip(":") for ln in self.definitions[name].split("\n")
                          if head.match(ln)), name)
        note = (f"note: the error is raised inside the skill's `{name}` (`{signature}`), "
                f"called by line {line_no} of your code: `{own[:160]}`. Check what that "
                f"line passes to `{name}`.")
        if _LIST_GIVEN.search(stderr.rstrip().rsplit("\n", 1)[-1]):
            # a helper written for one record, given the whole list of them
            note += f" It was given a list: call `{name}` on each item of it."
        return note


_LIST_GIVEN = re.compile(r"^(?:AttributeError|TypeError): 'list' object (?:has no attribute|"
                         r"is not a mapping|cannot be interpreted)")
_FRAME = re.compile(r'File "(?P<path>[^"\n]*)", line (?P<line>\d+), in (?P<func>\S+)')


@functools.lru_cache(maxsize=64)
def library_of(text: str) -> SkillLibrary:
    """The library of a step's prompt, parsed once per prompt (every ASK of a program
    repeats it)."""
    return SkillLibrary.from_text(text)


def free_names(module: ast.Module) -> set[str]:
    """Names the code reads and binds nowhere (scopes ignored: a name bound anywhere is
    bound), builtins excluded."""
    loaded, bound = set(), set()
    for node in ast.walk(module):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return loaded - bound - _BUILTINS
