"""dead-step-elim: snapshots per fixture, each removal kind, each non-removal, corpus."""

from pathlib import Path

import pytest

from skvmc.irparse import parse_module
from skvmc.passes.dead_step_elim import normalize
from skvmc.printer import print_module
from tests.conftest import corpus_params, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "dse"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())
LOG_TRIAGE = Path(__file__).resolve().parents[2] / "examples" / "log-triage"


def run(module, pipeline="dead-step-elim"):
    return run_passes(module, pipeline)


def texts(module):
    return [op.attr("text") for op in module.walk() if op.attr("text") is not None]


@pytest.mark.parametrize("case", CASES)
def test_snapshot(case, snapshot_skir):
    after, _ = run(parse_fixture(FIXTURES / case))
    assert print_module(after) == snapshot_skir


@pytest.mark.parametrize("case", CASES)
def test_roundtrip_and_idempotent(case):
    once, _ = run(parse_fixture(FIXTURES / case))
    assert parse_module(print_module(once)) == once
    twice, ctx = run(once)
    assert twice == once
    assert ctx.report["dead-step-elim"]["removed"] == []


def test_duplicates_removed_first_kept():
    """Only exact duplicates (whitespace aside) in one list or paragraph run go."""
    after, ctx = run(parse_fixture(FIXTURES / "duplicates"))
    t = texts(after)
    assert t.count("Ignore `DEBUG` lines.") == 1
    assert "ignore  **DEBUG** lines" in t  # a near-duplicate is not provably the same
    assert t.count("Keep the diff small.") == 1
    # a duplicate with an effect (running the tests again) is kept
    assert t.count("Run `make test`.") == 2
    report = ctx.report["dead-step-elim"]
    assert [(r["line"], r["reason"]) for r in report["removed"]] == [
        (11, "exact duplicate of line 8 in the same list"),
        (21, "exact duplicate of line 19 in the same list")]
    assert report["tokens_saved"] == sum(r["tokens"] for r in report["removed"]) > 0
    assert ctx.diags.count("warning") == 0 and ctx.diags.count("note") == 2


def test_duplicate_in_another_list_or_section_is_kept(tmp_path):
    (tmp_path / "SKILL.md").write_text(
        "---\nname: x\ndescription: y\n---\n\n# A\n\n- Check the logs.\n- Write it.\n\n"
        "Then:\n\n- Check the logs.\n\n# B\n\n- Write it.\n")
    module = parse_fixture(tmp_path)
    after, ctx = run(module)
    assert after == module
    assert ctx.report["dead-step-elim"]["removed"] == []


def test_commentary_is_reported_not_removed():
    before = parse_fixture(FIXTURES / "commentary")
    after, ctx = run(before)
    assert after == before
    reported = [(r["line"], r["reason"]) for r in ctx.report["dead-step-elim"]["reported"]]
    assert (9, "pure commentary: kept") in reported and (11, "pure commentary: kept") in reported


def test_effects_and_outputs_kept():
    before = parse_fixture(FIXTURES / "effects-kept")
    after, ctx = run(before)
    assert after == before
    assert ctx.report["dead-step-elim"]["tokens_saved"] == 0


def test_drop_mark_removes_only_sections():
    """A ``drop`` on a section (bind-harness: another product's section) removes it; a drop
    mark on a single instruction is not enough (it may still apply) and is ignored."""
    before = parse_fixture(LOG_TRIAGE)
    from skvmc.ir import map_ops

    def mark(op):
        if op.attr("text", "").startswith("If you are in Claude.ai"):
            return op.with_attrs(drop="other-product: Claude.ai")
        return op

    after, ctx = run(map_ops(before, mark))
    assert any("Claude.ai" in (t or "") for t in texts(after))
    from skvmc.dialects import prompt

    section = next(op for op in before.walk() if op.name == "skill.section")
    wrapped = before.with_ops(tuple(
        prompt.DROP.build(drop="other-product: X", regions=[[op]], loc=op.loc)
        if op is section else op for op in before.body))
    after, ctx = run(wrapped)
    assert [r["reason"] for r in ctx.report["dead-step-elim"]["removed"]] == [
        "drop: other-product: X"]
    assert not any(op.name == "skill.section" and op.attr("title") == section.attr("title")
                   for op in after.walk())


def test_frontmatter_never_removed():
    before = parse_fixture(LOG_TRIAGE)
    fm = before.body[0].with_attrs(drop="other-product: x")
    marked = before.with_ops((fm,) + before.body[1:])
    after, ctx = run(marked)
    assert after.body[0].name == "skill.frontmatter"


def test_code_introduced_by_kept_step_is_kept():
    before = parse_fixture(FIXTURES / "effects-kept")
    from skvmc.ir import map_ops

    marked = map_ops(before, lambda op: op.with_attrs(drop="x") if op.name == "skill.code" else op)
    after, _ = run(marked)
    assert sum(op.name == "skill.code" for op in after.walk()) == 2


def test_normalize():
    assert normalize("  Ignore **DEBUG**  lines. ") == normalize("ignore `DEBUG` lines")


@pytest.mark.parametrize("skill_dir", corpus_params())
def test_corpus(skill_dir):
    before = parse_corpus(skill_dir)
    once, ctx = run(before, "dead-step-elim,canonicalize")
    assert parse_module(print_module(once)) == once
    assert run(once, "dead-step-elim,canonicalize")[0] == once
    assert once.body[0].name == "skill.frontmatter"
    # nothing with an effect is ever removed
    for r in ctx.report["dead-step-elim"]["removed"]:
        assert r["reason"].startswith(("duplicate", "pure commentary", "drop", "section empty"))
