"""Instance/CheckResult types, the level registry and the deterministic check kinds.

An instance's `expected` holds `checks` (a list of check specs, all must pass) and
`reference` (what a perfect agent would answer / leave in the workdir). Check kinds and their
tolerances are documented on each `_check_*` function below.
"""
from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import yaml

LEVELS = (1, 2, 3)


@attrs.frozen
class Instance:
    id: str
    primitive: str
    level: int
    prompt: str
    files: dict = attrs.field(factory=dict)  # path -> text, written into the workdir first
    expected: dict = attrs.field(factory=dict)  # {"checks": [...], "reference": {...}}
    requires_network: bool = False  # tool.web / tool.browser: report "unknown" when offline
    requires: tuple = ()  # external executables the checker needs (e.g. "node")


@attrs.frozen
class CheckResult:
    passed: bool
    reason: str


LevelFn = Callable[[random.Random], dict]


def spec(prompt, checks, answer="", ref_files=None, files=None, **extra) -> dict:
    """What a level function returns; `generate` turns it into an Instance."""
    return {"prompt": prompt, "checks": checks, "answer": answer,
            "ref_files": ref_files or {}, "files": files or {}, **extra}


# ----------------------------------------------------------------- answer parsing helpers
FENCE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)


def unfence(text: str) -> str:
    """The first fenced block's body if there is one, else the stripped text."""
    m = FENCE.search(text)
    return m.group(1).strip() if m else text.strip()


def norm_ws(text: str) -> str:
    return " ".join(text.split())


NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def parse_number(text: str) -> float | None:
    """Whole answer as a number, else the last number in it (commas, $, % ignored)."""
    cleaned = text.strip().replace(",", "").replace("$", "").replace("%", "").strip().rstrip(".")
    try:
        return float(cleaned)
    except ValueError:
        found = NUMBER.findall(cleaned)
        return float(found[-1]) if found else None


def parse_data(text: str, fmt: str = "json") -> Any:
    body = unfence(text)
    if fmt == "yaml":
        return yaml.safe_load(body)
    if fmt == "csv":
        return [row for row in csv.reader(io.StringIO(body)) if row]
    return json.loads(body)


