"""The skvmc VM: runs ``.skbc`` programs over a Host (model, processes, sandboxed files)."""

from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, action_schema, parse_action
from skvmc.vm.baseline import run_baseline
from skvmc.vm.host import (
    Completion,
    Host,
    NullHost,
    ProcResult,
    SandboxError,
    SandboxHost,
)
from skvmc.vm.interp import (
    EXIT_BAD_INPUT,
    EXIT_MODEL_ERROR,
    EXIT_OK,
    EXIT_STEP_FAILED,
    EXIT_TIMEOUT,
    VM,
    RunResult,
    run_program,
)
from skvmc.vm.trace import read_trace

__all__ = [
    "EXIT_BAD_INPUT", "EXIT_MODEL_ERROR", "EXIT_OK", "EXIT_STEP_FAILED", "EXIT_TIMEOUT",
    "VM", "AgentLoop", "Completion", "Host", "ModelError", "NullHost", "ProcResult",
    "RunResult", "RunTimeout", "SandboxError", "SandboxHost", "action_schema", "parse_action",
    "read_trace", "run_baseline", "run_program",
]
