"""Retry with exponential backoff, and the mapping of provider exceptions to ModelError.

Timeouts, rate limits and server/connection errors are retried a bounded number of times;
authentication, unknown model and bad request errors stop at the first attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import attrs

from skvmc.models.base import ModelError

T = TypeVar("T")


@attrs.frozen
class RetryPolicy:
    attempts: int = 4  # total tries, the first included
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    sleep: Callable[[float], None] = time.sleep  # injectable so tests do not wait

    def delay(self, failed_attempt: int) -> float:
        """Pause after the n-th failed attempt (1-based): base, 2*base, 4*base, ... capped."""
        return min(self.max_delay_s, self.base_delay_s * (2 ** (failed_attempt - 1)))


NO_RETRY = RetryPolicy(attempts=1)

# litellm exception class name -> kind. Order matters: litellm's Timeout derives from
# APIConnectionError, ContextWindowExceededError from BadRequestError, and so on, so the
# most specific names come first. Matching on names along the MRO keeps this module free
# of a litellm import (it is only needed once a real call raised).
_CLASS_KINDS = (
    ("Timeout", "timeout"),
    ("APITimeoutError", "timeout"),
    ("AuthenticationError", "auth"),
    ("PermissionDeniedError", "auth"),
    ("NotFoundError", "not-found"),
    ("RateLimitError", "rate-limit"),
    ("ContextWindowExceededError", "bad-request"),
    ("ContentPolicyViolationError", "bad-request"),
    ("UnsupportedParamsError", "bad-request"),
    ("UnprocessableEntityError", "bad-request"),
    ("BadRequestError", "bad-request"),
    ("ServiceUnavailableError", "server"),
    ("InternalServerError", "server"),
    ("BadGatewayError", "server"),
    ("APIConnectionError", "server"),
)


def _kind_from_status(status: object) -> str | None:
    if not isinstance(status, int):
        return None
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not-found"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate-limit"
    if status >= 500:
        return "server"
    if 400 <= status < 500:
        return "bad-request"
    return None


def classify(exc: BaseException) -> str:
    """The ModelError kind for an exception raised by a provider call."""
    if isinstance(exc, ModelError):
        return exc.kind
    names = {cls.__name__ for cls in type(exc).__mro__}
    for cls_name, kind in _CLASS_KINDS:
        if cls_name in names:
            return kind
    kind = _kind_from_status(getattr(exc, "status_code", None))
    if kind:
        return kind
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "server"
    return "server"  # an unknown failure inside a provider: worth one more try


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {first[:300]}"


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, what: str = "model call") -> T:
    """Run ``fn``; retry transient failures per ``policy``; raise ModelError otherwise."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            kind = classify(exc)
            err = ModelError(kind, f"{what} failed: {_short(exc)}", attempts=attempt)
            if not err.transient or attempt >= policy.attempts:
                if attempt > 1:
                    err = ModelError(kind, f"{err.message} (after {attempt} attempts)",
                                     attempts=attempt)
                raise err from exc
            policy.sleep(policy.delay(attempt))