def approx_equal(a: Any, b: Any, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """Structural equality; numbers (not bools) within rel/abs tolerance."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(approx_equal(a[k], b[k], rel, abs_) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(approx_equal(x, y, rel, abs_) for x, y in zip(a, b))
    return a == b


def source_of(spec_: dict, workdir: Path, answer: str) -> str | None:
    """Text a check looks at: the answer, or `file:<path>` in the workdir."""
    src = spec_.get("source", "answer")
    if src == "answer":
        return answer
    path = workdir / src.split(":", 1)[1]
    return path.read_text(errors="replace") if path.is_file() else None


# ----------------------------------------------------------------- check kinds
def _check_number(c, workdir, answer):
    """Numeric answer: |got-want| <= max(rel_tol*|want|, abs_tol); default rel 1e-6."""
    text = source_of(c, workdir, answer)
    got = parse_number(text or "")
    if got is None:
        return False, "no number found"
    want = c["value"]
    ok = math.isclose(got, want, rel_tol=c.get("rel_tol", 1e-6), abs_tol=c.get("abs_tol", 1e-9))
    return ok, f"got {got}, want {want}"


def _check_text(c, workdir, answer):
    """Whitespace-insensitive text compare (optionally case-insensitive, outer punctuation
    and code fences stripped)."""
    text = source_of(c, workdir, answer)
    if text is None:
        return False, f"missing {c.get('source')}"
    got = norm_ws(unfence(text) if c.get("unfence", True) else text)
    want = norm_ws(c["value"])
    if c.get("strip_punct"):
        got, want = got.strip(" .!\"'`*"), want.strip(" .!\"'`*")
    if not c.get("case", False):
        got, want = got.lower(), want.lower()
    return got == want, f"got {got[:80]!r}, want {want[:80]!r}"


def _check_data(c, workdir, answer):
    """JSON/YAML/CSV compared as parsed data (numbers within rel 1e-6, or `rel_tol`);
    optional `schema` (JSON Schema), `max_bytes`/`min_bytes` on the raw text."""
    text = source_of(c, workdir, answer)
    if text is None:
        return False, f"missing {c.get('source')}"
    try:
        got = parse_data(text, c.get("format", "json"))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a failed check
        return False, f"unparseable: {exc}"[:200]
    size = len(unfence(text).encode())
    if "max_bytes" in c and size >= c["max_bytes"]:
        return False, f"{size} bytes >= {c['max_bytes']}"
    if "min_bytes" in c and size <= c["min_bytes"]:
        return False, f"{size} bytes <= {c['min_bytes']}"
    if "schema" in c:
        import jsonschema
        try:
            jsonschema.validate(got, c["schema"])
        except jsonschema.ValidationError as exc:
            return False, f"schema: {exc.message}"[:200]
    if c.get("sort_key"):
        got = sorted(got, key=lambda x: json.dumps(x, sort_keys=True)) if isinstance(got, list) else got
    ok = approx_equal(got, c["value"], rel=c.get("rel_tol", 1e-6))
    return ok, "data equal" if ok else f"got {json.dumps(got)[:120]}"


def _check_exact(c, workdir, answer):
    """Exact text after stripping surrounding whitespace (used when format itself is tested)."""
    text = source_of(c, workdir, answer)
    if text is None:
        return False, f"missing {c.get('source')}"
    ok = text.strip() == c["value"].strip()
    return ok, "exact match" if ok else f"got {text.strip()[:80]!r}"


def extract_pattern(answer: str) -> str:
    body = unfence(answer).strip()
    if len(body) > 1 and body[0] == body[-1] == "`":
        body = body.strip("`")
    if body.startswith(("r'", 'r"')) and body[-1] == body[1]:
        body = body[2:-1]
    elif len(body) > 1 and body[0] == body[-1] == "/":
        body = body[1:-1]
    return body


def _check_regex(c, workdir, answer):
    """Pattern run with re.fullmatch on held-out positives (must match) and negatives (must
    not); `groups` checks named-group extraction; `must_use` lists required constructs."""
    pattern = extract_pattern(answer)
    if not pattern:
        return False, "empty pattern"
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        return False, f"invalid regex: {exc}"
    for token in c.get("must_use", []):
        if not any(t in pattern for t in token.split("|")):
            return False, f"pattern must use {token}"
    for s in c["positives"]:
        if not rx.fullmatch(s):
            return False, f"should match {s!r}"
    for s in c["negatives"]:
        if rx.fullmatch(s):
            return False, f"should not match {s!r}"
    for s, groups in c.get("groups", []):
        m = rx.fullmatch(s)
        if not m or any(m.groupdict().get(k) != v for k, v in groups.items()):
            return False, f"wrong named groups on {s!r}"
    return True, "all held-out strings classified"


def extract_code(answer: str) -> str:
    return unfence(answer)


RUNNERS = {"python": [sys.executable, "prog"], "node": ["node", "prog"], "bash": ["bash", "prog"]}


def _check_program(c, workdir, answer):
    """Runs the program (from the answer or a workdir file) in a fresh temp dir per hidden case,
    timeout `timeout` s (default 10). Compares stdout (whitespace-normalized, or as JSON when
    `json` is set) and/or output files (whitespace-normalized text or parsed JSON)."""
    code = extract_code(answer) if c.get("source", "answer") == "answer" else source_of(c, workdir, answer)
    if not code:
        return False, "no program"
    for token in c.get("must_use", []):
        if not any(t in code for t in token.split("|")):
            return False, f"program must use {token}"
    runner = RUNNERS[c["lang"]]
    if shutil.which(runner[0]) is None:
        return False, f"{runner[0]} not installed"
    for i, case in enumerate(c["cases"]):
        with tempfile.TemporaryDirectory(prefix="skvmc-chk-") as tmp:
            tmpd = Path(tmp)
            for name, content in case.get("files", {}).items():
                (tmpd / name).parent.mkdir(parents=True, exist_ok=True)
                (tmpd / name).write_text(content)
            prog = tmpd / "_prog"
            prog.write_text(code)
            cmd = [str(prog) if a == "prog" else a for a in runner] + case.get("args", [])
            if c["lang"] == "bash" and c.get("one_liner"):
                cmd = ["bash", "-c", code]
            try:
                proc = subprocess.run(cmd, cwd=tmpd, input=case.get("stdin", ""), capture_output=True, check=False,
                                      text=True, timeout=c.get("timeout", 10))
            except subprocess.TimeoutExpired:
                return False, f"case {i}: timeout"
            if proc.returncode != 0:
                return False, f"case {i}: exit {proc.returncode}: {proc.stderr[-200:]}"
            if "stdout" in case and not _same_output(proc.stdout, case["stdout"], c.get("json")):
                return False, f"case {i}: stdout {proc.stdout[:100]!r}"
            for name, want in case.get("out_files", {}).items():
                path = tmpd / name
                if not path.is_file():
                    return False, f"case {i}: {name} not written"
                if not _same_output(path.read_text(), want, c.get("json")):
                    return False, f"case {i}: {name} differs"
    return True, f"{len(c['cases'])} hidden cases pass"


def _same_output(got: str, want: Any, as_json: bool | None) -> bool:
    if as_json:
        try:
            return approx_equal(json.loads(got), want)
        except ValueError:
            return False
    return norm_ws(got) == norm_ws(str(want))


def _check_sql(c, workdir, answer):
    """The query runs on each hidden sqlite database (built from `setup` SQL); its rows must
    equal the reference rows (order-insensitive unless `ordered`; floats within 1e-6 rel)."""
    query = unfence(answer).strip()
    if not query:
        return False, "no query"
    for token in c.get("must_use", []):
        if not any(t.lower() in query.lower() for t in token.split("|")):
            return False, f"query must use {token}"
    for i, case in enumerate(c["cases"]):
        db = sqlite3.connect(":memory:")
        try:
            db.executescript(case["setup"])
            rows = [list(r) for r in db.execute(query).fetchall()]
        except sqlite3.Error as exc:
            return False, f"case {i}: {exc}"
        finally:
            db.close()
        want = case["rows"]
        if not c.get("ordered"):
            rows, want = sorted(rows, key=repr), sorted(want, key=repr)
        if not approx_equal(rows, want):
            return False, f"case {i}: rows {rows[:3]}"
    return True, "rows equal on hidden databases"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []  # [tag, attrs, text]
        self.stack = []

    def handle_starttag(self, tag, attrs_):
        el = [tag, dict(attrs_), ""]
        self.elements.append(el)
        if tag not in {"meta", "link", "br", "img", "input", "hr"}:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el[2] += data


def _check_html(c, workdir, answer):
    """HTML parsed with html.parser; each required element [tag, {attr: value|null}, text|null]
    must exist (attr null = present with any value; text compared whitespace-insensitively,
    as a substring); `contains` lists raw substrings (e.g. '@media')."""
    html = source_of(c, workdir, answer)
    if not html:
        return False, "no HTML"
    html = unfence(html)
    parser = _Tags()
    parser.feed(html)
    for tag, attrs_, text in c["require"]:
        found = False
        for t, a, body in parser.elements:
            if t != tag:
                continue
            if any(k not in a or (v is not None and a[k] != v) for k, v in attrs_.items()):
                continue
            if text is not None and norm_ws(text).lower() not in norm_ws(body).lower():
                continue
            found = True
            break
        if not found:
            return False, f"missing <{tag} {attrs_}> {text or ''}"
    for raw in c.get("contains", []):
        if raw.lower() not in html.lower():
            return False, f"missing {raw!r}"
    return True, "all required elements present"


CONTRACTION = re.compile(r"\b\w+'(?:t|s|re|ve|ll|d|m)\b|\b\w+’(?:t|s|re|ve|ll|d|m)\b", re.IGNORECASE)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", text)


def _check_rules(c, workdir, answer):
    """Deterministic text rules (see RULES); every rule must hold."""
    text = source_of(c, workdir, answer)
    if not text or not text.strip():
        return False, "empty text"
    for rule in c["rules"]:
        ok, why = RULES[rule["rule"]](text, rule)
        if not ok:
            return False, f"{rule['rule']}: {why}"
    return True, "all rules hold"


def _rule_words(text, r):
    n = len(_words(text))
    return r.get("min", 0) <= n <= r.get("max", 10**9), f"{n} words"


def _rule_bytes(text, r):
    n = len(text.encode())
    return r.get("min", 0) <= n <= r.get("max", 10**12), f"{n} bytes"


def _rule_paragraphs(text, r):
    ps = [p for p in paragraphs(text) if not p.startswith("#")]
    n = len(ps)
    if not r.get("min", 0) <= n <= r.get("max", 10**6):
        return False, f"{n} paragraphs"
    short = [p for p in ps if len(_words(p)) < r.get("min_words", 0)]
    return not short, f"{len(short)} paragraphs too short"


def _rule_contains(text, r):
    low = text.lower()
    missing = [w for w in r["words"] if w.lower() not in low]
    need = r.get("at_least", len(r["words"]))
    return len(r["words"]) - len(missing) >= need, f"missing {missing[:5]}"


def _rule_absent(text, r):
    low = text.lower()
    bad = [w for w in r["words"] if re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", low)]
    return not bad, f"forbidden {bad[:5]}"


def _rule_regex(text, r):
    found = re.search(r["pattern"], text, re.MULTILINE | (re.IGNORECASE if r.get("ignorecase") else 0))
    return bool(found) == r.get("must", True), f"pattern {r['pattern']!r}"


def _rule_no_contractions(text, r):
    m = CONTRACTION.search(text)
    return m is None, f"contraction {m.group(0) if m else ''}"


def _rule_has_contraction(text, r):
    return CONTRACTION.search(text) is not None, "no contraction"


def _rule_headings(text, r):
    got = [h.strip() for h in re.findall(r"^#{1,3} +(.+)$", text, re.MULTILINE)]
    return got == r["values"], f"headings {got}"


def _rule_each_paragraph(text, r):
    ps = [p for p in paragraphs(text) if not p.startswith("#")]
    for i, p in enumerate(ps):
        low = p.lower()
        if sum(1 for w in r["words"] if w.lower() in low) < r.get("at_least", 1):
            return False, f"paragraph {i + 1} lacks {r['words'][:3]}"
    return bool(ps), "ok"


def _rule_lowercase(text, r):
    return text == text.lower(), "has capitals"


def _rule_no_chars(text, r):
    bad = [ch for ch in r["chars"] if ch in text]
    return not bad, f"forbidden chars {bad}"


def _rule_sections(text, r):
    """Delimited sections `open`/`close` templates with {name}, in order, each body with
    `bullets` lines starting '- ' (exact) and at least `min_words` words."""
    pos = 0
    for name in r["names"]:
        o, cl = r["open"].format(name=name), r["close"].format(name=name)
        i = text.find(o, pos)
        j = text.find(cl, i + len(o)) if i >= 0 else -1
        if i < 0 or j < 0:
            return False, f"section {name} delimiters"
        body = text[i + len(o):j]
        if r["open"].format(name="") in body:
            return False, f"section {name} not closed before next opens"
        bullets = [ln for ln in body.splitlines() if ln.strip().startswith("- ")]
        if "bullets" in r and len(bullets) != r["bullets"]:
            return False, f"section {name}: {len(bullets)} bullets"
        if len(_words(body)) < r.get("min_words", 0):
            return False, f"section {name} too short"
        if r.get("mention") and name.lower() not in body.lower():
            return False, f"section {name} does not mention its name"
        pos = j + len(cl)
    return True, "sections intact"


def _rule_lines(text, r):
    lines = [ln.rstrip() for ln in unfence(text).splitlines() if ln.strip()]
    return lines == r["values"], f"lines {lines[:4]}"


def _rule_starts(text, r):
    return any(text.strip().startswith(s) for s in r["prefixes"]), f"start {text.strip()[:20]!r}"


RULES = {
    "words": _rule_words, "bytes": _rule_bytes, "paragraphs": _rule_paragraphs,
    "contains": _rule_contains, "absent": _rule_absent, "regex": _rule_regex,
    "no_contractions": _rule_no_contractions, "has_contraction": _rule_has_contraction,
    "headings": _rule_headings, "each_paragraph": _rule_each_paragraph,
    "lowercase": _rule_lowercase, "no_chars": _rule_no_chars, "sections": _rule_sections,
    "lines": _rule_lines, "starts": _rule_starts,
}


def _check_topo(c, workdir, answer):
    """Answer is a comma/newline-separated order of all `items` respecting every [a, b]
    (a before b) in `deps`."""
    got = [x.strip().strip(".") for x in re.split(r"[,\n]|->", unfence(answer)) if x.strip()]
    if sorted(got) != sorted(c["items"]):
        return False, f"items {got}"
    where = {x: i for i, x in enumerate(got)}
    bad = [(a, b) for a, b in c["deps"] if where[a] > where[b]]
    return not bad, f"violates {bad}" if bad else "valid order"


def _check_calls(c, workdir, answer):
    """The sandbox tool log (JSON lines) contains every expected call (parsed args compared
    as data); with `exact` no other calls."""
    path = workdir / c.get("log", "calls.jsonl")
    if not path.is_file():
        return False, "no tool calls logged"
    calls = []
    for line in path.read_text().splitlines():
        try:
            calls.append(json.loads(line))
        except ValueError:
            continue
    for want in c["calls"]:
        if not any(approx_equal(got, want) for got in calls):
            return False, f"missing call {json.dumps(want)[:100]}"
    if c.get("exact") and len(calls) != len(c["calls"]):
        return False, f"{len(calls)} calls logged"
    return True, "calls logged"


def _check_new_script(c, workdir, answer):
    """Evidence of delegation: a *.py/*.sh/*.js file exists that the instance did not ship."""
    shipped = set(c.get("shipped", []))
    for p in workdir.rglob("*"):
        if p.suffix in {".py", ".sh", ".js"} and p.relative_to(workdir).as_posix() not in shipped:
            return True, f"script {p.name}"
    return False, "no script written"


def _check_file_sizes(c, workdir, answer):
    """`path` is a JSON object {file: size_in_bytes} matching the real files in the workdir."""
    path = workdir / c["path"]
    if not path.is_file():
        return False, f"missing {c['path']}"
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return False, "index is not JSON"
    if sorted(data) != sorted(c["files"]):
        return False, f"keys {sorted(data)}"
    for name, size in data.items():
        real = workdir / name
        if not real.is_file() or real.stat().st_size != size:
            return False, f"size of {name}"
    return True, "sizes match"


CHECKS = {
    "number": _check_number, "text": _check_text, "data": _check_data, "exact": _check_exact,
    "regex": _check_regex, "program": _check_program, "sql": _check_sql, "html": _check_html,
    "rules": _check_rules, "topo": _check_topo, "calls": _check_calls,
    "new_script": _check_new_script, "file_sizes": _check_file_sizes,
}


def run_checks(instance: Instance, workdir: Path, answer: str) -> CheckResult:
    reasons = []
    for c in instance.expected["checks"]:
        try:
            ok, why = CHECKS[c["kind"]](c, Path(workdir), answer or "")
        except Exception as exc:  # noqa: BLE001 - a checker crash on odd input is a failure
            ok, why = False, f"checker error: {type(exc).__name__}: {exc}"[:200]
        if not ok:
            return CheckResult(False, f"{c['kind']}: {why}")
        reasons.append(why)
    return CheckResult(True, "; ".join(reasons))


# ----------------------------------------------------------------- text helpers for references
FILLER = ["the", "team", "reviewed", "the", "plan", "carefully", "and", "recorded", "each", "result", "in", "the", "shared", "notes", "before", "the", "next", "meeting", "so", "that", "everyone", "could", "follow", "the", "progress", "and", "agree", "on", "clear", "steps", "for", "the", "coming", "weeks", "while", "keeping", "the", "budget", "and", "the", "schedule", "in", "view"]


def sentence(rng: random.Random, n: int, words: tuple = ()) -> str:
    body = [rng.choice(FILLER) for _ in range(n)]
    for i, w in enumerate(words):
        body.insert(min(len(body), 2 + 3 * i), w)
    text = " ".join(body)
    return text[0].upper() + text[1:] + "."


def para(rng: random.Random, n_words: int, words: tuple = ()) -> str:
    out, count = [], 0
    first = True
    while count < n_words:
        s = sentence(rng, 10, words if first else ())
        first = False
        out.append(s)
        count += len(s.split())
    return " ".join(out)


ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
