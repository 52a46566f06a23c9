"""The ``bytecode`` backend: ``skill.skbc`` and its ``skill.skasm`` disassembly.

Two shapes (``granularity.py`` chooses from the profile; report.json says which and why):

- **whole**: the skill as one agent loop, as a harness runs it: one ASK whose prompt is the
  compiled SKILL.md, then CHECK.OUTPUTS (the files the task names exist, else the ASK is
  asked again with what is missing) and the CHECK.FILEs of validation lowerings. Before it,
  each bundled script the skill *tells* the agent to run (``solidify.py``) is run by the VM:
  an answer-only ASK binds its placeholders from the task (or says it does not apply),
  CHECK.EXISTS on its inputs, CHECK.ABSENT on its outputs (it never overwrites a file), EXEC,
  CHECK.EXIT, CHECK.EXISTS on its outputs; the result, or
  the error when any of that fails, is a FACT the loop sees after the task;
- **split**: one ASK per instruction, op by op as below. Rules and notes (``is_constraint``)
  are not steps: they ride along in every step prompt of their section. Each step's answer
  is a FACT for the later steps, instead of pasting earlier text again.

Lowering in split mode, op by op (see docs/backends.md):
- ``skill.step`` -> SETSTEP (line-table entry) + ASK: the prompt is the step rendered as
  Markdown with everything nested in it and the harness's tool names, preceded by the
  paragraphs/tables/quotes that came just before it (its context);
- ``skill.code`` that is a command to run (a shell fence of simple commands, or a Python fence
  under an instruction to run it) -> EXEC with an argv (``shlex.split``'s words of a command
  line, by the linear ``split_words``, or ``python3 -c <body>``) + CHECK.EXIT 0 whose failure
  jumps to a FAIL (placed after HALT) carrying the command's SKILL.md line; never a shell
  string. ``$SKILL_DIR`` (bind-env's bundle root) is the only variable allowed: the argv item
  becomes a CONCAT of the VM's ``skill_dir`` slot (set by ``skvmc run``, also exported as
  SKILL_DIR by a SETENV) and the rest of the text.
  A command is *deterministic* only if every file it names is bundled (``$SKILL_DIR/...``) or
  written by an earlier step; one naming a file the task must supply (``data.csv``,
  ``your_script.py``) is an ASK. A shell fence with pipes, redirections, globs or substitutions
  cannot become an argv, so it becomes an ASK asking the model to run it with its exec tool
  (never ``bash -c``: the command may hold placeholders the model must fill in). Other fences
  are context for the next ASK;
- ``cap.delegate`` -> EXEC of its code template when the compiler wrote one, else an ASK;
- ``cap.validate`` -> CHECK.FILE with the schema (a failure retries the last ASK);
- ``flow.parallel`` -> FORK, one branch per ``flow.branch`` ending in ENDBRANCH, then JOIN;
- ``cap.split`` / ``cap.serialize`` / ``flow.seq`` / sections -> their ops in order;
- ``flow.foreach`` -> one ASK over the whole loop; ``env.*``, ``prompt.*``, ``cap.gap`` -> none;
- HALT 0 at the end.

The accepted ops and their handlers are one table (``LEGAL``, a ``skvmc.legal.LegalOps``): an
op outside it is a compile error naming the op, never silently left out.

Metadata for the VM: ``meta["skill"]``, ``meta["source_hash"]`` (sha256 of the SKILL.md text),
``meta["skill_dir"]`` (the bundle folder relative to the compiled folder, when ``$SKILL_DIR`` is
used) and ``meta["steps"][str(pc)] = {"line": N, "requires": [{"primitive", "level": "L2"}]}``
for each step's ASK/EXEC (and each command's FAIL), which adaptive recompilation reads.
"""

from __future__ import annotations

import hashlib
import re
import shlex

