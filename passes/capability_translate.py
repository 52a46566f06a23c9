"""Source-to-source translations used by lower-capabilities.

- ``shell_to_python``: simple text pipelines (cat/grep/awk '{print $N}'/cut/sort/uniq/wc -l/
  head/tail, optional ``> file``) as an equivalent standard-library Python script;
- ``python_to_stdlib``: known third-party idioms (pandas read_csv + groupby-sum, requests.get,
  numpy mean/sum/median/min/max) rewritten with the standard library.

Both return None for anything they do not fully understand: a wrong translation is worse than
a reported gap.
"""

from __future__ import annotations

import ast
import re

from skvmc.passes.analysis.capability_rules import shell_commands, split_pipeline
from skvmc.passes.analysis.pydeps import parse_python
from skvmc.passes.analysis.shell_words import split_words

# ---------------------------------------------------------------------------------------------
# shell -> python


def _opts(words: list[str]) -> tuple[set[str], list[str]]:
    flags, args = set(), []
    for w in words:
        if w.startswith("-") and len(w) > 1 and not w[1:].isdigit():
            flags.update(w[1:])
        else:
            args.append(w)
    return flags, args


def _source(words: list[str]) -> list[str] | None:
    """Lines that read the input of the pipeline (cat FILES / grep [-hvi] PAT FILES)."""
    name, rest = words[0], words[1:]
    if name == "cat":
        flags, files = _opts(rest)
        if flags or not files:
            return None
        return [f"lines = read_lines({files!r})"]
    if name == "grep":
        flags, args = _opts(rest)
        if flags - set("hvi") or len(args) < 2 or re.search(r"\\[(|)]", args[0]):
            return None
        if "h" not in flags and (len(args) > 2 or re.search(r"[*?\[]", args[1])):
            return None  # grep would prefix each line with its file name
        cond = _grep_cond(args[0], flags)
        return [f"lines = [line for line in read_lines({args[1:]!r}) if {cond}]"]
    return None


def _grep_cond(pattern: str, flags: set[str]) -> str:
    opt = ", re.I" if "i" in flags else ""
    cond = f"re.search({pattern!r}, line{opt})"
    return f"not {cond}" if "v" in flags else cond


def _filter(words: list[str]) -> list[str] | None:
    name, rest = words[0], words[1:]
    flags, args = _opts(rest)
    if name == "grep" and not flags - set("vi") and len(args) == 1 and not re.search(r"\\[(|)]", args[0]):
        return [f"lines = [line for line in lines if {_grep_cond(args[0], flags)}]"]
    if name == "grep" and flags == {"c"} and len(args) == 1:
        return [f"lines = [str(sum(1 for line in lines if re.search({args[0]!r}, line)))]"]
    if name == "awk":
        field_sep = None
        if rest and rest[0].startswith("-F"):
            field_sep = rest[0][2:] or None
            rest = rest[1:]
        if len(rest) != 1:
            return None
        m = re.fullmatch(r"\{\s*print \$(\d+)\s*\}", rest[0].strip())
        if not m or int(m.group(1)) == 0:
            return None
        n = int(m.group(1))
        return [f"lines = [field(line, {n}, {field_sep!r}) for line in lines]"]
    if name == "cut":
        sep, col, k = "\t", None, 0
        while k < len(rest):
            w = rest[k]
            if w in ("-d", "-f") and k + 1 < len(rest):
                value, k = rest[k + 1], k + 2
            elif w[:2] in ("-d", "-f") and len(w) > 2:
                value, k = w[2:], k + 1
            else:
                return None
            if w.startswith("-d"):
                sep = value
            else:
                col = value
        if col is None or not col.isdigit() or len(sep) != 1:
            return None
        return [(f"lines = [line.split({sep!r})[{int(col) - 1}] if {sep!r} in line else line "
                f"for line in lines]")]
    if name == "sort":
        if flags - set("rnu") or args:
            return None
        key = ", key=numeric_key" if "n" in flags else ""
        rev = ", reverse=True" if "r" in flags else ""
        out = []
        if "u" in flags:
            out.append("lines = list(dict.fromkeys(lines))")
        out.append(f"lines = sorted(lines{key}{rev})")
        return out
    if name == "uniq":
        if flags - {"c"} or args:
            return None
        if "c" in flags:
            return ["lines = [f'{len(list(group)):7d} {key}' for key, group in itertools.groupby(lines)]"]
        return ["lines = [key for key, _ in itertools.groupby(lines)]"]
    if name == "wc" and flags == {"l"} and not args:
        return ["lines = [str(len(lines))]"]
    if name in ("head", "tail"):
        n = 10
        if rest and re.fullmatch(r"-\d+", rest[0]) and len(rest) == 1:
            n = int(rest[0][1:])
        elif rest[:1] == ["-n"] and len(rest) == 2 and rest[1].isdigit():
            n = int(rest[1])
        elif rest:
            return None
        return [f"lines = lines[:{n}]" if name == "head" else f"lines = lines[-{n}:]"]
    return None


