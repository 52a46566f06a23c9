"""Evidence rules for infer-capabilities: what an instruction needs, read off its text.

Every detector is a plain function ``(text_or_body) -> list[Finding]``; a Finding is a
requirement (primitive id from primitives.json, level 1..3) with one human-readable line of
evidence, or an action / read / write. The pass merges findings per op (max level per
primitive, evidence kept in detection order). No model is involved: keywords, the ``ast``
module for Python, a small shell tokenizer for pipelines, ``json``/``yaml`` for examples.
"""

from __future__ import annotations

import ast
import json
import re
import sys

import attrs

from skvmc.dialects import skill
from skvmc.passes.analysis.pydeps import parse_python
from skvmc.passes.analysis.shell_words import split_words


@attrs.frozen
class Finding:
    kind: str  # "req", "action", "read", "write"
    primitive: str = ""
    level: int = 0
    evidence: str = ""
    action: str = ""  # for kind="action": one of cap.ACTIONS
    target: str = ""  # action target, or the path for read/write


def req(primitive: str, level: int, evidence: str) -> Finding:
    return Finding("req", primitive, level, f"{evidence} -> {primitive} L{level}")


def act(kind: str, target: str) -> Finding:
    return Finding("action", action=kind, target=target)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Paths mentioned in prose

_PATH = r"`([^`\s]+\.[A-Za-z0-9]{1,5})`"
_READ_VERBS = r"(?:read|open|load|parse|inspect|examine|import|take|use the data in|from)"
_WRITE_VERBS = r"(?:write|save|store|create|produce|output|export|generate|put|dump)"
_EDIT_VERBS = r"(?:edit|modify|update|patch|change|append to|fix)"

_WRITE_RE = re.compile(
    rf"\b{_WRITE_VERBS}\b[^.;:]*?\b(?:to|into|as|in)\s+(?:a\s+file\s+(?:called|named)\s+)?{_PATH}"
    rf"|\b{_WRITE_VERBS}\s+(?:a\s+file\s+(?:called|named)\s+|the\s+file\s+)?{_PATH}",
    re.IGNORECASE)
_READ_RE = re.compile(rf"\b{_READ_VERBS}\b\s+(?:the\s+file\s+|the\s+)?((?:{_PATH}(?:,\s*|\s+and\s+|\s+or\s+)?)+)",
                      re.IGNORECASE)
_EDIT_RE = re.compile(rf"\b{_EDIT_VERBS}\b\s+(?:the\s+file\s+)?{_PATH}", re.IGNORECASE)
_URL_RE = re.compile(r"https?://[^\s`)>\]]+")


_NEGATION = re.compile(r"\b(?:not|never|don'?t|doesn'?t|avoid|no need to|without|instead of"
                       r"|rather than|unless)\b", re.I)


def negated(text: str, at: int) -> bool:
    """Whether the clause that reaches position ``at`` forbids what follows ("Do not curl
    the URL", "never run `git clean`"): an action there is not directed."""
    return bool(_NEGATION.search(text[clause_start(text, at):at]))


_BOUNDARY = re.compile(r"[.;:!?](?=\s)|\n")


def clause_start(text: str, at: int) -> int:
    """Where the clause holding position ``at`` begins: after the last sentence or clause
    mark followed by a space (a dot inside `build.py` or a URL is not a boundary)."""
    start = 0
    for m in _BOUNDARY.finditer(text, 0, at):
        start = m.end()
    return start


def prose_files(text: str) -> list[Finding]:
    """Reads, writes and edits of backticked file paths in an instruction."""
    out: list[Finding] = []
    writes: list[str] = []
    for m in _WRITE_RE.finditer(text):
        if negated(text, m.start()):
            continue
        path = m.group(1) or m.group(2)
        if path and path not in writes:
            writes.append(path)
    reads: list[str] = []
    for m in _READ_RE.finditer(text):
        if negated(text, m.start()):
            continue
        for path in re.findall(_PATH, m.group(1)):
            if path not in reads and path not in writes and not _URL_RE.match(path):
                reads.append(path)
    edits = [m.group(1) for m in _EDIT_RE.finditer(text) if not negated(text, m.start())]
    for path in reads:
        out += [Finding("read", target=path), act("read", path)]
    for path in writes:
        out += [Finding("write", target=path), act("write", path)]
    for path in edits:
        if path not in writes:
            out += [Finding("read", target=path), Finding("write", target=path), act("edit", path)]
    if reads or edits:
        level, why = 1, f"reads file {', '.join(reads + edits)}"
        if _LARGE_RE.search(text):
            level, why = 3, why + " (large, in pieces)"
        elif len(reads) > 1 and _MISSING_RE.search(text):
            level, why = 2, why + " (several, some may be missing)"
        out.append(req("tool.file.read", level, why))
    if writes or edits:
        out.append(req("tool.file.write", 1, f"writes file {', '.join(writes + edits)}"))
    return out


