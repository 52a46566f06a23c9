"""End-to-end: the real embedded SmolLM2-135M, called through litellm's custom provider."""

import json
import threading

import jsonschema
import pytest

from skvmc.models import resolve

pytestmark = pytest.mark.e2e

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "population": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["city", "population", "tags"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def model():
    return resolve("smollm2")


def test_plain_completion(model):
    c = model.complete([{"role": "user", "content": "Name one colour."}], max_tokens=24)
    assert c.text.strip()
    assert c.prompt_tokens > 0 and 0 < c.completion_tokens <= 24
    assert c.cost == 0.0 and c.latency_s > 0 and c.model == "smollm2"


def test_schema_constrained_completion_validates(model):
    c = model.complete(
        [{"role": "system", "content": "Answer in JSON."},
         {"role": "user", "content": "The largest city of France, its population, two tags."}],
        schema=SCHEMA, max_tokens=120)
    data = json.loads(c.text)
    jsonschema.validate(data, SCHEMA)


def test_temperature_zero_is_deterministic(model):
    msgs = [{"role": "user", "content": "Count: one, two,"}]
    assert model.complete(msgs, max_tokens=12).text == model.complete(msgs, max_tokens=12).text


def test_concurrent_calls_share_one_llama(model):
    from skvmc.models import local

    results = []

    def run():
        results.append(model.complete([{"role": "user", "content": "Say hi."}], max_tokens=8))

    threads = [threading.Thread(target=run) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 3 and all(r.completion_tokens > 0 for r in results)
    assert len([k for k in local._llamas if k[1] == model.n_ctx]) == 1


def test_context_overflow_is_bad_request():
    from skvmc.models import ModelError

    small = resolve("smollm2", n_ctx=256)
    with pytest.raises(ModelError) as e:
        small.complete([{"role": "user", "content": "word " * 600}], max_tokens=8)
    assert e.value.kind == "bad-request" and e.value.attempts == 1
