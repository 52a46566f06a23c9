"""bind-harness: snapshots per fixture and harness, tool names, other-product marking, corpus."""

from pathlib import Path

import pytest

from skvmc.diagnostics import DiagnosticEngine
from skvmc.passes.bind_harness import (
    addresses_others,
    foreign_tool_mentions,
    other_product,
    title_product,
)
from skvmc.passmanager import PassContext, PassManager, parse_pipeline
from skvmc.printer import print_module
from tests.conftest import REPO, corpus_params, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "harness"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())
HARNESSES = ("openhands", "claude-code", "goose", "aider")


def run(module, harness="openhands"):
    return run_passes(module, f"bind-harness{{harness={harness}}}")


def run_with_facts(module, harness="openhands"):
    """bind-harness after infer-capabilities, whose ``actions`` facts it binds."""
    return run_passes(module, f"infer-capabilities,bind-harness{{harness={harness}}}")


def step(module, number):
    return next(op for op in module.walk() if op.name == "skill.step"
                and op.attr("number") == number)


@pytest.mark.parametrize("harness", HARNESSES)
@pytest.mark.parametrize("case", CASES)
def test_snapshot(case, harness, snapshot_skir):
    out, _ = run(parse_fixture(FIXTURES / case), harness)
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("harness, exec_tool, read_tool", [
    ("openhands", "terminal", "file_editor"), ("claude-code", "Bash", "Read"),
    ("goose", "developer__shell", "developer__text_editor"),
])
def test_tool_bindings(harness, exec_tool, read_tool):
    out, ctx = run_with_facts(parse_fixture(FIXTURES / "products"), harness)
    tools = out.body[1] if out.body[1].name == "prompt.tools" else None
    tools = tools or next(op for op in out.body if op.name == "prompt.tools")
    assert tools.attr("harness") == harness
    assert tools.attr("bindings")["exec"] == exec_tool
    assert tools.attr("bindings")["read"] == read_tool
    code = next(op for op in out.walk() if op.name == "skill.code")
    assert dict(code.attr("tools")) == {"exec": exec_tool}
    assert dict(step(out, 1).attr("tools"))["read"] == read_tool
    assert ctx.report["bind-harness"]["bindings"] == dict(tools.attr("bindings"))


def test_aider_describes_commands():
    out, _ = run_with_facts(parse_fixture(FIXTURES / "products"), "aider")
    code = next(op for op in out.walk() if op.name == "skill.code")
    assert "tools" not in code.attributes
    assert code.attr("fallback")["exec"] == "describe the command for the user to run"
    tools = next(op for op in out.body if op.name == "prompt.tools")
    assert dict(tools.attr("bindings")) == {}


def test_missing_tool_falls_back_to_shell():
    out, _ = run_with_facts(parse_fixture(FIXTURES / "products"), "openhands")
    tools = next(op for op in out.body if op.name == "prompt.tools")
    assert "curl" in tools.attr("fallback")["fetch"]


def test_other_products_reported_not_dropped():
    """Instructions conditional on another product inside a shared section are facts for the
    report; only a section titled for another product (addressing nobody else) is dropped."""
    out, ctx = run(parse_fixture(FIXTURES / "products"), "openhands")
    assert step(out, 2).attr("other_product") == "Claude.ai"
    assert step(out, 3).attr("other_product") == "Claude Code"
    assert step(out, 4).attr("other_product") == "Cursor"
    assert "other_product" not in step(out, 5).attributes  # the condition names this harness
    assert "other_product" not in step(out, 6).attributes
    assert not any("drop" in op.attributes for op in out.walk())
    assert not [op for op in out.walk() if op.name == "prompt.drop"]  # reported, kept
    [seen] = ctx.report["bind-harness"]["dropped"]
    assert seen["reason"] == "other-product: Claude.ai" and seen["at"].endswith(":23")
    # opting in wraps the section for dead-step-elim
    out, _ = run_passes(parse_fixture(FIXTURES / "products"),
                        "bind-harness{harness=openhands remove-other-product=true}")
    wrapped = [op for op in out.walk() if op.name == "prompt.drop"]
    assert [w.attr("drop") for w in wrapped] == ["other-product: Claude.ai"]
    assert wrapped[0].body[0].attr("title") == "Claude.ai-specific instructions"


