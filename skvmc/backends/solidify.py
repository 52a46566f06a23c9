"""Analysis for AOT solidification: the bundled scripts a skill *tells* the agent to run.

A command qualifies only when all of these hold; anything else stays text for the model
(unknown means "don't"):

- it runs a script of the skill's bundle (``python3 scripts/convert.py ...``,
  ``bash scripts/x.sh``, ``./scripts/x.sh``, ``$SKILL_DIR/scripts/...``), which exists; a
  bare path (``scripts/x.sh``) names the script without saying how to run it;
- an instruction says to run it: an imperative run verb ("Run", "Execute", "then run",
  "by running") leads to it in the same sentence, or ends the sentence that introduces its
  fence. A modal or an aside ("you can run", "for quick checks", "e.g.", "optionally") makes
  it optional, and a negation forbids it: neither is solidified;
- it is one simple command: no pipes, redirections, substitutions or variables except
  ``$SKILL_DIR``; optional parts (``[--flag]``) or ``...`` make it a template we cannot fill.

Placeholders (``INPUT``, ``<file>``, ``{out}``) and literal file arguments (an example path
like ``logs/access.log``, which the task's own file replaces) are bound at run time from the
task. Each file argument is a read, except the value of an output option (``-o``,
``--out``) or a placeholder named out*, which is a write; the VM checks reads before and
writes after the run. A condition ("If the file is large, run:") or a purpose ("For slow
requests, run:") is not an instruction to run it now.
"""

from __future__ import annotations

import functools
import re
import shlex

import attrs

from skvmc.dialects import skill
from skvmc.ir import Operation
from skvmc.memo import by_text
from skvmc.passes.analysis.shell_words import split_words

PLACEHOLDER_MARK = "\ue001"  # wraps a placeholder name inside an argv item
SKILL_DIR_MARK = "\ue000"  # stands for the skill folder inside an argv item

_INTERPRETERS = {"python", "python3", "bash", "sh", "node"}
_SCRIPT_EXT = re.compile(r"\.(?:py|sh|js|mjs|cjs|rb|pl)$")
_SKILL_DIR = re.compile(r"\$\{SKILL_DIR\}/|\$SKILL_DIR/|\{baseDir\}/|\$\{CLAUDE_SKILL_DIR\}/")
# <name>, {name}: bracketed placeholders; NAME: a capitalised word as a whole argument
_BRACKETED = re.compile(r"<([A-Za-z][\w .-]*)>|\{([A-Za-z][\w-]*)\}")
_CAPS = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_SHELL_META = re.compile(r"[|&;<>()`$*?\[\]~]")
OUTPUT_OPTS = {"-o", "--out", "--output", "--output-file", "--outfile", "--dest"}
FILE_LIKE = re.compile(r"/|\.[A-Za-z][A-Za-z0-9]{0,7}$")

_RUN = r"(?:run|execute|invoke|call)"
_LEADS = re.compile(rf"(?:^|[.;:!?]\s+|\b(?:then|and|first|next|finally|now)\s+|\bby\s+"
                    rf"(?=running|executing))(?:{_RUN}|running|executing)\b", re.IGNORECASE)
# "If the file is large, run:" / "When ... , run": a condition the compiler cannot decide.
# "For slow requests, run:" (a purpose before a comma) is not led to either: whether the task
# calls for it is then the binding model's "applies", which qwen2.5-coder-1.5b answered true
# for the wrong command on the bench (bench/results/qwen2.5-coder-1.5b-solidify-r2)
_CONDITION = re.compile(r"^\W*(?:\d+\.\s*)?(?:if|when|whenever|unless|in case|only)\b",
                        re.IGNORECASE)
_OPTIONAL = re.compile(r"\b(?:can|may|might|could|optionally|optional|if you (?:want|like|"
                       r"need|prefer)|for (?:quick |a quick )?(?:checks?|example|instance|"
                       r"debugging|testing)|e\.g\.|such as|alternatively|to debug|to test)\b",
                       re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|never|don'?t|avoid|instead of|no need to|without)\b",
                      re.IGNORECASE)
_SPAN = re.compile(r"`([^`\n]+)`")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n\s*\n")


