"""Tool calls in the model's own text format, both ways.

Out of the model: Qwen2.5 (and Hermes-style templates) emit ::

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

one block per call. Small models also answer with a bare JSON object (or a list of them,
possibly in a ```json fence) holding ``name`` and ``arguments`` (or ``parameters``), and
write code into a string argument without escaping its quotes (repaired when it is the last
argument; otherwise the text stays text).
``parse_tool_calls`` turns either into OpenAI ``tool_calls`` and the remaining text.

Into the prompt: a template that knows ``tools`` (Qwen2.5's) renders them itself;
``tools_system_text`` is the same instructions for templates that do not (SmolLM2's), and
``history_for_plain_template`` rewrites assistant tool calls and tool results into text.
"""

from __future__ import annotations

import json
import re
import uuid

_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _call_from_obj(obj, tool_names: set[str] | None) -> dict | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # already OpenAI-shaped
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return None
    if tool_names is not None and name not in tool_names:
        return None
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            return None
    if not isinstance(args, dict):
        return None
    return {"id": new_call_id(), "type": "function",
            "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}


def _loads(text: str):
    """JSON from model text: tolerate a code fence, trailing junk after the value, and
    unescaped quotes in a call's last string argument (see ``_repair_last_string``)."""
    text = text.strip()
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:  # a valid value followed by junk (a stray "}" or prose)
        value, _end = json.JSONDecoder().raw_decode(text)
        return value
    except json.JSONDecodeError:
        return _repair_last_string(text)


# A call whose last argument is a string, up to the value's opening quote, and the end of
# the object after the value's closing quote.
_CALL_HEAD = re.compile(r'\{\s*"name"\s*:\s*"[^"\\]+"\s*,\s*"(?:arguments|parameters)"\s*:\s*\{')
_STRING_KEY = re.compile(r'"([\w-]+)"\s*:\s*"')
_CALL_TAIL = re.compile(r'"\s*\}\s*\}\s*$')
_BARE_QUOTE = re.compile(r'(?<!\\)"')
_NEXT_ARGUMENT = re.compile(r'"\s*,\s*"[\w-]+"\s*:')
_REPAIR_TRIES = 32  # keys tried from the end: a completion is short, but bound the work


def _repair_last_string(text: str):
    """A tool call whose last argument is a string with unescaped double quotes in it, as
    small models write code: ``{"name": "bash", "arguments": {"command": "python -c
    'print(d["total"])'"}}``. The value runs from its opening quote to the quote that closes
    the object; the arguments before it must parse as they are. None when the text is not
    of that shape."""
    head, tail = _CALL_HEAD.match(text), _CALL_TAIL.search(text)
    if head is None or tail is None:
        return None
    # the last key whose preceding arguments parse: a key-like text inside the value (JSON
    # in a command) leaves an open string before it, so the arguments do not parse there
    keys = list(_STRING_KEY.finditer(text, head.end(), tail.start()))
    for key in reversed(keys[-_REPAIR_TRIES:]):
        before = text[:key.start()].rstrip().rstrip(",")
        try:
            obj = json.loads(before + "}}")
        except json.JSONDecodeError:
            continue
        raw = text[key.end():tail.start()]
        if _NEXT_ARGUMENT.search(raw):
            return None  # another argument's start inside: which quotes are bare is a guess
        try:  # strict=False: a raw newline in the value, as models write code, is kept
            value = json.loads('"' + _BARE_QUOTE.sub('\\"', raw) + '"', strict=False)
        except json.JSONDecodeError:
            return None
        args = obj.get("arguments", obj.get("parameters"))
        if not isinstance(args, dict) or key.group(1) in args:
            return None
        args[key.group(1)] = value
        return obj
    return None


def parse_tool_calls(text: str, tool_names: set[str] | None = None
                     ) -> tuple[str | None, list[dict]]:
    """(content, tool_calls) from a completion. ``content`` is the text outside the tool
    call blocks, stripped, None when empty. Only names in ``tool_names`` count (when given);
    a block that does not parse stays in the content."""
    calls: list[dict] = []
    if "<tool_call>" in text:
        kept: list[str] = []
        pos = 0
        for m in _BLOCK.finditer(text):
            call = _call_from_obj(_loads(m.group(1)), tool_names)
            if call is None:
                continue
            kept.append(text[pos:m.start()])
            pos = m.end()
            calls.append(call)
        kept.append(text[pos:])
        content = "".join(kept).strip()
        return (content or None), calls
    stripped = text.strip()
    if stripped.startswith(("{", "[", "```")):
        value = _loads(stripped)
        objs = value if isinstance(value, list) else [value]
        found = [_call_from_obj(o, tool_names) for o in objs]
        if objs and all(found):
            return None, found  # type: ignore[return-value]
    return (stripped or None), []


def maybe_tool_call_prefix(text: str) -> int:
    """How many characters at the end of ``text`` must be held back while streaming
    because they may be the start of ``<tool_call>``."""
    tag = "<tool_call>"
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


def template_knows_tools(template: str | None) -> bool:
    return bool(template) and "tools" in template


def tools_system_text(tools: list[dict]) -> str:
    """The tool instructions Qwen2.5's template renders, for templates without tools."""
    lines = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
    return ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n"
            f"<tools>\n{lines}\n</tools>\n\n"
            "For each function call, return a json object with function name and arguments "
            "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
            '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')


def arguments_obj(arguments) -> dict:
    """OpenAI sends arguments as a JSON string; chat templates want the object."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str) and arguments.strip():
        try:
            value = json.loads(arguments)
            return value if isinstance(value, dict) else {"value": value}
        except json.JSONDecodeError:
            return {"raw": arguments}
    return {}


def tool_call_text(call: dict) -> str:
    fn = call.get("function", call)
    body = json.dumps({"name": fn.get("name"), "arguments": arguments_obj(fn.get("arguments"))},
                      ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def history_for_plain_template(messages: list[dict], tools: list[dict] | None) -> list[dict]:
    """Messages for a template without tool support: tools go into the system message,
    assistant tool calls become ``<tool_call>`` text, tool results ``<tool_response>``
    user turns (the same text Qwen2.5's template produces)."""
    out: list[dict] = []
    for m in messages:
        role, content = m["role"], m.get("content") or ""
        if role == "assistant" and m.get("tool_calls"):
            parts = [content] if content else []
            parts += [tool_call_text(c) for c in m["tool_calls"]]
            out.append({"role": "assistant", "content": "\n".join(parts)})
        elif role == "tool":
            block = f"<tool_response>\n{content}\n</tool_response>"
            if out and out[-1].get("_tool_turn"):
                out[-1]["content"] += "\n" + block
            else:
                out.append({"role": "user", "content": block, "_tool_turn": True})
        else:
            out.append({"role": role, "content": content})
    for m in out:
        m.pop("_tool_turn", None)
    if tools:
        text = tools_system_text(tools)
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{text}"}
        else:
            out.insert(0, {"role": "system", "content": text})
    return out
