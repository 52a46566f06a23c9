"""End-to-end on SmolLM2: a request whose client has gone is not generated (the bench kills
harnesses at their timeout; their last request must not hold the model for the next run)."""

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def engine():
    pytest.importorskip("llama_cpp", reason="needs the local extra (pip install -e '.[local]')")
    from skvmc.serve.engine import Engine

    return Engine("smollm2", n_ctx=2048)


MESSAGES = [{"role": "user", "content": "Write a long story about a cat."}]  # runs to max_tokens


def test_gone_before_the_model_is_free_generates_nothing(engine):
    from skvmc.serve.engine import Cancelled

    asked = []
    with pytest.raises(Cancelled):
        list(engine.stream(MESSAGES, max_tokens=64, cancelled=lambda: asked.append(1) or True))
    assert asked == [1]  # checked once, before the prompt was evaluated


def test_gone_while_generating_stops_within_16_tokens(engine):
    from skvmc.serve.engine import Cancelled

    calls = []

    def gone():
        calls.append(1)
        return len(calls) > 1  # still there when the model is free, gone after that

    pieces = []
    with pytest.raises(Cancelled):
        for item in engine.stream(MESSAGES, max_tokens=200, cancelled=gone):
            pieces.append(item)
    assert len(calls) == 2 and 0 < len(pieces) <= 16
    full = engine.complete(MESSAGES, max_tokens=200)  # a client that stays gets it all
    assert full.completion_tokens > 16