from skvmc.backends import BytecodeOutput, PromptOutput
from skvmc.backends import granularity as granularity_
from skvmc.backends import retries as retries_
from skvmc.backends.prompt import bundle_files, compiled_skill_md, skill_root
from skvmc.backends.solidify import (
    FILE_LIKE,
    OUTPUT_OPTS,
    PLACEHOLDER_MARK,
    SKILL_DIR_MARK,
    Refusal,
    RunCommand,
    find_run_commands,
)
from skvmc.bytecode import (
    ACT_ALL,
    ACT_EXEC,
    ACT_READ,
    ACT_WRITE,
    Json,
    ProgramBuilder,
    disassemble,
    encode,
)
from skvmc.dialects import skill
from skvmc.ir import thaw
from skvmc.legal import LegalOps
from skvmc.markdown import render_ops
from skvmc.passes.analysis.shell_words import split_words

_SHELL_META = re.compile(r"[|&;<>()`$*?{}\[\]~]|\\$")
_RUN = re.compile(r"\b(run|execute)\b", re.IGNORECASE)
_ACTION_BITS = {"exec": ACT_EXEC, "read": ACT_READ, "list": ACT_READ, "search": ACT_READ,
                "fetch": ACT_READ, "write": ACT_WRITE, "edit": ACT_WRITE}
CONTEXT_OPS = ("skill.text", "skill.table", "skill.quote", "skill.html")


# $SKILL_DIR / ${SKILL_DIR} in a command: the one variable the VM expands (from its own slot)
_SKILL_DIR_VAR = re.compile(r"\$\{SKILL_DIR\}|\$SKILL_DIR\b")
SKILL_DIR_SLOT = "skill_dir"


def command_argvs(body: str, lang: str) -> list[list[str]] | None:
    """Each line of a shell fence as an argv, or None if any line needs a shell.

    ``$SKILL_DIR`` is kept as :data:`SKILL_DIR_MARK` inside the items; any other ``$`` (or a
    pipe, redirection, glob, substitution) makes the fence need a shell."""
    argvs = []
    for raw in body.split("\n"):
        line = raw.strip()
        if skill.is_session(lang):
            if not line.startswith("$ "):
                continue  # output lines of a transcript
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        if "'" in line and _SKILL_DIR_VAR.search(line):
            return None  # single quotes would keep $SKILL_DIR literal: leave it to a shell
        line = _SKILL_DIR_VAR.sub(SKILL_DIR_MARK, line)
        if _SHELL_META.search(line) or "=" in line.split()[0]:
            return None
        try:
            argv = split_words(line)
        except ValueError:
            return None
        if argv:
            argvs.append(argv)
    return argvs or None




def command_files(argv: list[str]) -> tuple[list[str], list[str]]:
    """(files the command reads, files it writes) among its argv items: a value of an
    output option (``-o X``, ``--out X``, ``--out=X``) is written, any other item that names a
    file (a slash or a letter extension) is read. Bundle paths (``$SKILL_DIR/...``) are left
    out: they are always there."""
    reads, writes = [], []
    after_out = False
    for item in argv[1:]:
        is_out = after_out
        after_out = item in OUTPUT_OPTS
        if item.startswith("-"):
            if "=" not in item:
                continue
            opt, item = item.split("=", 1)
            is_out = opt in OUTPUT_OPTS
        if not item or item.startswith(SKILL_DIR_MARK) or not FILE_LIKE.search(item):
            continue
        (writes if is_out else reads).append(item.removeprefix("./"))
    return reads, writes


def unknown_files(argv: list[str], produced: set[str]) -> list[str]:
    """The files ``argv`` reads that are neither bundled nor written by an earlier step:
    something the task has to supply, so running the command as written is a guess."""
    return [f for f in command_files(argv)[0] if f not in produced]


def _written(op) -> set[str]:
    """Files an op (or anything in it) says it writes."""
    out = set()
    for sub in op.walk():
        out.update(str(w).removeprefix("./") for w in (sub.attr("writes", ()) or ()))
        for a in sub.attr("actions", ()) or ():
            if a.get("kind") in ("write", "edit") and a.get("target"):
                out.add(str(a.get("target")).removeprefix("./"))
    return out


