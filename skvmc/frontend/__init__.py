"""The frontend: a skill folder (SKILL.md + bundle) to a module in the ``skill`` dialect.

Stages: read and decode (``source``), split and check the frontmatter (``frontmatter``), parse
the body with ``grammar/skill.lark`` into a flat sequence of line blocks, nest them
(``blocks``), then lower the nodes to immutable ops, hoisting the bundle references to the top
of the module so every op that mentions a file can take it as an operand.
"""

from __future__ import annotations

import bisect
import os
import re

from lark.exceptions import UnexpectedInput

from skvmc import grammar
from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.dialects import skill
from skvmc.frontend import frontmatter as fm
from skvmc.frontend.blocks import MAX_LIST_DEPTH, BlockBuilder, Node, finish_inline
from skvmc.frontend.inline import scan
from skvmc.frontend.refs import WHY, BundleIndex, list_bundle, select_refs
from skvmc.frontend.source import SkillSource, UsageError, read_skill
from skvmc.ir import Location, Operation, Value, module

__all__ = ["parse_skill", "parse_source", "UsageError"]


def _parser():
    return grammar.load("skill", lexer="contextual")


def _terminal_regex(name: str):
    return re.compile(_parser().get_terminal(name).pattern.to_regexp())


FENCE_KINDS = {  # opener terminal -> (closer terminal, text that closes it)
    "BT4_OPEN": ("BT4_CLOSE", "````"),
    "BT_OPEN": ("BT_CLOSE", "```"),
    "TILDE_OPEN": ("TILDE_CLOSE", "~~~"),
}


def _fence_terminals() -> tuple[dict, dict]:
    """(opener regexes, closer regexes) by opener terminal, from the grammar itself."""
    openers = {name: _terminal_regex(name) for name in FENCE_KINDS}
    closers = {name: _terminal_regex(close) for name, (close, _) in FENCE_KINDS.items()}
    return openers, closers


def fence_body_lines(text: str):
    """Each line of ``text`` (with its line end), and whether it is inside a fenced block's
    body, as the grammar reads fences (an opener and its closer are not inside)."""
    openers, closers = _fence_terminals()
    open_kind = None
    for line in text.splitlines(keepends=True):
        probe = line if line.endswith("\n") else line + "\n"  # the terminals end in \n
        if open_kind is None:
            open_kind = next((k for k, rx in openers.items() if rx.fullmatch(probe)), None)
            yield line, False
        elif closers[open_kind].fullmatch(probe):
            open_kind = None
            yield line, False
        else:
            yield line, True


def close_open_fences(text: str, first_body_line: int, file: str, diags: DiagnosticEngine) -> str:
    """Warn about a fence that is never closed and close it at the end of the file.

    Mirrors the grammar's fence terminals (taken from the grammar itself, so the two cannot
    drift): a fence only ends at its own kind of closer, so an unclosed one would swallow the
    rest of the file and fail the parse; closing it at EOF is what Markdown renderers do too.
    """
    kinds = FENCE_KINDS
    openers, closers = _fence_terminals()
    blank = _terminal_regex("BLANK")
    lines = text.split("\n")
    open_kind, open_line = None, 0
    for number in range(first_body_line, len(lines)):
        line = lines[number - 1] + "\n"
        if open_kind is None:
            if blank.fullmatch(line):
                continue
            open_kind = next((k for k, rx in openers.items() if rx.fullmatch(line)), None)
            open_line = number
        elif closers[open_kind].fullmatch(line):
            open_kind = None
    if open_kind is None:
        return text
    col = len(lines[open_line - 1]) - len(lines[open_line - 1].lstrip()) + 1
    diags.warning("code fence is never closed; it runs to the end of the file",
                  Location(file, open_line, col), code="fence-unclosed")
    return text + kinds[open_kind][1] + "\n"


