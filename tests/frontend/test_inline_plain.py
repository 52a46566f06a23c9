"""inline.scan skips the lexer for plain prose: the same links and mentions either way."""

import random

from skvmc.frontend import inline


def _unfiltered(text):
    plain = inline._plain
    inline._plain = lambda _text: False
    try:
        return inline.scan(text)
    finally:
        inline._plain = plain


def test_plain_prefilter_finds_what_the_lexer_finds():
    rng = random.Random(0)
    pieces = ["a", "md", "py", ".", " ", "[", "]", "(", ")", "`", "/", "x.md", ".mdx", "-",
              "Step 1: do it.", "see notes.txt", "data/in.csv", "\n", "!", "<", ">", "$"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert inline.scan(text) == _unfiltered(text), text
    assert inline._plain("Step 1: do it.")
    assert not inline._plain("Read notes.md first")