# The detectors' patterns, compiled once: ``re.search(pattern, text, re.I)`` looks each up in
# re's cache (and reads the flag's enum value) on every call, ~20 calls per instruction.
_LARGE_RE = re.compile(r"\b(large|in (chunks|pieces|parts)|page through)\b", re.IGNORECASE)
_MISSING_RE = re.compile(r"\b(missing|if (it|they) exists?|absent)\b", re.IGNORECASE)
_KEY_SPAN_RE = re.compile(r"`(\w+)`")
_NESTED_RE = re.compile(r"\b(nested|mapping|map(s|ping)? \w+ to|per[- ]\w+|by_\w+|object of)\b",
                        re.IGNORECASE)
_KEYS_RE = re.compile(r"\bkeys?\b|\bfields?\b|\bschema\b", re.IGNORECASE)
_REGEX_RE = re.compile(r"\b(regex|regular expression|pattern matching)\b", re.IGNORECASE)
_REGEX_L3_RE = re.compile(r"\(\?[<=!P]|lookahead|lookbehind|named group", re.IGNORECASE)
_REGEX_L2_RE = re.compile(r"\b(group|alternation|anchor|capture)\b|\(|\|", re.IGNORECASE)
_RULE_RE = re.compile(r"\b(must not|do not|don't|never|always|must)\b", re.IGNORECASE)
_IF_RE = re.compile(r"\s*(if|when|unless)\b", re.IGNORECASE)
_ELSE_RE = re.compile(r"\b(otherwise|else)\b", re.IGNORECASE)
_SCRIPT_RE = re.compile(r"\b(write|use|run) (a|the|an?) (\w+ )?(script|helper)\b|instead of computing",
                        re.IGNORECASE)
_PROSE_RE = re.compile(r"\b(write|draft|compose)\b[^.]*\b(summary|report|paragraph|announcement|email|"
                       r"description|essay|article|post|newsletter)\b(?!\.\w)", re.IGNORECASE)
_PROSE_L2_RE = re.compile(r"\b(sections?|tone|paragraphs)\b", re.IGNORECASE)
_LONG_RE = re.compile(r"\b(at least|over|more than) (\d[\d,]*) (words|lines|pages)\b",
                      re.IGNORECASE)
_EMPHASIS_RE = re.compile(r"\*\*|__")
_QUOTED_RE = re.compile(r"\"[^\"]{20,}\"|\u201c[^\u201d]{20,}\u201d")
_MODAL_RE = re.compile(r"\b(must|should|never|always|do not|don't|make sure|ensure)\b",
                       re.IGNORECASE)
_CLAUSE_RE = re.compile(r"(?<=[.!?])\s+|,\s+")
_WORDS_RE = re.compile(r"[A-Za-z']+")


# ---------------------------------------------------------------------------------------------
# Prose detectors

_ARITH_WORDS = re.compile(
    r"\b(compute|calculate|sum|total|totals|average|mean|median|percent(?:age)?|ratio|"
    r"multiply|divide|subtract|add up|add one|add \d+|increment|round(?:ed)? to \d+ decimals?|count|difference|rate)\b", re.IGNORECASE)
_ARITH_L3 = re.compile(r"\b(compound|interest|percentage (?:change|chain)|growth rate|"
                       r"year[- ]over[- ]year|weighted|annuali[sz]ed|cumulative)\b", re.IGNORECASE)


def arithmetic(text: str) -> list[Finding]:
    words = []
    for m in _ARITH_WORDS.finditer(text):
        w = m.group(1).lower()
        if w not in words:
            words.append(w)
    strong = _ARITH_L3.search(text)
    # "count" alone is a tool-ish operation; it only counts together with other arithmetic words
    if not strong and (not words or words == ["count"]):
        return []
    if strong:
        return [req("reason.arithmetic", 3, f"arithmetic: '{strong.group(1).lower()}' in '{_short(text)}'")]
    level = 2 if len(words) >= 2 else 1
    return [req("reason.arithmetic", level, f"arithmetic: {'/'.join(words)} in '{_short(text)}'")]


