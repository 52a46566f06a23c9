"""The ``bytecode`` backend: ``skill.skbc`` and its ``skill.skasm`` disassembly.

Lowering, op by op (see docs/backends.md):
- ``skill.step`` -> SETSTEP (line-table entry) + ASK: the prompt is the step rendered as
  Markdown with everything nested in it and the harness's tool names, preceded by the
  paragraphs/tables/quotes that came just before it (its context);
- ``skill.code`` that is a command to run (a shell fence of simple commands, or a Python fence
  under an instruction to run it) -> EXEC with an argv (``shlex.split`` of a command line, or
  ``python3 -c <body>``) + CHECK.EXIT 0; never a shell string. A shell fence with pipes,
  redirections or substitutions cannot become an argv, so it becomes an ASK asking the model to
  run it with its exec tool. Other fences are context for the next ASK;
- ``cap.delegate`` -> EXEC of its code template when the compiler wrote one, else an ASK;
- ``cap.validate`` -> CHECK.FILE with the schema (a failure retries the last ASK);
- ``flow.parallel`` -> FORK, one branch per ``flow.branch`` ending in ENDBRANCH, then JOIN;
- ``cap.split`` / ``cap.serialize`` / ``flow.seq`` / sections -> their ops in order;
- ``flow.foreach`` -> one ASK over the whole loop; ``env.*``, ``prompt.*``, ``cap.gap`` -> none;
- HALT 0 at the end.
"""

from __future__ import annotations

import re
import shlex

from skvmc.bytecode import ACT_ALL, ACT_EXEC, ACT_READ, ACT_WRITE, ProgramBuilder, disassemble, encode
from skvmc.ir import thaw
from skvmc.markdown import render_ops

SHELL_LANGS = {"bash", "sh", "shell", "zsh", "console", "shell-session", "terminal"}
PY_LANGS = {"python", "py", "python3"}
_SHELL_META = re.compile(r"[|&;<>()`$*?{}\[\]~]|\\$")
_RUN = re.compile(r"\b(run|execute)\b", re.I)
_ACTION_BITS = {"exec": ACT_EXEC, "read": ACT_READ, "list": ACT_READ, "search": ACT_READ,
                "fetch": ACT_READ, "write": ACT_WRITE, "edit": ACT_WRITE}
CONTEXT_OPS = ("skill.text", "skill.table", "skill.quote", "skill.html")


def command_argvs(body: str, lang: str) -> list[list[str]] | None:
    """Each line of a shell fence as an argv, or None if any line needs a shell."""
    argvs = []
    for raw in body.split("\n"):
        line = raw.strip()
        if lang in ("console", "shell-session", "terminal"):
            if not line.startswith("$ "):
                continue  # output lines of a transcript
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        if _SHELL_META.search(line) or "=" in line.split()[0]:
            return None
        try:
            argv = shlex.split(line)
        except ValueError:
            return None
        if argv:
            argvs.append(argv)
    return argvs or None


class _Lowering:
    def __init__(self, inp):
        self.inp = inp
        self.file = inp.module.attr("source") or "SKILL.md"
        self.b = ProgramBuilder(meta={
            "skill": inp.skill_name, "target": inp.target_spec, "harness": inp.harness.name,
            "source": self.file, "compiler": "skvmc"})
        self.step = 0
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
        self.b.emit("ask", "\n\n".join(parts), out, schema, self.mask(op), 0, 1,
                    line=self.line(op))
        self.last = out

    def exec_(self, op, argv):
        out = f"s{self.step}"
        self.b.emit("exec", tuple(argv), out, line=self.line(op))
        self.b.emit("check.exit", 0, "fail", line=self.line(op))
        self.last = out

    # ops ------------------------------------------------------------------------------------

    def ops(self, ops):
        for op in ops:
            self.op(op)

    def op(self, op):
        name = op.name
        if name == "skill.section":
            self.headings.append(op.attr("title"))
            saved = self.context
            self.context = []
            self.ops(op.body)
            self.context = saved
            self.headings.pop()
        elif name == "skill.step":
            self.setstep(op, op.attr("text"))
            self.ask(op, render_ops([op]))
            self.run_hint = bool(_RUN.search(op.attr("text")))
        elif name == "skill.code":
            self.code(op)
        elif name in CONTEXT_OPS:
            self.context.append(op)
            self.run_hint = bool(_RUN.search(op.attr("text", "") or ""))
        elif name == "cap.delegate":
            self.setstep(op, op.attr("instruction"))
            code, lang = op.attr("code"), op.attr("lang")
            if code and lang in PY_LANGS:
                self.exec_(op, ["python3", "-c", code])
            else:
                self.ask(op, render_ops([op]))
        elif name == "cap.validate":
            if op.attr("format") == "json":  # CHECK.FILE reads JSON; YAML stays an instruction
                self.b.emit("check.file", op.attr("path"), _schema(op), "retry",
                            line=self.line(op))
        elif name == "flow.parallel":
            self.parallel(op)
        elif name == "flow.foreach":
            self.setstep(op, f"for each {op.attr('collection')}")
            self.ask(op, render_ops([op]))
        elif name in ("cap.split", "cap.serialize", "flow.seq", "flow.branch"):
            self.ops(op.body)

    def code(self, op):
        lang = (op.attr("lang") or "").lower()
        body = op.attr("body")
        if lang in SHELL_LANGS:
            argvs = command_argvs(body, lang)
            self.setstep(op, f"{lang}: {body.strip().splitlines()[0] if body.strip() else ''}")
            if argvs:
                for argv in argvs:
                    self.exec_(op, argv)
            else:
                self.ask(op, "Run these commands with your shell tool and report the output:\n\n"
                         + render_ops([op]))
        elif lang in PY_LANGS and self.run_hint:
            self.setstep(op, "python")
            self.exec_(op, ["python3", "-c", body])
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
        for label, branch in zip(branches, op.body):
            b.place(label)
            self.context = list(saved)
            self.last = None
            self.ops(branch.body)
            b.emit("endbranch", b.slot(self.last) if self.last else "")
        self.context = []
        b.place(join)
        self.step += 1
        out = f"j{self.step}"
        b.emit("join", out)
        self.last = out

    def build(self):
        self.ops(self.inp.module.body)
        self.b.emit("halt", 0)
        return self.b.build()


def _schema(op):
    from skvmc.bytecode import Json

    return Json(thaw(op.attr("schema")))


def build_program(inp):
    return _Lowering(inp).build()


def emit(inp) -> dict[str, bytes]:
    program = build_program(inp)
    data = encode(program)
    inp.shared["bytecode_size"] = len(data)
    inp.shared["instructions"] = len(program.code)
    return {"skill.skbc": data, "skill.skasm": disassemble(program).encode("utf-8")}
