"""skvmc bench with a scripted model: grading order, report contents, resume, PNG writer."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from skvmc.bench import png, report, runner
from skvmc.bench.cli import main
from skvmc.models import ScriptedModel

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "bench" / "tasks"
TASK = "csv-sum-column"


def solver(work_root: Path, seen: list):
    """Runs the task's reference solution, then answers; asserts no tests/ is visible."""
    # sent as code, not as a path: the exec sandbox sees the workdir only, not the repo
    solve = (TASKS / TASK / "solution" / "solve.py").read_text()

    def answer(messages, schema):
        # graders are copied in only after the agent finished: none may exist now
        seen.append(sorted(str(p) for p in work_root.glob("*/tests")))
        if messages[-1]["role"] == "user" and "exit code" in messages[-1]["content"]:
            return json.dumps({"action": "answer", "answer": "done"})
        return json.dumps({"action": "exec", "language": "python", "code": solve})

    return answer


def idle(messages, schema):
    return json.dumps({"action": "answer", "answer": "I did nothing"})


def _bench(tmp_path, answer, *extra, conditions="no-skill,original"):
    work = tmp_path / "work"
    out = tmp_path / "out"
    model = ScriptedModel(answer)
    code = main(["--tasks", str(TASKS), "--only", TASK, "--conditions", conditions,
                 "--out", str(out), "--quiet", *extra], model=model, work_root=work)
    return code, out, model


def test_graders_absent_during_run_and_solution_passes(tmp_path):
    seen: list = []
    code, out, model = _bench(tmp_path, solver(tmp_path / "work", seen))
    assert code == 0 and model.calls
    assert seen and all(s == [] for s in seen)
    rep = json.loads((out / "results.json").read_text())
    for c in ("no-skill", "original"):
        agg = rep["conditions"][c]
        assert agg["passed"] == agg["graded"] == 1 and agg["pass_rate"] == 1.0
        assert agg["tokens"] > 0 and agg["model_calls"] == 2
    recs = rep["records"]
    assert all(r["tests_present_during_run"] is False for r in recs)
    assert rep["tasks"][TASK]["original"]["passed"] == 1
    assert "original vs no-skill" in rep["deltas"]
    md = (out / "report.md").read_text()
    assert "| no-skill | 1 | 1/1 |" in md and TASK in md
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_idle_agent_fails_the_grader(tmp_path):
    code, out, _ = _bench(tmp_path, idle, conditions="no-skill")
    assert code == 0
    rep = json.loads((out / "results.json").read_text())
    r = rep["records"][0]
    assert r["status"] == "fail" and r["agent_status"] == "ok" and "failed" in r["grader_output"]
    assert rep["conditions"]["no-skill"]["pass_rate"] == 0.0


def test_resume_skips_finished_runs(tmp_path):
    seen: list = []
    _bench(tmp_path, solver(tmp_path / "work", seen))
    jsonl = tmp_path / "out" / "results.jsonl"
    lines = jsonl.read_text().splitlines()
    assert len(lines) == 2
    jsonl.write_text(lines[0] + "\n" + lines[1][:15])  # interrupted while writing the 2nd
    seen2: list = []
    code, out, model = _bench(tmp_path, solver(tmp_path / "work", seen2), "--resume")
    assert code == 0 and len(model.calls) == 2  # only the torn run ran again
    rep = json.loads((out / "results.json").read_text())
    assert rep["meta"]["resumed_runs"] == 1
    assert {r["condition"] for r in rep["records"]} == {"no-skill", "original"}
    assert len(json.loads("[" + ",".join(
        line for line in jsonl.read_text().splitlines() if line.startswith("{\"") and
        line.endswith("}")) + "]")) == 2
    code, out, model = _bench(tmp_path, idle, "--resume")
    assert model.calls == []


def test_report_only_builds_partial_report(tmp_path):
    seen: list = []
    _bench(tmp_path, solver(tmp_path / "work", seen), conditions="no-skill")
    (tmp_path / "out" / "report.md").unlink()
    code, out, model = _bench(tmp_path, idle, "--report-only")
    assert code == 0 and model.calls == []
    rep = json.loads((out / "results.json").read_text())
    assert rep["meta"]["finished_runs"] == 1 and rep["meta"]["planned_runs"] == 2
    assert rep["conditions"]["original"]["runs"] == 0
    assert (out / "report.md").is_file()


