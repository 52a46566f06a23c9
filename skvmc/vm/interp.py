"""The bytecode interpreter: a dispatch loop over a pre-decoded handler table.

Exit codes (``RunResult.exit_code``):

===  =================================================================
0    ok (``halt 0``, or the program ran off its end)
1    a step failed (check failed after retries, ``fail``, sandbox/runtime error)
2    bad input (CLI only: missing file, corrupt bytecode, bad arguments)
3    model error (the model call raised)
4    timeout (the run's ``timeout`` passed)
===  =================================================================

``halt N`` with N != 0 ends the run as failed with exit code N.

Hooks: ``VM(jit=...)`` takes an object with the :class:`AskHooks` methods (the JIT controller
is one). Around every ASK the VM hands it an :class:`AskStep`, the public view of that step:
what it asks and the operations a hook may perform, so no hook touches the VM's internals.
"""

from __future__ import annotations

import json
import shlex
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import attrs
import jsonschema

from skvmc.bytecode.program import Const, Program
from skvmc.vm.agent import AgentLoop, ModelError, RunTimeout, failed, system_prompt
from skvmc.vm.host import Cancelled, Host, SandboxError
from skvmc.vm.json_shape import MAX_BYTES as JSON_SHAPE_BYTES
from skvmc.vm.json_shape import shape as json_shape
from skvmc.vm.provenance import Provenance
from skvmc.vm.sandbox import needs_network
from skvmc.vm.script_usage import documented_commands
from skvmc.vm.skill_library import library_of
from skvmc.vm.task_outputs import (
    TaskFiles,
    lost_lines,
    new_lines,
    one_line_output,
    output_problem,
    output_spec,
    task_files,
)
from skvmc.vm.trace import TraceWriter, now_iso

EXIT_OK, EXIT_STEP_FAILED, EXIT_BAD_INPUT, EXIT_MODEL_ERROR, EXIT_TIMEOUT = 0, 1, 2, 3, 4


OUTPUT_CHECK_LIMIT = 1 << 20  # CHECK.OUTPUTS parses outputs up to 1 MB


class StepFailed(Exception):
    def __init__(self, message: str, pc: int):
        super().__init__(message)
        self.pc = pc


class _Halt(Exception):
    def __init__(self, code: int):
        self.code = code


class _EndBranch(Exception):
    def __init__(self, value):
        self.value = value


@attrs.define
class RunResult:
    status: str  # ok | failed | model_error | timeout
    exit_code: int
    outputs: dict = attrs.Factory(dict)
    trace_path: str | None = None
    totals: dict = attrs.Factory(dict)
    error: str = ""


class CancelToken:
    """A cancel flag that is also set when any ancestor (enclosing fork) is cancelled."""

    def __init__(self, parent: CancelToken | None = None):
        self.parent = parent
        self._event = threading.Event()

    def set(self):
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set() or (self.parent is not None and self.parent.is_set())


@attrs.define
class Frame:
    slots: list
    env: dict = attrs.Factory(dict)
    last_exit: int = 0
    step: int = 0
    step_title: str = ""
    last_ask: int | None = None
    retries_left: dict = attrs.Factory(dict)
    feedback: str | None = None
    join_results: list = attrs.Factory(list)
    written: set = attrs.Factory(set)
    cancel: CancelToken = attrs.Factory(CancelToken)
    branch: str = ""
    rec: dict | None = None  # extra fields for the current instruction's trace record
    facts: list = attrs.Factory(list)  # FACT texts, shown to later ASKs after the task
    last_error: str = ""  # the last failed check's or command's message (LASTERROR)
    last_attempt: str = ""  # what the last ASK's agent loop did, shown when it is retried

    def fork(self, cancel: CancelToken, branch: str) -> Frame:
        return Frame(list(self.slots), dict(self.env), self.last_exit, self.step, self.step_title,
                     None, {}, None, [], set(), cancel, branch, None, list(self.facts))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class AskStep:
    """One ASK as a hook sees it: what the step is, and what a hook may do about it."""

    def __init__(self, vm: VM, fr: Frame, pc: int, prompt_v, out: int):
        self._vm, self._fr, self._out = vm, fr, out
        self.pc = pc
        self.branch = fr.branch
        self.host = vm.host
        self.task = vm.task
        self.inputs = {str(k): _text(v) for k, v in vm.inputs.items()}  # as text
        self.prompt = _text(vm.val(fr, prompt_v))
        self.env = fr.env or None
        self.cancel = fr.cancel
        self.network = vm.needs_network(pc)  # whether the sandbox lets this step connect
        self.retrying = fr.feedback is not None  # a failed check is asking this step again
        self.trace_path = vm.trace_path

    def remaining(self) -> float | None:
        """Seconds left before the run's timeout (None: no timeout)."""
        return self._vm.remaining()

    def note(self, **fields) -> None:
        """Add fields to this instruction's trace record."""
        self._vm.note(self._fr, **fields)

    def answer(self, value, exit_code: int = 0) -> int:
        """Complete the step without the model: its result is ``value``; returns the next pc."""
        self._vm.set_slot(self._fr, self._out, value)
        self._fr.last_exit = exit_code
        return self.pc + 1

    def allow_retry(self) -> None:
        """One more retry for this step (a failing check then asks again)."""
        self._fr.retries_left[self.pc] = self._fr.retries_left.get(self.pc, 0) + 1


