"""The harness-facing SKILL.md as the source text plus declared edits.

A compiled SKILL.md must never be worse than its source, so it is not re-rendered from the IR:
it is the source, byte for byte, with a short list of edits applied. Each edit has a kind, the
pass that asked for it, the source line it concerns and a reason; report.json lists them, and
:func:`check_faithful` proves (independently of how the text was built) that the output keeps
every word, fence, link and table cell of the source outside those edits.

Where the edits come from (the final module compared with the frontend's, by source location):
- a source block that is gone from the final module is a *removal*, but only when a pass
  declared it (``removals``: line -> reason, from dead-step-elim's record); an undeclared
  disappearance keeps the text (unknown means kept) and is listed in ``refused``;
- an op a pass added and the prompt policy allows (``render_insert``) is an *insertion*, placed
  before the first source block it wraps, or after the source block it follows;
- a ``note`` fact on a kept source step (a tool hint) is a *suffix* on the step's last own line.
Frontmatter replacements (a harness's documented style) come in as one more edit.
"""

from __future__ import annotations

import bisect
import collections
import re
from collections.abc import Callable

import attrs

from skvmc.ir import Operation
from skvmc.memo import ByIdentity

# Ops that are facts, not blocks of text (they have no span of their own).
_NOT_BLOCKS = ("skill.ref", "skill.frontmatter")
LIST_ITEM = "skill.step"


@attrs.frozen
class Edit:
    kind: str  # remove | insert | suffix | frontmatter
    pass_name: str
    line: int  # the source line it concerns (1-based)
    reason: str
    text: str = ""  # inserted or appended text ("" for removals)
    last_line: int = 0  # for removals: the last source line removed

    def to_json(self) -> dict:
        out = {"kind": self.kind, "pass": self.pass_name, "line": self.line,
               "reason": self.reason}
        if self.kind == "remove":
            out["last_line"] = self.last_line
        else:
            out["text"] = self.text
        return out


@attrs.frozen
class _Span:
    start: int  # first line (1-based), the op's own first line
    own_end: int  # last line of the op's own text (before nested blocks)
    end: int  # last line including nested blocks (trailing blank lines excluded)
    col: int


def _key(op: Operation):
    return (op.name, op.loc.line, op.loc.col)


def _is_block(op: Operation) -> bool:
    return op.name.startswith("skill.") and op.name not in _NOT_BLOCKS and op.loc.line > 0


def source_spans(module: Operation, lines: list[str]) -> dict:
    """(name, line, col) -> _Span for every source block, from the frontend's module: a block
    runs from its line to the line before its next sibling (or its parent's end). Memoized
    per source module (and its lines): every target of a skill edits the same source."""
    hit = _SPANS.get(module)
    if hit is not None and hit[0] == lines:
        return dict(hit[1])
    spans = _source_spans(module, lines)
    if not _SPANS.stores:
        return spans
    _SPANS.put(module, (list(lines), spans))
    return dict(spans)


_SPANS = ByIdentity(None, for_later_compiles=True)


def _source_spans(module: Operation, lines: list[str]) -> dict:
    spans: dict = {}

    def trim(start: int, end: int) -> int:
        while end > start and not lines[end - 1].strip():
            end -= 1
        return end

    def region(ops, parent_end: int) -> None:
        blocks = sorted((o for o in ops if _is_block(o)), key=lambda o: o.loc.line)
        for i, op in enumerate(blocks):
            nxt = blocks[i + 1].loc.line - 1 if i + 1 < len(blocks) else parent_end
            end = trim(op.loc.line, max(op.loc.line, nxt))
            kids = [o for r in op.regions for o in r.ops if _is_block(o)]
            first_kid = min((k.loc.line for k in kids), default=end + 1)
            own_end = trim(op.loc.line, max(op.loc.line, first_kid - 1))
            spans[_key(op)] = _Span(op.loc.line, own_end, end, op.loc.col)
            for r in op.regions:
                region(r.ops, end)

    region(module.body, len(lines))
    return spans


def _source_blocks(module: Operation):
    """Every source block, outermost first."""
    def walk(ops):
        for op in ops:
            if _is_block(op):
                yield op
                for r in op.regions:
                    yield from walk(r.ops)
    yield from walk(module.body)