def test_jit_condition_unavailable_without_jit(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "jit_available", lambda: False)
    code, out, model = _bench(tmp_path, idle, conditions="compiled+jit")
    assert code == 0
    rep = json.loads((out / "results.json").read_text())
    assert rep["records"][0]["status"] == "unavailable"
    assert rep["conditions"]["compiled+jit"]["pass_rate"] is None and model.calls == []


def test_usage_errors(tmp_path):
    assert main(["--tasks", str(TASKS), "--conditions", "bogus", "--out", str(tmp_path)],
                model=ScriptedModel(idle)) == 2
    assert main(["--tasks", str(tmp_path / "none"), "--out", str(tmp_path)],
                model=ScriptedModel(idle)) == 2


def test_workdir_excludes_skills_and_tests():
    task = runner.load_task(TASKS / TASK)
    wd = runner.prepare_workdir(task, None, with_skill=False)
    try:
        assert (wd / "sales.csv").is_file()
        assert not (wd / "skills").exists() and not (wd / "tests").exists()
    finally:
        import shutil
        shutil.rmtree(wd)


def test_report_deltas():
    recs = [{"key": f"t|{c}|0", "task": "t", "condition": c, "run": 0, "status": s,
             "model_calls": 1, "prompt_tokens": p, "completion_tokens": 1, "wall_s": 1.0}
            for c, s, p in (("no-skill", "fail", 10), ("original", "pass", 30))]
    rep = report.build(recs, ["no-skill", "original"], {})
    assert rep["deltas"]["original vs no-skill"] == {"pass_rate": 1.0, "tokens": 20,
                                                     "wall_s": 0.0, "model_calls": 0}


def test_png_writer_makes_a_decodable_png(tmp_path):
    img = png.bar_panels([[0.5, 1.0], [10.0, 20.0]], width=200, height=60)
    path = tmp_path / "c.png"
    png.write_png(path, img)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (200, 60)
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41:41 + idat_len])
    assert len(raw) == h * (1 + 3 * w)
    assert bytes(png.PALETTE[0]) in raw  # a bar was drawn


@pytest.mark.e2e
def test_e2e_bench_smollm2(tmp_path):
    pytest.importorskip("llama_cpp")
    out = tmp_path / "out"
    code = main(["--tasks", str(TASKS), "--only", TASK, "--conditions", "no-skill,original",
                 "--max-steps", "2", "--max-tokens", "128", "--out", str(out), "--quiet"],
                work_root=tmp_path / "work")
    assert code == 0
    rep = json.loads((out / "results.json").read_text())
    assert set(rep["conditions"]) == {"no-skill", "original"}
    for c in ("no-skill", "original"):
        agg = rep["conditions"][c]
        assert agg["graded"] == 1 and agg["tokens"] > 0 and agg["model_calls"] >= 1
    assert all(r["grader_output"] for r in rep["records"])
    assert (out / "report.md").is_file() and (out / "chart.png").is_file()


def _solve_answer_factory():
    """A solver for the Ray executor's workers. It is a closure on purpose: cloudpickle ships
    closures by value, while module-level test functions would need this test module to be
    importable inside the workers."""
    solve = (TASKS / TASK / "solution" / "solve.py").read_text()  # as code: see solver()

    def answer(messages, schema):
        if messages[-1]["role"] == "user" and "exit code" in messages[-1]["content"]:
            return json.dumps({"action": "answer", "answer": "done"})
        return json.dumps({"action": "exec", "language": "python", "code": solve})

    return answer


def test_ray_executor_gives_the_same_records(tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (optional extra: skvmc[ray])")
    import functools

    import ray

    results = {}
    for executor in ("local", "ray"):
        out = tmp_path / executor
        code = main(["--tasks", str(TASKS), "--only", TASK, "--conditions", "no-skill,original",
                     "--runs", "2", "--out", str(out), "--quiet", "--executor", executor,
                     "--concurrency", "2"],
                    model_factory=functools.partial(ScriptedModel, _solve_answer_factory()),
                    work_root=tmp_path / f"work-{executor}")
        assert code == 0
        rep = json.loads((out / "results.json").read_text())
        results[executor] = sorted((r["key"], r["status"], r["model_calls"])
                                   for r in rep["records"])
    ray.shutdown()
    assert results["local"] == results["ray"]
    assert len(results["ray"]) == 4 and all(status == "pass" for _, status, _ in results["ray"])
