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


def test_missing_sandbox_stops_the_bench_before_any_run(tmp_path, monkeypatch, capsys):
    """Without bubblewrap every exec would be refused: the bench says so and runs nothing,
    rather than measuring refusals; --sandbox=process (no isolation) is the way round."""
    from skvmc.vm import sandbox as sb

    monkeypatch.setattr(sb, "unavailable", lambda bwrap: f"bubblewrap not found at {bwrap}")
    code, out, model = _bench(tmp_path, idle)
    assert code == 1 and model.calls == [] and not out.exists()
    err = capsys.readouterr().err
    assert "bubblewrap not found" in err and "--sandbox=process" in err
    code, out, model = _bench(tmp_path, idle, "--sandbox", "process")
    assert code == 0 and (out / "results.json").is_file()


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


# ------------------------------------------------------------------ several installed skills
MULTI = "pick-weblog-top-paths"  # installs weblog-stats, log-triage and csv-report


def _solve_code(task_id: str) -> str:
    return (TASKS / task_id / "solution" / "solve.py").read_text()


def test_multi_skill_task_installs_every_skill():
    task = runner.load_task(TASKS / MULTI)
    assert [d.name for d in task.skill_dirs] == ["csv-report", "log-triage", "weblog-stats"]
    assert task.skill_dir.name == "weblog-stats"  # task.toml's intended skill
    wd = runner.prepare_workdir(task, None, with_skill=True)
    try:  # every bundle is at the workdir root, where each SKILL.md's paths point
        assert (wd / "scripts" / "logstats.py").is_file()
        assert (wd / "scripts" / "csvsum.py").is_file()
        assert (wd / "access.log").is_file() and not (wd / "SKILL.md").exists()
    finally:
        import shutil
        shutil.rmtree(wd)


def test_original_lists_every_installed_skill(tmp_path):
    solve = _solve_code(MULTI)

    def answer(messages, schema):
        if "exit code" in messages[-1]["content"]:
            return json.dumps({"action": "answer", "answer": "done"})
        return json.dumps({"action": "exec", "language": "python", "code": solve})

    model = ScriptedModel(answer)
    task = runner.load_task(TASKS / MULTI)
    rec = runner.run_unit(task, "original", 0, model, compiler=None, target="t",
                          work_root=tmp_path)
    assert rec["status"] == "pass", rec
    system = model.calls[0].messages[0]["content"]
    for d in task.skill_dirs:  # each SKILL.md in full, under its name
        assert f"=== skill {d.name} (skills/{d.name}/SKILL.md) ===" in system
        assert (d / "SKILL.md").read_text().strip() in system
    # a single-skill task keeps its SKILL.md as the whole skill text, as before
    single = runner.load_task(TASKS / TASK)
    assert runner.original_text(single) == (single.skill_dir / "SKILL.md").read_text()


class RecordingCompiler(runner.Compiler):
    def __init__(self, out_dir, target):
        super().__init__(out_dir, target)
        self.asked: list[str] = []

    def program(self, skill_dir):
        self.asked.append(Path(skill_dir).name)
        return super().program(skill_dir)


def test_compiled_picks_the_program_with_one_enum_ask(tmp_path):
    solve = _solve_code(MULTI)

    def answer(messages, schema):
        if messages[-1]["role"] == "user" and "Answer with the name" in messages[0]["content"]:
            return json.dumps({"action": "answer", "answer": "weblog-stats"})
        if "exit code" in messages[-1]["content"]:
            return json.dumps({"action": "answer", "answer": "done"})
        return json.dumps({"action": "exec", "language": "python", "code": solve})

    model = ScriptedModel(answer)
    compiler = RecordingCompiler(tmp_path / "c", "smollm2+bare")
    task = runner.load_task(TASKS / MULTI)
    rec = runner.run_unit(task, "compiled", 0, model, compiler=compiler, target="smollm2+bare",
                          work_root=tmp_path / "w")
    pick = model.calls[0]
    answer_variant = pick.schema if "anyOf" not in pick.schema else None
    assert answer_variant["properties"]["answer"] == {
        "enum": ["csv-report", "log-triage", "weblog-stats"]}
    for d in task.skill_dirs:  # the ASK shows every skill's name and description
        name, desc = runner.skill_card(d)
        assert f"- {name}: {desc}" in pick.messages[0]["content"]
    assert pick.messages[1]["content"] == task.instruction
    assert compiler.asked == ["weblog-stats"]
    assert rec["picked_skill"] == rec["intended_skill"] == "weblog-stats"
    assert rec["model_calls"] == len(model.calls) >= 2  # the pick is counted in the run
    assert rec["status"] in ("pass", "fail") and rec["grader_output"]
    rep = report.build([rec], ["compiled"], {})
    assert (rep["conditions"]["compiled"]["picks"], rep["conditions"]["compiled"]["picks_right"]) \
        == (1, 1)
    assert "Skill picks on multi-skill tasks (intended/asked): compiled: 1/1" in \
        report.markdown(rep)


def test_compiled_without_a_valid_pick_runs_nothing(tmp_path):
    model = ScriptedModel(lambda m, s: json.dumps({"action": "answer", "answer": "csv"}))
    compiler = RecordingCompiler(tmp_path / "c", "smollm2+bare")
    task = runner.load_task(TASKS / MULTI)
    rec = runner.run_unit(task, "compiled", 0, model, compiler=compiler, target="smollm2+bare",
                          work_root=tmp_path / "w")
    assert len(model.calls) == runner.PICK_TURNS  # one answer and one retry, then stop
    assert "does not match the schema" in model.calls[1].messages[-1]["content"]
    assert compiler.asked == [] and rec["picked_skill"] is None
    assert rec["status"] == "fail" and rec["error"].startswith("no skill picked")
    assert rec["model_calls"] == runner.PICK_TURNS


def test_container_paths_of_an_instruction_reach_the_workdir(tmp_path):
    """weblog-summary names /root/logs/access.log and /root/summary.json: a model that uses
    those paths (read action, then code run in the sandbox) passes."""
    from skvmc.vm import sandbox as sb
    if sb.unavailable(sb.DEFAULT_BWRAP):
        pytest.skip(sb.unavailable(sb.DEFAULT_BWRAP))
    code = ("import json, subprocess, sys\n"
            "r = subprocess.run([sys.executable, '/root/scripts/logstats.py', "
            "'/root/logs/access.log'], capture_output=True, text=True, check=True)\n"
            "open('/root/summary.json', 'w').write(r.stdout)\n")
    script = [json.dumps({"action": "read", "path": "/root/logs/access.log"}),
              json.dumps({"action": "exec", "language": "python", "code": code}),
              json.dumps({"action": "answer", "answer": "done"})]
    model = ScriptedModel(script)
    task = runner.load_task(TASKS / "weblog-summary")
    rec = runner.run_unit(task, "original", 0, model, compiler=None, target="t",
                          work_root=tmp_path)
    assert model.calls[1].messages[-1]["content"].startswith("203.0.113.")  # the log's head
    assert rec["status"] == "pass", rec
