"""The baseline: the same agent loop over an *uncompiled* skill.

The whole SKILL.md goes into the system prompt, the task is the user message, the tools are
the same as a compiled ASK with every action allowed, and the trace has the same records, so
compiled and uncompiled runs compare on equal terms.
"""

from __future__ import annotations

import time
from pathlib import Path

from skvmc.bytecode.isa import ACT_ALL
from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, system_prompt
from skvmc.vm.host import Host
from skvmc.vm.interp import (
    EXIT_MODEL_ERROR,
    EXIT_OK,
    EXIT_STEP_FAILED,
    EXIT_TIMEOUT,
    RunResult,
    model_record,
)
from skvmc.vm.trace import TraceWriter, now_iso


def run_baseline(skill_text: str, task: str, host: Host, *, trace_path=None,
                 model_name: str = "", max_steps: int = 20, timeout: float | None = None,
                 max_tokens: int = 1024, temperature: float = 0.0) -> RunResult:
    t0 = time.monotonic()
    deadline = t0 + timeout if timeout else None
    model_name = model_name or getattr(host.model, "name", "") or type(host.model).__name__
    trace = None
    totals = {"instructions": 0, "model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
              "cost": None, "wall_s": 0.0}
    if trace_path:
        Path(trace_path).parent.mkdir(parents=True, exist_ok=True)
        trace = TraceWriter(trace_path)
        trace.write({"type": "header", "meta": {"baseline": True}, "task": task,
                     "model": model_name, "start": now_iso(),
                     "workdir": str(getattr(host, "workdir", ""))})

    def on_turn(turn):
        totals["model_calls"] += 1
        totals["prompt_tokens"] += turn.prompt_tokens
        totals["completion_tokens"] += turn.completion_tokens
        if turn.cost is not None:
            totals["cost"] = (totals["cost"] or 0.0) + turn.cost
        if trace:
            trace.write(model_record(turn, "baseline", index=0, branch=""))

    preamble = "You follow this skill:\n\n" + skill_text
    messages = [{"role": "system", "content": system_prompt(ACT_ALL, None, preamble)},
                {"role": "user", "content": task}]
    loop = AgentLoop(host, max_tokens, temperature, deadline, None, on_turn, "baseline")
    status, code, error, outputs = "ok", EXIT_OK, "", {}
    try:
        outcome = loop.run(messages, ACT_ALL, max_steps, None, tag="baseline")
        if outcome.ok:
            outputs = {"answer": outcome.value}
        else:
            status, code, error = "failed", EXIT_STEP_FAILED, outcome.error
    except ModelError as exc:
        status, code, error = "model_error", EXIT_MODEL_ERROR, f"model error: {exc}"
    except RunTimeout:
        status, code, error = "timeout", EXIT_TIMEOUT, f"run timed out after {timeout}s"
    totals["wall_s"] = round(time.monotonic() - t0, 6)
    if trace:
        trace.write({"type": "instr", "index": 0, "op": "baseline", "step": 0, "line": None,
                     "status": "ok" if status == "ok" else "failed", "error": error})
        trace.write({"type": "final", "status": status, "exit_code": code, "error": error,
                     "end": now_iso(), "totals": totals})
        trace.close()
    return RunResult(status, code, outputs, str(trace_path) if trace_path else None, totals, error)
