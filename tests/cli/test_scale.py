"""Compiling at scale: -j N, --cache-dir, compile-corpus (local and ray), analyze."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from skvmc.cli import main

EXAMPLES = REPO / "examples"
SKILLS = sorted(str(p) for p in EXAMPLES.iterdir() if (p / "SKILL.md").exists()) + sorted(
    str(p) for p in (REPO / "tests" / "fixtures" / "skills").iterdir()
    if (p / "SKILL.md").exists())
TARGETS = "qwen-7b+openhands,smollm2+claude-code,qwen-7b+aider"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root; report.json without its timings (wall-clock measurements)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "report.json":
                rep = json.loads(data)
                rep.pop("timings", None)  # only with --report-timings
                data = json.dumps(rep, sort_keys=True).encode()
            out[str(path.relative_to(root))] = data
    return out


def bad_skill(root: Path) -> Path:
    skill = root / "broken"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: broken\n---\n\n# Broken\n\n1. Do it.\n")
    return skill


# -- -j N ------------------------------------------------------------------------------------

def test_jobs_output_and_diagnostics_identical_to_one_job(tmp_path, capsys):
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        assert main([*SKILLS, f"--target={TARGETS}", "-o", str(out), "-j", str(jobs)]) == 0
        outs[jobs] = (tree(out), capsys.readouterr().err)
    assert outs[1][0] == outs[2][0]
    assert outs[1][1] == outs[2][1]  # diagnostics in input order, whatever finished first
    assert "warning" in outs[1][1]


def test_jobs_error_keeps_input_order_and_exit_1(tmp_path, capsys):
    bad = bad_skill(tmp_path)
    errs = []
    for jobs in (1, 2):
        code = main([SKILLS[0], str(bad), SKILLS[1], "--target=qwen-7b+openhands", "-o",
                     str(tmp_path / "out"), "-j", str(jobs)])
        assert code == 1
        errs.append(capsys.readouterr().err)
    assert errs[0] == errs[1]
    assert f"{bad}/SKILL.md:1:1: error: frontmatter is missing required key" in errs[0]
    first, last = (f"{Path(s).name}/SKILL.md:" for s in SKILLS[:2])
    assert errs[0].index(first) < errs[0].index(str(bad)) < errs[0].index(last)
    assert not (tmp_path / "out").exists()  # nothing written on failure


def test_missing_skill_with_targets_is_a_usage_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--target=qwen-7b+openhands", "-j", "2"]) == 2
    assert "skvmc: error: no such file or directory" in capsys.readouterr().err


def test_bad_jobs_is_a_usage_error(capsys):
    assert main([SKILLS[0], "--target=qwen-7b+openhands", "-j", "0"]) == 2
    assert "-j needs a number >= 1" in capsys.readouterr().err


# -- --cache-dir -----------------------------------------------------------------------------

def test_cache_warm_run_is_identical_and_does_not_parse(tmp_path, capsys, monkeypatch):
    cache = tmp_path / "cache"
    cold = tmp_path / "cold"
    assert main([*SKILLS[:3], f"--target={TARGETS}", "-o", str(cold),
                 "--cache-dir", str(cache)]) == 0
    cold_err = capsys.readouterr().err
    entries = list(cache.rglob("*.entry"))
    assert len(entries) == 3 * 3

    import skvmc.frontend

    def no_parse(*a, **k):
        raise AssertionError("a warm cache must not parse")

    monkeypatch.setattr(skvmc.frontend, "parse_skill", no_parse)
    warm = tmp_path / "warm"
    assert main([*SKILLS[:3], f"--target={TARGETS}", "-o", str(warm),
                 "--cache-dir", str(cache)]) == 0
    assert capsys.readouterr().err == cold_err
    assert [p.read_bytes() for p in sorted(cold.rglob("*")) if p.is_file()] == \
        [p.read_bytes() for p in sorted(warm.rglob("*")) if p.is_file()]


def test_cache_key_follows_skill_bytes_bundle_and_options(tmp_path, capsys):
    from skvmc import cache

    skill = tmp_path / "skill"
    shutil.copytree(EXAMPLES / "csv-summary", skill)
    base = cache.skill_digest(str(skill))
    (skill / "scripts" / "extra.txt").write_text("x")  # a bundle file counts
    bundled = cache.skill_digest(str(skill))
    assert bundled != base
    k1 = cache.key(bundled, "canonicalize", "qwen-7b+openhands", None)
    assert k1 != cache.key(bundled, "canonicalize", "qwen-7b+aider", None)
    assert k1 != cache.key(bundled, "canonicalize,dead-step-elim", "qwen-7b+openhands", None)

    store = tmp_path / "c"
    args = [str(skill), "--target=qwen-7b+openhands", "--emit=prompt", "--cache-dir", str(store)]
    assert main(args) == 0
    first = capsys.readouterr().out
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nOne more line.\n")
    assert main(args) == 0
    assert capsys.readouterr().out != first  # an edit is a miss, not a stale hit
    assert len(list(store.rglob("*.entry"))) == 2


def test_cache_dir_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    not_dir = tmp_path / "file"
    not_dir.write_text("x")
    assert main([SKILLS[0], "--target=qwen-7b+openhands", "--cache-dir", str(not_dir)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["compile-corpus", str(EXAMPLES), "--target=qwen-7b+openhands", "-o",
                 str(tmp_path / "o"), "--cache-dir", str(not_dir)]) == 2


def test_unwritable_cache_still_compiles(tmp_path, capsys, monkeypatch):
    import skvmc.cache

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(skvmc.cache, "atomic_write_bytes", full)
    assert main([SKILLS[0], "--target=qwen-7b+openhands", "--emit=env",
                 "--cache-dir", str(tmp_path / "c")]) == 0
    assert "set -euo pipefail" in capsys.readouterr().out


def test_cache_torn_entry_is_a_miss(tmp_path, capsys):
    store = tmp_path / "c"
    args = [SKILLS[0], "--target=qwen-7b+openhands", "--emit=env", "--cache-dir", str(store)]
    assert main(args) == 0
    want = capsys.readouterr().out
    (entry,) = store.rglob("*.entry")
    entry.write_bytes(entry.read_bytes()[:-5])
    assert main(args) == 0
    assert capsys.readouterr().out == want
    assert not list(store.rglob(".skvmc-*"))  # atomic writes leave no temporary files


# -- compile-corpus --------------------------------------------------------------------------

def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for src in SKILLS[:4]:
        group = "examples" if "examples" in src else "fixtures"
        shutil.copytree(src, root / group / Path(src).name)
    return root


def _entries(out: Path) -> list[tuple]:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return sorted((r["key"], r["status"], r["errors"], r["warnings"], r["artifacts"],
                   tuple(r["files"])) for r in rows)


def test_compile_corpus_local_and_ray_agree(tmp_path, capsys):
    pytest.importorskip("ray", reason="ray is not installed (optional extra: skvmc[ray])")
    import ray

    root = corpus(tmp_path)
    results = {}
    for executor in ("local", "ray"):
        out = tmp_path / executor
        assert main(["compile-corpus", str(root), "--target", "qwen-7b+openhands,smollm2+bare",
                     "-o", str(out), "--executor", executor, "-j", "2"]) == 0
        results[executor] = (_entries(out), tree(out / "artifacts"),
                             (out / "results.json").read_text())
    ray.shutdown()
    assert results["local"][0] == results["ray"][0]
    assert len(results["local"][0]) == 4 * 2
    assert results["local"][1] == results["ray"][1]
    assert "\x1b" not in capsys.readouterr().err and "[#" not in capsys.readouterr().err


def test_compile_corpus_resumes_after_interruption(tmp_path, capsys):
    root = corpus(tmp_path)
    out = tmp_path / "out"
    args = ["compile-corpus", str(root), "--target", "qwen-7b+openhands", "-o", str(out)]
    assert main(args) == 0
    lines = (out / "results.jsonl").read_text().splitlines()
    # an interrupted run: two entries done, the third torn mid-line
    (out / "results.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])
    capsys.readouterr()
    assert main(args) == 0
    assert "2 resumed" in capsys.readouterr().err
    again = [json.loads(x)["key"] for x in (out / "results.jsonl").read_text().splitlines()
             if x.startswith("{") and x.endswith("}")]
    assert sorted(again) == sorted(json.loads(x)["key"] for x in lines)
    assert len(again) == len(lines)


def test_compile_corpus_records_failures_and_exits_1(tmp_path, capsys):
    root = corpus(tmp_path)
    bad_skill(root / "bad")
    out = tmp_path / "out"
    assert main(["compile-corpus", str(root), "--target", "qwen-7b+openhands", "-o",
                 str(out)]) == 1
    rows = {json.loads(x)["skill"]: json.loads(x)
            for x in (out / "results.jsonl").read_text().splitlines()}
    bad = rows["bad/broken"]
    assert bad["status"] == "error" and "SKILL.md:" in bad["diagnostics"]
    assert ": error:" in bad["diagnostics"]


@pytest.mark.parametrize("args,message", [
    (["compile-corpus", "/no/such/dir", "--target", "qwen-7b+openhands", "-o", "x"],
     "no such folder"),
    (["compile-corpus", str(EXAMPLES), "--target", "nope+openhands", "-o", "x"],
     "unknown model"),
    (["compile-corpus", str(REPO / "docs"), "--target", "qwen-7b+openhands", "-o", "x"],
     "no SKILL.md"),
])
def test_compile_corpus_usage_errors(args, message, capsys, tmp_path):
    args = [a if a != "x" else str(tmp_path / "x") for a in args]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_compile_corpus_missing_target_is_argparse_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compile-corpus", str(EXAMPLES), "-o", "x"])
    assert info.value.code == 2


def test_progress_bar_only_on_a_terminal(tmp_path):
    import io

    from skvmc.corpus import Progress

    plain = io.StringIO()
    p = Progress(3, plain)
    p.step("a")
    p.close()
    assert plain.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    p = Progress(2, tty)
    p.step("a")
    assert "[###############...............] 1/2" in tty.getvalue()


# -- analyze ---------------------------------------------------------------------------------

def test_analyze_writes_json_markdown_charts_and_redraws_from_json(tmp_path, capsys):
    root = corpus(tmp_path)
    out = tmp_path / "an"
    assert main(["analyze", str(root), "-o", str(out)]) == 0
    data = json.loads((out / "analysis.json").read_text())
    assert data["analyzed"] == 4 and len(data["needs"]) == 26
    assert len(data["coverage"]) == 26
    assert sum(v["skills"] for v in data["kinds"].values()) == 4
    for name in ("analysis.md", "primitives.png", "levels.png", "coverage.png", "kinds.png",
                 "structure.png", "gaps.png"):
        assert (out / name).is_file(), name
    assert (out / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tmp_path / "again"
    assert main(["analyze", "--from-json", str(out / "analysis.json"), "-o", str(again)]) == 0
    for name in ("analysis.md", "coverage.png", "gaps.png", "levels.png"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_analyze_definitions_on_small_modules():
    from skvmc.analyze import kind_of, structure
    from skvmc.compile import CompileOptions, parse, prepare, split_at_target, target_passes
    from skvmc.diagnostics import DiagnosticEngine

    diags = DiagnosticEngine()
    prefix, _ = split_at_target(target_passes("qwen-7b+openhands", CompileOptions()))
    module = prepare(parse(str(EXAMPLES / "log-triage"), diags), prefix, CompileOptions(),
                     diags).module
    feats = structure(module)
    assert feats["code_blocks"] >= 1
    assert kind_of({**feats, "codegen_ops": 0, "procedure_steps": 5}) == "procedural"
    assert kind_of({**feats, "codegen_ops": 3, "procedure_steps": 3}) == "generative"
    assert kind_of({**feats, "codegen_ops": 0, "procedure_steps": 0}) == "tool-reference"


def test_analyze_coverage_definition():
    from skvmc.analyze import aggregate

    recs = [{"skill": "a", "requires": {"p1": 1}, "kind": "procedural", "workflow": True,
             "embedded_code": False, "gaps": {"p1": 1}, "over_profile": ["p1"]},
            {"skill": "b", "requires": {"p1": 2, "p2": 1}, "kind": "generative",
             "workflow": False, "embedded_code": True, "gaps": {}, "over_profile": []},
            {"skill": "c", "requires": {}, "kind": "tool-reference", "workflow": False,
             "embedded_code": False, "gaps": {}, "over_profile": []}]
    data = aggregate(recs, "t", ["p1", "p2", "p3"])
    assert [c["covered"] for c in data["coverage"]] == [1, 2, 2]  # c needs nothing: uncovered
    assert data["needs"]["p1"]["levels"]["L2"]["skills"] == 1
    assert data["gaps"][0]["primitive"] == "p1" and data["gaps"][0]["skills_with_gap"] == 1


@pytest.mark.parametrize("args,code,message", [
    (["analyze"], 2, "give ROOT or --from-json"),
    (["analyze", "/no/such/dir"], 2, "no such folder"),
    (["analyze", str(EXAMPLES), "--target", "nope+openhands"], 2, "unknown model"),
    (["analyze", "--from-json", "/no/such.json"], 2, "No such file"),
])
def test_analyze_usage_errors(args, code, message, capsys, tmp_path):
    assert main([*args, "-o", str(tmp_path / "o")]) == code
    assert message in capsys.readouterr().err


def test_analyze_from_bad_json_is_an_error(tmp_path, capsys):
    bad = tmp_path / "a.json"
    bad.write_text("{}")
    assert main(["analyze", "--from-json", str(bad), "-o", str(tmp_path / "o")]) == 1
    assert f"{bad}: error: not an analysis.json" in capsys.readouterr().err


def test_analyze_reports_unparsable_skill_and_counts_it(tmp_path, capsys):
    root = tmp_path / "r"
    bad_skill(root)
    shutil.copytree(EXAMPLES / "csv-summary", root / "csv-summary")
    assert main(["analyze", str(root), "-o", str(tmp_path / "o")]) == 0
    data = json.loads((tmp_path / "o" / "analysis.json").read_text())
    assert data["failed"] == 1 and data["analyzed"] == 1
    assert "SKILL.md:" in capsys.readouterr().err


def test_compile_corpus_and_analyze_are_listed(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "compile-corpus" in out and "analyze" in out


def test_cache_dir_env_not_needed(tmp_path):
    assert os.environ.get("SKVMC_CACHE") is None  # the cache is opt-in, by flag only