def _requires(op) -> list[dict]:
    """What a step relies on: the requirements of the op and everything in it that are met
    by the target (lowered ones were compiled away, gaps cannot be lowered further), highest
    level per primitive."""
    best: dict[str, int] = {}
    for sub in op.walk():
        for r in sub.attr("requires", ()) or ():
            if r.get("status") not in (None, "legal") or not r.get("primitive"):
                continue
            level = r.get("level", 0)
            if isinstance(level, str):
                level = int(level.lstrip("Ll") or 0)
            best[r["primitive"]] = max(best.get(r["primitive"], -1), int(level))
    return [{"primitive": p, "level": f"L{lvl}"} for p, lvl in sorted(best.items())]


class _Lowering:
    def __init__(self, inp, analysis: tuple | None = None):
        """``analysis``: (granularity, commands, refused) of an earlier lowering of the same
        input (what a second lowering with the prologue would compute again)."""
        self.inp = inp
        self.file = inp.module.attr("source") or "SKILL.md"
        self.b = ProgramBuilder(meta={
            "skill": inp.skill_name, "target": inp.target_spec, "harness": inp.harness.name,
            "source": self.file, "compiler": "skvmc",
            "source_hash": hashlib.sha256(inp.source_text.encode("utf-8")).hexdigest()})
        self.step = 0
        self.steps: dict[str, dict] = {}  # meta["steps"]
        self.fails: list = []  # (label, message, op, step pc) placed after HALT
        self.produced: set[str] = set()  # files written by the steps so far
        self.uses_skill_dir = False
        self.context: list = []
        self.headings: list[str] = []
        self.last = None  # the slot of the last result
        self.run_hint = False
        if analysis is None:
            granularity = granularity_.choose(inp.module, inp.granularity, inp.target)
            bundle = set(bundle_files(inp.skill_dir, inp.bundle)) if inp.skill_dir else set()
            commands, refused = find_run_commands(inp.module, bundle)
            analysis = (granularity, tuple(commands), tuple(refused))
        self.analysis = analysis
        self.granularity = analysis[0]
        self.retry = retries_.choose(inp.target)  # times a failed step is asked again
        self.commands, self.refused = list(analysis[1]), list(analysis[2])  # build() edits them
        self.command_at = {c.line: c for c in self.commands}  # split mode runs them in place
        self.constraints: list[list[str]] = []  # per open section: rules for its steps

    def line(self, op):
        return (self.file, op.loc.line) if op.loc.line else None

    def mask(self, op) -> int:
        bits = 0
        for sub in op.walk():
            for a in sub.attr("actions", ()) or ():
                bits |= _ACTION_BITS.get(a.get("kind"), 0)
        return bits or ACT_ALL

    def setstep(self, op, title: str):
        self.step += 1
        title = title.split("\n")[0][:80]
        self.b.emit("setstep", self.step, title, line=self.line(op))

    def ask(self, op, prompt: str, schema=None):
        ctx = render_ops(self.context) if self.context else ""
        where = " > ".join(self.headings)
        parts = ([f"Section: {where}"] if where else []) + ([ctx.rstrip()] if ctx else [])
        parts.append(prompt.rstrip())
        rules = [r for scope in self.constraints for r in scope]
        if rules:
            parts.append("Keep to these rules of the skill:\n" + "\n".join(f"- {r}" for r in rules))
        self.context = []
        out = f"s{self.step}"
        pc = self.b.emit("ask", "\n\n".join(parts), out, schema, self.mask(op), 0,
                         self.retry.retries, line=self.line(op))
        self.note_step(pc, op)
        self.last = out
        # later steps see this one's answer (prompt economy: the fact, not the whole section)
        self.b.emit("fact", self._fact(out), line=self.line(op))

    def _fact(self, out: str):
        tmp = f"f{self.step}"
        self.b.emit("concat", tmp, (f"Step {self.step} answered: ", self.b.slot(out)))
        return self.b.slot(tmp)

    def note_step(self, pc: int, op) -> dict:
        entry = {"line": op.loc.line or 0, "requires": _requires(op)}
        self.steps[str(pc)] = entry
        return entry

    def exec_(self, op, argv, shown: str | None = None):
        out = f"s{self.step}"
        items = []
        for i, item in enumerate(argv):
            if SKILL_DIR_MARK in item:
                self.uses_skill_dir = True
                parts = []
                for j, piece in enumerate(item.split(SKILL_DIR_MARK)):
                    if j:
                        parts.append(self.b.slot(SKILL_DIR_SLOT))
                    if piece:
                        parts.append(piece)
                tmp = f"a{self.step}_{i}"
                self.b.emit("concat", tmp, tuple(parts), line=self.line(op))
                items.append(self.b.slot(tmp))
            else:
                items.append(item)
        pc = self.b.emit("exec", tuple(items), out, line=self.line(op))
        self.note_step(pc, op)
        fail = self.b.label()
        self.b.emit("check.exit", 0, fail, line=self.line(op))
        what = shown or shlex.join(a.replace(SKILL_DIR_MARK, "$SKILL_DIR") for a in argv)
        self.fails.append((fail, f"command failed (non-zero exit): {what[:200]}", op, pc))
        self.last = out

    # ops ------------------------------------------------------------------------------------

    def ops(self, ops):
        for op in ops:
            self.op(op)

    def op(self, op):
        LEGAL.dispatch(op, self)

    def section(self, op):
        self.headings.append(op.attr("title"))
        saved = self.context
        self.context = []
        self.constraints.append(section_rules(op))
        self.ops(op.body)
        self.constraints.pop()
        self.context = saved
        self.headings.pop()

    def instruction(self, op):
        if is_constraint(op):  # a rule for the steps around it (section_rules), not a step
            return
        if op.loc.line in self.command_at:
            self.solidified(self.command_at.pop(op.loc.line))
        self.setstep(op, op.attr("text"))
        self.ask(op, render_ops([op]))
        self.run_hint = bool(_RUN.search(op.attr("text")))
        self.produced |= _written(op)

    def context_op(self, op):
        self.context.append(op)
        self.run_hint = bool(_RUN.search(op.attr("text", "") or ""))

    def delegate(self, op):
        self.setstep(op, op.attr("instruction"))
        code, lang = op.attr("code"), op.attr("lang")
        if code and skill.fence_kind(lang) == skill.PYTHON:
            self.exec_(op, ["python3", "-c", code], shown="python3 -c <delegated code>")
        else:
            self.ask(op, render_ops([op]))
        self.produced |= _written(op)

    def validate(self, op):
        if op.attr("format") == "json":  # CHECK.FILE reads JSON; YAML stays an instruction
            self.b.emit("check.file", op.attr("path"), _schema(op), "retry", line=self.line(op))

    def foreach(self, op):
        self.setstep(op, f"for each {op.attr('collection')}")
        self.ask(op, render_ops([op]))
        self.produced |= _written(op)

    def body(self, op):
        self.ops(op.body)

    def code(self, op):
        lang = (op.attr("lang") or "").lower()
        body = op.attr("body")
        if op.loc.line in self.command_at:
            self.solidified(self.command_at.pop(op.loc.line))
        elif skill.fence_kind(lang) == skill.SHELL:
            argvs = command_argvs(body, lang)
            produced = set(self.produced)
            for argv in argvs or ():
                if unknown_files(argv, produced):
                    argvs = None  # names a file the task supplies: the model has to adapt it
                    break
                produced.update(command_files(argv)[1])
            self.setstep(op, f"{lang}: {body.strip().splitlines()[0] if body.strip() else ''}")
            if argvs:
                self.produced = produced
                for argv in argvs:
                    self.exec_(op, argv)
            else:
                self.ask(op, "Run these commands with your shell tool and report the output:\n\n"
                         + render_ops([op]))
        elif skill.fence_kind(lang) == skill.PYTHON and self.run_hint:
            self.setstep(op, "python")
            self.exec_(op, ["python3", "-c", body], shown="python3 -c <python block>")
        else:
            self.context.append(op)
        self.run_hint = False

    def parallel(self, op):
        b = self.b
        branches = [b.label() for _ in op.body]
        join = b.label()
        b.emit("fork", op.attr("on_failure") or "cancel", join, tuple(branches),
               line=self.line(op))
        saved = self.context
        before, after = self.produced, set(self.produced)
        for label, branch in zip(branches, op.body):
            b.place(label)
            self.context = list(saved)
            self.produced = set(before)  # branches run concurrently: no sibling's files
            self.last = None
            self.ops(branch.body)
            after |= self.produced
            b.emit("endbranch", b.slot(self.last) if self.last else "")
        self.produced = after
        self.context = []
        b.place(join)
        self.step += 1
        out = f"j{self.step}"
        b.emit("join", out)
        self.last = out

    def build(self, prologue: bool = False):
        if prologue:
            self.prologue()
        if self.granularity.mode == "whole":
            self.whole()
        else:
            self.constraints = [section_rules(self.inp.module)]
            self.b.emit("listdir", "files")
            self.b.emit("fact", self.b.slot("files"))
            self.ops(self.inp.module.body)
        self.b.emit("halt", 0)
        for label, message, op, step_pc in self.fails:
            self.b.place(label)
            pc = self.b.emit("fail", message, line=self.line(op))
            self.steps[str(pc)] = dict(self.steps[str(step_pc)])  # the failure is that step's
        self.b.meta["steps"] = self.steps
        self.b.meta["granularity"] = {**self.granularity.to_json(),
                                      "requested": self.inp.granularity}
        self.b.meta["retries"] = self.retry.to_json()
        if self.uses_skill_dir:
            self.b.meta["skill_dir"] = skill_root(self.inp.harness, self.inp.skill_name)
        return self.b.build()

    def whole(self):
        """The skill as one agent loop (see granularity.py), after the bundled scripts the skill
        says to run, each bound to the task, checked and run by the VM (its result, or why it
        could not run, is a fact the loop sees)."""
        module = self.inp.module
        self.b.emit("listdir", "files", line=self.line(module))  # what the task gave
        self.b.emit("fact", self.b.slot("files"), line=self.line(module))
        bundle = bundle_files(self.inp.skill_dir, self.inp.bundle) if self.inp.skill_dir else []
        if bundle:  # the skill's relative paths are relative to its folder, not the workdir
            self.uses_skill_dir = True
            shown = ", ".join(bundle[:8]) + (", ..." if len(bundle) > 8 else "")
            self.b.emit("concat", "bundle", (f"The skill's own files ({shown}) are in the "
                                             "folder ", self.b.slot(SKILL_DIR_SLOT),
                                             " (read-only): run or read them there. The "
                                             "task's files are in the working directory: "
                                             "give paths to them relative to it."),
                        line=self.line(module))
            self.b.emit("fact", self.b.slot("bundle"), line=self.line(module))
        for cmd in self.commands:
            why = hoist_refusal(module, cmd)
            if why:
                self.refused.append(Refusal(cmd.line, cmd.text, why))
            else:
                self.solidified(cmd)
        self.commands = [c for c in self.commands
                         if not any(r.line == c.line for r in self.refused)]
        self.step += 1
        self.b.emit("setstep", self.step, f"skill {self.inp.skill_name}"[:80],
                    line=self.line(module))
        prompt = self.inp.output(PromptOutput)
        text = prompt.skill_md if prompt else compiled_skill_md(self.inp)[0]
        out = f"s{self.step}"
        pc = self.b.emit("ask", "You follow this skill:\n\n" + text, out, None, ACT_ALL, 0,
                         self.retry.retries, line=self.line(module))
        self.steps[str(pc)] = {"line": 1, "requires": _requires(module)}
        self.b.emit("check.outputs", "retry", line=self.line(module))
        for op in module.walk():  # lowerings that validate an output still check it
            if op.name == "cap.validate":
                self.validate(op)
        self.last = out

    def solidified(self, cmd: RunCommand):
        """BIND (an answer-only ASK for the placeholders, or 'does not apply'), check the
        inputs exist, EXEC, check the exit code and the outputs; on any failure the error
        becomes a fact for the next ASK, which does the step itself."""
        b, line = self.b, (self.file, cmd.line)
        self.step += 1
        k = self.step
        b.emit("setstep", k, f"run {cmd.text}"[:80], line=line)
        failed, done = b.label(), b.label()
        values: dict[str, object] = {}
        if cmd.placeholders:
            bind = f"b{k}"
            pc = b.emit("ask", bind_prompt(cmd, self.inp.skill_name), bind,
                        Json(bind_schema(cmd)), 0, 2, 0, line=line)
            self.steps[str(pc)] = {"line": cmd.line, "requires": []}
            applies = f"b{k}_applies"
            b.emit("get", applies, bind, "applies", line=line)
            go = b.label()
            b.emit("branch", applies, go, line=line)
            b.emit("jump", done, line=line)
            b.place(go)
            for name in cmd.placeholders:
                slot = f"b{k}_{_slot_name(name)}"
                b.emit("get", slot, bind, name, line=line)
                values[name] = b.slot(slot)
        items = [self.argv_item(item, values, f"a{k}_{i}", line)
                 for i, item in enumerate(cmd.argv)]
        for i in cmd.reads:
            b.emit("check.exists", items[i], failed, line=line)
        for i in cmd.writes:  # never overwrite: not the task's files, not an earlier result
            b.emit("check.absent", items[i], failed, line=line)
        out = f"r{k}"
        pc = b.emit("exec", tuple(items), out, line=line)
        self.steps[str(pc)] = {"line": cmd.line, "requires": []}
        b.emit("check.exit", 0, failed, line=line)
        for i in cmd.writes:
            b.emit("check.exists", items[i], failed, line=line)
        shown = f"c{k}"
        b.emit("concat", shown, tuple(_join(items)), line=line)
        heads = []  # what it wrote, so the loop reads the result instead of running it again
        for n, i in enumerate(cmd.writes):
            head = f"h{k}_{n}"
            b.emit("read", items[i], head, line=line)
            heads += ["\n\nIt wrote ", items[i], ":\n", b.slot(head)]
        ran = f"d{k}"
        b.emit("concat", ran, ("The skill's command `", b.slot(shown), "` was run for you and "
                                "succeeded; do not run it again. Its output:\n", b.slot(out),
                                *heads), line=line)
        b.emit("fact", b.slot(ran), line=line)
        b.emit("jump", done, line=line)
        b.place(failed)
        err, why = f"e{k}", f"w{k}"
        b.emit("lasterror", err, line=line)
        b.emit("concat", why, (f"The skill's command `{cmd.text}` could not be run for this "
                               "task (", b.slot(err), "); do that step yourself."), line=line)
        b.emit("fact", b.slot(why), line=line)
        b.place(done)

    def argv_item(self, item: str, values: dict, tmp: str, line):
        """An argv item as a constant, or a CONCAT of the skill dir, bound placeholders and
        literal text."""
        if SKILL_DIR_MARK not in item and PLACEHOLDER_MARK not in item:
            return item
        pieces = item.split(PLACEHOLDER_MARK)
        if len(pieces) == 3 and not pieces[0] and not pieces[2]:
            return values[pieces[1]]  # the whole item is one placeholder
        parts = []
        for j, piece in enumerate(item.split(PLACEHOLDER_MARK)):
            if j % 2:  # a placeholder name
                parts.append(values[piece])
                continue
            for m, bit in enumerate(piece.split(SKILL_DIR_MARK)):
                if m:
                    self.uses_skill_dir = True
                    parts.append(self.b.slot(SKILL_DIR_SLOT))
                if bit:
                    parts.append(bit)
        self.b.emit("concat", tmp, tuple(parts), line=line)
        return self.b.slot(tmp)

    def prologue(self):
        """The VM's skill_dir slot must be set (``skvmc run`` does); export it as SKILL_DIR."""
        b = self.b
        have = b.label()
        b.emit("branch", SKILL_DIR_SLOT, have)
        b.emit("fail", "the skill directory is unknown: give `skvmc run --skill-dir DIR` "
               "(or the run input skill_dir)")
        b.place(have)
        b.emit("setenv", "SKILL_DIR", b.slot(SKILL_DIR_SLOT))