_PRELUDE = '''import glob
import itertools
import re


def read_lines(patterns):
    """The lines of every file matching the shell globs, in order (like cat)."""
    out = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)) or [pattern]:
            with open(path, encoding="utf-8", errors="replace") as fh:
                out.extend(line.rstrip("\\n") for line in fh)
    return out


def field(line, n, sep=None):
    """awk's $n: the n-th whitespace (or sep) separated field, '' when absent."""
    parts = line.split(sep)
    return parts[n - 1] if len(parts) >= n else ""


def numeric_key(line):
    """sort -n's key: the number a line starts with (0 when none), ties by the whole line."""
    m = re.match(r"\\s*(-?\\d+(?:\\.\\d+)?)", line)
    return (float(m.group(1)) if m else 0.0, line)


'''


def shell_to_python(body: str) -> str | None:
    """A Python script equivalent to a one-line text pipeline, or None."""
    commands = shell_commands(body)
    if len(commands) != 1:
        return None
    line = commands[0]
    out_file, append = None, False
    m = re.search(r"\s(>>?)\s*([^\s;|&<>]+)\s*$", line)
    if m:
        out_file, append = m.group(2), m.group(1) == ">>"
        line = line[: m.start()]
    if re.search(r"[;&<>`$]", re.sub(r"\$\d+\b", "", line)):
        return None
    stages = split_pipeline(line)
    if not stages:
        return None
    try:
        words = [split_words(s) for s in stages]
    except ValueError:
        return None
    if any(not w for w in words):
        return None
    code = _source(words[0])
    if code is None:
        return None
    for stage in words[1:]:
        more = _filter(stage)
        if more is None:
            return None
        code += more
    text = '"\\n".join(lines) + ("\\n" if lines else "")'
    if out_file:
        mode = "a" if append else "w"
        code.append(f"with open({out_file!r}, {mode!r}, encoding='utf-8') as out:")
        code.append(f"    out.write({text})")
    else:
        code.append(f"print({text}, end='')")
    return _PRELUDE + f"# translated from: {' '.join(body.split())}\n" + "\n".join(code) + "\n"


# ---------------------------------------------------------------------------------------------
# third-party python -> stdlib


def _aliases(tree: ast.Module, module: str) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == module:
                    names.add(a.asname or a.name)
    return names


def _import_lines(tree: ast.Module, module: str) -> set[int]:
    return {node.lineno for node in tree.body if isinstance(node, ast.Import)
            and [a.name for a in node.names] == [module]}


def _uses_only(tree, aliases: set[str], allowed: set[str]) -> bool:
    """Every use of an alias is ``alias.<allowed>``."""
    attr_bases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr not in allowed:
                return False
            attr_bases.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in aliases and id(node) not in attr_bases:
            return False
    return True


_NUMPY = {"mean": "statistics.mean", "median": "statistics.median", "sum": "sum", "min": "min",
          "max": "max", "array": "list"}


def _numpy(body: str, tree: ast.Module) -> tuple[str, str] | None:
    aliases = _aliases(tree, "numpy")
    if not aliases or not _uses_only(tree, aliases, set(_NUMPY)):
        return None
    lines = body.splitlines()
    drop = _import_lines(tree, "numpy")
    if not drop:
        return None
    out = []
    for i, line in enumerate(lines, 1):
        if i in drop:
            out.append("import statistics")
            continue
        for alias in aliases:
            line = re.sub(rf"\b{re.escape(alias)}\.(\w+)\(", lambda m: _NUMPY[m.group(1)] + "(", line)
        out.append(line)
    return "\n".join(out) + "\n", "numpy mean/sum/... -> statistics and builtins"


