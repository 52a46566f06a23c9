"""The linear shell word splitters agree with the character-at-a-time originals they replace."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from skvmc.passes.analysis.capability_rules import first_words, split_pipeline
from skvmc.passes.analysis.shell_words import split_words

_PIECES = ["a", "b=", " ", "\t", "\n", "\r", "'", '"', "\\", "#", "|", "||", "&&", ";", "$(",
           "`", "''", '""', "\\\n", "é", "x y"]
_SHELL = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


def _outcome(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except ValueError as err:
        return ("ValueError", str(err))


@settings(max_examples=500, deadline=None)
@given(_SHELL, st.booleans())
def test_split_words_is_shlex_split(text, comments):
    assert _outcome(split_words, text, comments=comments) == _outcome(
        shlex.split, text, comments=comments)


def _split_pipeline_by_char(line):
    """The original quote-tracking loop."""
    stages, buf, quote = [], "", ""
    for ch in line:
        if quote:
            buf += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf += ch
        elif ch == "|":
            stages.append(buf.strip())
            buf = ""
        else:
            buf += ch
    if quote:
        return None
    stages.append(buf.strip())
    return stages


@settings(max_examples=500, deadline=None)
@given(_SHELL)
def test_split_pipeline_matches_the_character_loop(line):
    assert split_pipeline(line) == _split_pipeline_by_char(line)


def test_first_words_of_a_long_argument():
    # one 200 KB word: shlex grows it a character at a time (quadratic)
    assert first_words("X=1 echo " + "a" * 200_000 + " | wc -c") == ["echo", "wc"]
