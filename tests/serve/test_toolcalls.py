"""The tool-call parser on Qwen-format text, and tools rendered for plain templates."""

import json

from skvmc.serve.engine import Engine, normalize_messages
from skvmc.serve.toolcalls import (
    history_for_plain_template,
    maybe_tool_call_prefix,
    parse_tool_calls,
    template_knows_tools,
)


def _args(call):
    return json.loads(call["function"]["arguments"])


def test_qwen_block():
    text = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    content, calls = parse_tool_calls(text)
    assert content is None and len(calls) == 1
    c = calls[0]
    assert c["type"] == "function" and c["id"].startswith("call_")
    assert c["function"]["name"] == "get_weather" and _args(c) == {"city": "Paris"}
    assert isinstance(c["function"]["arguments"], str)


def test_several_blocks_with_text_around():
    text = ("Let me check both.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n"
            "</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {}}\n</tool_call>")
    content, calls = parse_tool_calls(text)
    assert content == "Let me check both."
    assert [c["function"]["name"] for c in calls] == ["a", "b"]
    assert _args(calls[0]) == {"x": 1} and _args(calls[1]) == {}
    assert calls[0]["id"] != calls[1]["id"]


def test_unclosed_block_at_the_end_and_string_arguments():
    content, calls = parse_tool_calls(
        '<tool_call>\n{"name": "run", "arguments": "{\\"cmd\\": \\"ls\\"}"}')
    assert content is None and _args(calls[0]) == {"cmd": "ls"}


def test_trailing_junk_after_the_json():
    _, calls = parse_tool_calls('<tool_call>{"name": "f", "arguments": {"a": 2}}}</tool_call>')
    assert _args(calls[0]) == {"a": 2}


def test_bare_json_object_fenced_and_parameters_key():
    _, calls = parse_tool_calls('{"name": "f", "arguments": {"q": "x"}}')
    assert _args(calls[0]) == {"q": "x"}
    _, calls = parse_tool_calls('```json\n{"name": "f", "parameters": {"q": 1}}\n```')
    assert _args(calls[0]) == {"q": 1}
    _, calls = parse_tool_calls('[{"name": "f", "arguments": {}}, {"name": "g", "arguments": {}}]')
    assert [c["function"]["name"] for c in calls] == ["f", "g"]


def test_unescaped_quotes_in_the_last_string_argument_are_repaired():
    # as the 1.5B wrote it in opencode (invoice-total): code with bare quotes inside the string
    text = ('```json\n{\n  "name": "bash",\n  "arguments": {\n    "command": "python -c '
            "'import json; inv = json.load(open(\\\"invoice.json\\\")); "
            "print(sum(l[\"qty\"] for l in inv[\"lines\"]))' > total.txt\"\n  }\n}\n```")
    content, calls = parse_tool_calls(text, {"bash"})
    assert content is None and len(calls) == 1
    assert _args(calls[0]) == {"command": "python -c 'import json; inv = json.load(open("
                                          "\"invoice.json\")); print(sum(l[\"qty\"] for l "
                                          "in inv[\"lines\"]))' > total.txt"}
    # earlier arguments parse as they are; a key-like text inside the value is not a key
    text = ('{"name": "write", "arguments": {"path": "a.py", "content": "print("hi")\n'
            'x = {"a": "b"}"}}')
    _, calls = parse_tool_calls(text, {"write"})
    assert _args(calls[0]) == {"path": "a.py", "content": 'print("hi")\nx = {"a": "b"}'}


def test_a_broken_call_that_is_not_of_the_repairable_shape_stays_text():
    cases = [
        # the last argument is not a string
        '{"name": "bash", "arguments": {"command": "echo "hi"", "timeout": 5}}',
        # an earlier argument is broken too
        '{"name": "write", "arguments": {"path": "a"b", "content": "x"y"}}',
        # not a tool the request offered
        '{"name": "nope", "arguments": {"command": "echo "hi""}}',
        # a repeated key
        '{"name": "bash", "arguments": {"command": "a", "command": "b"c"}}',
    ]
    for text in cases:
        content, calls = parse_tool_calls(text, {"bash", "write"})
        assert calls == [] and content == text, text


def test_not_a_tool_call_stays_text():
    assert parse_tool_calls("The answer is 4.") == ("The answer is 4.", [])
    assert parse_tool_calls('{"answer": 4}') == ('{"answer": 4}', [])
    text = "<tool_call>\nnot json\n</tool_call>"
    assert parse_tool_calls(text) == (text, [])
    assert parse_tool_calls("") == (None, [])


def test_unknown_tool_names_are_not_calls():
    text = '<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>'
    content, calls = parse_tool_calls(text, {"get_weather"})
    assert calls == [] and content == text
    assert parse_tool_calls('{"name": "x", "arguments": {}}', {"y"})[1] == []


def test_stream_holdback_of_a_tag_prefix():
    assert maybe_tool_call_prefix("Sure <tool") == len("<tool")
    assert maybe_tool_call_prefix("Sure <") == 1
    assert maybe_tool_call_prefix("Sure.") == 0
    assert Engine._safe_prefix("Hi <tool_call>{", 0, True) == len("Hi")
    assert Engine._safe_prefix('{"name"', 0, True) == 0
    assert Engine._safe_prefix("Hello <tool", 0, True) == len("Hello ")
    assert Engine._safe_prefix("Hello <tool", 0, False) == len("Hello <tool")


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                           "parameters": {"type": "object"}}}]


def test_plain_template_history():
    msgs = normalize_messages([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "18C"},
    ])
    assert msgs[2]["content"] == "" and msgs[2]["tool_calls"][0]["function"]["arguments"] == {
        "city": "Paris"}
    out = history_for_plain_template(msgs, TOOLS)
    assert out[0]["role"] == "system" and out[0]["content"].startswith("Be brief.")
    assert "<tools>" in out[0]["content"] and '"get_weather"' in out[0]["content"]
    assert out[2] == {"role": "assistant", "content":
                      '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
                      "</tool_call>"}
    assert out[3] == {"role": "user", "content": "<tool_response>\nsunny\n</tool_response>\n"
                      "<tool_response>\n18C\n</tool_response>"}
    assert len(out) == 4
    # the rendered history parses back into the same call
    assert _args(parse_tool_calls(out[2]["content"])[1][0]) == {"city": "Paris"}


def test_template_detection():
    assert template_knows_tools("{%- if tools %}...")
    assert not template_knows_tools("{% for message in messages %}")
    assert not template_knows_tools(None)


def test_message_normalisation():
    msgs = normalize_messages([
        {"role": "developer", "content": [{"type": "text", "text": "a"},
                                          {"type": "text", "text": "b"}]},
        {"role": "user", "content": "hi"}])
    assert msgs == [{"role": "system", "content": "ab"}, {"role": "user", "content": "hi"}]
