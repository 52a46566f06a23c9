"""The bounded agent loop: one skill step (ASK) or a whole uncompiled skill (baseline).

Each turn the model answers with one JSON action (the schema is passed to ``model.complete``
so constrained-decoding servers enforce it)::

    {"action": "exec", "argv": ["python", "x.py"]}              run a command (no shell)
    {"action": "exec", "language": "python", "code": "..."}    run code written to a temp file
    {"action": "read", "path": "data.csv"}
    {"action": "write", "path": "out.txt", "content": "..."}
    {"action": "answer", "answer": ...}                          finish the step ("done" too)

Weak models are met halfway: the first JSON object in the text is used (raw newlines in its
strings accepted); a fenced code block is run as code; plain text is taken as the answer, but
text that starts as an action and does not parse is not. Code and argv are repaired where a
measured habit broke them (skvmc/vm/code_repair.py), and the observation says what ran.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import sys
import threading
import time
from typing import Any

import attrs
import jsonschema

from skvmc.bytecode.isa import ACT_EXEC, ACT_READ, ACT_WRITE
from skvmc.dialects import skill
from skvmc.vm.auto_import import complete_imports
from skvmc.vm.code_repair import INTERPRETERS, SHELL_OPERATORS, repair_code, split_argv
from skvmc.vm.host import Cancelled, Host, SandboxError
from skvmc.vm.script_usage import import_note

OBSERVATION_CAP = 4000
READ_HEAD_LINES = 15  # lines of a big file a compiled step's read shows
# A compiled step reads a task file (in the workdir) of more lines than this as its head too:
# the 1.5B read a 75-line log whole, counted its ERROR lines by eye and wrote 1 for 12
# (log-count-errors); counting, summing and sorting rows is work for code. The skill's own
# files (references, templates) are instructions: shown whole up to the cap.
DATA_WHOLE_LINES = 40
# Compiled steps: an observation older than the latest is kept in the history as its head
# and tail: a file read once stayed in every later prompt (on weblog-slow-requests about
# 1,300 of each later turn's 2,400 tokens), and the model acted on it when it was new.
EARLIER_OBSERVATION_KEPT = 600
WRITTEN_SHOWN = 3  # files a command wrote, quoted in its observation (compiled steps only)
WRITTEN_HEAD = 400  # characters of each
INVALID_REPLY_KEPT = 300  # characters of a reply without an action kept in the history
ONE_LINE_HINT = ("Your code is all on one line: put each statement on its own line, with \\n "
                 "between lines inside the JSON string, and indent blocks.")


class ModelError(Exception):
    """The model call failed (network, server, bad credentials ...): exit code 3."""


class RunTimeout(Exception):
    """The run's deadline passed: exit code 4."""


@attrs.define
class Turn:
    text: str
    action: dict | None
    result: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    latency_s: float = 0.0
    model: str = ""

    def record(self) -> dict:
        return attrs.asdict(self)


@attrs.define
class StepOutcome:
    ok: bool
    value: Any = None
    error: str = ""
    turns: list[Turn] = attrs.Factory(list)

    @property
    def prompt_tokens(self):
        return sum(t.prompt_tokens for t in self.turns)

    @property
    def completion_tokens(self):
        return sum(t.completion_tokens for t in self.turns)

    @property
    def cost(self):
        costs = [t.cost for t in self.turns if t.cost is not None]
        return sum(costs) if costs else None