def _blocks(text: str, file: str, diags: DiagnosticEngine) -> Node:
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:  # the grammar accepts every line, so this is a bug guard
        diags.error(f"cannot parse SKILL.md: {type(err).__name__}",
                    Location(file, getattr(err, "line", 1), getattr(err, "column", 1)))
        raise CompileError("parse failed") from None
    builder = BlockBuilder()
    blocks = tree.children
    del tree
    for index in range(1, len(blocks)):
        # each parse-tree block is dropped once its node is built: the nodes replace the
        # tree instead of joining it (a 1 MB skill's tree and nodes: ~100 MB together)
        block, blocks[index] = blocks[index], None
        toks = block.children
        first = toks[0]
        line = first.value.rstrip("\n")
        kind = block.data
        if kind == "heading":
            builder.heading(line, first.line)
        elif kind == "list_item":
            builder.list_item(line, first.line)
        elif kind == "text_line":
            builder.text_line(line, first.line)
        elif kind == "blank":
            builder.blank()
        elif kind == "rule":
            builder.rule(line, first.line)
        elif kind == "quote_line":
            builder.quote_line(line, first.line)
        elif kind == "table_head":
            builder.table_head(line, toks[1].value.rstrip("\n"), first.line)
        elif kind == "table_row":
            builder.table_row(line, first.line)
        elif kind == "html_line":
            builder.html_line(line, first.line)
        elif kind == "fence":
            builder.fence(line, [t.value for t in toks[1:-1]], first.line)
        else:  # pragma: no cover - the grammar has no other block kinds
            raise AssertionError(kind)
    if builder.too_deep:
        line, col = builder.too_deep
        diags.error(f"list nested deeper than {MAX_LIST_DEPTH} levels", Location(file, line, col),
                    code="too-deep")
        raise CompileError("too deep")
    finish_inline(builder.root)
    return builder.root


class _Lowering:
    """Nodes -> ops. Refs are numbered first, then step/code results in document order."""

    def __init__(self, file: str, bundle: BundleIndex, lines: list[str]):
        self.file = file
        self.lines = lines
        self.bundle = bundle
        self.refs: dict[str, tuple[Value, Location]] = {}
        self.why: dict[str, str] = {}  # path -> why the first mention was read as a path
        self.counter = 0

    def _fresh(self, type_) -> Value:
        value = Value(str(self.counter), type_)
        self.counter += 1
        return value

    def collect_refs(self, node: Node) -> None:
        text = node.attrs.get("text") or node.attrs.get("body") or ""
        found = []
        if node.kind != "html":
            links, mentions = scan(text)  # once per text: lower() takes the links from here
            node.attrs["_links"] = links
            found = select_refs(mentions, self.bundle, code=node.kind == "code")
        node.attrs["_refs"] = [path for path, _, _ in found]
        span = text.count("\n") + 3  # paragraph lines, or a fence's opener + body + closer
        newlines = None
        for path, why, offset in found:
            self.why.setdefault(path, WHY[why])
            if path not in self.refs:
                if newlines is None:
                    newlines = [m.start() for m in re.finditer("\n", text)]
                line_in_text = bisect.bisect_left(newlines, offset)
                self.refs[path] = (self._fresh(skill.FILE),
                                   self._mention(node, line_in_text, path, span))
        for child in node.children:
            self.collect_refs(child)

    def _mention(self, node: Node, line_in_text: int, path: str, span: int) -> Location:
        """Where ``path`` is written: the node's first line that contains it, from a line or
        two above its first mention (``line_in_text``, 0-based)."""
        # The node's text lines map to source lines from node.line, give or take the opener
        # of a fence or an empty first item line; starting near the mention keeps a paragraph
        # with thousands of references from being rescanned from its top for each.
        skip = max(0, line_in_text - 2)
        first = node.line + skip if node.kind != "code" else node.line
        for number in range(first, min(node.line + span, len(self.lines) + 1)):
            col = self.lines[number - 1].find(path)
            if col >= 0:
                return Location(self.file, number, col + 1)
            if node.kind == "code" and number == node.line and skip:
                first = node.line + skip  # the opener had no mention: jump ahead in the body
                break
        else:
            return Location(self.file, node.line, node.col)
        for number in range(max(first, node.line + 1), min(node.line + span, len(self.lines) + 1)):
            col = self.lines[number - 1].find(path)
            if col >= 0:
                return Location(self.file, number, col + 1)
        return Location(self.file, node.line, node.col)

    def ref_ops(self) -> list[Operation]:
        ops = []
        for path, (value, loc) in self.refs.items():
            exists, actual = self.bundle.resolve(path)
            ops.append(skill.REF.build(results=(value,), path=path, exists=exists,
                                       actual=actual, loc=loc))
        return ops

    def lower(self, node: Node) -> Operation:
        loc = Location(self.file, node.line, node.col)
        operands = tuple(self.refs[p][0] for p in node.attrs.pop("_refs", []))
        a = node.attrs
        if node.kind == "section":
            return skill.SECTION.build(level=a["level"], title=a["title"], loc=loc,
                                       regions=[[self.lower(c) for c in node.children]])
        if node.kind == "step":
            result = (self._fresh(skill.VALUE),)
            children = [self.lower(c) for c in node.children]
            return skill.STEP.build(
                operands=operands, results=result, text=a["text"], ordered=a["ordered"],
                marker=a["marker"], number=a.get("number"), check=a.get("check"),
                links=tuple(a.pop("_links", ())) or None, regions=[children], loc=loc)
        if node.kind == "text":
            return skill.TEXT.build(operands=operands, text=a["text"],
                                    links=tuple(a.pop("_links", ())) or None, loc=loc)
        if node.kind == "code":
            return skill.CODE.build(operands=operands, results=(self._fresh(skill.VALUE),),
                                    lang=a["lang"], info=a.get("info"), body=a["body"],
                                    fence=a["fence"], loc=loc)
        if node.kind == "table":
            return skill.TABLE.build(header=a["header"], align=a["align"], rows=a["rows"], loc=loc)
        if node.kind == "quote":
            return skill.QUOTE.build(operands=operands, text=a["text"], kind=a.get("kind"),
                                     links=tuple(a.pop("_links", ())) or None, loc=loc)
        if node.kind == "rule":
            return skill.RULE.build(loc=loc)
        if node.kind == "html":
            return skill.HTML.build(text=a["text"], loc=loc)
        raise AssertionError(node.kind)


