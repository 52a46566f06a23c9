"""Property test: random Markdown-ish text never crashes the frontend. It yields IR (which
verifies and round-trips) or diagnostics, nothing else."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.frontend import parse_source
from skvmc.frontend.source import SkillSource, decode
from skvmc.irparse import parse_module
from skvmc.printer import print_module
from skvmc.verifier import verify

PIECES = ["---", "name: x", "description: y", "# H", "## H2", "1. step", "2) step", "- item",
          "  - nested", "* [ ] todo", "```", "```python", "~~~", "````", "> quote", "> [!NOTE]",
          "| a | b |", "|---|---|", "<!-- c -->", "", "   ", "\t", "text `scripts/x.py`",
          "[l](reference/a.md)", "***", ": odd", "key: [", "\r", "\ufeff", "é", "\x00"]

lines = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=20)), max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=lines, with_header=st.booleans())
def test_random_text_gives_ir_or_diagnostics(body, with_header):
    text = ("---\nname: x\ndescription: y\n---\n" if with_header else "") + "\n".join(body)
    diags = DiagnosticEngine()
    decoded = decode(text.encode("utf-8", "surrogatepass"), "SKILL.md", diags)
    if decoded is None:
        assert diags.has_errors
        return
    src = SkillSource("x", "SKILL.md", "SKILL.md", decoded[0], decoded[1], decoded[2])
    try:
        module = parse_source(src, diags, bundle_files=[])
    except CompileError:
        assert diags.has_errors
        for d in diags.diagnostics:
            assert d.loc is None or d.loc.line >= 1
        return
    assert verify(module) == []
    assert parse_module(print_module(module)) == module
