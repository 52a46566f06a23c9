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
    after, ctx = run(parse_fixture(FIXTURES / "duplicates"))
    t = texts(after)
    assert t.count("Ignore `DEBUG` lines.") == 1 and "ignore  **DEBUG** lines" not in t
    assert t.count("Keep the diff small.") == 1
    # a duplicate with an effect (running the tests again) is kept
    assert t.count("Run `make test`.") == 2
    report = ctx.report["dead-step-elim"]
    assert [r["reason"].split(" of")[0] for r in report["removed"]] == ["duplicate"] * 3
    assert report["tokens_saved"] == sum(r["tokens"] for r in report["removed"]) > 0
    assert ctx.diags.count("warning") == 0 and ctx.diags.count("note") == 3


def test_commentary_and_emptied_section():
    after, ctx = run(parse_fixture(FIXTURES / "commentary"))
    t = texts(after)
    assert "Good luck!" not in t and "Happy coding!" not in t and "Have fun!" not in t
    assert "Write `result.txt` with the answer." in t
    assert "Tell the user what you found. Good luck with the rest." in t  # has an output
    titles = [op.attr("title") for op in after.walk() if op.name == "skill.section"]
    assert "Closing" not in titles  # emptied by the removals
    assert "Empty on purpose" in titles  # empty in the source: kept
    assert after.body[0].name == "skill.frontmatter"


def test_effects_and_outputs_kept():
    before = parse_fixture(FIXTURES / "effects-kept")
    after, ctx = run(before)
    assert after == before
    assert ctx.report["dead-step-elim"]["tokens_saved"] == 0


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
