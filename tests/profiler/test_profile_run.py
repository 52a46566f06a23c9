"""The profiler runner, CLI and SkVM import/export, with a scripted model (no real model)."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import jsonschema
import pytest

from skvmc.models import ScriptedModel
from skvmc.profiler import generators, run
from skvmc.profiler.skvm_format import from_skvm, is_skvm, read_profile, to_skvm

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "targets/schemas/profile.schema.json").read_text())


def oracle(wrong_levels=(), seed=0, primitives=None, levels=(1, 2, 3), instances=3):
    """A scripted 'perfect agent': writes the reference files, then gives the reference
    answer; for instances of a level in ``wrong_levels`` it answers nonsense."""
    by_prompt = {}
    for p in primitives or generators.GENERATORS:
        for lv in levels:
            for i in range(instances):
                inst = generators.generate(p, lv, seed, i)
                by_prompt[inst.prompt] = inst

    def answer(messages, schema):
        inst = by_prompt[messages[1]["content"]]
        if inst.level in wrong_levels:
            return json.dumps({"action": "answer", "answer": "no idea"})
        turn = sum(m["role"] == "assistant" for m in messages)
        files = sorted(generators.reference_files(inst).items())
        if turn < len(files):
            path, text = files[turn]
            return json.dumps({"action": "write", "path": path, "content": text})
        return json.dumps({"action": "answer", "answer": generators.reference_answer(inst)})

    return answer


PRIMS = ["reason.arithmetic", "tool.file.write"]


def _run(answer, prims=PRIMS, levels=(1, 2, 3), instances=2, **kw):
    model = ScriptedModel(answer)
    jobs = run.plan_jobs(prims, levels, instances, 0)
    kw.setdefault("max_turns", 6)  # tool.file.write L3 writes 4 files one turn each
    # Ray ships the factory to its workers, so it must build the model there (a model object
    # holds locks and cannot be pickled) -- as the CLI does with the model string.
    factory = functools.partial(ScriptedModel, answer) if kw.get("executor") == "ray" \
        else (lambda: model)
    records = run.run_matrix(jobs, factory, **kw)
    return model, records, run.summarize(records, prims, levels)


def test_perfect_agent_passes_every_level():
    _, records, summary = _run(oracle(primitives=PRIMS, instances=2))
    assert all(r["status"] == "pass" for r in records), [r["reason"] for r in records]
    assert summary["reason.arithmetic"]["level"] == 3
    assert summary["tool.file.write"]["level"] == 3
    assert summary["tool.file.write"]["levels"]["L2"]["passed"] == 2
    assert summary["reason.arithmetic"]["inversions"] == []


def test_failures_are_graded_and_inversion_is_recorded():
    _, _, summary = _run(oracle(wrong_levels=(2,), primitives=PRIMS, instances=2))
    s = summary["reason.arithmetic"]
    assert s["levels"]["L2"]["verdict"] == "fail"
    assert s["levels"]["L2"]["failures"] and s["levels"]["L2"]["failures"][0]["reason"]
    assert s["levels"]["L3"]["verdict"] == "pass"
    assert s["level"] == 1  # highest L with every level <= L passing
    assert s["inversions"] == ["L3"]


def test_one_failing_instance_fails_the_level():
    inner = oracle(primitives=["reason.arithmetic"], levels=(1,), instances=2)
    bad_prompt = generators.generate("reason.arithmetic", 1, 0, 1).prompt

    def answer(messages, schema):
        if messages[1]["content"] == bad_prompt:
            return json.dumps({"action": "answer", "answer": "-1"})
        return inner(messages, schema)

    _, _, summary = _run(answer, ["reason.arithmetic"], (1,), 2)
    assert summary["reason.arithmetic"]["levels"]["L1"]["passed"] == 1
    assert summary["reason.arithmetic"]["level"] == 0


def test_network_primitives_are_unknown_not_failed():
    model, records, summary = _run(lambda m, s: "x", ["tool.web"], (1, 2), 1)
    assert {r["status"] for r in records} == {"unknown"}
    assert summary["tool.web"]["level"] is None
    assert model.calls == []  # never asked the model


def test_accounting_sums_completions():
    model, records, _ = _run(oracle(primitives=PRIMS, instances=1), instances=1)
    tot = run.totals(records)
    assert tot["model_calls"] == len(model.calls) > 0
    assert tot["prompt_tokens"] > 0 and tot["completion_tokens"] > 0
    # tool.file.write needs a write turn before the answer: more calls than instances
    assert tot["model_calls"] > tot["instances"]


def test_resume_skips_finished_instances(tmp_path):
    ckpt = tmp_path / "p.checkpoint.jsonl"
    answer = oracle(primitives=PRIMS, instances=1)
    _, first, _ = _run(answer, instances=1, checkpoint=ckpt)
    lines = ckpt.read_text().splitlines()
    assert len(lines) == len(first)
    # simulate an interruption: drop the last record and tear the line before it
    ckpt.write_text("\n".join(lines[:-2]) + "\n" + lines[-2][:10])
    model, second, _ = _run(answer, instances=1, checkpoint=ckpt, resume=True)
    assert len(model.calls) > 0  # the two missing instances ran again
    assert [r["status"] for r in second] == [r["status"] for r in first]
    model3, third, _ = _run(lambda m, s: (_ for _ in ()).throw(AssertionError("called")),
                            instances=1, checkpoint=ckpt, resume=True)
    assert model3.calls == [] and [r["key"] for r in third] == [r["key"] for r in first]


def test_concurrent_local_pool_matches_serial():
    answer = oracle(wrong_levels=(3,), primitives=PRIMS, instances=2)
    _, serial, _ = _run(answer)
    _, pooled, _ = _run(answer, concurrency=3)
    def strip(rs):
        return [(r["key"], r["status"]) for r in rs]
    assert strip(serial) == strip(pooled)


def test_ray_executor_gives_the_same_result():
    pytest.importorskip("ray", reason="ray is not installed (optional extra: skvmc[ray])")
    answer = oracle(wrong_levels=(2,), primitives=["reason.arithmetic"], levels=(1, 2),
                    instances=1)
    _, local, s_local = _run(answer, ["reason.arithmetic"], (1, 2), 1)
    _, remote, s_ray = _run(answer, ["reason.arithmetic"], (1, 2), 1, executor="ray",
                            concurrency=2)
    import ray

    ray.shutdown()
    assert [(r["key"], r["status"]) for r in local] == [(r["key"], r["status"]) for r in remote]
    assert s_local == s_ray


def test_progress_plain_lines_when_not_a_tty():
    buf = io.StringIO()
    p = run.Progress(2, stream=buf)
    p.update({"key": "a-L1", "status": "pass", "wall_s": 1.0})
    p.update({"key": "a-L2", "status": "fail", "wall_s": 1.0}, resumed=True)
    assert buf.getvalue().splitlines() == ["[1/2] a-L1 pass (1.0s)", "[2/2] a-L2 resumed (1.0s)"]


def _cli(monkeypatch, tmp_path, answer, *extra):
    import skvmc.models
    from skvmc.profiler.cli import main

    monkeypatch.setattr(skvmc.models, "resolve", lambda *a, **k: ScriptedModel(answer))
    out = tmp_path / "prof.json"
    code = main(["--model", "smollm2", "--primitives", "reason.arithmetic,tool.web",
                 "--instances", "1", "--seed", "0", "--out", str(out), "--quiet",
                 "--max-turns", "6", *extra])
    return code, out


def test_cli_writes_schema_valid_profile_with_provenance(monkeypatch, tmp_path):
    answer = oracle(wrong_levels=(3,), primitives=["reason.arithmetic"], instances=1)
    code, out = _cli(monkeypatch, tmp_path, answer)
    assert code == 0
    prof = json.loads(out.read_text())
    jsonschema.validate(prof, SCHEMA)
    assert prof["model"] == "skvmc-local/smollm2" and prof["harness"] == "bare"
    assert prof["capabilities"] == {"reason.arithmetic": "L2"}  # tool.web unknown: left out
    prov = prof["provenance"]
    assert prov["measured"] is True and prov["command"].startswith("skvmc profile")
    notes = json.loads(prov["notes"])
    assert notes["seed"] == 0 and notes["machine"]["cpu_count"] >= 1
    assert notes["tokens"]["total"] > 0 and notes["wall_s"] >= 0
    assert notes["unknown_primitives"] == ["tool.web"]
    details = json.loads((tmp_path / "prof.details.json").read_text())
    assert details["primitives"]["reason.arithmetic"]["levels"]["L3"]["verdict"] == "fail"
    assert (tmp_path / "prof.json.checkpoint.jsonl").is_file()


def test_cli_resume_and_skvm_format(monkeypatch, tmp_path):
    answer = oracle(primitives=["reason.arithmetic"], instances=1)
    code, out = _cli(monkeypatch, tmp_path, answer)
    assert code == 0

    def boom(messages, schema):
        raise AssertionError("resume must not call the model")

    code, out = _cli(monkeypatch, tmp_path, boom, "--resume", "--format", "skvm")
    assert code == 0
    prof = json.loads(out.read_text())
    assert is_skvm(prof) and prof["harness"] == "bare-agent"
    jsonschema.validate(prof, SCHEMA)
    assert prof["capabilities"]["reason.arithmetic"] == "L3"
    assert from_skvm(prof)["provenance"]["measured"] is True


def test_cli_missing_sandbox_stops_before_any_probe(monkeypatch, tmp_path, capsys):
    from skvmc.vm import sandbox as sb

    def boom(messages, schema):
        raise AssertionError("no probe may run without the sandbox")

    monkeypatch.setattr(sb, "unavailable", lambda bwrap: f"bubblewrap not found at {bwrap}")
    code, out = _cli(monkeypatch, tmp_path, boom)
    assert code == 1 and not out.exists()
    assert "bubblewrap not found" in capsys.readouterr().err


def test_cli_usage_errors(tmp_path):
    from skvmc.profiler.cli import main
    assert main(["--model", "x", "--primitives", "nope", "--out", str(tmp_path / "p")]) == 2
    assert main(["--model", "x", "--levels", "4", "--out", str(tmp_path / "p")]) == 2


@pytest.mark.parametrize("path", sorted((ROOT / "targets/profiles").glob("bare-agent--*.json")),
                         ids=lambda p: p.name)
def test_skvm_round_trip_on_published_profiles(path):
    published = json.loads(path.read_text())
    ours = from_skvm(published)
    jsonschema.validate(ours, SCHEMA)
    assert ours["harness"] == "bare" and ours["capabilities"] == published["capabilities"]
    assert to_skvm(ours) == published
    assert read_profile(path) == ours


def test_own_profile_round_trips_through_skvm():
    ours = {"model": "m", "harness": "bare", "profiledAt": "2026-01-01T00:00:00+00:00",
            "capabilities": {"reason.logic": "L1", "gen.regex": "L0"},
            "provenance": {"source": "skvmc profile", "command": "skvmc profile --model m",
                           "date": "2026-01-01T00:00:00+00:00", "measured": True,
                           "notes": "{}"}}
    exported = to_skvm(ours)
    jsonschema.validate(exported, SCHEMA)
    assert exported["version"] == "1.0" and exported["harness"] == "bare-agent"
    assert from_skvm(exported) == {**ours, "capabilities": dict(sorted(
        ours["capabilities"].items()))}


def test_skvm_reader_accepts_numeric_and_detailed_levels():
    data = {"model": "m", "harness": "bare-agent",
            "capabilities": {"gen.regex": 2, "reason.logic": {"level": "L1", "passed": 3}},
            "provenance": {"measuredBy": "x", "source": "y", "path": "z"}}
    assert from_skvm(data)["capabilities"] == {"gen.regex": "L2", "reason.logic": "L1"}


@pytest.mark.e2e
def test_e2e_profile_smollm2(tmp_path):
    pytest.importorskip("llama_cpp")
    from skvmc.profiler.cli import main

    out = tmp_path / "smollm2.json"
    code = main(["--model", "smollm2", "--primitives", "reason.arithmetic,follow.format",
                 "--levels", "1", "--instances", "1", "--max-turns", "2", "--max-tokens", "128",
                 "--out", str(out), "--quiet"])
    assert code == 0
    prof = json.loads(out.read_text())
    jsonschema.validate(prof, SCHEMA)
    assert set(prof["capabilities"]) == {"reason.arithmetic", "follow.format"}
    assert all(v in ("L0", "L1") for v in prof["capabilities"].values())
    notes = json.loads(prof["provenance"]["notes"])
    assert notes["tokens"]["total"] > 0 and notes["model_calls"] >= 2  # real model calls
    details = json.loads((tmp_path / "smollm2.details.json").read_text())
    assert {r["status"] for r in details["records"]} <= {"pass", "fail"}
