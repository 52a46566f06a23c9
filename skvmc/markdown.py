"""IR -> Markdown: re-emit a ``skill`` module as SKILL.md text.

Source-level ops (``skill.*``) are emitted faithfully enough that parsing the output gives the
same module again (locations aside): frontmatter from its raw text, headings, list items with
their markers, check boxes and nesting, fences with their fence string and info, tables with
alignment, quotes and callouts, rules and raw HTML.

Ops that passes add (``cap``, ``flow``, ``env``, ``prompt``) get a short readable rendering, so a
compiled skill tells the model what the compiler decided: run these in parallel, check this file
against a schema, these are the harness's tools, and so on.

Layout rules (what makes the round trip hold): sibling list items sit on consecutive lines; every
other block is separated by one blank line; a block nested in a list item is indented to the
item's content column.
"""

from __future__ import annotations

import json

from skvmc.ir import Operation, thaw

_ALIGN = {"": "---", "left": ":---", "right": "---:", "center": ":---:"}
_ACTION_WORDS = {
    "exec": "run commands", "read": "read files", "write": "write files", "edit": "edit files",
    "list": "list folders", "search": "search files", "fetch": "fetch URLs",
    "browser": "use a browser", "ask-model": "ask the model",
}


class _Block:
    """One emitted block: its lines (without the container indent) and whether it is a step."""

    __slots__ = ("lines", "is_step")

    def __init__(self, lines: list[str], is_step: bool = False):
        self.lines = lines
        self.is_step = is_step