_FORMAT_RE = re.compile(r"\b(json|yaml|yml|csv|xml|toml)\b", re.IGNORECASE)


def structured_text(text: str) -> list[Finding]:
    m = _FORMAT_RE.search(text)
    if not m or skill.fence_kind(m.group(1)) != skill.STRUCTURED:
        return []
    fmt = m.group(1).lower()
    keys = _KEY_SPAN_RE.findall(text)
    nested = _NESTED_RE.search(text)
    out = []
    if nested:
        out.append(req("gen.text.structured", 2, f"asks for {fmt.upper()} output with nested values"))
    else:
        out.append(req("gen.text.structured", 1, f"asks for {fmt.upper()} output"))
    if _KEYS_RE.search(text) and keys:
        out.append(req("follow.format", 2, f"names the keys {', '.join(keys[:6])}"))
    else:
        out.append(req("follow.format", 1, f"names the format {fmt.upper()}"))
    return out


def structured_example(lang: str, body: str) -> list[Finding]:
    """An example of the output (a json/yaml fence under the instruction)."""
    data = parse_example(lang, body)
    if data is None:
        return []
    depth = _depth(data)
    size = len(body.encode())
    level = 3 if depth >= 4 or size > 5000 else 2 if depth >= 2 or size > 500 else 1
    return [req("gen.text.structured", level,
                f"{lang} example with nesting depth {depth}, {size} bytes"),
            req("follow.format", 2, f"{lang} example gives the schema")]


def parse_example(lang: str, body: str):
    import yaml

    try:
        return json.loads(body) if lang == "json" else yaml.safe_load(body)
    except (ValueError, yaml.YAMLError):  # an example that does not parse is no schema
        return None


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def regex_text(text: str) -> list[Finding]:
    if not _REGEX_RE.search(text):
        return []
    if _REGEX_L3_RE.search(text):
        return [req("gen.regex", 3, "regex with lookaround / named groups")]
    if _REGEX_L2_RE.search(text):
        return [req("gen.regex", 2, "regex with groups or alternation")]
    return [req("gen.regex", 1, "asks for a regular expression")]


def constraints(text: str) -> list[Finding]:
    rules = _RULE_RE.findall(text)
    if not rules:
        return []
    level = 2 if len(rules) >= 3 else 1
    return [req("follow.constraint", level, f"{len(rules)} hard rule(s): {', '.join(dict.fromkeys(r.lower() for r in rules))}")]


def branching(text: str) -> list[Finding]:
    if _IF_RE.match(text) or _ELSE_RE.search(text):
        return [req("reason.logic", 1, f"conditional: '{_short(text, 40)}'")]
    return []


_FETCH_VERB = re.compile(r"\b(?:fetch|download|curl|wget|load|retrieve|pull|grab|get)\b"
                         r"(?:\W+\w+){0,5}?\W+`?(https?://[^\s`)>\]]+)", re.I)
_BROWSER_VERB = re.compile(r"\b(navigate to|click|take (?:a )?screenshots?|fill (?:in )?the form"
                           r"|log ?in)\b", re.I)


def web_and_browser(text: str) -> list[Finding]:
    """A fetch is a fetching verb with a URL as its object; a browser action is a browsing
    verb. A URL named in passing, or "browser" as a word, is not an action."""
    out: list[Finding] = []
    fetches = [m for m in _FETCH_VERB.finditer(text) if not negated(text, m.start())]
    if fetches:
        target = fetches[0].group(1)
        level = 3 if re.search(r"\bpaginat", text, re.IGNORECASE) else 2 if "?" in target else 1
        out += [act("fetch", target), req("tool.web", level, f"fetches {target}")]
    words = [m.group(1).lower() for m in _BROWSER_VERB.finditer(text)
             if not negated(text, m.start())]
    if words:
        level = max(3 if w in ("log in", "login") else 2 if w.startswith(("click", "fill")) else 1
                    for w in words)
        out += [act("browser", words[0]),
                req("tool.browser", level, f"browser use: {', '.join(dict.fromkeys(words))}")]
    return out


