"""The mechanisms that keep a large skill's compile small: shared attribute keys, one shared
verifier summary, memos skipped for the last compile, source lines found on demand."""

from __future__ import annotations

from skvmc import memo
from skvmc.diagnostics import DiagnosticEngine, SourceManager
from skvmc.dialects import skill
from skvmc.edits import _SPANS, source_spans
from skvmc.ir import Location, module
from skvmc.printer import _LEAVES, print_module
from skvmc.verifier import _CLEAN, _summary, verify


def test_ops_with_nothing_to_report_share_one_verifier_summary():
    m = module([skill.SECTION.build(level=1, title=f"H{i}") for i in range(3)])
    assert verify(m) == []
    assert all(_summary(op) is _CLEAN for op in m.walk())


def test_last_compile_stores_no_memo_kept_for_later_compiles():
    text = "## A\n\nsome text\n"
    m = module([skill.SECTION.build(level=2, title="A", loc=Location("SKILL.md", 1, 1),
                                    regions=[[skill.TEXT.build(
                                        text="some text", loc=Location("SKILL.md", 3, 1))]])])
    lines = text.splitlines(keepends=True)
    with memo.last_compile():
        assert not _LEAVES.stores and not _SPANS.stores
        printed = print_module(m)
        spans = source_spans(m, lines)
    leaf = m.body[0].body[0]
    assert _LEAVES.get(leaf) is None and _SPANS.get(m) is None
    assert print_module(m) == printed and source_spans(m, lines) == spans  # same results
    assert _LEAVES.get(leaf) is not None and _SPANS.get(m) is not None  # stored outside


def test_source_lines_are_found_on_demand_as_split_finds_them():
    text = "first\n\nthird line\n"
    sources = SourceManager()
    sources.add("SKILL.md", "x/SKILL.md", text)
    got = [sources.line("SKILL.md", n) for n in range(0, 6)]
    assert got == [None, *text.split("\n"), None]
    assert sources._text["SKILL.md"].starts.tolist() == [0, 6, 7, 18]  # no str per line
    missing = SourceManager()
    missing.add("gone.md", "/nonexistent/gone.md")
    assert missing.line("gone.md", 1) is None


def test_a_diagnostic_still_quotes_its_source_line():
    diags = DiagnosticEngine()
    diags.sources.add("SKILL.md", "s/SKILL.md", "a\nbad line\nc")
    diags.warning("odd", Location("SKILL.md", 2, 5))
    assert "bad line\n    ^" in diags.render(diags.diagnostics[0])


def test_a_unit_compiles_only_its_last_target_as_the_last_compile(monkeypatch):
    from skvmc import batch
    from skvmc import compile as api

    seen = []
    real = api.compile

    def spy(*args, **kwargs):
        seen.append(memo._LAST_COMPILE.get())
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "compile", spy)
    unit = batch.Unit(0, "examples/csv-summary", ("qwen-7b+openhands", "smollm2+claude-code"))
    result = batch.compile_unit(unit)
    assert result.ok and all(t.ok for t in result.targets)
    assert seen == [False, True] and memo._LAST_COMPILE.get() is False