class MarkdownEmitter:
    """Turns ops into Markdown blocks. ``tools`` (action -> tool name) adds harness tool hints
    to steps that carry ``actions`` facts; ``source_only`` skips every non-``skill`` op."""

    def __init__(self, tools: dict | None = None, source_only: bool = False):
        self.tools = dict(tools or {})
        self.source_only = source_only

    # -- entry points --------------------------------------------------------------------------

    def module(self, module: Operation, frontmatter: str | None = None) -> str:
        """The whole SKILL.md. ``frontmatter`` replaces the YAML between the --- lines."""
        out: list[str] = []
        body_ops = []
        for op in module.body:
            if op.name == "skill.frontmatter":
                raw = frontmatter if frontmatter is not None else op.attr("raw")
                raw = raw if raw.endswith("\n") or not raw else raw + "\n"
                out.append("---\n" + raw + "---\n")
            else:
                body_ops.append(op)
        body = self.region_text(body_ops, indent="")
        if body:
            out.append("\n" + body if out else body)
        text = "".join(out)
        if module.attr("line_ending") == "crlf":
            text = text.replace("\n", "\r\n")
        if module.attr("bom"):
            text = "\ufeff" + text
        return text

    def region_text(self, ops, indent: str = "") -> str:
        blocks = [b for op in ops for b in self.blocks(op)]
        return _join(blocks, indent)

    # -- per-op blocks -------------------------------------------------------------------------

    def blocks(self, op: Operation) -> list[_Block]:
        name = op.name
        method = getattr(self, "_" + name.replace(".", "_"), None)
        if method is None:
            return []
        if self.source_only and not name.startswith("skill."):
            return []
        return method(op)

    def _skill_ref(self, op):  # refs are facts, not text
        return []

    def _skill_frontmatter(self, op):
        return []

    def _skill_section(self, op):
        title = op.attr("title")
        head = "#" * op.attr("level") + (" " + title if title else "")
        return [_Block([head])] + [b for child in op.body for b in self.blocks(child)]

    def _skill_step(self, op):
        marker = op.attr("marker")
        check = op.attr("check")
        prefix = marker + " " + ("[x] " if check == "checked" else "[ ] " if check else "")
        text = op.attr("text")
        hint = self._tool_hint(op)
        if hint:
            text = f"{text} {hint}" if text else hint
        lines = text.split("\n")
        pad = " " * (len(marker) + 1)
        out = [(prefix + lines[0]).rstrip()] + [pad + line for line in lines[1:]]
        children = [b for child in op.body for b in self.blocks(child)]
        if children:
            nested = _join(children, pad)
            first_is_step = children[0].is_step
            out += ([] if first_is_step else [""]) + nested.rstrip("\n").split("\n")
        return [_Block(out, is_step=True)]

    def _skill_text(self, op):
        return [_Block(op.attr("text").split("\n"))]

    def _skill_code(self, op):
        fence = op.attr("fence")
        info = " ".join(x for x in (op.attr("lang"), op.attr("info")) if x)
        body = op.attr("body")
        lines = [fence + info] + (body[:-1] if body.endswith("\n") else body).split("\n") \
            if body else [fence + info]
        return [_Block(lines + [fence], is_step=False)]

    def _skill_table(self, op):
        def row(cells):
            return "| " + " | ".join(cells) + " |"

        lines = [row(op.attr("header")),
                 "| " + " | ".join(_ALIGN[a] for a in op.attr("align")) + " |"]
        lines += [row(r) for r in op.attr("rows")]
        return [_Block(lines)]

    def _skill_quote(self, op):
        lines = op.attr("text").split("\n") if op.attr("text") else []
        if op.attr("kind"):
            lines = [f"[!{op.attr('kind').upper()}]"] + lines
        return [_Block([("> " + line).rstrip() for line in lines] or [">"])]

    def _skill_rule(self, op):
        return [_Block(["---"])]

    def _skill_html(self, op):
        lines = op.attr("text").split("\n")
        strip = _indent_width(lines[0]) if lines else 0
        return [_Block([_drop(line, strip) for line in lines])]

    # -- ops added by passes ---------------------------------------------------------------------

    def _tool_hint(self, op) -> str:
        tools = op.attr("tools")
        if tools:
            names = sorted({str(v) for v in tools.values() if v})
        elif self.tools and op.attr("actions"):
            names = sorted({self.tools[a["kind"]] for a in op.attr("actions")
                            if self.tools.get(a["kind"])})
        else:
            names = []
        if not names:
            return ""
        return "(use " + ", ".join(f"`{n}`" for n in names) + ")"

    def _prompt_tools(self, op):
        bindings = dict(op.attr("bindings"))
        fallback = dict(op.attr("fallback") or {})
        if not bindings and not fallback:
            return []
        parts = [f"{_ACTION_WORDS.get(a, a)} with `{t}`" for a, t in bindings.items()]
        parts += [f"{_ACTION_WORDS.get(a, a)}: {how}" for a, how in fallback.items()]
        return [_Block([f"Tools in {op.attr('harness')}: " + "; ".join(parts) + "."])]

    def _prompt_drop(self, op):
        return []

    def _env_requires(self, op):
        deps, secrets, variables = [], [], []
        for child in op.body:
            if child.name == "env.dep":
                deps.append(f"`{child.attr('name')}` ({child.attr('manager')})")
            elif child.name == "env.var":
                (secrets if child.attr("secret") else variables).append(f"`{child.attr('name')}`")
        if not (deps or secrets or variables):
            return []
        parts = []
        if deps:
            parts.append("needs " + ", ".join(deps))
        if variables:
            parts.append("reads " + ", ".join(variables))
        if secrets:
            parts.append("needs the secrets " + ", ".join(secrets) + " (never print them)")
        return [_Block(["Environment (`env-setup.sh` checks it): " + "; ".join(parts) + "."])]

    def _cap_delegate(self, op):
        blocks = [_Block(op.attr("instruction").split("\n"))]
        if op.attr("code"):
            code = op.attr("code").rstrip("\n")
            blocks.append(_Block(["```" + op.attr("lang")] + code.split("\n") + ["```"]))
        return blocks

    def _cap_validate(self, op):
        schema = json.dumps(thaw(op.attr("schema")), indent=2, sort_keys=True)
        return [_Block([f"Then check that `{op.attr('path')}` is valid {op.attr('format').upper()}"
                        " that matches this schema, and fix it if it does not:"]),
                _Block(["```json"] + schema.split("\n") + ["```"])]

    def _cap_split(self, op):
        return [_Block(["Do the following one step at a time, finishing each before the next:"])] \
            + self._children(op)

    def _cap_serialize(self, op):
        return [_Block(["Make the following tool calls one at a time:"])] + self._children(op)

    def _cap_gap(self, op):
        return []

    def _flow_parallel(self, op):
        return [_Block(["These steps are independent; run them in parallel:"])] \
            + self._children(op)

    def _flow_branch(self, op):
        return self._children(op)

    def _flow_seq(self, op):
        return self._children(op)

    def _flow_foreach(self, op):
        how = " (the items are independent; handle them in parallel)" if op.attr("parallel") else ""
        return [_Block([f"For each {op.attr('collection')}{how}:"])] + self._children(op)

    def _children(self, op):
        return [b for child in op.body for b in self.blocks(child)]


def _join(blocks: list[_Block], indent: str) -> str:
    lines: list[str] = []
    prev: _Block | None = None
    for block in blocks:
        if prev is not None and not (prev.is_step and block.is_step):
            lines.append("")
        lines.extend(block.lines)
        prev = block
    if not lines:
        return ""
    return "\n".join((indent + line) if line else "" for line in lines) + "\n"


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _drop(line: str, n: int) -> str:
    width = min(n, _indent_width(line))
    return line[width:]


def emit_markdown(module: Operation, *, tools: dict | None = None,
                  frontmatter: str | None = None, source_only: bool = False) -> str:
    """SKILL.md text for ``module`` (see :class:`MarkdownEmitter`)."""
    return MarkdownEmitter(tools, source_only).module(module, frontmatter)


def render_ops(ops, *, tools: dict | None = None) -> str:
    """Markdown for a few ops (a step and what is nested in it), e.g. for a VM prompt."""
    return MarkdownEmitter(tools).region_text(list(ops))