_INLINE_CMD = re.compile(r"`((?:python3?|node|npm|npx|bash|sh|pip|uv|make|git|pytest)\b[^`]*"
                         r"|(?:\./|scripts/)?[\w./-]+\.(?:py|sh|js|mjs|ts)(?: [^`]*)?)`")
_RUN_VERB = re.compile(r"\b(?:run|runs|execute|invoke|use|call|start|launch|try|type)\b", re.I)


def inline_commands(text: str) -> list[Finding]:
    """A command in a code span is run when a running verb leads to it in the same clause,
    and the clause does not forbid it."""
    out: list[Finding] = []
    for m in _INLINE_CMD.finditer(text):
        start = clause_start(text, m.start())
        if negated(text, m.start()) or not _RUN_VERB.search(text[start:m.start()]):
            continue
        cmd = m.group(1)
        out.append(act("exec", cmd))
        out.append(req("tool.exec", 1, f"runs `{_short(cmd, 40)}`"))
    m = re.search(r"\b(?:list|ls)\b(?: all)? (?:the )?files in `([^`]+)`", text, re.IGNORECASE)
    if m and not negated(text, m.start()):
        out += [act("list", m.group(1)), req("tool.exec", 1, "lists files")]
    if _SCRIPT_RE.search(text):
        out.append(req("follow.delegation", 1, "told to use a script"))
    return out


def prose_text(text: str) -> list[Finding]:
    out = []
    if _PROSE_RE.search(text):
        level = 2 if _PROSE_L2_RE.search(text) else 1
        out.append(req("gen.text.prose", level, f"writes prose: '{_short(text, 40)}'"))
    m = _LONG_RE.search(text)
    if m:
        n = int(m.group(2).replace(",", ""))
        size = n * (6 if m.group(3).lower() == "words" else 60 if m.group(3).lower() == "lines" else 3000)
        level = 3 if size > 5000 else 2 if size > 1000 else 1
        out.append(req("gen.text.long", level, f"long output: {m.group(0)}"))
    return out


PROSE_DETECTORS = (prose_files, arithmetic, structured_text, regex_text, constraints, branching,
                   web_and_browser, inline_commands, prose_text)


def analyze_prose(text: str) -> list[Finding]:
    text = _EMPHASIS_RE.sub("", text)  # emphasis markers split a verb from its object
    # quoted speech ("Tell the user: \"I've opened the results in your browser\"") is words
    # to say, not instructions to carry out
    text = _QUOTED_RE.sub('""', text)
    out: list[Finding] = []
    for detect in PROSE_DETECTORS:
        out.extend(detect(text))
    return out


# Text paragraphs only count when they instruct (a verb first, or a modal), not when they explain.
_IMPERATIVE_VERBS = {
    "read", "write", "run", "use", "compute", "calculate", "create", "save", "open", "load",
    "check", "make", "add", "list", "find", "fetch", "call", "install", "generate", "produce",
    "output", "return", "ask", "search", "edit", "update", "replace", "copy", "move", "delete",
    "remove", "parse", "extract", "convert", "format", "validate", "verify", "ensure", "do",
    "don't", "never", "always", "avoid", "prefer", "follow", "start", "keep", "put", "send",
    "navigate", "click", "download", "build", "test", "set", "pick", "choose", "summarize",
}


def is_imperative(text: str) -> bool:
    if _MODAL_RE.search(text):
        return True
    for clause in _CLAUSE_RE.split(text):
        words = _WORDS_RE.findall(clause)
        if words and words[0].lower() in _IMPERATIVE_VERBS:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Code fences


def analyze_code(lang: str, body: str) -> list[Finding]:
    kind = skill.fence_kind(lang)
    if kind == skill.PYTHON:
        return python_code(body)
    if kind == skill.SHELL:
        return shell_code(body)
    if kind == skill.JS:
        return javascript_code(body)
    if lang.lower() == "sql":
        return sql_code(body)
    if lang in ("html", "svg"):
        return html_code(body)
    if lang in ("regex", "regexp"):
        return regex_text("regex " + body)
    return []


def python_imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


def is_stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names