def compute_edits(source: Operation, final: Operation, lines: list[str], *,
                  removals: dict[int, tuple[str, str]],
                  render_insert: Callable[[Operation], tuple[str, str, list[str]] | None],
                  suffix_of: Callable[[Operation], tuple[str, str, str] | None]):
    """The edits that turn the source lines into the compiled SKILL.md.

    ``removals``: source line -> (pass, reason) of declared removals.
    ``render_insert(op)``: for an op that a pass added, None (not shown in the prompt) or
    (pass, reason, lines) where lines is the lead-in text.
    ``suffix_of(op)``: for a kept source block, None or (pass, reason, text).
    Returns (edits, refused) where refused lists the undeclared changes that were not made.
    """
    spans = source_spans(source, lines)
    kept = {_key(op) for op in final.walk() if _is_block(op)}
    edits: list[Edit] = []
    refused: list[dict] = []

    # Removals: the outermost vanished block of each removed subtree. Both questions asked
    # of a vanished block are looked up, not scanned for (5000 removed duplicates among 5000
    # kept steps were 25 million comparisons): is its first line inside a removed block, and
    # does a kept block start inside it.
    removed = _Intervals()
    kept_starts = sorted(spans[k].start for k in kept if k in spans)
    for op in _source_blocks(source):
        key = _key(op)
        if key in kept:
            continue
        span = spans.get(key)
        if span is None or removed.covers(span.start):
            continue
        after = bisect.bisect_right(kept_starts, span.start)
        inner_kept = after < len(kept_starts) and kept_starts[after] <= span.end
        declared = removals.get(op.loc.line)
        if declared is None or inner_kept:
            refused.append({"line": op.loc.line, "op": op.name,
                            "reason": "removal not declared by a pass: kept"
                            if declared is None else "a nested block is still needed: kept"})
            continue
        removed.add(span.start, span.end)
        edits.append(Edit("remove", declared[0], span.start, declared[1],
                          last_line=span.end))

    # Insertions and suffixes, walking the final module in order.
    def first_source_line(op: Operation) -> tuple[int, int] | None:
        for o in op.walk():
            if _is_block(o) and _key(o) in spans and _key(o) in kept:
                return spans[_key(o)].start, spans[_key(o)].col
        return None

    def region(ops, anchor_after: tuple[int, int] | None) -> None:
        prev = anchor_after
        for op in ops:
            if _is_block(op) and _key(op) in spans:
                span = spans[_key(op)]
                suffix = suffix_of(op)
                if suffix is not None:
                    edits.append(Edit("suffix", suffix[0], span.own_end, suffix[1],
                                      text=suffix[2]))
                for r in op.regions:
                    region(r.ops, (span.own_end, span.col + _content_offset(op)))
                prev = (span.end, span.col)
                continue
            if op.name.startswith("skill."):
                continue  # a fact (ref, frontmatter) or a block without a source line
            shown = render_insert(op)
            inner = first_source_line(op)
            if shown is not None:
                pass_name, reason, text_lines = shown
                if inner is not None:  # a container: its lead-in goes before what it wraps
                    where, col = inner[0] - 1, inner[1]
                elif prev is not None:
                    where, col = prev
                else:
                    where, col = None, 1
                if where is None or _mid_list(where, lines, inner is not None):
                    refused.append({"line": where or 0, "op": op.name,
                                    "reason": "no place that keeps the surrounding list whole"})
                else:
                    indent = " " * (col - 1)
                    text = "".join(indent + t + "\n" if t else "\n" for t in text_lines)
                    edits.append(Edit("insert", pass_name, where, reason, text=text))
            for r in op.regions:
                region(r.ops, prev)
            last = _last_source_end(op, spans, kept)
            if last is not None:
                prev = last

    region(final.body, None)
    return edits, refused


def _content_offset(op: Operation) -> int:
    """Columns from a list item's marker to its content (so nested inserts line up)."""
    if op.name != LIST_ITEM:
        return 0
    marker = op.attr("marker") or "-"
    return len(marker) + 1