def action_schema(mask: int, answer_schema: dict | None = None) -> dict:
    """The JSON schema of one action, restricted to the allowed ones."""
    variants = []
    if mask & ACT_EXEC:
        variants.append({"type": "object", "required": ["action", "argv"], "properties": {
            "action": {"const": "exec"},
            "argv": {"type": "array", "items": {"type": "string"}, "minItems": 1}}})
        variants.append({"type": "object", "required": ["action", "language", "code"],
                         "properties": {"action": {"const": "exec"},
                                        "language": {"enum": ["python", "bash"]},
                                        "code": {"type": "string"}}})
    if mask & ACT_READ:
        variants.append({"type": "object", "required": ["action", "path"], "properties": {
            "action": {"const": "read"}, "path": {"type": "string"}}})
    if mask & ACT_WRITE:
        variants.append({"type": "object", "required": ["action", "path", "content"],
                         "properties": {"action": {"const": "write"}, "path": {"type": "string"},
                                        "content": {"type": "string"}}})
    variants.append({"type": "object", "required": ["action", "answer"], "properties": {
        "action": {"const": "answer"}, "answer": answer_schema or {}}})
    return {"anyOf": variants} if len(variants) > 1 else variants[0]


def system_prompt(mask: int, answer_schema: dict | None, preamble: str = "") -> str:
    lines = [preamble.strip()] if preamble.strip() else []
    lines.append("You work in a sandboxed directory. Reply with exactly one JSON object "
                 "choosing one action:")
    if mask & ACT_EXEC:
        lines.append('  {"action": "exec", "argv": ["<program>", "<arg>"]}  run a command')
        lines.append('  {"action": "exec", "language": "python", "code": "<code>"}  run code')
    if mask & ACT_READ:
        lines.append('  {"action": "read", "path": "<file>"}  read a file')
    if mask & ACT_WRITE:
        lines.append('  {"action": "write", "path": "<file>", "content": "<text>"}  write a file')
    lines.append('  {"action": "answer", "answer": <result>}  when the step is done')
    if answer_schema:
        lines.append("The answer must match this JSON schema: "
                     + json.dumps(answer_schema, sort_keys=True))
    return "\n".join(lines)


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)


def parse_action(text: str) -> dict | None:
    """The action in a model reply, tolerant of chatter around it; None if there is none."""
    text = (text or "").strip()
    if not text:
        return None
    obj = _first_json_object(text)
    if isinstance(obj, dict):
        if isinstance(obj.get("action"), str):
            act = dict(obj)
            act["action"] = act["action"].strip().lower()
            if act["action"] == "done":
                act["action"] = "answer"
            return act
        return {"action": "answer", "answer": obj}
    fence = _FENCE.search(text)
    if fence:
        lang = fence.group(1).lower()
        lang = "bash" if skill.fence_kind(lang) == skill.SHELL else "python"
        return {"action": "exec", "language": lang, "code": fence.group(2)}
    if _ACTION_START.match(text):
        return None  # an action that does not parse (cut off, or broken JSON) is no answer
    return {"action": "answer", "answer": text}


_ACTION_START = re.compile(r'\s*\{\s*"action"\s*:')


def invalid_reply(completion_tokens: int, max_tokens: int) -> str:
    """What the model is told when its reply holds no action."""
    if completion_tokens >= max_tokens:
        return (f"error: your reply was cut off at {max_tokens} tokens, before its JSON "
                "object closed, so nothing ran. Send a shorter action: shorter code, or one "
                "part of the work at a time.")
    return ("error: your reply is not one complete JSON object, so nothing ran. Reply with "
            "exactly one JSON object choosing an action.")


def _first_json_object(text: str):
    # strict=False: raw newlines inside strings, which weak models write in code and file
    # content, are accepted (grammar-constrained servers let them through)
    decoder = json.JSONDecoder(strict=False)
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
            return obj
        except json.JSONDecodeError:
            continue
    return None


def _accepts_step(model) -> bool:
    """Whether ``model.complete`` takes ``step=`` (the model layer's replay keys on it)."""
    try:
        params = inspect.signature(model.complete).parameters
    except (TypeError, ValueError):
        return False
    return "step" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def call_model(model, messages, schema, max_tokens: int, temperature: float,
               step: str | None = None):
    extra = {"step": step} if step is not None and _accepts_step(model) else {}
    try:
        return model.complete(messages, schema=schema, max_tokens=max_tokens,
                              temperature=temperature, **extra)
    except (Cancelled, RunTimeout):
        raise
    except Exception as exc:  # any failure inside the model layer is a model error
        raise ModelError(f"{type(exc).__name__}: {exc}") from exc