def python_code(body: str) -> list[Finding]:
    out: list[Finding] = [act("exec", "python")]
    tree = parse_python(body)
    if tree is None:
        return out + [req("gen.code.python", 1, "code fence lang=python (does not parse)"),
                      req("tool.exec", 2, "python script to run")]
    imports = python_imports(tree)
    third = [m for m in imports if not is_stdlib(m)]
    std = [m for m in imports if is_stdlib(m)]
    if third:
        out.append(req("gen.code.python", 3,
                       f"code fence lang=python imports {', '.join(third)} (third-party)"))
    elif std:
        out.append(req("gen.code.python", 2,
                       f"code fence lang=python imports {', '.join(std)} (stdlib)"))
    else:
        out.append(req("gen.code.python", 1, "code fence lang=python, no imports"))
    out.append(req("tool.exec", 2, "python script to run"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            out.extend(_python_call_io(node))
    if "re" in std or "regex" in third:
        out.append(req("gen.regex", 2, "python uses regular expressions"))
    browsers = [m for m in third if m in ("playwright", "selenium", "pyppeteer")]
    if browsers:
        out += [act("browser", browsers[0]),
                req("tool.browser", 2, f"python drives a browser with {browsers[0]}")]
    if "requests" in third or "urllib" in std or "httpx" in third:
        out += [act("fetch", "http"), req("tool.web", 1, "python code makes HTTP requests")]
    return out


def _const_str(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _python_call_io(call: ast.Call) -> list[Finding]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    path = _const_str(call.args[0]) if call.args else None
    if not path:
        return []
    if name == "open":
        mode = _const_str(call.args[1]) if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg == "mode":
                mode = _const_str(kw.value)
        if mode and any(c in mode for c in "wax"):
            return [Finding("write", target=path)]
        return [Finding("read", target=path)]
    if name in ("read_csv", "read_json", "read_excel", "read_parquet", "loadtxt"):
        return [Finding("read", target=path)]
    if name in ("to_csv", "to_json", "savefig", "to_excel"):
        return [Finding("write", target=path)]
    return []


_SHELL_HEAVY = ("awk", "sed", "xargs", "perl")
_SHELL_LOOP = re.compile(r"\b(for|while|until)\b.*\bdo\b|\bdone\b", re.DOTALL)


def shell_commands(body: str) -> list[str]:
    """Logical command lines (continuations joined, comments and prompts dropped)."""
    lines, current = [], ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("#") and not current:
            continue
        line = line.removeprefix("$ ")
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


_PIPE_PIECE = re.compile(r"""'[^']*'|"[^"]*"|\||[^'"|]+|['"]""")


def split_pipeline(line: str) -> list[str] | None:
    """The stages of ``a | b | c`` (quotes respected); None when it will not tokenize."""
    stages, buf = [], []
    for m in _PIPE_PIECE.finditer(line):  # whole quoted strings and runs: linear on any line
        piece = m.group()
        if piece == "|":
            stages.append("".join(buf).strip())
            buf = []
        elif piece in ("'", '"'):  # a quote that never closes
            return None
        else:
            buf.append(piece)
    stages.append("".join(buf).strip())
    return stages


def first_words(line: str) -> list[str]:
    """The command name of every stage and sub-command in a shell line."""
    names = []
    for part in re.split(r"\|\|?|&&|;|\$\(|`", line):
        try:
            words = split_words(part, comments=True)
        except ValueError:
            words = part.split()
        while words and re.match(r"^\w+=", words[0]):
            words = words[1:]
        if words:
            names.append(words[0])
    return names


def shell_code(body: str) -> list[Finding]:
    out: list[Finding] = []
    commands = shell_commands(body)
    if not commands:
        return []
    names: list[str] = []
    for line in commands:
        names += first_words(line)
        out.append(act("exec", _short(line, 50)))
        for m in re.finditer(r"(?<![<>&0-9])(>>?)\s*([^\s;|&<>]+)", line):
            if m.group(2) not in ("/dev/null",) and not m.group(2).startswith("&"):
                out.append(Finding("write", target=m.group(2)))
        for m in re.finditer(r"(?<![<])<\s*([^\s;|&<>(]+)", line):
            out.append(Finding("read", target=m.group(1)))
    names = list(dict.fromkeys(names))
    heavy = [n for n in names if n in _SHELL_HEAVY]
    pipes = any(len(split_pipeline(c) or []) > 1 for c in commands)
    redirect = any(re.search(r"[<>]", c) for c in commands)
    loop = bool(_SHELL_LOOP.search(body))
    shown = "/".join(names[:6])
    runs_script = (len(commands) == 1 and not pipes and not redirect
                   and re.match(r"(python3?|node|bash|sh)\s+\S+\.(py|js|mjs|sh)\b", commands[0]))
    if runs_script:
        pass  # running a given script is tool use, not shell generation
    elif heavy:
        out.append(req("gen.code.shell", 3, f"shell pipeline with {shown} (uses {', '.join(heavy)})"))
    elif pipes or redirect or loop:
        what = ", ".join(w for w, on in (("pipes", pipes), ("redirection", redirect), ("loop", loop)) if on)
        out.append(req("gen.code.shell", 2, f"shell with {what}: {shown}"))
    else:
        out.append(req("gen.code.shell", 1, f"shell command {shown}"))
    level = 3 if len(commands) > 1 and re.search(r"&&|\$\(", body) else 1
    out.append(req("tool.exec", level, f"{len(commands)} shell command(s)" +
                   (" chained" if level == 3 else "")))
    for name in names:
        if name in ("python", "python3"):
            out.append(req("gen.code.python", 1, "shell runs a python script"))
        elif name in ("node", "npm", "npx"):
            out.append(req("gen.code.javascript", 1, f"shell runs {name}"))
        elif name in ("curl", "wget"):
            out += [act("fetch", name), req("tool.web", 1, f"shell fetches with {name}")]
        elif name in ("grep", "rg", "find"):
            out.append(act("search", name))
    return out


def javascript_code(body: str) -> list[Finding]:
    out: list[Finding] = [act("exec", "node")]
    if re.search(r"\bPromise\.(all|race|allSettled)\b|\bawait\b|\basync\b", body):
        out.append(req("gen.code.javascript", 3, "javascript with async/await or Promise.all"))
    elif re.search(r"\brequire\(|^\s*import\b", body, re.MULTILINE):
        mods = re.findall(r"require\(['\"]([^'\"]+)['\"]\)|from\s+['\"]([^'\"]+)['\"]", body)
        names = [a or b for a, b in mods]
        out.append(req("gen.code.javascript", 2, f"javascript imports {', '.join(names) or 'modules'}"))
    else:
        out.append(req("gen.code.javascript", 1, "plain javascript"))
    out.append(req("tool.exec", 2, "node script to run"))
    return out


def sql_code(body: str) -> list[Finding]:
    up = body.upper()
    if re.search(r"^\s*WITH\b|\bRECURSIVE\b|/\*\+", up, re.MULTILINE):
        return [req("gen.code.sql", 3, "SQL with CTEs / hints")]
    if re.search(r"\bJOIN\b|\bGROUP BY\b|\bOVER\s*\(|\(\s*SELECT\b", up):
        return [req("gen.code.sql", 2, "SQL with JOIN / GROUP BY / subquery / window")]
    return [req("gen.code.sql", 1, "simple SQL")]


def html_code(body: str) -> list[Finding]:
    low = body.lower()
    if re.search(r"@media|aria-|<(path|animate|lineargradient)\b", low):
        return [req("gen.code.html", 3, "HTML with complex SVG / responsive / accessibility")]
    if re.search(r"<(form|table|svg|input|nav|article|section)\b", low):
        return [req("gen.code.html", 2, "HTML with forms / tables / SVG / semantic tags")]
    return [req("gen.code.html", 1, "basic HTML")]


# ---------------------------------------------------------------------------------------------
# Procedures (runs of ordered sibling steps)

_BRANCH = re.compile(r"^\s*(if|when|unless)\b|\b(otherwise|else|if not|in that case)\b", re.IGNORECASE)
_LOOP = re.compile(r"\b(repeat|until|again|for each|loop)\b", re.IGNORECASE)
_VERIFY = re.compile(r"\b(verify|check|confirm|validate|test)\b", re.IGNORECASE)


def procedure(texts: list[str]) -> list[Finding]:
    """Requirements of a run of ordered steps, given their texts (attached to the first)."""
    n = len(texts)
    if n < 3:
        return []
    branches = sum(1 for t in texts if _BRANCH.search(t))
    loops = any(_LOOP.search(t) for t in texts) and any(_VERIFY.search(t) for t in texts)
    what = f"{n} ordered steps" + (f", {branches} conditional" if branches else "")
    out = []
    if branches:
        out.append(req("reason.planning", 3, what + " (branches)"))
    else:
        out.append(req("reason.planning", 2 if n >= 6 else 1, what))
    if loops:
        out.append(req("follow.procedure", 3, what + " with a verify loop"))
    else:
        out.append(req("follow.procedure", 2 if n >= 5 or branches else 1, what))
    return out
