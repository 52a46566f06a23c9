"""Replay the model answers recorded in a VM trace (``resolve('replay:PATH.jsonl')``).

The VM writes one JSON line per model call, built by ``record_for_trace``. Replay reads
the lines whose ``kind`` is ``"model"``, queues their answers per ``step`` key in file
order, and answers ``complete(..., step=key)`` with the next queued answer for that step
after sleeping the recorded latency, so a schedule can be measured without a GPU.
A call without a step key takes answers in file order across all steps.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable

from skvmc.models.base import Completion, Model, ModelError

# Fields of a trace record of kind "model" (the contract between the VM and replay).
TRACE_KIND = "model"
TRACE_FIELDS = ("kind", "step", "completion", "prompt_tokens", "completion_tokens",
                "latency_s", "model", "cost")


def record_for_trace(completion: Completion, step_key: str) -> dict:
    """The JSON-serialisable trace record the VM writes for one model call."""
    return {
        "kind": TRACE_KIND,
        "step": step_key,
        "completion": completion.text,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "latency_s": completion.latency_s,
        "model": completion.model,
        "cost": completion.cost,
    }


def completion_from_record(record: dict) -> Completion:
    return Completion(
        text=record["completion"],
        prompt_tokens=int(record.get("prompt_tokens", 0)),
        completion_tokens=int(record.get("completion_tokens", 0)),
        cost=record.get("cost"),
        latency_s=float(record.get("latency_s", 0.0)),
        model=str(record.get("model", "replay")),
    )


class ReplayModel(Model):
    supports_schema = True  # answers were produced under the schema when recorded

    def __init__(self, path: str, *, sleep: Callable[[float], None] = time.sleep,
                 speed: float = 1.0):
        self.path = path
        self.name = f"replay:{path}"
        self._sleep = sleep
        self._speed = speed  # 2.0 replays twice as fast; 0 does not sleep at all
        self._lock = threading.Lock()
        self._by_step: dict[str, deque[int]] = {}
        self._records: list[dict] = []
        self._used: set[int] = set()
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                lines = f.readlines()
        except OSError as exc:
            raise ModelError("not-found", f"cannot read replay trace {self.path}: {exc}") from exc
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ModelError("config",
                                 f"{self.path}:{lineno}: not a JSON line: {exc}") from exc
            if not isinstance(record, dict) or record.get("kind") != TRACE_KIND:
                continue
            if "completion" not in record or "step" not in record:
                raise ModelError("config", f"{self.path}:{lineno}: model record "
                                 "needs 'step' and 'completion'")
            index = len(self._records)
            self._records.append(record)
            self._by_step.setdefault(str(record["step"]), deque()).append(index)

    @property
    def remaining(self) -> int:
        return len(self._records) - len(self._used)

    def _take(self, step: str | None) -> dict:
        with self._lock:
            if step is None:
                index = next((i for i in range(len(self._records)) if i not in self._used), None)
                if index is not None:
                    self._by_step[str(self._records[index]["step"])].remove(index)
            else:
                queue = self._by_step.get(step)
                index = queue.popleft() if queue else None
            if index is None:
                where = f"step {step!r}" if step is not None else "the trace"
                recorded = len(self._records) if step is None else sum(
                    1 for r in self._records if str(r["step"]) == step)
                raise ModelError("exhausted", f"replay {self.path}: no recorded answer left "
                                 f"for {where} ({recorded} recorded, all used)")
            self._used.add(index)
            return self._records[index]

    def _complete(self, messages, schema, max_tokens, temperature, step) -> Completion:
        completion = completion_from_record(self._take(step))
        if self._speed > 0 and completion.latency_s > 0:
            self._sleep(completion.latency_s / self._speed)
        return completion