def failed(observation: str) -> bool:
    """An observation that reports a failure: a non-zero exit, or an error the loop gave."""
    m = re.match(r"exit code (\d+)", observation)
    return observation.startswith("error:") or (m is not None and m.group(1) != "0")


SHOWN_WRITE = 120  # characters of a one-line write echoed back in its observation


GIVE_UP_OBSERVATION = (
    "error: an answer that reports an error does not finish the step: the task is not done "
    "yet. Fix what failed, or do it another way (code you write yourself: "
    '{"action": "exec", "language": "python", "code": "..."}), and answer when it is done.')


def error_report(value) -> bool:
    """Whether an answer only reports a failure (``{"error": "File not found"}``,
    ``"Error: ..."``): the 1.5B answered so right after a failed action in 2 of 6 compiled
    runs, and the step's retry then did the work."""
    if isinstance(value, dict) and len(value) == 1:
        key, text = next(iter(value.items()))
        return str(key).strip().lower() in ("error", "failure", "failed") and \
            isinstance(text, str)
    return isinstance(value, str) and bool(_ERROR_TEXT.match(value))


_ERROR_TEXT = re.compile(r"\s*(?:error|failure|failed)\b\s*[:!-]", re.IGNORECASE)


def wrote_observation(path: str, content: str) -> str:
    """What a write tells the model. A short one-line file is echoed back; a count of
    characters is not given, because weak models copy it into the next write (measured: the
    0.5B wrote "12", was told "wrote 2 characters", wrote "2", then "1")."""
    if "\n" not in content.strip() and len(content) <= SHOWN_WRITE:
        return f"wrote {path}; it now holds: {content.strip()}"
    lines = len(content.splitlines())
    return f"wrote {path} ({lines} lines)"


def repeat_observation(earlier: str) -> str:
    return ("error: you already did exactly this, and it failed:\n" + _cap(earlier, 800)
            + "\nDoing it again gives the same result. Read the error and change the "
              "command or the code, or choose another action.")


def same_again_observation(action: dict) -> str:
    if action.get("action") == "read":
        return (f"error: you already read {action.get('path', '')}, and it has not changed "
                "since: its content is above. Use it: write what the task asks for, or answer.")
    if action.get("action") == "write":
        return (f"{action.get('path', '')} already holds exactly this: nothing changed. If "
                "the task is done, answer; otherwise do its next step.")
    return ("error: you did exactly this before and got the same result (above); doing it "
            "again changes nothing. Do the next step of the task, or answer.")