def _schema(op):
    return Json(thaw(op.attr("schema")))


def _slot_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _join(items):
    """argv items joined by spaces, for a fact that shows the command as run."""
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(" ")
        out.append(item)
    return out


def bind_schema(cmd: RunCommand) -> dict:
    props = {"applies": {"type": "boolean"}}
    props.update({name: {"type": "string"} for name in cmd.placeholders})
    return {"type": "object", "required": ["applies", *cmd.placeholders], "properties": props}


def bind_prompt(cmd: RunCommand, skill: str) -> str:
    names = ", ".join(cmd.placeholders)
    return (f"The skill {skill} says to run this command ({cmd.evidence}):\n\n"
            f"    {cmd.text}\n\n"
            f"For each of {names}, give what the task below puts there: the file name or "
            "value the task gives (the text as written when the task gives none). Set "
            "applies to true when the task calls for this command, and to false when it does "
            "not (the other values may then be empty).")


_CONSTRAINT_LEAD = re.compile(r"^\W*(?:note|warning|important|caution|tip)\b\W", re.IGNORECASE)
_RULE_WORDS = re.compile(r"\b(?:always|never|do not|don't|must not|avoid|keep|make sure)\b",
                         re.IGNORECASE)


def hoist_refusal(module, cmd: RunCommand) -> str | None:
    """Why ``cmd`` may not run before the skill's loop (whole mode), or None. It may when its
    inputs are checkable (at least one input file, bound from the task and checked to exist)
    and nothing before it in the skill writes or runs anything it could depend on."""
    if not cmd.reads:
        return "no input file to check: it may depend on what earlier steps produce"
    for op in module.walk():
        if op.loc.line >= cmd.line:
            break
        kinds = {a.get("kind") for a in op.attr("actions", ()) or ()}
        if kinds & {"write", "edit", "exec"}:
            return (f"line {op.loc.line} writes or runs something first: the command may "
                    "depend on it")
    return None