class _Intervals:
    """Closed line intervals; ``covers(n)``: does one of them hold line ``n``. Kept sorted by
    start with the running maximum of the ends, so a query is a binary search (intervals come
    in document order: adding one is an append, anything else a re-sort)."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.reach: list[int] = []  # reach[i]: the largest end among the first i + 1

    def add(self, start: int, end: int) -> None:
        if self.starts and start < self.starts[-1]:
            pairs = sorted([*zip(self.starts, self.ends), (start, end)])
            self.starts, self.ends, self.reach = [], [], []
            for a, b in pairs:
                self._append(a, b)
        else:
            self._append(start, end)

    def _append(self, start: int, end: int) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.reach.append(max(end, self.reach[-1]) if self.reach else end)

    def covers(self, line: int) -> bool:
        i = bisect.bisect_right(self.starts, line)
        return i > 0 and self.reach[i - 1] >= line


def _last_source_end(op: Operation, spans, kept):
    last = None
    for o in op.walk():
        if _is_block(o) and _key(o) in spans and _key(o) in kept:
            span = spans[_key(o)]
            if last is None or span.end > last[0]:
                last = (span.end, span.col)
    return last


_LIST_LINE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")


def _mid_list(after_line: int, lines: list[str], wraps: bool) -> bool:
    """True when inserting after ``after_line`` would cut a list in two: the line before and
    the next non-blank line after are items of the same list level."""
    if after_line <= 0:
        return False
    before = lines[after_line - 1] if after_line - 1 < len(lines) else ""
    nxt = next((ln for ln in lines[after_line:] if ln.strip()), "")
    if not (_LIST_LINE.match(nxt) and (_LIST_LINE.match(before) or before.startswith(" "))):
        return False
    return _indent(nxt) <= _indent(before) or not wraps


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def apply_edits(lines: list[str], edits: list[Edit], newline: str = "\n") -> str:
    """The source lines with the edits applied (line numbers refer to the source)."""
    removed = set()
    for e in edits:
        if e.kind == "remove":
            removed.update(range(e.line, e.last_line + 1))
    inserts: dict[int, list[str]] = collections.defaultdict(list)
    suffix: dict[int, list[str]] = collections.defaultdict(list)
    for e in edits:
        if e.kind == "insert":
            inserts[e.line].append(e.text)
        elif e.kind == "suffix":
            suffix[e.line].append(e.text)
    out: list[str] = []

    def emit_inserts(at: int) -> None:
        for text in inserts.get(at, ()):
            if out and out[-1].strip():
                out.append(newline)
            out.append(text.replace("\n", newline))
            out.append(newline)

    emit_inserts(0)
    for n, line in enumerate(lines, 1):
        if n in removed:
            # also drop one blank line after a removed block, so no double gap is left
            continue
        if n - 1 in removed and not line.strip() and (not out or not out[-1].strip()):
            continue
        if n in suffix:
            body = line.rstrip("\r\n")
            end = line[len(body):]
            line = body + "".join(" " + s for s in suffix[n]) + end
        out.append(line)
        if n in inserts and line.strip() and not line.endswith(("\n", "\r")):
            out.append(newline)
        emit_inserts(n)
    text = "".join(out)
    return re.sub(r"(\r?\n){3,}", lambda m: m.group(1) * 2, text) if inserts else text


# -- translation validation ----------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})", re.M)
_LINK = re.compile(r"\]\(([^)\s]+)")


def _words(text: str) -> collections.Counter:
    return collections.Counter(w.lower() for w in _WORD.findall(text))


def check_faithful(source_lines: list[str], output: str, edits: list[Edit],
                   frontmatter_lines: int = 0) -> list[str]:
    """Problems with ``output`` as a translation of the source under ``edits`` (empty: it is
    faithful). Checked independently of :func:`apply_edits`: word, fence and link counts of
    the body must equal the source's minus what removals declare plus what edits add."""
    body_src = source_lines[frontmatter_lines:]
    removed_lines = set()
    for e in edits:
        if e.kind == "remove":
            removed_lines.update(range(e.line, e.last_line + 1))
    kept_src = "".join(ln for n, ln in enumerate(body_src, frontmatter_lines + 1)
                       if n not in removed_lines)
    added = "".join(e.text + "\n" for e in edits if e.kind in ("insert", "suffix"))
    out_body = _strip_frontmatter(output) if frontmatter_lines else output
    problems = []
    want, got = _words(kept_src) + _words(added), _words(out_body)
    lost, extra = want - got, got - want
    if lost:
        problems.append(f"{sum(lost.values())} words lost outside declared edits: "
                        f"{sorted(lost)[:8]}")
    if extra:
        problems.append(f"{sum(extra.values())} words added outside declared edits: "
                        f"{sorted(extra)[:8]}")
    for name, pattern in (("fence", _FENCE), ("link", _LINK)):
        n_want = len(pattern.findall(kept_src)) + len(pattern.findall(added))
        n_got = len(pattern.findall(out_body))
        if n_want != n_got:
            problems.append(f"{name}s: {n_got} in the output, {n_want} expected")
    return problems


def _strip_frontmatter(text: str) -> str:
    m = re.match(r"\A\ufeff?---\r?\n.*?\r?\n---\r?\n?", text, re.S)
    return text[m.end():] if m else text


def frontmatter_line_count(lines: list[str]) -> int:
    """Lines taken by the frontmatter block (0 when there is none)."""
    if not lines or lines[0].lstrip("\ufeff").rstrip("\r\n") != "---":
        return 0
    for n, line in enumerate(lines[1:], 2):
        if line.rstrip("\r\n") == "---":
            return n
    return 0
