"""What every model backend shares: the result of one call, the error type, the interface.

The VM only ever sees ``Model.complete(...) -> Completion`` and ``ModelError``; which
backend answers (the embedded SmolLM2, a remote server through litellm, a recorded trace,
a scripted list in a unit test) is decided once by ``skvmc.models.resolve``.
"""

from __future__ import annotations

import attrs

# Kinds of ModelError. The first three are permanent (retrying cannot help); the next three
# are transient and retried with backoff before they surface; the last two are ours.
PERMANENT_KINDS = ("auth", "not-found", "bad-request")
TRANSIENT_KINDS = ("timeout", "rate-limit", "server")
ERROR_KINDS = PERMANENT_KINDS + TRANSIENT_KINDS + ("exhausted", "config")


class ModelError(Exception):
    """A model call that failed for good; ``kind`` is one of ``ERROR_KINDS``."""

    def __init__(self, kind: str, message: str, *, attempts: int = 1):
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown ModelError kind {kind!r}")
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.attempts = attempts

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_KINDS


@attrs.frozen
class Completion:
    """One answer from a model, with the accounting the VM records in its trace."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # USD; None when the price of the model is unknown, 0.0 for local
    latency_s: float  # wall time of the call as the caller saw it, retries included
    model: str


class Model:
    """Base class for backends. Subclasses implement ``_complete``.

    ``step`` names the VM step asking (e.g. ``"main/summarize#0"``). Live backends ignore
    it; the replay backend uses it to hand each step its own recorded answers even when
    steps run concurrently and finish in a different order than when recorded.
    """

    name: str = "model"
    supports_schema: bool = False

    def complete(
        self,
        messages: list[dict],
        schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        *,
        step: str | None = None,
    ) -> Completion:
        check_messages(messages)
        if max_tokens < 1:
            raise ModelError("bad-request", f"max_tokens must be >= 1, got {max_tokens}")
        return self._complete(messages, schema, max_tokens, temperature, step)

    def _complete(self, messages, schema, max_tokens, temperature, step) -> Completion:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def check_messages(messages: list[dict]) -> None:
    """Reject malformed chat messages here, with a clear message, before any backend."""
    if not isinstance(messages, list) or not messages:
        raise ModelError("bad-request", "messages must be a non-empty list of dicts")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise ModelError("bad-request", f"message {i} needs 'role' and 'content': {m!r}")
        if m["role"] not in ("system", "user", "assistant", "tool"):
            raise ModelError("bad-request", f"message {i} has unknown role {m['role']!r}")


def rough_token_count(text: str) -> int:
    """Token estimate for backends without a tokenizer (scripted answers in tests)."""
    return max(1, len(text.split())) if text else 0