class AskHooks(Protocol):
    """What the VM calls on its ``jit`` object."""

    def before_model(self, step: AskStep) -> int | None:
        """Before the model is asked: the next pc when the hook completed the step, else None."""

    def after_model(self, step: AskStep, outcome) -> None:
        """After the model answered (``outcome`` is the agent loop's)."""

    def finish(self) -> None:
        """End of the run."""


class VM:
    def __init__(self, program: Program, host: Host, *, task: str = "", inputs: dict | None = None,
                 trace_path=None, model_name: str = "", max_steps: int | None = None,
                 timeout: float | None = None, concurrency: int = 4, max_tokens: int = 1024,
                 temperature: float = 0.0, solid_templates: dict | None = None,
                 jit=None):
        self.program = program
        self.host = host
        self.start_files: dict | None = None  # the workdir's files when the run started
        self.files = TaskFiles()  # the task's outputs, edited files and inputs (at the start)
        self.start_text: dict[str, str] = {}  # edited files' text at the start (keep_lines)
        self.task = task
        self.inputs = dict(inputs or {})
        if isinstance(self.inputs.get("skill_dir"), str):  # bundled scripts run from there
            host.expose(self.inputs["skill_dir"])
        self.trace_path = str(trace_path) if trace_path else None
        self.model_name = model_name or getattr(host.model, "name", "") or type(host.model).__name__
        self.max_steps = max_steps
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.solid = dict(program.meta.get("solid", {}))
        self.solid.update(solid_templates or {})
        self.jit: AskHooks | None = jit  # e.g. a skvmc.vm.jit.JitController
        self.provenance = Provenance()  # what the model saw and typed, for CHECK.OUTPUTS
        self.consts = [v for _, v in program.consts]
        self.lines = program.line_map()
        self.deadline = None
        self.trace: TraceWriter | None = None
        self._totals_lock = threading.Lock()
        self.totals = {"instructions": 0, "model_calls": 0, "prompt_tokens": 0,
                       "completion_tokens": 0, "cost": None, "wall_s": 0.0}
        handlers = {d: getattr(self, "op_" + d.replace(".", "_")) for d in
                    {ins.op for ins in program.code}}
        self.code = [(handlers[ins.op], ins.operands, ins.op) for ins in program.code]

    # -- running ------------------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.monotonic()
        if self.timeout:
            self.deadline = t0 + self.timeout
        if self.trace_path:
            Path(self.trace_path).parent.mkdir(parents=True, exist_ok=True)
            self.trace = TraceWriter(self.trace_path)
            self.trace.write({"type": "header", "meta": self.program.meta, "task": self.task,
                              "model": self.model_name, "start": now_iso(),
                              "instructions": len(self.code),
                              "workdir": str(getattr(self.host, "workdir", ""))})
        self.start_files = self.host.file_stamps()  # what the run found, for CHECK.OUTPUTS
        self.files = task_files(self.task, self._there)
        for path in self.files.keep_lines:
            try:
                self.start_text[path] = self.host.read_head(path, OUTPUT_CHECK_LIMIT + 1)
            except SandboxError:
                continue
        frame = Frame([None] * len(self.program.slots))
        for name, value in {"task": self.task, **self.inputs}.items():
            if name in self.program.slots:
                frame.slots[self.program.slots.index(name)] = value
        status, code, error = "ok", EXIT_OK, ""
        try:
            self._loop(frame, 0)
        except _Halt as h:
            if h.code != 0:
                status, code, error = "failed", h.code, f"halt {h.code}"
        except _EndBranch:
            status, code, error = "failed", EXIT_STEP_FAILED, "endbranch outside a fork branch"
        except StepFailed as exc:
            status, code, error = "failed", EXIT_STEP_FAILED, self._where(exc.pc, str(exc))
        except ModelError as exc:
            status, code, error = "model_error", EXIT_MODEL_ERROR, f"model error: {exc}"
        except RunTimeout:
            status, code, error = "timeout", EXIT_TIMEOUT, f"run timed out after {self.timeout}s"
        self.totals["wall_s"] = round(time.monotonic() - t0, 6)
        if self.jit is not None:
            self.jit.finish()
        outputs = {n: v for n, v in zip(self.program.slots, frame.slots) if v is not None}
        if self.trace:
            self.trace.write({"type": "final", "status": status, "exit_code": code,
                              "error": error, "end": now_iso(), "totals": self.totals})
            self.trace.close()
        return RunResult(status, code, outputs, self.trace_path, dict(self.totals), error)

    def _where(self, pc: int, message: str) -> str:
        loc = self.lines[pc] if 0 <= pc < len(self.lines) else None
        return f"{loc[0]}:{loc[1]}: step failed: {message}" if loc else f"step failed: {message}"

    def _loop(self, fr: Frame, pc: int) -> None:
        """Run from ``pc`` until halt/endbranch (raised) or the end of the code."""
        code, n, trace, deadline = self.code, len(self.code), self.trace, self.deadline
        cancel = fr.cancel
        count = 0
        try:
            if trace is None and deadline is None and cancel.parent is None:
                while pc < n:
                    h, ops, _ = code[pc]
                    count += 1
                    pc = h(fr, ops, pc)
                return
            while pc < n:
                if deadline is not None and time.monotonic() > deadline:
                    raise RunTimeout()
                if cancel.parent is not None and cancel.is_set():
                    raise Cancelled()
                h, ops, op = code[pc]
                if trace is None:
                    count += 1
                    pc = h(fr, ops, pc)
                    continue
                start = time.monotonic() - trace.t0
                fr.rec = None
                rec = {"type": "instr", "index": pc, "op": op, "step": fr.step,
                       "line": self._line_text(pc)}
                if fr.branch:
                    rec["branch"] = fr.branch
                status, next_pc = "ok", None
                try:
                    next_pc = h(fr, ops, pc)
                    return_value = None
                except _Halt as e:
                    status, return_value = ("ok" if e.code == 0 else "failed"), e
                except _EndBranch as e:
                    return_value = e
                except StepFailed as e:
                    status, return_value = "failed", e
                    rec["error"] = str(e)
                except (ModelError, RunTimeout, Cancelled) as e:
                    status, return_value = type(e).__name__, e
                count += 1
                rec.update(fr.rec or {})
                rec.update(start=round(start, 6), end=round(time.monotonic() - trace.t0, 6),
                           status=status)
                trace.write(rec)
                if return_value is not None:
                    raise return_value
                pc = next_pc
        finally:
            with self._totals_lock:
                self.totals["instructions"] += count

    def _line_text(self, pc):
        loc = self.lines[pc]
        return f"{loc[0]}:{loc[1]}" if loc else None

    def val(self, fr: Frame, v):
        return self.consts[v.index] if v.__class__ is Const else fr.slots[v.index]

    def set_slot(self, fr: Frame, index: int, value) -> None:
        fr.slots[index] = value
        fr.written.add(index)

    def note(self, fr: Frame, **fields):
        if fr.rec is None:
            fr.rec = {}
        fr.rec.update(fields)

    # -- handlers: each takes (frame, operands, pc) and returns the next pc ---------------------
    def op_nop(self, fr, ops, pc):
        return pc + 1

    def op_halt(self, fr, ops, pc):
        raise _Halt(ops[0])

    def op_setstep(self, fr, ops, pc):
        fr.step, fr.step_title = ops[0], self.consts[ops[1]]
        return pc + 1

    def op_const(self, fr, ops, pc):
        fr.slots[ops[0]] = self.consts[ops[1]]
        fr.written.add(ops[0])
        return pc + 1

    def op_concat(self, fr, ops, pc):
        self.set_slot(fr, ops[0], "".join(_text(self.val(fr, v)) for v in ops[1]))
        return pc + 1

    def op_jump(self, fr, ops, pc):
        return ops[0]

    def op_branch(self, fr, ops, pc):
        return ops[1] if fr.slots[ops[0]] else pc + 1

    def op_fail(self, fr, ops, pc):
        raise StepFailed(_text(self.val(fr, ops[0])), pc)

    def op_setenv(self, fr, ops, pc):
        fr.env[self.consts[ops[0]]] = _text(self.val(fr, ops[1]))
        return pc + 1

    def op_read(self, fr, ops, pc):
        path = _text(self.val(fr, ops[0]))
        try:
            self.set_slot(fr, ops[1], self.host.read_file(path))
        except SandboxError as exc:
            raise StepFailed(str(exc), pc) from None
        return pc + 1

    def op_write(self, fr, ops, pc):
        path = _text(self.val(fr, ops[0]))
        try:
            self.host.write_file(path, _text(self.val(fr, ops[1])))
        except SandboxError as exc:
            raise StepFailed(str(exc), pc) from None
        return pc + 1

    def _run_process(self, fr, argv, out, pc):
        try:
            r = self.host.run(argv, env=fr.env or None, timeout=self.remaining(),
                              cancel=fr.cancel, network=self.needs_network(pc))
        except SandboxError as exc:
            raise StepFailed(str(exc), pc) from None
        fr.last_exit = r.exit_code
        fr.last_error = ""
        if r.exit_code != 0:
            fr.last_error = (f"`{shlex.join(argv)[:160]}` exited {r.exit_code}"
                             + (" (timed out)" if r.timed_out else "")
                             + (f": {r.stderr.strip()[-600:]}" if r.stderr.strip() else ""))
        self.set_slot(fr, out, r.stdout)
        self.note(fr, argv=argv, exit_code=r.exit_code, timed_out=r.timed_out,
                   result=r.stdout[-200:], stderr=r.stderr[-200:])
        return pc + 1

    def needs_network(self, pc: int) -> bool:
        """Only steps that declare tool.web/tool.browser get the network in the sandbox."""
        return needs_network(self.program.meta or {}, pc)

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.1, self.deadline - time.monotonic())

    def op_exec(self, fr, ops, pc):
        argv = [_text(self.val(fr, v)) for v in ops[0]]
        return self._run_process(fr, argv, ops[1], pc)

    def op_solid(self, fr, ops, pc):
        tid = _text(self.consts[ops[0]])
        tmpl = self.solid.get(tid)
        if not isinstance(tmpl, dict) or not isinstance(tmpl.get("code"), str):
            raise StepFailed(f"no solidified template {tid!r}", pc)
        lang = tmpl.get("language", "python")
        path = f".skvm/solid-{''.join(c if c.isalnum() else '_' for c in tid)}." + (
            "sh" if lang == "bash" else "py")
        try:
            self.host.write_file(path, tmpl["code"])
        except SandboxError as exc:
            raise StepFailed(str(exc), pc) from None
        runner = ["bash", path] if lang == "bash" else [sys.executable, path]
        args = [_text(self.val(fr, v)) for v in ops[1]]
        self.note(fr, template=tid)
        return self._run_process(fr, runner + args, ops[2], pc)

    # checks: a failure jumps, retries the last ask, or fails the step
    def _check_failed(self, fr, target, pc, message):
        self.note(fr, check="failed", result=message)
        fr.last_error = message
        if isinstance(target, int):
            return target
        if target == "retry" and fr.last_ask is not None:
            left = fr.retries_left.get(fr.last_ask, 0)
            if left > 0:
                fr.retries_left[fr.last_ask] = left - 1
                fr.feedback = message
                return fr.last_ask
            raise StepFailed(f"{message} (no retries left)", fr.last_ask)
        raise StepFailed(message, fr.last_ask if fr.last_ask is not None else pc)

    def op_check_exists(self, fr, ops, pc):
        path = _text(self.val(fr, ops[0]))
        try:
            ok = self.host.exists(path)
        except SandboxError as exc:
            return self._check_failed(fr, ops[1], pc, str(exc))
        return pc + 1 if ok else self._check_failed(fr, ops[1], pc, f"file {path} does not exist")

    def op_check_absent(self, fr, ops, pc):
        path = _text(self.val(fr, ops[0]))
        try:
            there = self.host.exists(path)
        except SandboxError as exc:
            return self._check_failed(fr, ops[1], pc, str(exc))
        if not there:
            return pc + 1
        return self._check_failed(fr, ops[1], pc, f"file {path} exists already; the command "
                                  "would overwrite it")

    def op_check_exit(self, fr, ops, pc):
        if fr.last_exit == ops[0]:
            return pc + 1
        return self._check_failed(fr, ops[1], pc, fr.last_error or
                                  f"exit code was {fr.last_exit}, expected {ops[0]}")

    def _there(self, path: str) -> bool | None:
        """Whether ``path`` is a file here; None where the sandbox cannot look (/opt/...)."""
        try:
            return self.host.is_file(path)
        except (SandboxError, OSError):
            return None

    def op_check_outputs(self, fr, ops, pc):
        missing, problems = [], []
        for path in self.files.edited:
            problem = self._edit_problem(path)
            if problem:
                problems.append(problem)
        for path in self.files.outputs:
            try:
                if not self.host.exists(path):
                    missing.append(path)
                    continue
                text = self.host.read_head(path, OUTPUT_CHECK_LIMIT + 1)
            except SandboxError:
                continue  # a path the sandbox cannot see (/opt/...) is not asked for: unknown
            if len(text) > OUTPUT_CHECK_LIMIT:  # a bigger file is not judged: unknown
                continue
            problem = output_problem(path, text, output_spec(self.task, path))
            guessed = self.provenance.guessed(self.host.output_key(path), text,
                                              "\n".join([self.task or "", *fr.facts]))
            if problem:  # with the file's head: the retry starts over and must fix what is there
                problems.append(f"{problem} (it now holds: {_head(text)})")
            elif guessed:
                data = ", ".join(self.files.inputs[:3]) or "the task's data"
                problems.append(
                    f"{path} holds {', '.join(guessed)}, which no command printed and no file "
                    f"you read holds: write code that reads {data} and writes {path} itself, "
                    'and run it with {"action": "exec", "language": "python", "code": "..."}')
        if missing:
            problems.insert(0, self._missing_outputs(missing))
        if not problems:
            return pc + 1
        return self._check_failed(fr, ops[0], pc, "; ".join(problems))

    def _edit_problem(self, path: str) -> str | None:
        """What is wrong with a file the task says to change: gone, no longer what the task
        says it holds, or (where the task says to keep its lines) without some of them. Its
        numbers are not judged: a config line's fields are not computed values."""
        try:
            if not self.host.exists(path):
                return (f"{path} was there at the start and is gone; the task asks to change "
                        "it, not to remove it")
            text = self.host.read_head(path, OUTPUT_CHECK_LIMIT + 1)
        except SandboxError:
            return None
        if len(text) > OUTPUT_CHECK_LIMIT:
            return None
        problem = output_problem(path, text, output_spec(self.task, path))
        if problem:
            return f"{problem} (it now holds: {_head(text)})"
        before = self.start_text.get(path)
        lost = lost_lines(before, text) if before is not None else []
        if lost:
            return (f"{path} no longer holds {len(lost)} of the lines it had at the start, "
                    f"which the task says to keep (first: {json.dumps(lost[0][:200])}). "
                    "Change the file by keeping every line it had and adding to them, not "
                    "by writing only the new content" + _original(before))
        return None

    def _named_as(self, paths, path: str) -> str | None:
        """The one of ``paths`` (as the task spells them) that is the file ``path`` names."""
        key = self.host.output_key(path)
        return next((p for p in paths if self.host.output_key(p) == key), None)

    def _write_note(self, path: str, content: str, facts=()) -> str:
        """What CHECK.OUTPUTS would hold against a write action to a task output, said at the
        write: numbers typed into it that nothing the model saw explains. Told only after the
        step, the 1.5B typed new numbers into a fresh attempt."""
        output = self._named_as(self.files.outputs, path)
        if output is None:
            return ""
        guessed = self.provenance.guessed(self.host.output_key(path), content,
                                          "\n".join([self.task or "", *facts]))
        if not guessed:
            return ""
        data = ", ".join(self.files.inputs[:3]) or "the task's data"
        return (f"note: {', '.join(guessed[:8])} in {output} came from no command output and "
                f"no file you read. Write code that reads {data} and writes {output} itself, "
                'and run it with {"action": "exec", "language": "python", "code": "..."}')

    def _edit_write(self, path: str, content: str) -> tuple[str, str]:
        """A write action to the file whose existing lines the task says to keep, which leaves
        some of them out: written as the file's lines at the start with the write's new lines
        after them, which is what the task allows. Told to keep the lines, and shown them, the
        1.5B wrote only its new line, then the old lines without its new one (25,878 tokens on
        cron-add-cleanup-job); copying a file back merged is not work for the model."""
        named = self._named_as(self.start_text, path)
        if named is None:
            return content, ""
        before = self.start_text[named]
        lost = lost_lines(before, content)
        if not lost:
            return content, ""
        added = new_lines(before, content)
        merged = before.rstrip("\n") + "\n" + "".join(line + "\n" for line in added)
        if not added:
            return merged, (f"note: this write left out {len(lost)} of the lines {named} had "
                            "at the start and added none, and the task says to keep them: "
                            f"{named} was left as it was")
        return merged, (f"note: this write left out {len(lost)} of the lines {named} had at "
                        "the start, and the task says to keep them: it was written as those "
                        f"lines with your {len(added)} new line(s) after them: "
                        + json.dumps("\n".join(added)[:300]) + f". Read {named} to check it")

    def _trace_in_workdir(self) -> str | None:
        """The trace file's workdir-relative path when it is written there (not the task's)."""
        workdir = getattr(self.host, "workdir", None)
        if not self.trace_path or workdir is None:
            return None
        try:
            return Path(self.trace_path).resolve().relative_to(workdir).as_posix()
        except ValueError:
            return None

    def _missing_outputs(self, missing: list[str]) -> str:
        """What the retry is told about outputs not written. Files made during the run (a
        skill script's output) come first: told to read the task's raw log instead, the 1.5B
        parsed it by hand after its script had summarized it. Else, when the task's own data
        files are here, the route offered is code that reads them: after a bare "write it",
        the 1.5B typed a guess (200 for 14 unique contacts; 2 of 9 cron jobs) on every retry
        seen. A one-line value a command printed is offered as the write route first: told only
        to write code, the 0.5B left `grep -c`'s correct count and wrote a broken script
        (log-count-errors)."""
        one = len(missing) == 1
        head = "the task asks for " + ", ".join(missing) + (
            ", which was not written" if one else ", which were not written")
        start, trace = self.start_files, self._trace_in_workdir()
        made = [] if start is None else [p for p, stamp in self.host.file_stamps().items()
                                         if start.get(p) != stamp and p != trace][:3]
        if made:  # e.g. a skill's script ran: its output, not the raw input, is the data now
            return (f"{head}. Files made during the run: {', '.join(made)}. Write "
                    f"{', '.join(missing)} from what they hold: with code that reads them "
                    '({"action": "exec", "language": "python", "code": "..."}), or with a '
                    "write action of values copied from them")
        data = list(self.files.inputs)
        value = self.provenance.printed()
        if one and value is not None and one_line_output(missing[0], value):
            # offer both routes: the value a command printed ...
            code = (f"write code that reads {', '.join(data[:3])} and writes {missing[0]}"
                    if data else f"write code that writes {missing[0]}")
            return (f"{head}. Your last command printed {json.dumps(value)}. If that is what "
                    f'{missing[0]} should hold, write it with {{"action": "write", "path": '
                    f'"{missing[0]}", "content": "..."}}; if not, {code} and run it with '
                    '{"action": "exec", "language": "python", "code": "..."}')
        if data:
            return (f"{head}. Its data is in {', '.join(data[:3])}: write code that reads "
                    f"{'it' if len(data) == 1 else 'them'} and writes {', '.join(missing)}, "
                    'and run it with {"action": "exec", "language": "python", "code": "..."}')
        return (f"{head}; write {'it' if one else 'them'}"
                f' (with {{"action": "write", "path": "{missing[0]}", "content": "..."}}, '
                "or with code that writes it)")

    # facts carried between steps
    def op_fact(self, fr, ops, pc):
        text = _text(self.val(fr, ops[0])).strip()
        if len(text) > FACT_CAP:  # a fact is a head, not a file: the model can read the rest
            text = text[:FACT_CAP] + f"\n... [{len(text) - FACT_CAP} more characters]"
        if text:
            fr.facts.append(text)
        return pc + 1

    def op_get(self, fr, ops, pc):
        src = fr.slots[ops[1]]
        if isinstance(src, str):
            try:
                src = json.loads(src)
            except json.JSONDecodeError:
                src = None
        key = self.consts[ops[2]]
        self.set_slot(fr, ops[0], src.get(key) if isinstance(src, dict) else None)
        return pc + 1

    def op_listdir(self, fr, ops, pc):
        self.set_slot(fr, ops[0], describe_files(self.host))
        return pc + 1

    def op_lasterror(self, fr, ops, pc):
        self.set_slot(fr, ops[0], fr.last_error)
        return pc + 1

    def _schema_error(self, value, schema) -> str | None:
        try:
            jsonschema.validate(value, schema)
            return None
        except jsonschema.ValidationError as exc:
            return exc.message
        except jsonschema.SchemaError as exc:
            return f"bad schema: {exc.message}"

    def op_check_slot(self, fr, ops, pc):
        err = self._schema_error(fr.slots[ops[0]], self.consts[ops[1]])
        if err is None:
            return pc + 1
        name = self.program.slots[ops[0]]
        return self._check_failed(fr, ops[2], pc, f"${name} does not match the schema: {err}")

    def op_check_file(self, fr, ops, pc):
        path = _text(self.val(fr, ops[0]))
        try:
            value = json.loads(self.host.read_file(path))
        except SandboxError as exc:
            return self._check_failed(fr, ops[2], pc, str(exc))
        except json.JSONDecodeError as exc:
            return self._check_failed(fr, ops[2], pc, f"{path} is not JSON: {exc.msg}")
        err = self._schema_error(value, self.consts[ops[1]])
        if err is None:
            return pc + 1
        return self._check_failed(fr, ops[2], pc, f"{path} does not match the schema: {err}")

    # the model
    def op_ask(self, fr, ops, pc):
        prompt_v, out, schema_i, mask, turns, retries = ops
        if fr.last_ask != pc:
            fr.retries_left[pc] = retries
        fr.last_ask = pc
        schema = None if schema_i is None else self.consts[schema_i]
        step = AskStep(self, fr, pc, prompt_v, out) if self.jit is not None else None
        if step is not None:  # a solidified template may stand in for the model
            next_pc = self.jit.before_model(step)
            if next_pc is not None:
                return next_pc
        if self.max_steps:
            turns = min(turns, self.max_steps) if turns > 0 else self.max_steps
        prompt = _text(self.val(fr, prompt_v))
        messages = ask_messages(prompt, mask, schema, self.task,
                                fr.facts, fr.feedback, fr.last_attempt if fr.feedback else "")
        fr.feedback = None

        def on_turn(turn):
            with self._totals_lock:
                t = self.totals
                t["model_calls"] += 1
                t["prompt_tokens"] += turn.prompt_tokens
                t["completion_tokens"] += turn.completion_tokens
                if turn.cost is not None:
                    t["cost"] = (t["cost"] or 0.0) + turn.cost
            if self.trace:
                self.trace.write(model_record(turn, step_key, index=pc, branch=fr.branch))

        step_key = f"{fr.branch or 'main'}/{pc}"
        loop = AgentLoop(self.host, self.max_tokens, self.temperature, self.deadline, fr.cancel,
                         on_turn, step_key, network=self.needs_network(pc),
                         provenance=self.provenance, library=library_of(prompt),
                         file_views=True, refuse_give_up=True, fix_imports=True,
                         commands=documented_commands(prompt),
                         write_note=lambda path, content: self._write_note(path, content,
                                                                           fr.facts),
                         edit_write=self._edit_write if self.start_text else None)
        outcome = loop.run(messages, mask, turns or 8, schema, tag=f"step{fr.step}-{pc}")
        fr.last_attempt = attempt_summary(outcome.turns)
        if step is not None:
            self.jit.after_model(step, outcome)
        last_exit = getattr(loop, "last_exit", None)
        if last_exit is not None:
            fr.last_exit = last_exit
        self.note(fr, model=next((t.model for t in outcome.turns if t.model), self.model_name),
                   turns=len(outcome.turns), prompt_tokens=outcome.prompt_tokens,
                   completion_tokens=outcome.completion_tokens, cost=outcome.cost,
                   action=[t.action.get("action") if t.action else None for t in outcome.turns],
                   result=_text(outcome.value)[:200] if outcome.ok else outcome.error)
        if not outcome.ok:
            left = fr.retries_left.get(pc, 0)
            if left > 0:
                fr.retries_left[pc] = left - 1
                fr.feedback = outcome.error
                return pc
            raise StepFailed(outcome.error, pc)
        self.set_slot(fr, out, outcome.value)
        return pc + 1

    # parallel branches
    def op_endbranch(self, fr, ops, pc):
        raise _EndBranch(self.val(fr, ops[0]))

    def op_join(self, fr, ops, pc):
        self.set_slot(fr, ops[0], list(fr.join_results))
        return pc + 1

    def op_fork(self, fr, ops, pc):
        policy, join, starts = ops
        group = CancelToken(fr.cancel)
        frames = [fr.fork(group, f"{fr.branch}.{i}" if fr.branch else str(i))
                  for i in range(len(starts))]

        def run_branch(i):
            try:
                self._loop(frames[i], starts[i])
                return ("ok", None)
            except _EndBranch as e:
                return ("ok", e.value)
            except _Halt as e:
                if e.code == 0:
                    return ("ok", None)
                error = ("failed", StepFailed(f"halt {e.code}", starts[i]))
            except Cancelled:
                return ("cancelled", None)
            except (StepFailed, ModelError, RunTimeout) as e:
                error = ("failed", e)
            except Exception as e:  # noqa: BLE001 - a bug in a branch must not hang the join
                error = ("failed", StepFailed(f"{type(e).__name__}: {e}", starts[i]))
            if policy == "cancel":
                group.set()
            return error

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(starts)))) as pool:
            outcomes = list(pool.map(run_branch, range(len(starts))))
        if fr.cancel.is_set():
            raise Cancelled()
        results = []
        for i, (status, value) in enumerate(outcomes):
            if status == "ok":
                results.append({"status": "ok", "value": value})
            elif status == "cancelled":
                results.append({"status": "cancelled"})
            else:
                msg = self._where(getattr(value, "pc", starts[i]), str(value)) \
                    if isinstance(value, StepFailed) else str(value)
                results.append({"status": "failed", "error": msg})
        if policy == "cancel":
            for status, value in outcomes:
                if status == "failed":
                    raise value
        # Merge slot writes of successful branches in branch order (deterministic).
        for (status, _), bf in zip(outcomes, frames):
            if status == "ok":
                for idx in sorted(bf.written):
                    self.set_slot(fr, idx, bf.slots[idx])
        fr.join_results = results
        self.note(fr, branches=[r["status"] for r in results])
        return join


