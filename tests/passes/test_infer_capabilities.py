"""infer-capabilities: snapshots per fixture and corpus skill, each evidence kind, --explain."""

from pathlib import Path

import pytest

from skvmc.passes.analysis import capability_rules as rules
from skvmc.printer import print_module
from tests.conftest import corpus_params, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "caps"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())


def run(module, pipeline="infer-capabilities", **options):
    return run_passes(module, pipeline, **options)


def facts(module):
    """(first words of the op's text or lang, requires as {primitive: level}) per annotated op."""
    out = []
    for op in module.walk():
        if "requires" in op.attributes or "actions" in op.attributes:
            label = op.attr("text", "") or op.attr("lang", "")
            out.append((op, {r["primitive"]: r["level"] for r in op.attr("requires", ())}, label))
    return out


def reqs_of(module, startswith):
    for op, reqs, label in facts(module):
        if label.startswith(startswith):
            return op, reqs
    raise AssertionError(f"no annotated op starting with {startswith!r}")


@pytest.mark.parametrize("case", CASES)
def test_fixture_snapshot(case, snapshot_skir):
    out, ctx = run(parse_fixture(FIXTURES / case))
    assert ctx.report["infer-capabilities"]["requirements"] > 0
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("skill", corpus_params())
def test_corpus_snapshot(skill, snapshot_skir):
    out, ctx = run(parse_corpus(skill))
    assert "infer-capabilities" in ctx.report
    assert print_module(out) == snapshot_skir


def test_deterministic():
    module = parse_fixture(FIXTURES / "mixed-evidence")
    a, ctx_a = run(module)
    b, ctx_b = run(module)
    assert a == b and print_module(a) == print_module(b)
    assert ctx_a.report == ctx_b.report


def test_idempotent():
    once, _ = run(parse_fixture(FIXTURES / "structured-output"))
    twice, _ = run(once)
    assert twice == once


# -- evidence kinds -----------------------------------------------------------------------------


def test_python_imports_third_party_vs_stdlib():
    out, _ = run(parse_fixture(FIXTURES / "third-party-python"))
    levels = [reqs["gen.code.python"] for op, reqs, _ in facts(out) if op.name == "skill.code"]
    assert levels == [3, 3, 3, 3, 2, 1]
    ev = next(r["evidence"] for op, _, _ in facts(out) if op.name == "skill.code"
          for r in op.attr("requires") if r["primitive"] == "gen.code.python")
    assert "imports pandas (third-party)" in ev[0]


def test_python_file_io_from_ast():
    found = rules.python_code("import json\ndata = json.load(open('in.json'))\n"
                              "open('out.json', 'w').write('x')\n")
    assert [f.target for f in found if f.kind == "read"] == ["in.json"]
    assert [f.target for f in found if f.kind == "write"] == ["out.json"]


def test_shell_levels_and_redirect_writes():
    out, _ = run(parse_fixture(FIXTURES / "shell-pipeline"))
    codes = [(op, reqs) for op, reqs, _ in facts(out) if op.name == "skill.code"]
    assert [reqs.get("gen.code.shell") for _, reqs in codes] == [3, 2, 3, None]
    assert codes[0][0].attr("writes") == ("top_status.txt",)
    # running a given script is tool use: exec, and python L1, not shell generation
    assert codes[3][1] == {"gen.code.python": 1, "tool.exec": 1}
    assert rules.shell_code("ls")[-1].primitive == "tool.exec"
    assert [f.level for f in rules.shell_code("ls -la") if f.primitive == "gen.code.shell"] == [1]


def test_arithmetic_levels():
    # the ops: tests/filecheck/infer-capabilities/arithmetic-level.skir
    assert rules.arithmetic("Calculate the average of the three values.")[0].level == 2
    assert rules.arithmetic("Count the files.") == []  # counting alone is not arithmetic
    assert rules.arithmetic("Compute the total. Round to 2 decimals.")[0].level == 2


def test_structured_output_from_text_and_example():
    out, _ = run(parse_fixture(FIXTURES / "structured-output"))
    op, reqs = reqs_of(out, "Write `inventory.json`")
    assert reqs["gen.text.structured"] == 2 and reqs["follow.format"] == 2
    assert any("nesting depth 3" in e for r in op.attr("requires") for e in r["evidence"])
    assert op.attr("writes") == ("inventory.json",)
    assert reqs_of(out, "Output the result as JSON")[1]["gen.text.structured"] == 1