class RepeatGuard:
    """Weak models decoding greedily often resend an action word for word until the turn
    budget runs out: a command that just failed, the same command for the same output, a
    read of a file they already have. A failed action is not run again; any other repeat is
    run (the files it reads may have changed) but, when its result is the same as last
    time, the result is not shown again. Either way the model is told it repeats itself,
    the next turn samples at a higher temperature (the servers seed their sampler, so runs
    stay reproducible), and the step ends after ``stuck_after`` repeats in a row. Two: over
    the 36 repeats in the stop-12 bench traces (1.5B and 0.5B), the model changed its action
    after the first repeat 10 times and after the second never (26 went on to a third)."""

    RESAMPLE_TEMPERATURE = 0.7
    stuck_after = 2
    invalid_after = 3  # replies without an action (no measurement to change it)

    def __init__(self):
        self._failures: dict[str, str] = {}
        self._results: dict[str, str] = {}
        self._in_a_row = 0
        self._invalid_in_a_row = 0  # replies that held no action (cut off, broken JSON)
        self.repeated = False  # the last step's action repeated an earlier one

    def invalid(self) -> None:
        """A reply without an action: degenerate decoding repeats itself too (measured: the
        1.5B cut off at the token budget 6 times in a row, until the run timed out)."""
        self._invalid_in_a_row += 1

    @staticmethod
    def _key(action) -> str | None:
        if not isinstance(action, dict) or action.get("action") == "answer":
            return None  # an answer is checked on its own; repeating one is not a loop
        return json.dumps(action, sort_keys=True, default=str)

    def step(self, action, perform) -> tuple[bool, Any, str]:
        """(finished, answer, observation) for ``action``: ``perform()`` runs it unless it
        repeats a failure."""
        self._invalid_in_a_row = 0  # an action, even a repeated one, breaks a broken run
        self.repeated = False
        key = self._key(action)
        earlier = self._failures.get(key) if key is not None else None
        if earlier is not None:
            self._in_a_row += 1
            self.repeated = True
            return False, None, repeat_observation(earlier)
        done, value, observation = perform()
        if key is not None and failed(observation):
            self._failures[key] = observation
        elif key is not None:
            if self._results.get(key) == observation:
                self._in_a_row += 1
                self.repeated = True
                return done, value, same_again_observation(action)
            self._results[key] = observation
        self._in_a_row = 0
        return done, value, observation

    def temperature(self, base: float) -> float:
        again = self._in_a_row or self._invalid_in_a_row
        return max(base, self.RESAMPLE_TEMPERATURE) if again else base

    @property
    def stuck(self) -> str:
        """Why the step should end now, or ""."""
        if self._in_a_row >= self.stuck_after:
            return f"the model repeated the same action {self.stuck_after} times in a row"
        if self._invalid_in_a_row >= self.invalid_after:
            return (f"the model sent no valid action {self.invalid_after} times in a row "
                    "(cut off, or not one JSON object)")
        return ""


