"""A model that answers from a script: for unit tests of the VM and other modules.

``ScriptedModel(["a", "b"])`` answers "a" then "b" then raises ModelError('exhausted').
``ScriptedModel(fn)`` answers ``fn(messages, schema)`` (a str) every time.
Every call is kept in ``.calls`` so a test can check what the VM sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import attrs

from skvmc.models.base import Completion, Model, ModelError, rough_token_count


@attrs.frozen
class ScriptedCall:
    messages: tuple
    schema: dict | None
    max_tokens: int
    temperature: float
    step: str | None


class ScriptedModel(Model):
    def __init__(self, answers: Sequence[str] | Callable[[list, dict | None], str], *,
                 name: str = "scripted", supports_schema: bool = True,
                 latency_s: float = 0.0, cost: float | None = 0.0):
        if not callable(answers) and (isinstance(answers, str) or not all(
                isinstance(a, str) for a in answers)):
            raise TypeError("answers must be a list of strings or a callable")
        self._answers = answers if callable(answers) else list(answers)
        self.name = name
        self.supports_schema = supports_schema
        self.latency_s = latency_s
        self.cost = cost
        self.calls: list[ScriptedCall] = []
        self._next = 0
        self._lock = threading.Lock()

    def _complete(self, messages, schema, max_tokens, temperature, step) -> Completion:
        with self._lock:
            self.calls.append(ScriptedCall(tuple(dict(m) for m in messages), schema,
                                           max_tokens, temperature, step))
            if callable(self._answers):
                text = self._answers(messages, schema)
            else:
                if self._next >= len(self._answers):
                    raise ModelError("exhausted", f"scripted model ran out of answers after "
                                     f"{len(self._answers)} calls")
                text = self._answers[self._next]
                self._next += 1
        if not isinstance(text, str):
            raise TypeError(f"scripted answer must be a str, got {type(text).__name__}")
        prompt = " ".join(str(m.get("content", "")) for m in messages)
        return Completion(text=text, prompt_tokens=rough_token_count(prompt),
                          completion_tokens=rough_token_count(text), cost=self.cost,
                          latency_s=self.latency_s, model=self.name)