FACT_CAP = 2000  # characters of one FACT shown to the model
PROBLEM_HEAD = 300  # characters of a rejected output quoted in the check's message


ORIGINAL_SHOWN = 1500  # characters of an edited file's content at the start quoted back


def _original(text: str) -> str:
    """An edited file's content at the start, quoted whole when it is short."""
    if len(text) > ORIGINAL_SHOWN:
        return ""
    return ". Its content at the start was:\n" + text.rstrip("\n")


def _head(text: str) -> str:
    """A rejected output's first characters, quoted on one line as JSON would."""
    head = json.dumps(text[:PROBLEM_HEAD], ensure_ascii=False)
    return head + (f" ... [{len(text) - PROBLEM_HEAD} more characters]"
                   if len(text) > PROBLEM_HEAD else "")


def describe_files(host, limit: int = 40) -> str:
    """The workdir's files as a fact: path, size, and the first line of text files (a CSV's
    header, a log's format; only the head is read), so the model need not spend a turn on it."""
    files = host.list_files(limit)
    if not files:
        return "The working directory is empty."
    lines = ["Files in the working directory:"]
    shapes: dict[str, str] = {}  # a JSON shape -> the first file shown with it
    for path, size in files:
        head = ""
        data_shape = _json_shape(host, path, size)
        if data_shape:
            # a folder of records of one kind: the shape once, not once per file
            first = shapes.setdefault(data_shape, path)
            head = f"; JSON: {data_shape}" if first == path else f"; JSON: as {first}"
        elif size > 0:
            try:
                first = host.read_head(path, 512).split("\n", 1)[0].strip()
            except SandboxError:
                first = ""
            if first and first.isprintable():
                head = f"; first line: {first[:120]}"
        lines.append(f"- {path} ({size} bytes{head})")
    if len(files) >= limit:
        lines.append(f"- ... (only the first {limit} are listed)")
    return "\n".join(lines)