_REQUESTS_SHIM = '''import json
import urllib.parse
import urllib.request


class _Response:
    def __init__(self, raw):
        self.status_code = raw.status
        self.content = raw.read()
        self.text = self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


def http_get(url, params=None, headers=None, timeout=30):
    """requests.get with urllib: query parameters, headers, .text/.json()/.status_code."""
    if params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as raw:
        return _Response(raw)
'''


def _requests(body: str, tree: ast.Module) -> tuple[str, str] | None:
    aliases = _aliases(tree, "requests")
    if not aliases or not _uses_only(tree, aliases, {"get"}):
        return None
    drop = _import_lines(tree, "requests")
    if not drop:
        return None
    out = []
    for i, line in enumerate(body.splitlines(), 1):
        if i in drop:
            continue
        for alias in aliases:
            line = re.sub(rf"\b{re.escape(alias)}\.get\(", "http_get(", line)
        out.append(line)
    return _REQUESTS_SHIM + "\n\n" + "\n".join(out).lstrip("\n") + "\n", "requests.get -> urllib.request"


def _pandas(body: str, tree: ast.Module) -> tuple[str, str] | None:
    """``df = pd.read_csv(F)`` + ``s = df.groupby(K)[V].sum()`` -> csv + collections."""
    aliases = _aliases(tree, "pandas")
    if not aliases or not _uses_only(tree, aliases, {"read_csv"}):
        return None
    frame = path = grouped = key = value = None
    replace: dict[int, tuple[int, str]] = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)):
            call = node.value
            f = call.func
            if (isinstance(f, ast.Attribute) and f.attr == "read_csv" and isinstance(f.value, ast.Name)
                    and f.value.id in aliases and len(call.args) == 1 and not call.keywords):
                frame, path = node.targets[0].id, ast.get_source_segment(body, call.args[0])
                replace[node.lineno] = (node.end_lineno, "")
                continue
            # s = df.groupby(K)[V].sum()
            if (frame and isinstance(f, ast.Attribute) and f.attr == "sum" and not call.args
                    and isinstance(f.value, ast.Subscript)
                    and isinstance(f.value.value, ast.Call)
                    and isinstance(f.value.value.func, ast.Attribute)
                    and f.value.value.func.attr == "groupby"
                    and isinstance(f.value.value.func.value, ast.Name)
                    and f.value.value.func.value.id == frame
                    and len(f.value.value.args) == 1):
                grouped = node.targets[0].id
                key = ast.get_source_segment(body, f.value.value.args[0])
                value = ast.get_source_segment(body, f.value.slice)
                replace[node.lineno] = (node.end_lineno, "\n".join([
                    f"{grouped} = defaultdict(float)",
                    f"with open({path}, newline='') as fh:",
                    "    for row in csv.DictReader(fh):",
                    f"        {grouped}[row[{key}]] += float(row[{value}])",
                    f"{grouped} = dict({grouped})",
                ]))
    if not (frame and grouped):
        return None
    # the frame may not be used anywhere else; the grouped result only as a dict
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == frame and node.lineno not in replace:
            return None
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == grouped and node.attr not in ("items", "keys", "values", "get")):
            return None
    drop = _import_lines(tree, "pandas")
    out, lines, i = [], body.splitlines(), 1
    while i <= len(lines):
        if i in drop:
            out += ["import csv", "from collections import defaultdict"]
        elif i in replace:
            end, text = replace[i]
            if text:
                out.append(text)
            i = end + 1
            continue
        else:
            out.append(lines[i - 1])
        i += 1
    return "\n".join(out) + "\n", "pandas read_csv/groupby-sum -> csv + collections"


def python_to_stdlib(body: str) -> tuple[str, str] | None:
    """(rewritten code, what was rewritten) when every third-party import has a known rewrite."""
    tree = parse_python(body)
    if tree is None:
        return None
    from skvmc.passes.analysis.capability_rules import is_stdlib, python_imports

    third = [m for m in python_imports(tree) if not is_stdlib(m)]
    rewrites = {"pandas": _pandas, "requests": _requests, "numpy": _numpy}
    if not third or any(m not in rewrites for m in third):
        return None
    notes = []
    for module in third:
        got = rewrites[module](body, tree)
        if got is None:
            return None
        body, note = got
        notes.append(note)
        tree = parse_python(body)
        if tree is None:
            return None
    return body, "; ".join(notes)
