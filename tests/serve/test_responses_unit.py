"""The Responses API adapter without a model: input items -> chat, Turn -> events."""

import json

import pytest

from skvmc.serve.engine import RequestError, Turn
from skvmc.serve.responses import response_object, stream_events, to_chat

TOOLS = [{"type": "function", "name": "shell", "description": "Run a command",
          "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}},
         {"type": "web_search"}]


def test_input_items_to_chat():
    body = {"instructions": "Be an agent.", "tools": TOOLS, "max_output_tokens": 99,
            "input": [
                {"type": "message", "role": "developer",
                 "content": [{"type": "input_text", "text": "Repo rules."}]},
                {"role": "user", "content": [{"type": "input_text", "text": "List files."}]},
                {"type": "reasoning", "summary": []},
                {"type": "function_call", "call_id": "call_1", "name": "shell",
                 "arguments": "{\"command\": [\"ls\"]}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"},
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "There is a.txt."}]}]}
    messages, tools, opts = to_chat(body)
    assert [m["role"] for m in messages] == ["system", "system", "user", "assistant", "tool",
                                             "assistant"]
    assert messages[0]["content"] == "Be an agent." and messages[1]["content"] == "Repo rules."
    call = messages[3]["tool_calls"][0]
    assert messages[3]["content"] == ""
    assert call["id"] == "call_1" and call["function"]["arguments"] == {"command": ["ls"]}
    assert messages[4] == {"role": "tool", "content": "a.txt", "tool_call_id": "call_1"}
    assert [t["function"]["name"] for t in tools] == ["shell"]  # web_search is dropped
    assert opts["max_tokens"] == 99
    assert to_chat({"input": "hi"})[0] == [{"role": "user", "content": "hi"}]
    assert to_chat({"input": "hi", "tools": TOOLS, "tool_choice": "none"})[1] is None
    with pytest.raises(RequestError):
        to_chat({"input": []})


CALL = {"id": "call_9", "type": "function",
        "function": {"name": "shell", "arguments": "{\"command\": [\"ls\"]}"}}


def test_response_object_shapes():
    turn = Turn("x", "Done.", [CALL], "tool_calls", 10, 5)
    r = response_object({"input": "hi"}, "m", turn)
    assert r["object"] == "response" and r["status"] == "completed" and r["id"].startswith("resp_")
    msg, fc = r["output"]
    assert msg["type"] == "message" and msg["content"][0] == {
        "type": "output_text", "text": "Done.", "annotations": []}
    assert fc["type"] == "function_call" and fc["call_id"] == "call_9" and fc["name"] == "shell"
    assert json.loads(fc["arguments"]) == {"command": ["ls"]}
    assert r["usage"]["input_tokens"] == 10 and r["usage"]["output_tokens"] == 5
    cut = response_object({"input": "hi"}, "m", Turn("x", "x", [], "length", 1, 1))
    assert cut["status"] == "incomplete"


def test_stream_events_order():
    turn = Turn("Hi <tool_call>...", "Hi", [CALL], "tool_calls", 3, 4)
    events = list(stream_events({"input": "x"}, "m", iter(["H", "i", turn])))
    kinds = [k for k, _ in events]
    assert kinds == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.completed"]
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert all(d["type"] == k for k, d in events)
    final = events[-1][1]["response"]
    assert [o["type"] for o in final["output"]] == ["message", "function_call"]
    assert final["output"][0]["content"][0]["text"] == "Hi"
    assert events[9][1]["output_index"] == 1
