"""A scripted model and small helpers shared by the VM tests."""

from __future__ import annotations

import threading

from skvmc.bytecode import assemble
from skvmc.vm import Completion, SandboxHost, run_program


class ScriptedModel:
    """Returns canned texts in order (or from a function of the messages); records calls."""

    name = "scripted"

    def __init__(self, answers):
        self.answers = answers if callable(answers) else list(answers)
        self.calls: list[dict] = []
        self._lock = threading.Lock()

    def complete(self, messages, schema=None, max_tokens=512, temperature=0.0):
        with self._lock:
            self.calls.append({"messages": messages, "schema": schema})
            if callable(self.answers):
                text = self.answers(messages)
            else:
                if not self.answers:
                    raise RuntimeError("script exhausted")
                text = self.answers.pop(0)
        return Completion(text, prompt_tokens=10, completion_tokens=5, cost=0.001,
                          latency_s=0.0, model="scripted-1")


class FailingModel:
    name = "broken"

    def complete(self, messages, schema=None, max_tokens=512, temperature=0.0):
        raise ConnectionError("server unreachable")


def run_asm(text, workdir, model=None, **options):
    program = assemble(text, file="test.skasm")
    host = SandboxHost(workdir, model, **options.pop("host_options", {}))
    options.setdefault("trace_path", str(workdir / "trace.jsonl"))
    return run_program(program, host, **options)
