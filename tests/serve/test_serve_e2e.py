"""End-to-end: `skvmc serve smollm2` in a subprocess on a free port, called with the request
shapes the openai client sends (via urllib), then stopped with SIGTERM."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen(
        [sys.executable, "-m", "skvmc.cli", "serve", "smollm2", "--port", "0", "--n-ctx", "2048"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
    if not m:
        proc.kill()
        pytest.fail(f"serve did not start: {line}{proc.stderr.read()}")
    base = f"http://127.0.0.1:{m.group(1)}/v1"
    yield base, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def post(base, path, body, stream=False):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer sk-local"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        assert resp.status == 200
        if not stream:
            return json.loads(resp.read())
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        return resp.read().decode()


def sse(text):
    """[(event or None, data)] of an SSE body."""
    out = []
    for block in text.strip().split("\n\n"):
        event, data = None, None
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        out.append((event, data if data == "[DONE]" else json.loads(data)))
    return out


def test_models(server):
    base, _ = server
    with urllib.request.urlopen(base + "/models", timeout=30) as r:
        data = json.loads(r.read())
    assert data["object"] == "list" and data["data"][0]["id"] == "smollm2"


def test_chat_non_stream(server):
    r = post(server[0], "/chat/completions", {
        "model": "smollm2", "max_tokens": 12,
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Name a colour."}]})
    assert r["object"] == "chat.completion" and r["id"].startswith("chatcmpl-")
    choice = r["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["message"]["content"].strip()
    assert choice["finish_reason"] in ("stop", "length")
    u = r["usage"]
    assert u["prompt_tokens"] > 0 and 0 < u["completion_tokens"] <= 12
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]


def test_chat_stream(server):
    text = post(server[0], "/chat/completions", {
        "model": "smollm2", "max_tokens": 10, "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "Count: one, two,"}]}, stream=True)
    events = sse(text)
    assert events[-1] == (None, "[DONE]")
    chunks = [d for _, d in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    body = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert body.strip()
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] in ("stop", "length") and set(finishes[:-1]) == {None}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


def test_forced_tool_call(server):
    r = post(server[0], "/chat/completions", {
        "model": "smollm2", "max_tokens": 40, "tools": [WEATHER], "tool_choice": "required",
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}]})
    choice = r["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert isinstance(json.loads(call["function"]["arguments"])["city"], str)


def test_forced_tool_call_stream(server):
    text = post(server[0], "/chat/completions", {
        "model": "smollm2", "max_tokens": 40, "stream": True, "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "messages": [{"role": "user", "content": "Weather in Rome?"}]}, stream=True)
    chunks = [d for _, d in sse(text)[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    calls = [tc for d in deltas for tc in d.get("tool_calls", [])]
    assert calls and calls[0]["index"] == 0 and calls[0]["function"]["name"] == "get_weather"
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_history_with_content_null(server):
    r = post(server[0], "/chat/completions", {
        "model": "smollm2", "max_tokens": 16, "tools": [WEATHER],
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 18 C"}]})
    msg = r["choices"][0]["message"]
    assert msg["role"] == "assistant"
    assert msg.get("tool_calls") or (msg["content"] or "").strip()


def test_responses_non_stream(server):
    r = post(server[0], "/responses", {
        "model": "smollm2", "instructions": "Answer briefly.", "max_output_tokens": 16,
        "input": [{"type": "message", "role": "user",
                   "content": [{"type": "input_text", "text": "Say hello."}]}]})
    assert r["object"] == "response" and r["status"] in ("completed", "incomplete")
    item = r["output"][0]
    assert item["type"] == "message" and item["role"] == "assistant"
    assert item["content"][0]["type"] == "output_text" and item["content"][0]["text"].strip()
    assert r["usage"]["input_tokens"] > 0


def test_responses_stream_with_function_call(server):
    shell = {"type": "function", "name": "shell", "description": "Run a shell command",
             "parameters": {"type": "object",
                            "properties": {"command": {"type": "array",
                                                       "items": {"type": "string"}}},
                            "required": ["command"]}}
    text = post(server[0], "/responses", {
        "model": "smollm2", "stream": True, "tools": [shell], "tool_choice": "required",
        "max_output_tokens": 48,
        "input": [
            {"type": "message", "role": "user",
             "content": [{"type": "input_text", "text": "List the files."}]},
            {"type": "function_call", "call_id": "call_0", "name": "shell",
             "arguments": "{\"command\": [\"pwd\"]}"},
            {"type": "function_call_output", "call_id": "call_0", "output": "/work"}]},
        stream=True)
    events = sse(text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert all(d["type"] == e for e, d in events)
    done = [d["item"] for e, d in events if e == "response.output_item.done"]
    calls = [i for i in done if i["type"] == "function_call"]
    assert calls and calls[0]["name"] == "shell" and calls[0]["call_id"].startswith("call_")
    assert isinstance(json.loads(calls[0]["arguments"])["command"], list)
    final = events[-1][1]["response"]
    assert final["status"] == "completed" and final["output"][-1]["type"] == "function_call"


def test_skvmc_model_client_with_schema(server):
    """skvmc's own litellm backend (the VM's path) against the served model, json_schema."""
    from skvmc.models import resolve

    schema = {"type": "object", "properties": {"colour": {"type": "string"}},
              "required": ["colour"]}
    m = resolve("openai/smollm2", api_base=server[0], api_key="x", timeout_s=300)
    c = m.complete([{"role": "user", "content": "A colour, as JSON."}], schema=schema,
                   max_tokens=24)
    assert isinstance(json.loads(c.text)["colour"], str) and c.completion_tokens > 0


def test_bad_request_is_400(server):
    with pytest.raises(urllib.error.HTTPError) as e:
        post(server[0], "/chat/completions", {"model": "smollm2", "messages": []})
    assert e.value.code == 400
    assert "messages" in json.loads(e.value.read())["error"]["message"]


def test_sigterm_stops_cleanly(server):
    base, proc = server
    proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 30
    while proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert proc.returncode == 0
    assert "stopped" in proc.stderr.read()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/models", timeout=5)
