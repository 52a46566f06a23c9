"""The inline grammar: links and path mentions from tokens, each mention with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skvmc.frontend.inline import scan, tokens
from skvmc.frontend.refs import BundleIndex, find_refs


def test_links_with_titles_images_and_unmatched_brackets():
    links, _ = scan('[a](x.md "T") ![i](img/a.png) [not a link] ] ( [b](y.md')
    assert links == [{"text": "a", "url": "x.md"}, {"text": "i", "url": "img/a.png"}]


@pytest.mark.parametrize("text, path, why", [
    ("see [the guide](./reference/guide.md)", "reference/guide.md", "link"),
    ("run `scripts/run.py` now", "scripts/run.py", "code"),
    ("then ./tools/check.sh", "tools/check.sh", "explicit"),
    ("in examples/anomaly-detection/ there", "examples/anomaly-detection/", "bare"),
])
def test_mentions_say_why(text, path, why):
    [m] = scan(text)[1]
    assert (m.path, m.why) == (path, why)


@pytest.mark.parametrize("text", ["<dir>/x.md", "{name}.md", "$ROOT/x.py", "docs/YYYY-MM-DD.md",
                                  "https://example.com/a/b.md"])
def test_placeholders_and_urls_are_not_paths(text):
    assert scan(text)[1] == []


def test_prose_slashes_are_not_bundle_references():
    bundle = BundleIndex(["scripts/run.py", "python/client.md"])
    assert find_refs("Python/Ruby and cURL/raw, or `package.json`", bundle) == []
    assert find_refs("see scripts/run.py and python/client.md", bundle) == [
        ("scripts/run.py", "bare"), ("python/client.md", "bare")]
    assert find_refs("cat src/app.ts", bundle, code=True) == []  # the user's file


def test_a_token_per_run_so_long_lines_are_linear():
    # a long run of one character is one token (or one per character of a cheap kind)
    assert len(tokens("*" * 5000)) == 1 and len(tokens("a" * 5000)) == 1
    assert len(tokens("[a](" * 100)) == 300  # [ a ]( per repeat


_PIECES = ["a", "b/", ".", "_", "-", "[", "]", "(", ")", "](", "![", "`", "<", ">", "{", "$",
           " ", "\n", "\t", "*", ":", "#", "9", "http://x.io/", "docs/a.md", "./x.py", "é"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_tokens_are_those_of_larks_lexer(text):
    from skvmc.frontend.inline import _lexer

    assert tokens(text) == [(t.type, t.value, t.start_pos) for t in _lexer().lex(text)]
