"""From the grammar's flat line blocks to nested nodes: sections by heading level, list items by
indentation, paragraphs, quotes and tables from consecutive lines.

Nodes are small mutable records while the tree is being built; ``skvmc.frontend.lower`` turns
them into immutable ``skill`` ops.
"""

from __future__ import annotations

import re

import attrs as _attrs

_LIST = re.compile(r"([ \t]*)([-*+]|[0-9]{1,9}[.)])(?:[ \t]+(.*))?\Z")
_CHECK = re.compile(r"\[([ xX])\][ \t]+")
_HEADING = re.compile(r"[ ]{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*\Z")
# Lists deeper than this are refused (a located error): the IR, the passes and the printers
# recurse along nesting, and no real skill nests lists anywhere near this deep.
MAX_LIST_DEPTH = 100

_CALLOUT = re.compile(r"\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(.*)\Z", re.I)


def indent_width(line: str) -> int:
    width = 0
    for c in line:
        if c == " ":
            width += 1
        elif c == "\t":
            width += 4 - width % 4
        else:
            break
    return width


@_attrs.define
class Node:
    kind: str  # section, step, text, code, table, quote, rule, html
    line: int
    col: int
    attrs: dict = _attrs.field(factory=dict)
    children: list[Node] = _attrs.field(factory=list)
    lines: list[str] = _attrs.field(factory=list)  # raw lines of inline blocks
    indent: int = 0


def split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, cur, i = [], "", 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur += "\\|"
            i += 2
            continue
        if c == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    cells.append(cur.strip())
    return cells


def _align(cell: str) -> str:
    cell = cell.strip()
    left, right = cell.startswith(":"), cell.endswith(":")
    return "center" if left and right else "right" if right else "left" if left else ""