@attrs.frozen
class RunCommand:
    line: int  # SKILL.md line of the instruction or fence
    text: str  # the command as written
    argv: tuple[str, ...]  # placeholders as MARK+name+MARK, the skill folder as SKILL_DIR_MARK
    placeholders: tuple[str, ...]
    reads: tuple[int, ...]  # argv indexes of files the command reads
    writes: tuple[int, ...]  # argv indexes of files it writes
    script: str  # the bundle path it runs
    evidence: str  # the words that tell the agent to run it

    def shown(self) -> str:
        """The command with placeholders as NAME and the skill folder as $SKILL_DIR."""
        return shlex.join(a.replace(SKILL_DIR_MARK, "$SKILL_DIR") for a in self.argv) \
            .replace(PLACEHOLDER_MARK, "")

    def to_json(self) -> dict:
        return {"line": self.line, "command": self.text, "script": self.script,
                "placeholders": list(self.placeholders), "evidence": self.evidence}


@attrs.frozen
class Refusal:
    line: int
    text: str
    reason: str

    def to_json(self) -> dict:
        return {"line": self.line, "command": self.text, "reason": self.reason}


def find_run_commands(module: Operation,
                      bundle: set[str]) -> tuple[list[RunCommand], list[Refusal]]:
    """(commands to solidify, candidates refused with the reason), in document order."""
    found: list[RunCommand] = []
    refused: list[Refusal] = []
    previous_text = ""  # the text just before a fence (its introduction)
    files = frozenset(bundle)
    for op in _walk(module):
        if op.name == "skill.code":
            if skill.fence_kind(op.attr("lang")) == skill.SHELL:
                command = _fence_command(op.attr("body"), files)
                if command is not None:
                    why = _fence_instruction(previous_text)
                    _consider(command, op.loc.line, why, bundle, found, refused)
            previous_text = ""
            continue
        text = op.attr("text") if op.name in ("skill.step", "skill.text") else None
        if not isinstance(text, str):
            continue
        previous_text = text
        for command, at in _span_commands(text, files):
            why = _span_instruction(text, at)
            _consider(command, op.loc.line, why, bundle, found, refused)
    return found, refused


# What a text or a fence body runs, by (text, bundle files): every target of a skill has the
# same texts and bundle, so the scan is done once per skill, not once per target.
@functools.lru_cache(maxsize=8192)
def _span_commands(text: str, bundle: frozenset) -> tuple[tuple[str, int], ...]:
    """(command, offset) of each code span of ``text`` that runs a bundled script."""
    return tuple((m.group(1), m.start()) for m in _SPAN.finditer(text)
                 if _runs_script(m.group(1), bundle))


@functools.lru_cache(maxsize=8192)
def _fence_command(body: str, bundle: frozenset) -> str | None:
    """The command of a shell fence that is one command running a bundled script, or None."""
    lines = [ln.strip().removeprefix("$ ") for ln in body.splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    return lines[0] if len(lines) == 1 and _runs_script(lines[0], bundle) else None


def _walk(op: Operation):
    """Every op nested in the first regions below ``op``, in document (pre-)order."""
    stack = list(reversed(op.body))
    while stack:
        sub = stack.pop()
        yield sub
        stack.extend(reversed(sub.body))


def _runs_script(command: str, bundle: set[str]) -> bool:
    return _script_of(_split_loose(command), bundle) is not None


@by_text()
def _split_loose(command: str) -> list[str]:
    """The words of a command line, loosely (unbalanced quotes: split at white space); memoized
    by text, since every target of a skill asks for the same code spans."""
    try:
        return split_words(_SKILL_DIR.sub(SKILL_DIR_MARK + "/", command))
    except ValueError:
        return command.split()


def _script_of(argv: list[str], bundle: set[str]) -> str | None:
    if not argv:
        return None
    i = 1 if argv[0] in _INTERPRETERS else 0
    if i >= len(argv) or not _SCRIPT_EXT.search(argv[i]):
        return None
    if i == 0 and not argv[0].startswith(("./", SKILL_DIR_MARK)):
        return None  # a bare path is a mention of the script, not a command line
    path = argv[i].removeprefix(SKILL_DIR_MARK + "/").removeprefix("./")
    return path if path in bundle else None


def _span_instruction(text: str, at: int) -> str | None:
    """The run instruction leading to the code span at ``at``, or None."""
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, at):
        start = m.end()
    before = text[start:at]
    if not _LEADS.search(before) or _OPTIONAL.search(before) or _NEGATED.search(before) \
            or _CONDITION.search(before):
        return None
    return before.strip()[-120:]


