"""End-to-end: a short real completion on each ladder model, through litellm's custom
provider. Skips (with the install hint) when the model's chunk packages are not installed."""

import json

import pytest

from skvmc.models import ModelError, resolve
from skvmc.models.ladder import LADDER

pytestmark = pytest.mark.e2e


@pytest.fixture(params=sorted(LADDER), scope="module")
def model(request):
    m = resolve(request.param, n_ctx=2048)
    try:
        assert m.path  # assembles on first use
    except ModelError as exc:
        pytest.skip(f"{request.param} is not installed: {exc.message}")
    return m


def test_short_completion(model):
    c = model.complete([{"role": "user", "content": "What is 2 + 3? Answer with the number."}],
                       max_tokens=8)
    assert "5" in c.text
    assert c.prompt_tokens > 0 and 0 < c.completion_tokens <= 8
    assert c.cost == 0.0 and c.model == model.name


def test_schema_completion(model):
    schema = {"type": "object", "properties": {"language": {"type": "string"}},
              "required": ["language"]}
    c = model.complete([{"role": "user", "content": "Which language is `def f(): pass`? JSON."}],
                       schema=schema, max_tokens=24)
    assert isinstance(json.loads(c.text)["language"], str)