def _json_shape(host, path: str, size: int) -> str | None:
    """A JSON data file's keys (skvmc.vm.json_shape), in place of its first line ``[``."""
    if not path.lower().endswith(".json") or not 0 < size <= JSON_SHAPE_BYTES:
        return None
    try:
        return json_shape(host.read_file(path))
    except (SandboxError, UnicodeDecodeError):
        return None


ATTEMPT_TURNS = 8  # the last turns of a failed attempt shown on its retry


def _turn_line(turn) -> str:
    a = turn.action if isinstance(turn.action, dict) else None
    kind = a.get("action") if a else None
    if kind == "read":
        line = f"read {a.get('path', '')}"
    elif kind == "write":
        line = f"wrote {a.get('path', '')}"
    elif kind == "exec":
        argv = a.get("argv")
        if isinstance(argv, list) and argv:
            line = " ".join(map(str, argv))
        else:
            line = str(argv) if argv else f"ran {a.get('language', 'python')} code"
        out = (turn.result or "").strip().split("\n")
        line += f" -> {out[0]}"
        if failed(turn.result or "") and len(out) > 1:
            line += ": " + out[-1].strip()  # a traceback's last line names the error
    elif kind == "answer":
        line = f"answered {_text(a.get('answer'))}"
    else:
        line = "replied without a valid action"
    return line if len(line) <= 200 else line[:200] + " ..."