def _warn_missing_refs(ops: list[Operation], diags: DiagnosticEngine,
                       why: dict[str, str] | None = None) -> None:
    for op in ops:
        if op.attr("exists"):
            continue
        actual = op.attr("actual")
        if actual:
            diags.warning(f"'{op.attr('path')}' is not in the skill folder, but '{actual}' is "
                          "(letter case differs; case-sensitive file systems will not find it)",
                          op.loc, code="ref-case")
        else:
            reason = (why or {}).get(op.attr("path"))
            diags.warning(f"'{op.attr('path')}' is referenced but not in the skill folder"
                          + (f" (read as a path: {reason})" if reason else ""),
                          op.loc, code="ref-missing")


def harness_keys() -> dict[str, list[str]]:
    """Non-spec frontmatter key -> harnesses whose descriptors say they understand it.

    Spec keys are skipped so only the extras a harness adds are listed.
    """
    from skvmc import targets

    out: dict[str, list[str]] = {}
    for harness in targets.list_harnesses():
        for key in harness.frontmatter_keys:
            if key not in fm.frontmatter_schema()["properties"]:
                out.setdefault(key, []).append(harness.name)
    return out


def parse_source(src: SkillSource, diags: DiagnosticEngine,
                 bundle_files: list[str] | None = None) -> Operation:
    """Parse decoded skill text. Raises CompileError after reporting errors."""
    file = src.file
    split = fm.split(src.text, file, diags)
    if split is None:
        raise CompileError("no frontmatter")
    raw, end_line = split
    front = fm.parse(raw, end_line, file, diags)
    if front is None:
        raise CompileError("bad frontmatter")
    folder = os.path.basename(os.path.normpath(os.path.abspath(src.skill_dir)))
    if not fm.check(front, folder, file, diags, harness_keys()):
        raise CompileError("bad frontmatter")
    text = close_open_fences(src.text, end_line + 1, file, diags)
    root = _blocks(text, file, diags)
    files = bundle_files if bundle_files is not None else list_bundle(src.skill_dir, limit=20000)
    lowering = _Lowering(file, BundleIndex(files), src.text.split("\n"))
    lowering.collect_refs(root)
    refs = lowering.ref_ops()
    _warn_missing_refs(refs, diags, lowering.why)
    header = skill.FRONTMATTER.build(fields=fm.to_attr(front.fields), raw=raw,
                                     loc=Location(file, 1, 1))
    body = []
    for index, child in enumerate(root.children):
        body.append(lowering.lower(child))
        root.children[index] = None  # its ops replace it (see _blocks)
    attributes = {"skill_dir": folder, "source": file}
    if src.line_ending != "lf":
        attributes["line_ending"] = src.line_ending
    if src.bom:
        attributes["bom"] = True
    return module([header, *refs, *body], attributes, loc=Location(file, 1, 1))


def parse_skill(path: str, diags: DiagnosticEngine,
                bundle_files: list[str] | None = None) -> Operation:
    """Parse the skill folder (or SKILL.md) at ``path`` into a ``skill`` module.

    Errors are reported to ``diags`` and raise CompileError; a missing path raises UsageError.
    ``bundle_files`` overrides the folder listing (tests use a manifest of the real bundle).
    """
    src = read_skill(path, diags)
    if src is None:
        raise CompileError("unreadable skill")
    return parse_source(src, diags, bundle_files)
