"""bind-harness: snapshots per fixture and harness, tool names, other-product marking, corpus."""

from pathlib import Path

import pytest

from skvmc.diagnostics import DiagnosticEngine
from skvmc.passes.bind_harness import other_product, rewrite_tool_names, title_product
from skvmc.passmanager import PassContext, PassManager, parse_pipeline
from skvmc.printer import print_module
from tests.conftest import REPO, corpus_params, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "harness"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())
HARNESSES = ("openhands", "claude-code", "goose", "aider")


def run(module, harness="openhands"):
    return run_passes(module, f"bind-harness{{harness={harness}}}")


def step(module, number):
    return next(op for op in module.walk() if op.name == "skill.step"
                and op.attr("number") == number)


@pytest.mark.parametrize("harness", HARNESSES)
@pytest.mark.parametrize("case", CASES)
def test_snapshot(case, harness, snapshot_skir):
    out, _ = run(parse_fixture(FIXTURES / case), harness)
    assert print_module(out) == snapshot_skir


@pytest.mark.parametrize("harness, exec_tool, read_tool", [
    ("openhands", "execute_bash", "str_replace_editor"), ("claude-code", "Bash", "Read"),
    ("goose", "developer__shell", "developer__text_editor"),
])
def test_tool_bindings(harness, exec_tool, read_tool):
    out, ctx = run(parse_fixture(FIXTURES / "products"), harness)
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
    out, _ = run(parse_fixture(FIXTURES / "products"), "aider")
    code = next(op for op in out.walk() if op.name == "skill.code")
    assert "tools" not in code.attributes
    assert code.attr("fallback")["exec"] == "describe the command for the user to run"
    tools = next(op for op in out.body if op.name == "prompt.tools")
    assert dict(tools.attr("bindings")) == {}


def test_missing_tool_falls_back_to_shell():
    out, _ = run(parse_fixture(FIXTURES / "products"), "openhands")
    tools = next(op for op in out.body if op.name == "prompt.tools")
    assert "curl" in tools.attr("fallback")["fetch"]


def test_other_products_marked():
    out, ctx = run(parse_fixture(FIXTURES / "products"), "openhands")
    assert step(out, 2).attr("drop") == "other-product: Claude.ai"
    assert step(out, 3).attr("drop") == "other-product: Claude Code"
    assert step(out, 4).attr("drop") == "other-product: Cursor"
    assert "drop" not in step(out, 5).attributes  # the condition names this harness
    assert "drop" not in step(out, 6).attributes
    texts = {op.attr("text"): op for op in out.walk() if op.name == "skill.text"}
    assert texts["In Claude.ai, there is no filesystem, so paste the result instead."].attr(
        "drop") == "other-product: Claude.ai"
    assert not any("drop" in op.attributes for t, op in texts.items() if "in passing" in t)
    wrapped = [op for op in out.walk() if op.name == "prompt.drop"]
    assert [w.attr("drop") for w in wrapped] == ["other-product: Claude.ai"]
    assert wrapped[0].body[0].attr("title") == "Claude.ai-specific instructions"
    assert len(ctx.report["bind-harness"]["dropped"]) == 5


def test_matching_harness_not_marked():
    out, _ = run(parse_fixture(FIXTURES / "products"), "claude-code")
    assert "drop" not in step(out, 3).attributes
    assert step(out, 2).attr("drop") == "other-product: Claude.ai"
    out, _ = run(parse_fixture(FIXTURES / "products"), "goose")
    assert "drop" not in step(out, 5).attributes


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


def test_tool_names_rewritten():
    out, ctx = run(parse_fixture(FIXTURES / "tool-names"), "openhands")
    assert step(out, 1).attr("text") == "Use the execute_bash tool to run `make test`."
    assert step(out, 2).attr("text") == ("Open the file with the `str_replace_editor` tool, "
                                         "then change it with `str_replace_editor`.")
    assert "`bash` command" in step(out, 5).attr("text")  # not a tool mention
    assert "`WebFetch`" in step(out, 4).attr("text")  # openhands has no fetch tool
    out, _ = run(parse_fixture(FIXTURES / "tool-names"), "claude-code")
    assert step(out, 3).attr("text") == "Run the script through `Bash` when available."
    assert step(out, 1).attr("text") == "Use the Bash tool to run `make test`."


def test_rewrite_needs_tool_word_for_generic_names():
    mapping = {"bash": "execute_bash", "Bash": "execute_bash"}
    assert rewrite_tool_names("use the bash tool", mapping) == "use the execute_bash tool"
    assert rewrite_tool_names("a bash script", mapping) == "a bash script"


def test_idempotent_and_example():
    module = parse_fixture(REPO / "examples" / "log-triage")
    out, _ = run(module, "openhands")
    again, _ = run(out, "openhands")
    assert again == out
    assert any(op.attr("drop") == "other-product: Claude.ai" for op in out.walk())


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
    assert "Bash tool" not in print_module(out)
