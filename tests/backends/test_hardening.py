"""Artifacts that cannot be turned against their writer or reader: output confinement, safe
bundle copying, deterministic reports, escaped DOT/Mermaid labels, stale temp folders."""

from __future__ import annotations

import json
import os
import random

import networkx as nx
import pytest

from skvmc import cli
from skvmc.backends import dag
from skvmc.diagnostics import DiagnosticEngine
from skvmc.fsutil import TMP_PREFIX, AtomicDir, remove_stale_temp_dirs
from skvmc.passes.analysis import dataflow

TARGET = "--target=qwen-7b+openhands"


def _skill(folder, name="case", body="1. Run `scripts/ok.py`.\n", extra=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: x\n{extra}---\n\n{body}")
    return folder


def _run(args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# -- output confinement -------------------------------------------------------------------

@pytest.mark.parametrize("harness", ["openhands", "claude-code", "aider", "hermes", "openclaw"])
def test_name_cannot_leave_the_output_folder(tmp_path, capsys, harness):
    skill = _skill(tmp_path / "case", name="../../../../" + str(tmp_path / "escaped"))
    code, _, err = _run([skill, f"--target=qwen-7b+{harness}", "-o", tmp_path / "out"], capsys)
    assert code == 1 and "case/SKILL.md:2:1: error: name" in err.replace(str(tmp_path) + "/", "")
    assert not (tmp_path / "out").exists()
    assert not any("escaped" in p for p in _files(tmp_path))


def test_nul_in_name_is_an_error_not_a_traceback(tmp_path, capsys):
    skill = _skill(tmp_path / "case", name='"x\\u0000y"')
    code, _, err = _run([skill, TARGET, "-o", tmp_path / "out"], capsys)
    assert code == 1 and "control character" in err and not (tmp_path / "out").exists()


def test_backend_path_leaving_output_is_a_located_error(tmp_path, capsys, monkeypatch):
    # As if a harness descriptor's skills folder pointed outside: the writer still refuses.
    from skvmc.backends import prompt

    monkeypatch.setattr(prompt, "skill_root", lambda harness, name: f"../../escaped/{name}")
    skill = _skill(tmp_path / "case")
    code, _, err = _run([skill, TARGET, "-o", tmp_path / "o" / "out"], capsys)
    assert code == 1 and "leaves the output folder" in err and "SKILL.md:1:1: error:" in err
    assert not (tmp_path / "o" / "out").exists()
    assert not any("escaped" in p for p in _files(tmp_path))


def test_write_tree_refuses_paths_outside(tmp_path):
    from skvmc.driver import write_tree

    for rel in ("../x", "/abs", "a/../../x", "a\x00b", "", "a//b", "./a"):
        diags = DiagnosticEngine()
        assert not write_tree(str(tmp_path / "out"), {"ok.txt": b"1", rel: b"2"}, diags)
        assert diags.has_errors and not (tmp_path / "out").exists(), rel
    diags = DiagnosticEngine()
    assert not write_tree(str(tmp_path / "out"), {"a": b"1", "a/b": b"2"}, diags)
    assert "both a file and a folder" in diags.render_all()
    assert write_tree(str(tmp_path / "out"), {"a/b": b"2"}, DiagnosticEngine())
    assert (tmp_path / "out" / "a" / "b").read_bytes() == b"2"


def test_output_folder_may_not_hold_the_skill(tmp_path, capsys, monkeypatch):
    skill = _skill(tmp_path / "case")
    code, _, err = _run([skill, TARGET, "-o", tmp_path], capsys)
    assert code == 1 and "holds the skill" in err and (skill / "SKILL.md").exists()
    monkeypatch.chdir(skill)
    code, _, err = _run([skill, TARGET, "-o", "."], capsys)
    assert code == 1 and (skill / "SKILL.md").exists()


# -- bundle copying -------------------------------------------------------------------------

def test_bundle_links_and_special_files_are_skipped(tmp_path, capsys):
    skill = _skill(tmp_path / "case")
    (skill / "scripts").mkdir()
    (skill / "scripts" / "ok.py").write_text("print(1)\n")
    (skill / "scripts" / "passwd").symlink_to("/etc/passwd")
    (skill / "scripts" / "zero").symlink_to("/dev/zero")
    (skill / "scripts" / "inner").symlink_to("ok.py")
    (skill / "scripts" / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(skill / "scripts" / "fifo")
    (skill / "big.bin").write_bytes(b"x" * 3000)
    out = tmp_path / "out"
    code, _, err = _run([skill, TARGET, "-o", out, "--max-bundle-file-size", "2K"], capsys)
    assert code == 0
    copied = out / ".agents" / "skills" / "case"
    assert (copied / "scripts" / "ok.py").read_text() == "print(1)\n"
    assert (copied / "scripts" / "inner").read_text() == "print(1)\n"  # link inside: content
    for name in ("scripts/passwd", "scripts/zero", "scripts/fifo", "scripts/dangling", "big.bin"):
        assert not (copied / name).exists(), name
        assert f"case/{name}: warning: bundle file not copied" in err.replace(
            str(tmp_path) + "/", ""), name
    assert "outside the skill folder" in err and "FIFO" in err and "per-file limit" in err


def test_bundle_total_limit(tmp_path, capsys):
    skill = _skill(tmp_path / "case")
    for i in range(4):
        (skill / f"f{i}.txt").write_bytes(b"y" * 1000)
    code, _, err = _run([skill, TARGET, "-o", tmp_path / "out", "--max-bundle-size", "2500"],
                        capsys)
    copied = tmp_path / "out" / ".agents" / "skills" / "case"
    assert code == 0 and len(list(copied.glob("f*.txt"))) == 2
    assert err.count("would exceed 2500 bytes in total") == 2


def test_bundle_warnings_once_for_many_targets(tmp_path, capsys):
    skill = _skill(tmp_path / "case")
    (skill / "leak").symlink_to("/etc/passwd")
    code, _, err = _run([skill, "--target=qwen-7b+openhands,qwen-7b+claude-code,smollm2+aider",
                         "-o", tmp_path / "out"], capsys)
    assert code == 0 and err.count("bundle file not copied") == 1


def test_bad_size_flag_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([str(_skill(tmp_path / "case")), TARGET, "--max-bundle-size", "lots"])
    assert exc.value.code == 2 and "positive size" in capsys.readouterr().err


# -- deterministic artifacts ---------------------------------------------------------------------

def test_two_compiles_are_byte_identical(tmp_path, capsys):
    from conftest import REPO

    skill = REPO / "examples" / "log-triage"
    for out in ("a", "b"):
        assert _run([skill, TARGET, "-o", tmp_path / out], capsys)[0] == 0
    names = _files(tmp_path / "a")
    assert names == _files(tmp_path / "b") and "report.json" in names
    for rel in names:
        a, b = tmp_path / "a" / rel, tmp_path / "b" / rel
        if a.is_file():
            assert a.read_bytes() == b.read_bytes(), rel
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert "timings" not in report
    assert _run([skill, TARGET, "-o", tmp_path / "c", "--report-timings"], capsys)[0] == 0
    assert "passes" in json.loads((tmp_path / "c" / "report.json").read_text())["timings"]


def test_nan_frontmatter_compiles(tmp_path, capsys):
    skill = _skill(tmp_path / "case", extra="x: .nan\ny: -.inf\n")
    code, _, _ = _run([skill, TARGET, "-o", tmp_path / "out"], capsys)
    assert code == 0 and 'x = "nan"' in (tmp_path / "out" / "skill.skir").read_text()


# -- DOT / Mermaid labels -------------------------------------------------------------------

def test_dot_and_mermaid_labels_are_escaped(tmp_path, capsys):
    body = ("1. Use C:\\\\temp\\\\\n2. Show <img src=x onerror=alert(1)> & \"quotes\"\n")
    skill = _skill(tmp_path / "case", body=body)
    out = tmp_path / "out"
    assert _run([skill, TARGET, "-o", out], capsys)[0] == 0
    dot = (out / "dag.dot").read_text()
    for line in dot.splitlines()[1:-1]:
        if "label=" in line:
            label = line.split('label="', 1)[1].rsplit('"', 1)[0]
            # every backslash is escaped, and no unescaped quote ends the string early
            assert label.replace("\\\\", "").count("\\") == 0 and '"' not in label, line
    mmd = (out / "dag.mmd").read_text()
    assert "<img" not in mmd and "#lt;img" in mmd and "#amp;" in mmd


def test_label_helpers():
    assert dag.dot_label("ends in \\") == "ends in \\\\"
    assert dag.dot_label('say "hi"') == "say 'hi'"
    assert dag.mermaid_label("<b>&") == "#lt;b#gt;#amp;"


# -- dataflow graph: reduced construction equals the full graph's transitive reduction --------

def _full_graph(ops):
    """The old construction: every pairwise dependence, then networkx's reduction."""
    effs = [dataflow.effects(op) for op in ops]
    g = nx.DiGraph()
    g.add_nodes_from(range(len(ops)))
    for j in range(len(ops)):
        for i in range(j):
            reason = dataflow._reason(dataflow.is_schedulable(ops[i]),
                                      dataflow.is_schedulable(ops[j]), effs[i], effs[j])
            if reason:
                g.add_edge(i, j, reason=reason)
    return g


@pytest.mark.parametrize("seed", range(25))
def test_reduced_graph_matches_networkx(seed):
    from skvmc.dialects import skill
    from skvmc.ir import Value

    rnd = random.Random(seed)
    files = ["a.txt", "b.txt", "c.csv", "out/", "out/x.json", "*.log", "d.md"]
    texts = []
    for _ in range(rnd.randint(2, 30)):
        kind = rnd.random()
        if kind < 0.15:
            texts.append("Think about it.")
        elif kind < 0.25:
            texts.append(f"Then read `{rnd.choice(files)}`.")
        else:
            texts.append(f"Read `{rnd.choice(files)}` and write `{rnd.choice(files)}`.")
    ops = [skill.STEP.build(text=t, ordered=True, marker=f"{i + 1}.", number=i + 1,
                            results=[Value(str(i), skill.VALUE)]) for i, t in enumerate(texts)]
    full = _full_graph(ops)
    got = dataflow.build_graph(ops)
    want = nx.transitive_reduction(full)
    assert set(got.edges) == set(want.edges)
    for a, b in got.edges:
        assert got.edges[a, b]["reason"] == full.edges[a, b]["reason"]
    closure = nx.transitive_closure_dag(full)
    for j in range(len(ops)):
        for i in range(j):
            assert dataflow.precedes_any(got, 1 << i, j) == closure.has_edge(i, j)


def test_huge_region_is_kept_in_order(monkeypatch):
    from skvmc.dialects import skill
    from skvmc.ir import Value

    monkeypatch.setattr(dataflow, "MAX_GRAPH_NODES", 10)
    ops = [skill.STEP.build(text=f"Read `in{i}.txt` and write `out{i}.txt`.", ordered=False,
                            marker="-", results=[Value(str(i), skill.VALUE)]) for i in range(12)]
    g = dataflow.build_graph(ops)
    assert g.number_of_edges() == 11 and dataflow.precedes_any(g, 1, 11)


def test_pair_check_budget(monkeypatch):
    from skvmc.dialects import skill
    from skvmc.ir import Value

    monkeypatch.setattr(dataflow, "MAX_PAIR_CHECKS", 5)
    ops = [skill.STEP.build(text=f"Read `in/*{i}.txt` and write `out{i}.txt`.", ordered=False,
                            marker="-", results=[Value(str(i), skill.VALUE)]) for i in range(10)]
    g = dataflow.build_graph(ops)
    assert any(d["reason"] == "limit" for _, _, d in g.edges(data=True))
    assert dataflow.precedes_any(g, 1 << 8, 9)


# -- AtomicDir ------------------------------------------------------------------------------

def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_atomic_dir_removes_leftovers_of_killed_compiles(tmp_path):
    stale = tmp_path / f"{TMP_PREFIX}{_dead_pid()}-abc"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "f").write_text("partial")
    live = tmp_path / f"{TMP_PREFIX}{os.getppid()}-def"  # a running process: left alone
    live.mkdir()
    unrelated = tmp_path / ".skvmc-out-notapid"
    unrelated.mkdir()
    folder = AtomicDir(str(tmp_path / "out"))
    with folder:
        folder.write("a.txt", b"1")
    assert not stale.exists() and live.exists() and unrelated.exists()
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"1"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)] == [live.name] \
        or sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".skvmc-out-")) == sorted(
            [live.name, unrelated.name])
    assert remove_stale_temp_dirs(str(tmp_path)) == []


def test_atomic_dir_write_refuses_escape(tmp_path):
    from skvmc.fsutil import UnsafePath

    folder = AtomicDir(str(tmp_path / "out"))
    with pytest.raises(UnsafePath), folder:
        folder.write("../x", b"1")
    assert not (tmp_path / "out").exists() and not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]