def _fence_instruction(text: str) -> str | None:
    """The run instruction in the sentence that introduces a fence (ending with ':')."""
    text = text.rstrip()
    if not text.endswith(":"):
        return None
    return _span_instruction(text, len(text))


def _consider(command: str, line: int, why: str | None, bundle: set[str],
              found: list, refused: list) -> None:
    if why is None:
        refused.append(Refusal(line, command, "no instruction says to run it (optional, an "
                                               "example, or only mentioned)"))
        return
    result = _template(command, bundle)
    if isinstance(result, str):
        refused.append(Refusal(line, command, result))
        return
    argv, names, script = result
    reads, writes = _file_args(argv)
    found.append(RunCommand(line, command, tuple(argv), tuple(names), reads, writes, script,
                            why))


def _template(command: str, bundle: set[str]):
    """(argv, placeholder names, script) or the reason the command cannot be a template."""
    if "..." in command or re.search(r"\[[^\]]*\]", command):
        return "it has optional parts or '...': the arguments cannot be known"
    names: list[str] = []

    def mark(m):
        name = (m.group(1) or m.group(2)).strip().replace(" ", "_")
        if name not in names:
            names.append(name)
        return PLACEHOLDER_MARK + name + PLACEHOLDER_MARK

    text = _SKILL_DIR.sub(SKILL_DIR_MARK + "/", command)
    text = _BRACKETED.sub(mark, text)
    if _SHELL_META.search(text):
        return "it needs a shell (pipes, redirections, variables or globs)"
    try:
        argv = split_words(text)
    except ValueError:
        return "its quoting does not parse"
    script = _script_of(argv, bundle)
    if script is None:
        return "it does not run a bundled script"
    i = argv.index(next(a for a in argv if _SCRIPT_EXT.search(a)))
    for j, item in enumerate(argv):
        if j <= i:
            continue
        value = item.split("=", 1)[1] if item.startswith("--") and "=" in item else item
        if _CAPS.match(item) or (not item.startswith("-") and PLACEHOLDER_MARK not in item
                                 and SKILL_DIR_MARK not in item and FILE_LIKE.search(value)
                                 and "=" not in item):
            # NAME, or a literal file (`logs/access.log`): the task's own file goes there
            if item not in names:
                names.append(item)
            argv[j] = PLACEHOLDER_MARK + item + PLACEHOLDER_MARK
    argv[i] = SKILL_DIR_MARK + "/" + script  # run the bundle's copy, wherever the workdir is
    if argv[0] in ("python",):
        argv[0] = "python3"
    return argv, names, script


def _file_args(argv: list[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(reads, writes) as argv indexes. Reads are placeholders that name an input file (the VM
    checks they exist first); writes are the values of output options and placeholders that
    name an output. A literal positional file may be either, so it is not checked."""
    reads, writes = [], []
    after_out = False
    start = 2 if argv[0] in _INTERPRETERS else 1
    for i, item in enumerate(argv[start:], start):
        is_out, after_out = after_out, item in OUTPUT_OPTS
        if item.startswith("-") or item.startswith(SKILL_DIR_MARK):
            continue
        placeholder = item.startswith(PLACEHOLDER_MARK) and item.endswith(PLACEHOLDER_MARK)
        name = item.strip(PLACEHOLDER_MARK).lower()
        if is_out or (placeholder and re.search(r"out|dest|target|result|report", name)):
            writes.append(i)
        elif placeholder and _names_file(name):
            reads.append(i)
    return tuple(reads), tuple(writes)


def _names_file(item: str) -> bool:
    """A placeholder name (lower case) that says it is a file (input, file, input.csv ...)."""
    return bool(re.search(r"file|path|input|dir|csv|json|log|data|[./]", item)) \
        or item in ("in", "src", "source")