def attempt_summary(turns) -> str:
    """One line per turn of an ASK's agent loop: what a retry is told it did before."""
    lines = [_turn_line(t) for t in list(turns)[-ATTEMPT_TURNS:]]
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def ask_messages(prompt: str, mask: int, schema, task: str, facts=(), feedback=None,
                 attempt: str = ""):
    """The messages of one ASK. The step's prompt (fixed at compile time) goes into the system
    message, the run's task, facts and check feedback into the user message: runs of one
    program then share the system prefix, which a local model keeps in its KV cache. A retry
    also says what the failed attempt did: a weak model decoding greedily otherwise walks the
    same path again, turn for turn (measured on the 1.5B)."""
    user = task or "Do the step."
    if facts:
        user += "\n\nAlready known:\n\n" + "\n\n".join(facts)
    if feedback:
        if attempt:
            user += f"\n\nYour previous attempt did:\n{attempt}"
        user += (f"\n\nYour previous attempt failed a check: {feedback}\n"
                 + ("Do not repeat it; fix it." if attempt else "Fix it."))
    return [{"role": "system", "content": system_prompt(mask, schema, prompt)},
            {"role": "user", "content": user}]


def model_record(turn, step_key: str, **extra) -> dict:
    """The trace record of one model call; ``kind``/``step``/``completion`` are the fields
    ``skvmc.models.replay`` reads back (``replay:TRACE.jsonl``)."""
    return {"type": "model", "kind": "model", "step": step_key, "completion": turn.text,
            "prompt_tokens": turn.prompt_tokens, "completion_tokens": turn.completion_tokens,
            "latency_s": turn.latency_s, "model": turn.model, "cost": turn.cost,
            "action": turn.action, "result": turn.result, **extra}


def run_program(program: Program, host: Host, **options) -> RunResult:
    """Run ``program`` on ``host``; options as for :class:`VM` (task, trace_path, timeout ...)."""
    return VM(program, host, **options).run()

