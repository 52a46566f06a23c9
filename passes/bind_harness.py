"""bind-harness: bind abstract actions to one harness's tools and mark other-product text.

- Every op with an ``actions`` fact (from infer-capabilities: a verb with a named object, or a
  runnable fence) gets ``tools`` {action: tool name}; actions the harness has no tool for get
  ``fallback`` {action: how} (through the shell tool when there is one; for a harness without
  tool calling such as aider, "describe the command for the user to run"). Ops without the fact
  get nothing: no keyword guessing.
- One ``prompt.tools`` op after the frontmatter and refs lists the bindings the skill uses.
- Other harnesses' tool names in instruction text ("use the Bash tool") are reported
  (``foreign_tools``), never rewritten: a rewrite could change what the sentence means.
- A section whose heading names another product ("Claude.ai-specific instructions") and whose
  body addresses nobody else is reported (``dropped`` in the report: what would go); an
  instruction conditional on another product gets the ``other_product`` fact. Neither is
  removed. With ``remove-other-product=true`` such a
  section is wrapped in ``prompt.drop`` instead, which dead-step-elim removes.
"""

from __future__ import annotations

import functools
import re

import attrs

from skvmc.diagnostics import TargetLookupError
from skvmc.dialects import prompt
from skvmc.ir import Operation, map_ops
from skvmc.passes.results import BindHarnessResult
from skvmc.passmanager import Pass, PassContext, option

ACTION_ORDER = ("exec", "read", "write", "edit", "list", "search", "fetch", "browser")
TEXT_OPS = ("skill.step", "skill.text", "skill.quote")

# Products a skill may address; the harnesses (descriptor names) that ARE each product.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "Claude.ai": (), "Claude Code": ("claude-code",), "Claude Desktop": (), "Cowork": (),
    "Claude apps": (), "the Claude app": (), "Cursor": (), "Windsurf": (), "ChatGPT": (),
    "GitHub Copilot": (), "Copilot": (), "Gemini CLI": (), "Codex": ("codex",),
    "OpenHands": ("openhands",), "Goose": ("goose",), "Aider": ("aider",),
    "opencode": ("opencode",), "OpenCode": ("opencode",), "OpenClaw": ("openclaw",),
    "Hermes": ("hermes",),
}
_PRODUCT_ALT = "|".join(re.escape(p) for p in sorted(PRODUCTS, key=len, reverse=True))
_PRODUCT_RE = re.compile(rf"(?<![\w.])({_PRODUCT_ALT})(?![\w-]|\.\w)")
# "If you are in X ...", "When using X ...", "If running X ..."
_IF_RE = re.compile(
    r"^\W*(?i:if|when|while)\s+(?i:you\s+are|you're|you’re|you\s+run|you\s+use|running|using|"
    r"working|operating|on|in)\b(?:[^,:.]|\.(?=\w))*")
# "In X, ...", "On X: ...", "For X users, ..."
_IN_RE = re.compile(
    rf"^\W*(?i:in|on|inside|within|for|with|using|from)\s+(?:the\s+)?({_PRODUCT_ALT})"
    r"(?:\s+(?i:users|only|environments?|sessions?))?\s*[,:]")
_TITLE_RE = re.compile(
    rf"^\W*(?:(?i:in|on|for|using|inside|with)\s+)?(?:the\s+)?({_PRODUCT_ALT})"
    r"(?:(?:[\s-]+(?i:specific|only|users?|instructions|notes|setup|usage))+\W*|\s*)$")

_TOOLNAME_RE_TEMPLATE = r"(`?)\b({names})\b(`?)(\s+tool\b)?"

FALLBACK_SHELL = {"read": "cat", "write": "a heredoc (cat > file)", "edit": "sed or a heredoc",
                  "list": "ls", "search": "grep -rn", "fetch": "curl -fsSL",
                  "browser": "a headless browser script (e.g. Playwright)"}
NO_TOOLS = {
    "exec": "describe the command for the user to run",
    "read": "ask the user to add the file to the chat",
    "write": "give the whole file content as an edit",
    "edit": "give the change as an edit",
    "list": "ask the user for the file list",
    "search": "ask the user to search and paste the matches",
    "fetch": "ask the user to fetch the URL and paste the content",
    "browser": "describe the browser steps for the user",
}


def other_product(text: str, harness: str) -> str | None:
    """The product an instruction is conditional on, when that is not this harness."""
    found: list[str] = []
    m = _IN_RE.match(text)
    if m:
        found = [m.group(1)]
    else:
        m = _IF_RE.match(text)
        if m:
            found = _PRODUCT_RE.findall(m.group(0))
    if not found or any(harness in PRODUCTS[p] for p in found):
        return None
    return found[0]


def title_product(title: str, harness: str) -> str | None:
    m = _TITLE_RE.match(title)
    if not m or harness in PRODUCTS[m.group(1)]:
        return None
    return m.group(1)


def op_actions(op: Operation) -> list[str]:
    """The actions infer-capabilities found for an op (verb + named object, or a runnable
    fence). No keyword guessing here: an op without an ``actions`` fact does not act."""
    kinds = {a.get("kind") for a in op.attr("actions") or ()}
    return [a for a in ACTION_ORDER if a in kinds]


def foreign_tool_names(harness, harnesses) -> dict[str, str]:
    """Tool names of OTHER harnesses -> this harness's tool, where the mapping is unique."""
    candidates: dict[str, set[str]] = {}
    for other in harnesses:
        for action, tool in other.tools.items():
            if tool:
                candidates.setdefault(tool, set()).add(action)
    own = {t for t in harness.tools.values() if t} | set(harness.other_tools)
    out = {}
    for tool, actions in candidates.items():
        if tool in own or "*" in tool:
            continue
        targets = {harness.tools.get(a) for a in actions}
        if len(targets) == 1 and None not in targets:
            out[tool] = targets.pop()
    return out