def section_rules(op) -> list[str]:
    """The rules written anywhere in a section (before or after its steps), not in its
    subsections: each applies to every step of the section."""
    rules = []
    for sub in op.body:
        if sub.name == "skill.section":
            continue
        if sub.name == "skill.step" and is_constraint(sub):
            rules.append(sub.attr("text").strip())
        elif sub.body:
            rules += section_rules(sub)
    return rules


def is_constraint(op) -> bool:
    """A bullet that is a rule or a note (no action of its own, a rule word or a note label):
    it rides along in its section's step prompts instead of being a step."""
    if op.body or (op.attr("actions", ()) or ()):
        return False
    text = op.attr("text") or ""
    return bool(_CONSTRAINT_LEAD.search(text) or _RULE_WORDS.search(text))


# The ops this backend accepts (everything nested in a step is rendered into its prompt, so
# the same set applies there); None: accepted, no code.
LEGAL = LegalOps("bytecode", {
    "skill.section": _Lowering.section,
    "skill.step": _Lowering.instruction,
    "skill.code": _Lowering.code,
    **{name: _Lowering.context_op for name in CONTEXT_OPS},
    "cap.delegate": _Lowering.delegate,
    "cap.validate": _Lowering.validate,
    "flow.parallel": _Lowering.parallel,
    "flow.foreach": _Lowering.foreach,
    **{name: _Lowering.body for name in ("cap.split", "cap.serialize", "flow.seq",
                                         "flow.branch")},
}, skip=("skill.frontmatter", "skill.ref", "skill.rule", "cap.gap", "env.requires", "env.dep",
         "env.var", "env.path", "prompt.tools", "prompt.drop"))


def build_program(inp):
    return _lower(inp)[0]


def _lower(inp):
    LEGAL.check(inp.module, inp.diags)
    lowering = _Lowering(inp)
    if lowering.granularity.mode == "whole" and inp.skill_dir \
            and bundle_files(inp.skill_dir, inp.bundle):
        # whole() always points the agent at the bundle's folder: the prologue is needed, so
        # lower once with it (what the second lowering below would give)
        return lowering.build(prologue=True), lowering
    program = lowering.build()
    if lowering.uses_skill_dir:  # an EXEC needs the skill dir: lower again with the prologue
        lowering = _Lowering(inp, lowering.analysis)
        program = lowering.build(prologue=True)
    return program, lowering


def emit(inp) -> dict[str, bytes]:
    program, lowering = _lower(inp)
    data = encode(program)
    inp.publish(BytecodeOutput(len(data), len(program.code), lowering.granularity.to_json(),
                               [c.to_json() for c in lowering.commands],
                               [r.to_json() for r in lowering.refused],
                               lowering.retry.to_json()))
    return {"skill.skbc": data, "skill.skasm": disassemble(program).encode("utf-8")}