class BlockBuilder:
    """Feeds blocks in document order; keeps the stacks of open sections and list items."""

    def __init__(self):
        self.root = Node("root", 1, 1)
        self.sections: list[Node] = [self.root]
        self.items: list[Node] = []
        self.pending: Node | None = None  # the paragraph/quote/table/html being extended
        self.item_open_for_text = False  # the last line was a list item's (lazy continuation)
        self.too_deep: tuple[int, int] | None = None  # (line, col) of the first item too deep

    # -- containers -------------------------------------------------------------------------

    def _container_for(self, indent: int) -> Node:
        while self.items and indent <= self.items[-1].indent:
            self.items.pop()
        return self.items[-1] if self.items else self.sections[-1]

    def _flush(self) -> None:
        self.pending = None

    def _add(self, node: Node, indent: int) -> Node:
        self._container_for(indent).children.append(node)
        return node

    # -- blocks -----------------------------------------------------------------------------

    def heading(self, line: str, lineno: int) -> None:
        self._flush()
        self.items.clear()
        self.item_open_for_text = False
        m = _HEADING.match(line)
        level = len(m.group(1))
        title = (m.group(2) or "").strip()
        while len(self.sections) > 1 and self.sections[-1].attrs["level"] >= level:
            self.sections.pop()
        node = Node("section", lineno, indent_width(line) + 1, {"level": level, "title": title})
        self.sections[-1].children.append(node)
        self.sections.append(node)

    def list_item(self, line: str, lineno: int) -> None:
        self._flush()
        m = _LIST.match(line)
        indent = indent_width(m.group(1))
        marker, content = m.group(2), m.group(3) or ""
        attrs_ = {"ordered": marker[0].isdigit(), "marker": marker}
        if attrs_["ordered"]:
            attrs_["number"] = int(marker[:-1])
        check = _CHECK.match(content)
        if check:
            attrs_["check"] = "unchecked" if check.group(1) == " " else "checked"
            content = content[check.end():]
        node = Node("step", lineno, indent + 1, attrs_, indent=indent)
        node.lines.append(content.strip())
        self._add(node, indent)
        if len(self.items) >= MAX_LIST_DEPTH:
            # Keep it as a sibling (not a child) so the tree stays shallow; the frontend
            # reports the error and stops.
            self.too_deep = self.too_deep or (lineno, indent + 1)
            return
        self.items.append(node)
        self.item_open_for_text = True

    def blank(self) -> None:
        self._flush()
        self.item_open_for_text = False

    def text_line(self, line: str, lineno: int) -> None:
        if self.item_open_for_text and self.items:
            self.items[-1].lines.append(line.strip())
            return
        if self.pending is not None and self.pending.kind in ("text", "html", "quote"):
            self.pending.lines.append(line.strip() if self.pending.kind == "text" else line)
            return
        indent = indent_width(line)
        self.pending = self._add(Node("text", lineno, indent + 1, indent=indent), indent)
        self.pending.lines.append(line.strip())

    def quote_line(self, line: str, lineno: int) -> None:
        self.item_open_for_text = False
        indent = indent_width(line)
        body = line.strip()[1:]
        if body.startswith(" "):
            body = body[1:]
        if self.pending is not None and self.pending.kind == "quote":
            self.pending.lines.append(body)
            return
        self._flush()
        self.pending = self._add(Node("quote", lineno, indent + 1, indent=indent), indent)
        self.pending.lines.append(body)

    def table_head(self, header: str, sep: str, lineno: int) -> None:
        self._flush()
        self.item_open_for_text = False
        indent = indent_width(header)
        node = Node("table", lineno, indent + 1, indent=indent)
        node.attrs["header"] = split_row(header)
        node.attrs["align"] = [_align(c) for c in split_row(sep)]
        node.attrs["rows"] = []
        self.pending = self._add(node, indent)

    def table_row(self, line: str, lineno: int) -> None:
        if self.pending is not None and self.pending.kind == "table":
            self.pending.attrs["rows"].append(split_row(line))
            return
        self.text_line(line, lineno)  # a pipe line without a header is just text

    def html_line(self, line: str, lineno: int) -> None:
        if self.pending is not None and self.pending.kind in ("html", "text"):
            html = self.pending.kind == "html"
            self.pending.lines.append(line.rstrip("\n") if html else line.strip())
            return
        self._flush()
        self.item_open_for_text = False
        indent = indent_width(line)
        self.pending = self._add(Node("html", lineno, indent + 1, indent=indent), indent)
        self.pending.lines.append(line.rstrip("\n"))

    def rule(self, line: str, lineno: int) -> None:
        self._flush()
        self.item_open_for_text = False
        indent = indent_width(line)
        self._add(Node("rule", lineno, indent + 1, indent=indent), indent)

    def fence(self, opener: str, code_lines: list[str], lineno: int) -> None:
        self._flush()
        self.item_open_for_text = False
        indent = indent_width(opener)
        stripped = opener.strip()
        fence_char = stripped[0]
        run = len(stripped) - len(stripped.lstrip(fence_char))
        info = stripped[run:].strip()
        lang, _, rest = info.partition(" ")
        body_lines = []
        for raw in code_lines:
            # Remove up to the opener's indentation, as CommonMark does.
            take = min(indent_width(raw), indent)
            body_lines.append(_drop_columns(raw, take))
        node = Node("code", lineno, indent + 1, indent=indent)
        node.attrs.update({"lang": lang, "fence": stripped[:run], "body": "".join(body_lines)})
        if rest.strip():
            node.attrs["info"] = rest.strip()
        self._add(node, indent)


def _drop_columns(line: str, columns: int) -> str:
    width, i = 0, 0
    while i < len(line) and width < columns and line[i] in " \t":
        width += 1 if line[i] == " " else 4 - width % 4
        i += 1
    return line[i:]


def finish_inline(node: Node) -> None:
    """Turn the collected raw lines of paragraphs, quotes and html into their text attribute."""
    if node.kind in ("text", "step"):
        node.attrs["text"] = "\n".join(node.lines).strip()
    elif node.kind == "html":
        node.attrs["text"] = "\n".join(node.lines)
    elif node.kind == "quote":
        lines = list(node.lines)
        m = _CALLOUT.match(lines[0].strip()) if lines else None
        if m:
            node.attrs["kind"] = m.group(1).lower()
            lines[0] = m.group(2)
            if not lines[0]:
                lines = lines[1:]
        node.attrs["text"] = "\n".join(lines).strip()
    for child in node.children:
        finish_inline(child)