def test_planning_from_ordered_steps_and_branches():
    out, _ = run(parse_fixture(FIXTURES / "long-procedure"))
    op, reqs = reqs_of(out, "Read `CHANGELOG.md`")
    assert reqs["reason.planning"] == 3 and reqs["follow.procedure"] == 2
    assert "7 ordered steps, 1 conditional" in op.attr("requires")[0]["evidence"][0]
    assert reqs_of(out, "If there are breaking")[1] == {"reason.logic": 1}
    # a run of two steps is no procedure
    assert "reason.planning" not in reqs_of(out, "Open `notes.txt`")[1]
    assert [f.level for f in rules.procedure(["a", "b", "c", "d", "e", "f", "g"])] == [2, 2]
    assert [f.level for f in rules.procedure(["a", "repeat b", "verify c"])] == [1, 3]


def test_reads_writes_edits_and_actions():
    # reads, batches and fetches on ops: tests/filecheck/infer-capabilities/{read-file,
    # tool-batch,fetch-url}.skir
    edit = rules.prose_files("Update `pyproject.toml` with the new version.")
    assert [f.action for f in edit if f.kind == "action"] == ["edit"]
    assert [f.target for f in edit if f.kind in ("read", "write")] == ["pyproject.toml"] * 2


def test_mixed_evidence_kinds():
    out, _ = run(parse_fixture(FIXTURES / "mixed-evidence"))
    assert reqs_of(out, "Write a regex")[1] == {"gen.regex": 3}
    assert reqs_of(out, "Navigate")[1] == {"tool.browser": 2}
    assert reqs_of(out, "Write a report")[1] == {"gen.text.long": 3, "gen.text.prose": 2}
    assert reqs_of(out, "You MUST")[1] == {"follow.constraint": 2}
    op, reqs = reqs_of(out, "Run `python")
    assert reqs == {"tool.exec": 1}
    assert [a["target"] for a in op.attr("actions")] == ["python tools/build.py --fast", "npm test"]
    codes = {op.attr("lang"): reqs for op, reqs, _ in facts(out) if op.name == "skill.code"}
    assert codes["sql"] == {"gen.code.sql": 2}
    assert codes["javascript"]["gen.code.javascript"] == 3
    assert codes["html"] == {"gen.code.html": 2}
    assert codes["bash"]["gen.code.shell"] == 2
    # an explaining paragraph gets no facts
    assert not any(label.startswith("This paragraph") for _, _, label in facts(out))


def test_code_kinds_unit():
    assert rules.sql_code("WITH x AS (SELECT 1) SELECT * FROM x")[0].level == 3
    assert rules.sql_code("SELECT a FROM t WHERE b = 1")[0].level == 1
    assert rules.javascript_code("const fs = require('fs');")[0].action == "exec"
    assert rules.javascript_code("const fs = require('fs');")[1].level == 2
    assert rules.html_code("<h1>x</h1>")[0].level == 1
    assert rules.regex_text("a regex for digits")[0].level == 1
    assert rules.regex_text("a regex with a capture group")[0].level == 2
    assert rules.web_and_browser("Log in to the portal in the browser")[-1].level == 3


def test_requirements_in_catalogue_order():
    from skvmc.targets import primitive_ids

    out, _ = run(parse_fixture(FIXTURES / "tool-batch"))
    order = list(primitive_ids())
    for op, _, _ in facts(out):
        ids = [r["primitive"] for r in op.attr("requires", ())]
        assert ids == sorted(ids, key=order.index)


def test_explain_table(capsys):
    run(parse_fixture(FIXTURES / "arithmetic"), explain=True)
    err = capsys.readouterr().err
    assert err.splitlines()[0].split() == ["location", "primitive", "level", "evidence"]
    assert "SKILL.md:9" in err and "reason.arithmetic" in err and "L3" in err
    assert "'compound'" in err


def test_no_explain_by_default(capsys):
    run(parse_fixture(FIXTURES / "arithmetic"))
    assert capsys.readouterr().err == ""


def test_report_counts():
    _, ctx = run(parse_fixture(FIXTURES / "tool-batch"))
    report = ctx.report["infer-capabilities"]
    assert report["ops"] == 3
    assert report["by_primitive"]["tool.file.write"] == 2
    assert report["reads"] == ["feb.csv", "jan.csv", "mar.csv"]
    assert report["writes"] == ["rates.json", "report.md"]