class AgentLoop:
    """Runs turns until an acceptable answer, or the turn budget runs out."""

    def __init__(self, host: Host, max_tokens: int = 1024, temperature: float = 0.0,
                 deadline: float | None = None, cancel: threading.Event | None = None,
                 on_turn=None, step_key: str | None = None, network: bool = False,
                 provenance=None, library=None, file_views: bool = False,
                 refuse_give_up: bool = False, fix_imports: bool = False,
                 commands: dict[str, str] | None = None,
                 write_note=None, edit_write=None):
        self.step_key = step_key
        self.library = library  # skvmc.vm.skill_library: the skill's own helper functions
        # compiled steps: an exec's observation quotes the files it wrote, a big file is read
        # as its head (the baseline loop stands for a harness, which does neither)
        self.file_views = file_views
        # compiled steps: the first answer that only reports an error does not end the step
        self.refuse_give_up = refuse_give_up
        # compiled steps: the standard-library imports model code leaves out are added
        self.fix_imports = fix_imports
        # compiled steps: script stem -> the command line the step's prompt runs it with
        self.commands = commands or {}
        # compiled steps: (path, content) -> what the VM knows is wrong with that write, or ""
        self.write_note = write_note
        # compiled steps: (path, content) -> (the content to write, a note on the change)
        self.edit_write = edit_write
        self._give_ups = 0
        self.provenance = provenance  # skvmc.vm.provenance: what the model saw and typed
        self.network = network  # the step declared tool.web/tool.browser
        self.host = host
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.deadline = deadline
        self.cancel = cancel
        self.on_turn = on_turn
        self._code_counter = 0
        self._lock = threading.Lock()

    def run(self, messages: list[dict], mask: int, max_turns: int,
            answer_schema: dict | None = None, tag: str = "step") -> StepOutcome:
        schema = action_schema(mask, answer_schema)
        outcome = StepOutcome(ok=False)
        repeats = RepeatGuard()
        observed = None  # the index in ``messages`` of the latest observation
        for _ in range(max(1, max_turns)):
            self._check_time()
            temperature = repeats.temperature(self.temperature)
            c = call_model(self.host.model, messages, schema, self.max_tokens, temperature,
                           self.step_key)
            text = getattr(c, "text", "") or ""
            action = parse_action(text)
            if action is None:
                repeats.invalid()
                reply_error = invalid_reply(int(getattr(c, "completion_tokens", 0) or 0),
                                            self.max_tokens)
                done, value, result = False, None, reply_error
            else:
                done, value, result = repeats.step(
                    action, lambda a=action: self._perform(a, mask, answer_schema, tag))
            turn = Turn(text, action, _cap_ends(result, 500),
                        int(getattr(c, "prompt_tokens", 0) or 0),
                        int(getattr(c, "completion_tokens", 0) or 0), getattr(c, "cost", None),
                        float(getattr(c, "latency_s", 0.0) or 0.0), str(getattr(c, "model", "")))
            outcome.turns.append(turn)
            if self.on_turn:
                self.on_turn(turn)
            if done:
                outcome.ok, outcome.value = True, value
                return outcome
            if repeats.stuck:
                outcome.error = repeats.stuck
                return outcome
            # a reply without an action stays in the history as its head only: a degenerate
            # one copied back in whole is continued by the model, and costs its tokens again
            said = text if action is not None else _cap(text, INVALID_REPLY_KEPT)
            if repeats.repeated and action is not None and messages[-1]["role"] == "user":
                # a repeated action is not put in the history a second time: the notice
                # follows the latest observation instead. Two copies of one turn in the
                # prompt are what a weak model continues (it resent the refused action
                # word for word in 9 of 16 traced refusals)
                messages = messages[:-1] + [{"role": "user", "content":
                                             messages[-1]["content"] + "\n\n" + result}]
                continue
            if self.file_views and observed is not None:
                messages = _shorten_observation(messages, observed)
            observed = len(messages) + 1
            messages = messages + [{"role": "assistant", "content": said},
                                   {"role": "user", "content": result}]
        outcome.error = f"no acceptable answer within {max(1, max_turns)} turns"
        return outcome

    def _check_time(self):
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise RunTimeout("run timed out")

    def _perform(self, action, mask, answer_schema, tag) -> tuple[bool, Any, str]:
        """(finished, answer value, observation text for the model)."""
        if action is None:
            return False, None, "Reply with one JSON object choosing an action."
        kind = action.get("action")
        try:
            if kind == "answer":
                return self._answer(action.get("answer", action.get("result")), answer_schema)
            if kind == "exec" and mask & ACT_EXEC:
                return False, None, self._saw(self._exec(action, tag))
            if kind == "read" and mask & ACT_READ:
                path = str(action.get("path", ""))
                text = self.host.read_file(path)
                if not self.file_views:
                    text = _cap(text)
                else:
                    text = read_head(text, whole_up_to=DATA_WHOLE_LINES
                                     if self.host.in_workdir(path) else None)
                return False, None, self._saw(text)
            if kind == "write" and mask & ACT_WRITE:
                content = action.get("content", "")
                if not isinstance(content, str):
                    content = json.dumps(content)
                path = str(action.get("path", ""))
                edit_note = ""
                if self.edit_write is not None:
                    content, edit_note = self.edit_write(path, content)
                self.host.write_file(path, content)
                if self.provenance is not None:
                    self.provenance.typed(self.host.output_key(path), content)
                note = self.write_note(path, content) if self.write_note else ""
                return False, None, "\n".join(p for p in (wrote_observation(path, content),
                                                          edit_note, note) if p)
        except SandboxError as exc:
            return False, None, f"error: {exc}"
        return False, None, (f"error: action {kind!r} is not allowed in this step; allowed: "
                             + ", ".join(_allowed_names(mask)))

    def _saw(self, observation: str) -> str:
        if self.provenance is not None:
            self.provenance.saw(observation)
        return observation

    def _answer(self, value, answer_schema):
        if self.refuse_give_up and not self._give_ups and error_report(value):
            self._give_ups += 1
            return False, None, GIVE_UP_OBSERVATION
        if answer_schema:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass
            try:
                jsonschema.validate(value, answer_schema)
            except jsonschema.ValidationError as exc:
                return False, None, f"error: the answer does not match the schema: {exc.message}"
            except jsonschema.SchemaError as exc:
                return False, None, f"error: bad schema: {exc.message}"
        return True, value, "ok"

    def _exec(self, action, tag) -> str:
        argv = action.get("argv")
        note, code, library_lines = "", None, 0
        if argv is None and isinstance(action.get("code"), str):
            lang = str(action.get("language", "python")).lower()
            lang = "bash" if skill.fence_kind(lang) == skill.SHELL else "python"
            code = action["code"]
            fix = repair_code(lang, code)
            if fix is not None:
                lang, code, note = fix
            if lang == "python" and self.library:
                own = code
                code, uses, library_lines = self.library.complete_at(code)
                note = "\n".join(n for n in (note, uses) if n)
            if lang == "python" and self.fix_imports:
                # after the library: its helpers' names count as bound, their imports too
                completed, imports = complete_imports(code)
                if library_lines:  # the imports go before the library: the model's code moves
                    library_lines += completed.count("\n") - code.count("\n")
                code = completed
                note = "\n".join(n for n in (note, imports) if n)
            with self._lock:
                self._code_counter += 1
                n = self._code_counter
            suffix = "sh" if lang == "bash" else "py"
            path = f".skvm/{tag}-{n}.{suffix}"
            self.host.write_file(path, code)
            argv = ["bash", path] if suffix == "sh" else [sys.executable, path]
        if isinstance(argv, str):
            argv = [argv]
        if isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv):
            # weak models run a command line, or an option and its value, into one item:
            # split them as words (never a shell); what needs a shell cannot be split
            try:
                split, argv_note = split_argv(argv, self._is_program)
            except ValueError:
                return "error: argv must be a JSON list of strings"
            argv, was_split = split, split != argv
            if was_split and any(w in SHELL_OPERATORS for w in argv):
                return ("error: argv is run without a shell; for pipes or redirections use "
                        '{"action": "exec", "language": "bash", "code": "..."}')
            note = note or argv_note
        if not isinstance(argv, list) or not argv:
            return "error: exec needs a non-empty argv list or language+code"
        argv = [str(a) for a in argv]
        missing = self._missing_script(argv)
        if missing:
            return missing
        before = self.host.file_stamps() if self.file_views else None
        r = self.host.run(argv, cancel=self.cancel, timeout=self._remaining(),
                          network=self.network)
        self.last_exit = r.exit_code
        if self.provenance is not None:
            self.provenance.ran(r.exit_code, r.stdout)
        parts = [f"exit code {r.exit_code}" + (" (timed out)" if r.timed_out else "")]
        if note:
            parts.append(note)
        if before is not None:
            parts.append(self._written_since(before))
        if r.stdout:
            parts.append("stdout:\n" + r.stdout)
        if library_lines and r.exit_code != 0:  # before the output, which the cap may cut
            parts.append(self.library.explain_error(own, library_lines, r.stderr or ""))
        if r.stderr:
            parts.append("stderr:\n" + r.stderr)
        if r.exit_code != 0 and self.commands:
            parts.append(import_note(r.stderr, self.commands))
        if (r.exit_code != 0 and isinstance(code, str) and "\n" not in code.strip()
                and "SyntaxError" in (r.stderr or "")):
            # weak models flatten a program into one JSON line; the traceback alone does
            # not tell them why (measured: the 1.5B, 3 tasks, every retry the same one-liner)
            parts.append(ONE_LINE_HINT)
        return _cap("\n".join(p for p in parts if p))

    def _written_since(self, before: dict) -> str:
        """The files a command created or changed, each with its head: the next step of a
        skill is mostly "read the output and use it", and the 1.5B skipped that read and
        typed invented numbers (weblog-error-report, after both scripts had run)."""
        after = self.host.file_stamps()
        changed = [p for p, stamp in after.items() if before.get(p) != stamp]
        lines = []
        for path in changed[:WRITTEN_SHOWN]:
            try:
                head = self.host.read_head(path, WRITTEN_HEAD + 1)
            except SandboxError:
                continue
            if "\x00" in head:
                lines.append(f"- {path} ({after[path][0]} bytes, not text)")
                continue
            more = " ..." if len(head) > WRITTEN_HEAD else ""
            lines.append(f"- {path} ({after[path][0]} bytes): "
                         + json.dumps(head[:WRITTEN_HEAD], ensure_ascii=False) + more)
        if len(changed) > WRITTEN_SHOWN:
            lines.append(f"- and {len(changed) - WRITTEN_SHOWN} more")
        return "files the command wrote:\n" + "\n".join(lines) if lines else ""

    def _missing_script(self, argv: list[str]) -> str:
        """The error for an interpreter given a script that is not there (weak models run a
        script they imagine: ``python count_unique_signups.py``), with what is there."""
        if (len(argv) < 2 or os.path.basename(argv[0]) not in INTERPRETERS
                or argv[1].startswith("-") or os.path.isabs(argv[1])):
            return ""
        try:
            if self.host.exists(argv[1]):
                return ""
            names = [name for name, _ in self.host.list_files(20)]
        except (SandboxError, OSError):
            return ""
        return (f"error: there is no file {argv[1]} here, so nothing ran. The working "
                f"directory holds: {', '.join(names) or 'no files'}. To run code of your own, "
                'send {"action": "exec", "language": "python", "code": "..."}.')

    def _is_program(self, word: str) -> bool:
        if shutil.which(word) is not None:
            return True
        try:
            return self.host.exists(word)
        except SandboxError:
            return False

    def _remaining(self):
        if self.deadline is None:
            return None
        return max(0.1, self.deadline - time.monotonic())


