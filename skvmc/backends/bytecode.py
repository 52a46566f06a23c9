"""The ``bytecode`` backend: ``skill.skbc`` and its ``skill.skasm`` disassembly.

Lowering, op by op (see docs/backends.md):
- ``skill.step`` -> SETSTEP (line-table entry) + ASK: the prompt is the step rendered as
  Markdown with everything nested in it and the harness's tool names, preceded by the
  paragraphs/tables/quotes that came just before it (its context);
- ``skill.code`` that is a command to run (a shell fence of simple commands, or a Python fence
  under an instruction to run it) -> EXEC with an argv (``shlex.split`` of a command line, or
  ``python3 -c <body>``) + CHECK.EXIT 0 whose failure jumps to a FAIL (placed after HALT)
  carrying the command's SKILL.md line; never a shell string. ``$SKILL_DIR`` (bind-env's bundle
  root) is the only variable allowed: the argv item becomes a CONCAT of the VM's ``skill_dir``
  slot (set by ``skvmc run``, also exported as SKILL_DIR by a SETENV) and the rest of the text.
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

from skvmc.bytecode import (
    ACT_ALL,
    ACT_EXEC,
    ACT_READ,
    ACT_WRITE,
    ProgramBuilder,
    disassemble,
    encode,
)
from skvmc.dialects import skill
from skvmc.ir import thaw
from skvmc.legal import LegalOps
from skvmc.markdown import render_ops
from skvmc.targets.backends import BytecodeOutput
from skvmc.targets.backends.prompt import skill_root

_SHELL_META = re.compile(r"[|&;<>()`$*?{}\[\]~]|\\$")
_RUN = re.compile(r"\b(run|execute)\b", re.IGNORECASE)
_ACTION_BITS = {"exec": ACT_EXEC, "read": ACT_READ, "list": ACT_READ, "search": ACT_READ,
                "fetch": ACT_READ, "write": ACT_WRITE, "edit": ACT_WRITE}
CONTEXT_OPS = ("skill.text", "skill.table", "skill.quote", "skill.html")


# $SKILL_DIR / ${SKILL_DIR} in a command: the one variable the VM expands (from its own slot)
_SKILL_DIR_VAR = re.compile(r"\$\{SKILL_DIR\}|\$SKILL_DIR\b")
SKILL_DIR_MARK = "\ue000"  # stands for the skill dir inside an argv item
SKILL_DIR_SLOT = "skill_dir"
# an argv item that names a file: a path with a slash, or a name with a letter extension
_FILE_LIKE = re.compile(r"/|\.[A-Za-z][A-Za-z0-9]{0,7}$")


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
            argv = shlex.split(line)
        except ValueError:
            return None
        if argv:
            argvs.append(argv)
    return argvs or None


_OUTPUT_OPTS = {"-o", "--out", "--output", "--output-file", "--outfile", "--dest"}


def command_files(argv: list[str]) -> tuple[list[str], list[str]]:
    """(files the command reads, files it writes) among its argv items: a value of an
    output option (``-o X``, ``--out X``, ``--out=X``) is written, any other item that names a
    file (a slash or a letter extension) is read. Bundle paths (``$SKILL_DIR/...``) are left
    out: they are always there."""
    reads, writes = [], []
    after_out = False
    for item in argv[1:]:
        is_out = after_out
        after_out = item in _OUTPUT_OPTS
        if item.startswith("-"):
            if "=" not in item:
                continue
            opt, item = item.split("=", 1)
            is_out = opt in _OUTPUT_OPTS
        if not item or item.startswith(SKILL_DIR_MARK) or not _FILE_LIKE.search(item):
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
    def __init__(self, inp):
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
        self.context = []
        out = f"s{self.step}"
        pc = self.b.emit("ask", "\n\n".join(parts), out, schema, self.mask(op), 0, 1,
                         line=self.line(op))
        self.note_step(pc, op)
        self.last = out

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
        self.ops(op.body)
        self.context = saved
        self.headings.pop()

    def instruction(self, op):
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
        if skill.fence_kind(lang) == skill.SHELL:
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
        self.ops(self.inp.module.body)
        self.b.emit("halt", 0)
        for label, message, op, step_pc in self.fails:
            self.b.place(label)
            pc = self.b.emit("fail", message, line=self.line(op))
            self.steps[str(pc)] = dict(self.steps[str(step_pc)])  # the failure is that step's
        self.b.meta["steps"] = self.steps
        if self.uses_skill_dir:
            self.b.meta["skill_dir"] = skill_root(self.inp.harness, self.inp.skill_name)
        return self.b.build()

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
    from skvmc.bytecode import Json

    return Json(thaw(op.attr("schema")))


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
    LEGAL.check(inp.module, inp.diags)
    lowering = _Lowering(inp)
    program = lowering.build()
    if lowering.uses_skill_dir:  # an EXEC needs the skill dir: lower again with the prologue
        program = _Lowering(inp).build(prologue=True)
    return program


def emit(inp) -> dict[str, bytes]:
    program = build_program(inp)
    data = encode(program)
    inp.publish(BytecodeOutput(len(data), len(program.code)))
    return {"skill.skbc": data, "skill.skasm": disassemble(program).encode("utf-8")}
