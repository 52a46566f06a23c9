import httpx
import litellm  # the tests raise litellm's own exception classes
import pytest

from skvmc.models import ModelError, RetryPolicy
from skvmc.models.litellm_backend import LiteLLMModel
from skvmc.models.retry import call_with_retry, classify

MSGS = [{"role": "user", "content": "hi"}]
OK = {"choices": [{"message": {"content": "fine"}}],
      "usage": {"prompt_tokens": 3, "completion_tokens": 1}}


def _resp(status):
    return httpx.Response(status, request=httpx.Request("POST", "http://x"))


def make(cls):
    """An instance of a litellm exception class, built the way litellm builds them."""
    common = {"message": "boom", "llm_provider": "openai", "model": "m"}
    if cls is litellm.APIConnectionError:
        return cls(request=httpx.Request("POST", "http://x"), **common)
    if cls in (litellm.Timeout,):
        return cls(**common)
    if cls is litellm.BadRequestError:
        return cls(response=_resp(400), **common)
    status = {litellm.AuthenticationError: 401, litellm.NotFoundError: 404,
              litellm.RateLimitError: 429, litellm.ServiceUnavailableError: 503,
              litellm.InternalServerError: 500}[cls]
    return cls(response=_resp(status), **common)


EXPECTED = [
    (litellm.AuthenticationError, "auth"),
    (litellm.NotFoundError, "not-found"),
    (litellm.BadRequestError, "bad-request"),
    (litellm.RateLimitError, "rate-limit"),
    (litellm.Timeout, "timeout"),
    (litellm.APIConnectionError, "server"),
    (litellm.ServiceUnavailableError, "server"),
    (litellm.InternalServerError, "server"),
]


@pytest.mark.parametrize("cls,kind", EXPECTED)
def test_classify_litellm_exceptions(cls, kind):
    assert classify(make(cls)) == kind


def test_classify_plain_status_codes_and_builtins():
    class E(Exception):
        def __init__(self, code):
            self.status_code = code

    assert [classify(E(c)) for c in (401, 404, 429, 502, 422)] == [
        "auth", "not-found", "rate-limit", "server", "bad-request"]
    assert classify(TimeoutError()) == "timeout"
    assert classify(ConnectionResetError()) == "server"


class Flaky:
    """A fake litellm.completion that raises the given exceptions, then answers."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, **kw):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return OK


def model(fn, sleeps, attempts=4):
    policy = RetryPolicy(attempts=attempts, base_delay_s=0.5, max_delay_s=1.5,
                         sleep=sleeps.append)
    return LiteLLMModel("openai/m", completion_fn=fn, retry=policy, cost_fn=lambda r: 0.25)


@pytest.mark.parametrize("cls", [litellm.RateLimitError, litellm.Timeout,
                                 litellm.APIConnectionError, litellm.ServiceUnavailableError,
                                 litellm.InternalServerError])
def test_transient_errors_retried_with_backoff(cls):
    sleeps = []
    fn = Flaky(make(cls), make(cls), make(cls))
    c = model(fn, sleeps).complete(MSGS)
    assert c.text == "fine" and c.cost == 0.25 and c.prompt_tokens == 3
    assert fn.calls == 4
    assert sleeps == [0.5, 1.0, 1.5]  # doubling, capped at max_delay_s


@pytest.mark.parametrize("cls,kind", [(litellm.AuthenticationError, "auth"),
                                      (litellm.NotFoundError, "not-found"),
                                      (litellm.BadRequestError, "bad-request")])
def test_permanent_errors_stop_at_once(cls, kind):
    sleeps = []
    fn = Flaky(make(cls))
    with pytest.raises(ModelError) as e:
        model(fn, sleeps).complete(MSGS)
    assert e.value.kind == kind and e.value.attempts == 1
    assert fn.calls == 1 and sleeps == []
    assert "openai/m" in str(e.value)


def test_attempts_are_bounded():
    sleeps = []
    fn = Flaky(*[make(litellm.RateLimitError) for _ in range(10)])
    with pytest.raises(ModelError) as e:
        model(fn, sleeps, attempts=3).complete(MSGS)
    assert e.value.kind == "rate-limit" and e.value.attempts == 3
    assert fn.calls == 3 and len(sleeps) == 2
    assert "after 3 attempts" in str(e.value)


def test_call_with_retry_passes_model_errors_through():
    def fn():
        raise ModelError("auth", "no key")

    with pytest.raises(ModelError) as e:
        call_with_retry(fn, RetryPolicy(sleep=lambda s: None))
    assert e.value.kind == "auth"


def test_model_error_rejects_unknown_kind():
    with pytest.raises(ValueError):
        ModelError("weird", "x")