def test_matching_harness_not_marked():
    out, _ = run(parse_fixture(FIXTURES / "products"), "claude-code")
    assert "other_product" not in step(out, 3).attributes
    assert step(out, 2).attr("other_product") == "Claude.ai"
    out, _ = run(parse_fixture(FIXTURES / "products"), "goose")
    assert "other_product" not in step(out, 5).attributes


@pytest.mark.parametrize("text, product, general", [
    ("Skip the browser step. Present results inline.", "Claude.ai", False),
    ("Whether you're in Cowork or in Claude Code, always generate the viewer.", "Cowork", True),
    ("If you can't open a browser, skip the reviewer.", "Claude.ai", True),
    ("Codex runs in a sandbox. Check the CLI first.", "Codex", False),
])
def test_section_addressing_others_is_kept(text, product, general):
    assert addresses_others(text, product) is general


@pytest.mark.parametrize("text, harness, product", [
    ("If you are in Claude.ai, do X.", "openhands", "Claude.ai"),
    ("When using Cursor, do X.", "claude-code", "Cursor"),
    ("In Claude Code, run it.", "openhands", "Claude Code"),
    ("In Claude Code, run it.", "claude-code", None),
    ("Run it; this also works in Claude.ai.", "openhands", None),
    ("If the file is large, split it.", "openhands", None),
])
def test_other_product(text, harness, product):
    assert other_product(text, harness) == product


def test_title_product():
    assert title_product("Claude.ai-specific instructions", "openhands") == "Claude.ai"
    assert title_product("Using Claude Code", "claude-code") is None
    assert title_product("Notes", "openhands") is None


def test_tool_names_reported_never_rewritten():
    source = parse_fixture(FIXTURES / "tool-names")
    out, ctx = run(source, "openhands")
    texts = lambda m: [op.attr("text") for op in m.walk() if op.name == "skill.step"]  # noqa: E731
    assert texts(out) == texts(source)
    mentions = {m["at"].rsplit(":", 1)[1]: m["mentions"]
                for m in ctx.report["bind-harness"]["foreign_tools"]}
    # WebFetch (line 11) has no openhands counterpart, so it is not another harness's
    # name for one of this harness's tools
    assert mentions == {"8": ["Bash"], "9": ["Edit", "Read"]}


def test_mentions_need_tool_word_for_generic_names():
    mapping = {"bash": "execute_bash", "Bash": "execute_bash"}
    assert foreign_tool_mentions("use the bash tool", mapping) == ["bash"]
    assert foreign_tool_mentions("a bash script", mapping) == []


def test_idempotent_and_example():
    module = parse_fixture(REPO / "examples" / "log-triage")
    out, _ = run(module, "openhands")
    again, _ = run(out, "openhands")
    assert again == out
    assert any(op.attr("other_product") == "Claude.ai" for op in out.walk())


def test_unknown_harness_is_a_diagnostic():
    ctx = PassContext(diags=DiagnosticEngine())
    from skvmc.diagnostics import CompileError
    with pytest.raises(CompileError):
        PassManager(parse_pipeline("bind-harness{harness=nope}", ctx.diags)).run(
            parse_fixture(REPO / "examples" / "log-triage"), ctx)
    assert ctx.diags.has_errors


@pytest.mark.parametrize("skill", corpus_params())
def test_corpus(skill):
    out, ctx = run(parse_corpus(skill), "openhands")
    assert sum(op.name == "prompt.tools" for op in out.body) == 1
    assert ctx.report["bind-harness"]["harness"] == "openhands"
    texts = lambda m: [op.attr("text") for op in m.walk() if op.name == "skill.step"]  # noqa: E731
    assert texts(out) == texts(parse_corpus(skill))  # never a rewrite of the sentence
