import json
import threading

import pytest

from skvmc.models import Completion, ModelError, ReplayModel, ScriptedModel, record_for_trace
from skvmc.models.replay import TRACE_FIELDS

MSGS = [{"role": "user", "content": "hi there"}]


def write_trace(path, entries):
    lines = [json.dumps({"kind": "step-start", "step": "ignored"})]
    for step, text, latency in entries:
        c = Completion(text, 10, len(text), None, latency, "ollama/q")
        lines.append(json.dumps(record_for_trace(c, step)))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_record_for_trace_has_the_contract_fields():
    rec = record_for_trace(Completion("ans", 3, 4, 0.01, 0.5, "m"), "main/a#0")
    assert set(rec) == set(TRACE_FIELDS)
    assert rec == {"kind": "model", "step": "main/a#0", "completion": "ans", "prompt_tokens": 3,
                   "completion_tokens": 4, "latency_s": 0.5, "model": "m", "cost": 0.01}
    json.dumps(rec)  # serialisable


def test_replay_per_step_order_and_latency(tmp_path):
    p = write_trace(tmp_path / "t.jsonl",
                    [("a", "a1", 0.2), ("b", "b1", 0.3), ("a", "a2", 0.4)])
    sleeps = []
    m = ReplayModel(str(p), sleep=sleeps.append)
    # steps asked in another order than recorded still get their own answers
    assert m.complete(MSGS, step="b").text == "b1"
    c = m.complete(MSGS, step="a")
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.model) == ("a1", 10, 2, "ollama/q")
    assert m.complete(MSGS, step="a").text == "a2"
    assert sleeps == [0.3, 0.2, 0.4]
    assert m.remaining == 0


def test_replay_without_step_uses_file_order(tmp_path):
    p = write_trace(tmp_path / "t.jsonl", [("a", "a1", 0), ("b", "b1", 0), ("a", "a2", 0)])
    m = ReplayModel(str(p), sleep=lambda s: pytest.fail("zero latency must not sleep"))
    assert [m.complete(MSGS).text for _ in range(2)] == ["a1", "b1"]
    assert m.complete(MSGS, step="a").text == "a2"


def test_replay_exhaustion_is_a_clear_error(tmp_path):
    p = write_trace(tmp_path / "t.jsonl", [("a", "a1", 0.0)])
    m = ReplayModel(str(p))
    m.complete(MSGS, step="a")
    with pytest.raises(ModelError) as e:
        m.complete(MSGS, step="a")
    assert e.value.kind == "exhausted"
    assert "step 'a'" in str(e.value) and "1 recorded" in str(e.value)
    with pytest.raises(ModelError) as e:
        m.complete(MSGS, step="never-recorded")
    assert "0 recorded" in str(e.value)


def test_replay_speed_scales_sleep(tmp_path):
    p = write_trace(tmp_path / "t.jsonl", [("a", "a1", 1.0)])
    sleeps = []
    ReplayModel(str(p), sleep=sleeps.append, speed=4.0).complete(MSGS, step="a")
    assert sleeps == [0.25]


def test_replay_really_sleeps_and_is_thread_safe(tmp_path):
    p = write_trace(tmp_path / "t.jsonl", [(f"s{i}", f"x{i}", 0.05) for i in range(8)])
    m = ReplayModel(str(p))
    out = {}

    def run(i):
        out[i] = m.complete(MSGS, step=f"s{i}").text

    import time
    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - t0
    assert out == {i: f"x{i}" for i in range(8)}
    assert 0.05 <= elapsed < 0.35  # slept concurrently, not 8 x 0.05 in series


def test_replay_bad_files(tmp_path):
    with pytest.raises(ModelError) as e:
        ReplayModel(str(tmp_path / "missing.jsonl"))
    assert e.value.kind == "not-found"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "model", "step": "a"}\n')
    with pytest.raises(ModelError) as e:
        ReplayModel(str(bad))
    assert "bad.jsonl:1" in str(e.value)
    garbage = tmp_path / "g.jsonl"
    garbage.write_text("not json\n")
    with pytest.raises(ModelError):
        ReplayModel(str(garbage))


def test_scripted_list_records_calls_and_exhausts():
    m = ScriptedModel(["one", "two words"])
    c = m.complete(MSGS, schema={"type": "object"}, max_tokens=9, step="s")
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.cost) == ("one", 2, 1, 0.0)
    assert m.complete(MSGS).completion_tokens == 2
    assert m.calls[0].schema == {"type": "object"} and m.calls[0].max_tokens == 9
    assert m.calls[0].step == "s" and m.calls[0].messages[0]["content"] == "hi there"
    with pytest.raises(ModelError) as e:
        m.complete(MSGS)
    assert e.value.kind == "exhausted"


def test_scripted_callable():
    m = ScriptedModel(lambda msgs, schema: "json" if schema is not None
                      else msgs[-1]["content"].upper())
    assert m.complete(MSGS).text == "HI THERE"
    assert m.complete(MSGS, schema={}).text == "json"
    assert len(m.calls) == 2
    with pytest.raises(TypeError):
        ScriptedModel("not a list")