def _allowed_names(mask):
    names = [n for n, b in (("exec", ACT_EXEC), ("read", ACT_READ), ("write", ACT_WRITE))
             if mask & b]
    return names + ["answer"]


def read_head(text: str, lines: int = READ_HEAD_LINES, whole_up_to: int | None = None) -> str:
    """A read of a file longer than the observation cap (or, with ``whole_up_to``, of more
    lines than that), as its first ``lines`` lines and what the rest is: the 1.5B read a
    50 KB log as 4,000 characters of it, then sent 512-token replies that never closed
    (weblog-slow-requests, where the skill's script did the work). A short file is shown
    whole."""
    total = text.count("\n") + (not text.endswith("\n"))
    if len(text) <= OBSERVATION_CAP and (whole_up_to is None or total <= whole_up_to):
        return text
    head = text.split("\n", lines)[:lines]
    shown = "\n".join(head)[:OBSERVATION_CAP // 2]
    return (f"{shown}\n... [{len(text):,} characters, {total:,} lines in all; only the first "
            f"{len(head)} are shown. Work on the whole file with code (exec), or with the "
            "skill's scripts if it ships some.]")


def _shorten_observation(messages: list[dict], index: int) -> list[dict]:
    """``messages`` with the observation at ``index`` cut to its head and tail (a new list;
    the caller's messages are not changed)."""
    content = messages[index]["content"]
    if len(content) <= EARLIER_OBSERVATION_KEPT:
        return messages
    cut = _cap_ends(content, EARLIER_OBSERVATION_KEPT,
                    "{n:,} characters of this earlier output left out")
    return [*messages[:index], {**messages[index], "content": cut}, *messages[index + 1:]]


def _cap_ends(text: str, limit: int, left_out: str = "{n} more") -> str:
    """Head and tail of a long observation: a traceback names its error on the last line.
    ``left_out`` says what was cut (``n``: how many characters)."""
    text = str(text)
    if len(text) <= limit:
        return text
    head, tail = limit * 3 // 5, limit * 2 // 5
    return f"{text[:head]}\n... [{left_out.format(n=len(text) - head - tail)}] ...\n{text[-tail:]}"


def _cap(text: str, limit: int = OBSERVATION_CAP) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"\n... [{len(text) - limit} more]"
