"""Every shipped grammar builds in Lark's strict mode (no conflicts, no terminal collisions);
run time builds them without the (slow) collision check."""

import pytest
from lark import Lark

from skvmc import grammar

# name -> the options the code loads it with
GRAMMARS = {"skill": {"lexer": "contextual"}, "ir": {"maybe_placeholders": True},
            "pipeline": {}, "skasm": {"propagate_positions": True}}


@pytest.mark.parametrize("name", sorted(GRAMMARS))
def test_grammar_is_strict(name):
    from importlib import resources

    text = resources.files(grammar.__name__).joinpath(f"{name}.lark").read_text(encoding="utf-8")
    opts = {"propagate_positions": False, **GRAMMARS[name]}
    Lark(text, parser="lalr", strict=True, **opts)
