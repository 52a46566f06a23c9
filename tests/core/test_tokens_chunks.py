"""count_tokens counts a long text in whitespace-cut chunks: the same count as in one piece."""

import random

from skvmc import tokens


def _whole(text: str) -> int:
    total = 0
    for letters, digits, other in tokens._PIECES.findall(text):
        if letters:
            total += -(-len(letters) // tokens.WORD_PIECE)
        elif digits:
            total += -(-len(digits) // tokens.DIGIT_PIECE)
        else:
            total += -(-len(other) // tokens.SYMBOL_PIECE)
    return total


def test_chunked_count_is_the_whole_count(monkeypatch):
    monkeypatch.setattr(tokens, "_CHUNK", 7)
    rng = random.Random(1)
    pieces = ["ab", "12", "__", "**", " ", "\n", "é", "x_1", "\t", "``", "internationalization"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        tokens.count_tokens.cache_clear()
        assert tokens.count_tokens(text) == _whole(text), text
    tokens.count_tokens.cache_clear()