@functools.lru_cache(maxsize=64)
def _tool_name_re(names: tuple[str, ...]) -> re.Pattern:
    """The mention pattern of these tool names (longest first), built once per mapping, not
    once per instruction."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(_TOOLNAME_RE_TEMPLATE.format(names=alternatives))


def foreign_tool_mentions(text: str, mapping: dict[str, str]) -> list[str]:
    """Other harnesses' tool names written as tools ("`Bash`", "the Bash tool"): reported so
    a reader knows the skill names another harness's tool; the text is never changed.
    Lowercase generic names (read, shell, bash ...) only count when followed by "tool"."""
    if not mapping:
        return []
    found = []
    for m in _tool_name_re(tuple(mapping)).finditer(text):
        open_tick, name, close_tick, tool_word = m.groups()
        distinctive = name[0].isupper() or "_" in name
        if tool_word or (open_tick == close_tick == "`" and distinctive):
            found.append(name)
    return sorted(set(found))


_GENERAL = re.compile(
    r"\b(?:whether|regardless|any (?:agent|environment|harness|tool)|other (?:agents|environments)"
    r"|or (?:you're|you are|if)|if you (?:can't|cannot|don't|do not|can)|without)\b", re.I)


def section_text(op: Operation) -> str:
    return "\n".join(str(o.attr("text", "") or o.attr("body", "") or o.attr("title", ""))
                     for o in op.walk())


def addresses_others(text: str, product: str) -> bool:
    """Whether a section titled for ``product`` may also address other targets: it names
    another product, or it states a general condition ("if you can't open a browser",
    "whether you're in X or Y"). Unknown means it may: the section is kept."""
    others = {p for p in _PRODUCT_RE.findall(text) if p != product}
    return bool(others) or bool(_GENERAL.search(text))


@attrs.frozen
class BindHarness(Pass):
    name = "bind-harness"
    summary = "Bind abstract actions to the harness's tool names; mark other-product text"

    harness: str = option("bare", "harness descriptor name (openhands, claude-code, goose, "
                          "aider, ...)")
    remove_other_product: bool = option(False, "drop sections titled for another product that "
                                        "address nobody else (off: they are reported)")

    def apply(self, ctx: PassContext, module: Operation) -> Operation:
        try:
            h = ctx.targets.harness(self.harness)
        except TargetLookupError as err:
            ctx.diags.error(f"bind-harness: {err}", None, code="pipeline")
            return module
        has_tools = any(h.tools.values())
        exec_tool = h.tools.get("exec")
        mapping = foreign_tool_names(h, ctx.targets.harnesses())
        used: dict[str, str] = {}
        fallbacks: dict[str, str] = {}
        dropped: list[dict] = []
        renamed: list[dict] = []

        def fallback_for(action: str) -> str:
            if not has_tools:
                return NO_TOOLS[action]
            if exec_tool and action in FALLBACK_SHELL:
                return f"use {exec_tool} with {FALLBACK_SHELL[action]}"
            return "not available in this harness"

        def where(op):
            return f"{op.loc.file}:{op.loc.line}" if op.loc.line else op.loc.file

        def visit(op: Operation):
            if op.name == "prompt.drop" and len(op.body) == 1 and op.body[0].name == "prompt.drop":
                return op.body[0]  # a second run re-wrapped an already marked section
            if op.name == "skill.section":
                product = title_product(op.attr("title", ""), h.name)
                if product and not addresses_others(section_text(op), product):
                    # Reported, not removed: no labelled measurement shows such a section is
                    # useless to this target (a "Claude.ai" section may hold the advice for
                    # any harness without subagents). ``remove_other_product`` opts in.
                    reason = f"other-product: {product}"
                    dropped.append({"at": where(op), "reason": reason})
                    if self.remove_other_product:
                        return prompt.DROP.build(drop=reason, regions=[[op]], loc=op.loc)
                return op
            if op.name in TEXT_OPS and "other_product" not in op.attributes:
                product = other_product(op.attr("text", ""), h.name)
                if product:  # reported, never removed: a shared section may still apply
                    op = op.with_attrs(other_product=product)
                mentioned = foreign_tool_mentions(op.attr("text", ""), mapping)
                if mentioned:  # reported, never rewritten: the sentence keeps its meaning
                    renamed.append({"at": where(op), "mentions": mentioned})
            if op.name not in ("skill.step", "skill.code", "skill.text", "skill.quote"):
                return op
            actions = op_actions(op)
            if not actions:
                return op
            tools = {a: h.tools[a] for a in actions if h.tools.get(a)}
            fb = {a: fallback_for(a) for a in actions if not h.tools.get(a)}
            used.update(tools)
            fallbacks.update(fb)
            return op.with_attrs(tools=tools or None, fallback=fb or None)

        module = map_ops(module, visit)
        body = [op for op in module.body if op.name != "prompt.tools"]
        i = 0
        while i < len(body) and body[i].name in ("skill.frontmatter", "skill.ref"):
            i += 1
        bindings = {a: used[a] for a in ACTION_ORDER if a in used}
        fallback = {a: fallbacks[a] for a in ACTION_ORDER if a in fallbacks}
        body.insert(i, prompt.TOOLS.build(
            harness=h.name, bindings=bindings, fallback=fallback or None,
            context_file=h.context_file, loc=body[i].loc if i < len(body) else module.loc))
        ctx.publish(BindHarnessResult(h.name, bindings, fallback, dropped, renamed))
        new = module.with_ops(body)
        return module if new == module else new
