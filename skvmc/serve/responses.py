"""The OpenAI Responses API (``POST /v1/responses``) on top of a chat turn, as much as codex
uses: ``instructions``, ``input`` (a string or items: messages with input_text/output_text
parts, ``function_call`` and ``function_call_output``), function ``tools`` (flat form),
``tool_choice``, ``max_output_tokens``; output items ``message`` and ``function_call``;
streaming events from ``response.created`` to ``response.completed``. Stateless: the
client resends the history (``previous_response_id`` and ``store`` are not kept).
"""

from __future__ import annotations

import time
import uuid

from skvmc.serve.engine import (
    RequestError,
    Turn,
    check_tools,
    gen_options,
    normalize_messages,
    text_of,
)


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def to_chat(body: dict) -> tuple[list[dict], list[dict] | None, dict]:
    """(chat messages, chat tools, generation options) for a Responses request."""
    messages: list[dict] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": text_of(body["instructions"])})
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise RequestError("'input' must be a string or a non-empty list of items")
    for item in items:
        if not isinstance(item, dict):
            raise RequestError("each input item must be an object")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role", "user")
            messages.append({"role": "system" if role == "developer" else role,
                             "content": text_of(item.get("content"))})
        elif kind == "function_call":
            call = {"id": item.get("call_id") or item.get("id"), "type": "function",
                    "function": {"name": item.get("name", ""),
                                 "arguments": item.get("arguments") or "{}"}}
            last = messages[-1] if messages else None
            if last and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            out = item.get("output")
            messages.append({"role": "tool", "tool_call_id": item.get("call_id"),
                             "content": out if isinstance(out, str) else text_of(out)})
        # reasoning, web_search_call, ... items carry nothing a local model can use
    tools = []
    for t in body.get("tools") or []:
        if isinstance(t, dict) and t.get("type") == "function" and t.get("name"):
            tools.append({"type": "function", "function": {
                "name": t["name"], "description": t.get("description", ""),
                "parameters": t.get("parameters") or {"type": "object", "properties": {}}}})
    if body.get("tool_choice") == "none":
        tools = []
    opts = gen_options(body, "max_output_tokens")
    if tools:
        opts["tool_choice"] = body.get("tool_choice")
    fmt = ((body.get("text") or {}).get("format") or {})
    if fmt.get("type") == "json_schema":
        opts["response_format"] = {"type": "json_object", "schema": fmt.get("schema")}
    elif fmt.get("type") == "json_object":
        opts["response_format"] = {"type": "json_object"}
    return normalize_messages(messages), check_tools(tools), opts


def _message_item(text: str, status: str = "completed", item_id: str | None = None) -> dict:
    return {"type": "message", "id": item_id or _id("msg"), "status": status,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]
            if status == "completed" else []}


def _call_item(call: dict, status: str = "completed") -> dict:
    fn = call["function"]
    return {"type": "function_call", "id": _id("fc"), "call_id": call["id"],
            "name": fn["name"], "arguments": fn["arguments"] if status == "completed" else "",
            "status": status}


def _output(turn: Turn) -> list[dict]:
    out = []
    if turn.content:
        out.append(_message_item(turn.content))
    out += [_call_item(c) for c in turn.tool_calls]
    return out


def _shell(body: dict, model: str, rid: str, created: int, status: str) -> dict:
    return {"id": rid, "object": "response", "created_at": created, "status": status,
            "model": model, "output": [], "error": None, "incomplete_details": None,
            "instructions": body.get("instructions"), "tools": body.get("tools") or [],
            "tool_choice": body.get("tool_choice", "auto"),
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "temperature": body.get("temperature"),
            "max_output_tokens": body.get("max_output_tokens"), "usage": None}


def _usage(turn: Turn) -> dict:
    return {"input_tokens": turn.prompt_tokens, "output_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}}


def _finish(resp: dict, turn: Turn) -> dict:
    if turn.finish_reason == "length" and not turn.tool_calls:
        resp["status"] = "incomplete"
        resp["incomplete_details"] = {"reason": "max_output_tokens"}
    else:
        resp["status"] = "completed"
    resp["usage"] = _usage(turn)
    return resp


def response_object(body: dict, model: str, turn: Turn) -> dict:
    resp = _shell(body, model, _id("resp"), int(time.time()), "completed")
    resp["output"] = _output(turn)
    resp["output_text"] = turn.content or ""
    return _finish(resp, turn)


def stream_events(body: dict, model: str, items):
    """Yield (event type, data) for the text pieces and the final Turn in ``items``."""
    rid, created = _id("resp"), int(time.time())
    seq = 0

    def ev(kind: str, **data):
        nonlocal seq
        seq += 1
        return kind, {"type": kind, "sequence_number": seq - 1, **data}

    resp = _shell(body, model, rid, created, "in_progress")
    yield ev("response.created", response=dict(resp))
    yield ev("response.in_progress", response=dict(resp))
    output: list[dict] = []
    msg_id, text = None, ""
    for item in items:
        if isinstance(item, Turn):
            turn = item
            break
        if not item:
            continue
        if msg_id is None:
            msg_id = _id("msg")
            yield ev("response.output_item.added", output_index=0,
                     item=_message_item("", "in_progress", msg_id))
            yield ev("response.content_part.added", item_id=msg_id, output_index=0,
                     content_index=0, part={"type": "output_text", "text": "",
                                            "annotations": []})
        text += item
        yield ev("response.output_text.delta", item_id=msg_id, output_index=0,
                 content_index=0, delta=item)
    else:
        raise RuntimeError("the generation ended without a result")
    final_text = turn.content or ""
    if msg_id is None and final_text:  # nothing streamed (held back): send it whole now
        msg_id = _id("msg")
        yield ev("response.output_item.added", output_index=0,
                 item=_message_item("", "in_progress", msg_id))
        yield ev("response.content_part.added", item_id=msg_id, output_index=0,
                 content_index=0, part={"type": "output_text", "text": "", "annotations": []})
        yield ev("response.output_text.delta", item_id=msg_id, output_index=0,
                 content_index=0, delta=final_text)
        text = final_text
    if msg_id is not None:
        part = {"type": "output_text", "text": text, "annotations": []}
        yield ev("response.output_text.done", item_id=msg_id, output_index=0,
                 content_index=0, text=text)
        yield ev("response.content_part.done", item_id=msg_id, output_index=0,
                 content_index=0, part=part)
        done = _message_item(text, "completed", msg_id)
        yield ev("response.output_item.done", output_index=0, item=done)
        output.append(done)
    for call in turn.tool_calls:
        index = len(output)
        item = _call_item(call, "in_progress")
        yield ev("response.output_item.added", output_index=index, item=item)
        args = call["function"]["arguments"]
        yield ev("response.function_call_arguments.delta", item_id=item["id"],
                 output_index=index, delta=args)
        yield ev("response.function_call_arguments.done", item_id=item["id"],
                 output_index=index, arguments=args)
        done = {**item, "arguments": args, "status": "completed"}
        yield ev("response.output_item.done", output_index=index, item=done)
        output.append(done)
    resp["output"] = output
    _finish(resp, turn)
    yield ev("response.completed" if resp["status"] == "completed" else "response.incomplete",
             response=resp)

