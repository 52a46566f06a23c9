"""parse -> emit -> parse keeps the meaning of inputs that once changed it.

The harness-facing SKILL.md is the source plus declared edits, so these round trips are exact
by construction; the test proves it on the inputs a re-rendering emitter got wrong: a checkbox
with a trailing space, a line indented four spaces, NBSP / VT / FF before ``##``, and a fence
info string starting with ``~``."""

from __future__ import annotations

import pytest
from backend_helpers import compiled

from skvmc.diagnostics import DiagnosticEngine
from skvmc.frontend import parse_skill

HEAD = "---\nname: rt\ndescription: d\n---\n\n# T\n\n"
CASES = {
    "checkbox-trailing-space": "- [x] \n- [ ] done\n",
    "four-space-indent": "Para.\n\n    # x\n",
    "nbsp-before-hashes": "- a\n\u00a0## not a heading\n",
    "vt-before-hashes": "- a\n\x0b## not a heading\n",
    "ff-before-hashes": "- a\n\x0c## not a heading\n",
    "tilde-fence-info": "~~~ ~x\ncode\n~~~\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_is_exact(case, tmp_path):
    src = tmp_path / "rt"
    src.mkdir()
    text = HEAD + CASES[case]
    (src / "SKILL.md").write_text(text, encoding="utf-8")
    r = compiled(str(src), "qwen-7b+openhands")
    out = r.files[r.prompt_path].decode("utf-8")
    assert out == text  # nothing to edit here: the bytes are the source's
    again = tmp_path / "again" / "rt"
    again.mkdir(parents=True)
    (again / "SKILL.md").write_text(out, encoding="utf-8")
    first = parse_skill(str(src), DiagnosticEngine())
    second = parse_skill(str(again), DiagnosticEngine())
    assert second.body == first.body
