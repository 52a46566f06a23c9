import json
import subprocess
import sys

import pytest

from skvmc.models import (
    DEFAULT_MODEL,
    ModelError,
    ReplayModel,
    ScriptedModel,
    record_for_trace,
    resolve,
)
from skvmc.models.base import Completion
from skvmc.models.litellm_backend import LiteLLMModel
from skvmc.models.local import LocalModel, llama_response_format


def test_default_is_embedded_smollm2():
    assert DEFAULT_MODEL == "smollm2"
    for s in (None, "", "smollm2", "local"):
        m = resolve(s)
        assert isinstance(m, LocalModel)
        assert m.name == "smollm2"
        assert m.supports_schema is True


def test_local_rejects_api_base():
    with pytest.raises(ModelError) as e:
        resolve("smollm2", api_base="http://x")
    assert e.value.kind == "config"


def test_litellm_strings_keep_name_and_api_base():
    m = resolve("openai/my-model", api_base="http://localhost:8000/v1")
    assert isinstance(m, LiteLLMModel)
    assert m.name == "openai/my-model"
    assert m.api_base == "http://localhost:8000/v1"
    assert resolve("ollama/qwen2.5:7b").supports_schema is True


def test_replay_and_scripted_strings(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps(record_for_trace(Completion("x", 1, 1, 0.0, 0.0, "m"), "s")) + "\n")
    assert isinstance(resolve(f"replay:{p}"), ReplayModel)
    with pytest.raises(ModelError) as e:
        resolve("replay:")
    assert e.value.kind == "config"
    with pytest.raises(ModelError):
        resolve("scripted:abc")


def test_request_carries_schema_as_response_format():
    calls = []

    def fake(**kw):
        calls.append(kw)
        return {"choices": [{"message": {"content": "{}"}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2}}

    m = resolve("ollama/qwen2.5:7b", completion_fn=fake, cost_fn=lambda r: None)
    schema = {"type": "object"}
    c = m.complete([{"role": "user", "content": "hi"}], schema=schema, max_tokens=7)
    kw = calls[0]
    assert kw["model"] == "ollama/qwen2.5:7b"
    assert kw["max_tokens"] == 7 and kw["temperature"] == 0.0
    assert kw["response_format"]["json_schema"]["schema"] == schema
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.cost) == ("{}", 5, 2, None)
    m.complete([{"role": "user", "content": "hi"}])
    assert "response_format" not in calls[1]


def test_no_response_format_when_model_cannot_take_a_schema():
    calls = []
    m = LiteLLMModel("some/unknown", supports_schema=False, cost_fn=lambda r: None,
                     completion_fn=lambda **kw: calls.append(kw) or
                     {"choices": [{"message": {"content": "ok"}}]})
    c = m.complete([{"role": "user", "content": "hi"}], schema={"type": "object"})
    assert "response_format" not in calls[0]
    assert c.prompt_tokens == 0 and c.text == "ok"


def test_bad_messages_rejected_before_any_call():
    m = ScriptedModel(["x"])
    for bad in ([], [{"content": "no role"}], [{"role": "robot", "content": "x"}]):
        with pytest.raises(ModelError) as e:
            m.complete(bad)
        assert e.value.kind == "bad-request"
    assert m.calls == []


def test_llama_response_format_translation():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert llama_response_format(None) is None
    rf = {"type": "json_schema", "json_schema": {"name": "o", "schema": schema}}
    assert llama_response_format(rf) == {"type": "json_object", "schema": schema}
    assert llama_response_format({"type": "json_object"}) == {"type": "json_object"}
    assert llama_response_format({"type": "text"}) is None


def test_import_does_not_import_litellm():
    code = ("import sys, skvmc.models as m; m.resolve('smollm2'); m.resolve('ollama/x'); "
            "print('litellm' in sys.modules, 'llama_cpp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
