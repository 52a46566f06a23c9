"""The files a task instruction says to write or change: what CHECK.OUTPUTS looks for.

A file counts as an output when the nearest verb before it, in the same sentence, is a writing
verb ("write it to `total.txt`", "save the report as report.md", "create `out/summary.json`").
A reading verb in between ("read `a.csv` and ...") or none at all leaves it out: unknown is
not an output, so the check never asks for a file the task did not ask for. Which files are
there when the run starts tells outputs, edited files and inputs apart (``task_files``).
"""

from __future__ import annotations

import json
import re

import attrs

_WRITE = {"write", "writes", "save", "saves", "store", "create", "creates", "produce",
          "output", "export", "generate", "put", "emit", "dump", "record", "place", "to",
          "into", "as", "build", "builds", "make", "prepare", "compose", "draft", "render",
          "rename", "move"}
_READ = {"read", "reads", "open", "load", "parse", "use", "uses", "from", "inside",
         "lists", "about", "for", "holds", "contains", "given", "check", "scan", "with", "of",
         "run", "runs", "execute", "executes", "call", "calls", "invoke", "invokes"}
# Verbs that change a file in place: they make a file that is there at the start an edited
# file, and say nothing of a file that is not there (nothing to edit: unknown).
_EDIT = {"add", "append", "insert", "update", "edit", "modify", "fix", "rewrite", "change",
         "replace", "overwrite"}
# Of the writing words, those that are only ever verbs here: "the signup export `a.csv`" or
# "the output `b.json`" name a file that is there, so a noun-like word does not make it edited.
_PLAIN_WRITE = {"write", "writes", "save", "saves"}
_TO = {"to", "into"}
_ADD = {"add", "append", "insert"}  # editing verbs that only add to a file


def _edits(verb: str | None, earlier: tuple[str, ...]) -> bool:
    """Whether the verb words before a file that is there say to change it: an editing or
    plain writing verb, or "to"/"into" after one ("add a job to `crontab`"; not "need to know
    which jobs in `crontab`", where "to" writes nothing)."""
    if verb in _EDIT or verb in _PLAIN_WRITE:
        return True
    return verb in _TO and any(w in _EDIT or w in _PLAIN_WRITE for w in earlier)
# a file name: a path with an extension of letters (``total.txt``, ``/root/out/report.md``)
_FILE = r"(?:/?[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z][A-Za-z0-9]{0,7}"
_TOKEN = re.compile(rf"`(?P<code>{_FILE})`|(?P<bare>(?<![\w/.-]){_FILE})(?![\w/-])"
                    r"|`(?P<dir>/?(?:[\w.-]+/)*[\w.-]+)`|(?P<word>[A-Za-z]+)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])|\n\s*\n|\n\s*[-*\d]")


def _named(task: str):
    """(path, the nearest verb word before it in its sentence or None, whether the path has an
    extension, the verb words before that one) for every file name of ``task``, in order."""
    for sentence in _SENTENCE.split(task or ""):
        verb, earlier = None, []
        for m in _TOKEN.finditer(sentence):
            word = m.group("word")
            if word is not None:
                w = word.lower()
                if w in _WRITE or w in _READ or w in _EDIT:
                    if verb is not None:
                        earlier.append(verb)
                    verb = w
                continue
            path = m.group("code") or m.group("bare")
            yield (path or m.group("dir")), verb, path is not None, tuple(earlier)


def task_outputs(task: str) -> list[str]:
    """The output files ``task`` names, in order, each once: a file whose nearest verb before
    it, in the same sentence, is a writing verb ("write it to `total.txt`", "save the report as
    report.md", "create `out/summary.json`"). A reading verb in between ("read `a.csv` and
    ...") or none at all leaves it out: unknown is not an output, so the check never asks for a
    file the task did not ask for. Without knowing which files are there, a file to edit is
    not told apart: ``task_files`` does that."""
    found: list[str] = []
    for path, verb, has_ext, _ in _named(task):
        if has_ext and verb in _WRITE and path not in found:
            found.append(path)
    return found


@attrs.frozen
class TaskFiles:
    """The files a task names, told apart by which of them are there when the run starts."""

    outputs: tuple[str, ...] = ()  # to write: not there at the start
    edited: tuple[str, ...] = ()  # there at the start, and the task says to change them
    inputs: tuple[str, ...] = ()  # there at the start, and only read
    keep_lines: tuple[str, ...] = ()  # edited files whose existing lines the task says to keep


def task_files(task: str, existed) -> TaskFiles:
    """Outputs, edited files and inputs of ``task``; ``existed(path)`` says whether a file was
    there at the start (True/False, or None when the run cannot see it: not judged).

    A file that is there is edited only when a plain writing verb ("write ... to", "save
    ... into") or an editing verb ("add", "update", "fix") comes right before it; after a
    word that may be a noun ("the signup export `signups.csv`") it is an input. A file that is
    not there is an output by the rule of ``task_outputs``; an editing verb alone does not
    make one (nothing to edit). An extensionless path (`/root/crontab`) counts only when it is
    a file that is there."""
    outputs, edited, inputs, additive = [], [], [], []
    for path, verb, has_ext, earlier in _named(task):
        if path in outputs or path in edited or path in inputs:
            continue
        there = existed(path)
        if there is None:
            continue
        if not there:
            if has_ext and verb in _WRITE:
                outputs.append(path)
        elif _edits(verb, earlier):
            edited.append(path)
            if verb in _ADD or (verb in _TO and any(w in _ADD for w in earlier)):
                additive.append(path)
        else:
            inputs.append(path)
    # only a file the task adds to: "fix the typo in `notes.txt`, keep every existing line"
    # would change one line, which the keep rule would then put back
    keep = (tuple(edited) if len(edited) == 1 and additive == edited
            and _KEEP_LINES.search(task or "") else ())
    return TaskFiles(tuple(outputs), tuple(edited), tuple(inputs), keep)


# "Keep every existing line as it is", "do not remove any existing entries": the task says the
# lines already there stay ("keep the other lines" says some change: not this rule). Tied to the
# task's one edited file; with two it is not known which.
_KEEP_LINES = re.compile(
    r"\b(?:keep|preserve|leave)\s+(?:every|all|each|any)?\s*(?:of\s+)?(?:the\s+)?"
    r"(?:existing|original|current)\s+(?:lines?|entries|entry|jobs?|rows?|content)\b"
    r"|\b(?:do\s+not|don't|never|without)\s+(?:remove|removing|delete|deleting|drop|dropping|"
    r"change|changing)\s+(?:any\s+)?(?:of\s+)?(?:the\s+)?(?:existing|original)\s+"
    r"(?:lines?|entries|jobs?|rows?|content)\b", re.IGNORECASE)


# outputs that one printed line cannot be the whole of: a table with its header, a report
_MULTI_LINE = (".csv", ".tsv", ".md", ".markdown", ".html", ".htm", ".yaml", ".yml", ".xml")


def one_line_output(path: str, value: str) -> bool:
    """Whether a one-line ``value`` a command printed can be all of output ``path``: a JSON
    output only when the value is a JSON object or array (a total printed by a script is not
    "an object whose keys are months"), a table or report never, a plain file always. The 1.5B,
    offered a printed total as the content of a .md or .json output, typed the rest of it."""
    suffix = path.lower().rpartition("/")[2]
    if suffix.endswith(_MULTI_LINE):
        return False
    if suffix.endswith((".json", ".jsonl", ".ndjson")):
        try:
            return isinstance(json.loads(value), (dict, list))
        except json.JSONDecodeError:
            return False
    return True


def _same(line: str) -> str:
    """A line as the keep-lines rule compares it: runs of blanks are one space."""
    return " ".join(line.split())


def _missing(lines: str, other: str) -> list[str]:
    """The non-blank lines of ``lines`` that ``other`` does not hold (as many times), as
    written in ``lines`` without trailing blanks."""
    have: dict[str, int] = {}
    for line in other.splitlines():
        have[_same(line)] = have.get(_same(line), 0) + 1
    out = []
    for line in lines.splitlines():
        key = _same(line)
        if not key:
            continue
        if have.get(key, 0):
            have[key] -= 1
        else:
            out.append(line.rstrip())
    return out


def lost_lines(before: str, after: str) -> list[str]:
    """The non-blank lines of ``before`` that ``after`` no longer holds (as many times;
    blanks inside a line are not compared)."""
    return _missing(before, after)


def new_lines(before: str, after: str) -> list[str]:
    """The non-blank lines of ``after`` that ``before`` did not hold, in order."""
    return _missing(after, before)



# "a JSON object with the keys `a` (...), `b` and `c`": the output itself is one object, so
# the keys listed are its top-level keys. Plural or nested phrasings ("whose values are
# objects with `x`") do not match: unknown keys are not asked for.
_OBJECT_WITH = re.compile(r"\b(?:an?)\s+(?:JSON\s+)?object\s+with\s+(?:the\s+)?"
                          r"(?:(?:keys?|fields?|entries)\s+)?(?=`)", re.IGNORECASE)
_KEY = re.compile(r"`([^`\s]+)`\s*")
_LIST_SEP = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+)")  # "or" lists alternatives: stop


def _skip_parenthetical(text: str, i: int) -> int:
    """Index after a balanced ``(...)`` at ``text[i]``, or ``i`` when none opens there."""
    if i >= len(text) or text[i] != "(":
        return i
    depth = 0
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    return i  # unbalanced: the list ends here


def _after_path(task: str, path: str) -> str | None:
    """The rest of the first sentence of ``task`` that names ``path``, after the name."""
    for sentence in _SENTENCE.split(task or ""):
        at = sentence.find(path)
        if at >= 0:
            return sentence[at + len(path):]
    return None


def required_keys(task: str, path: str) -> list[str]:
    """The top-level keys the task says the JSON output ``path`` has, in order, else []."""
    rest = _after_path(task, path)
    m = _OBJECT_WITH.search(rest) if rest is not None else None
    if m is None:
        return []
    keys, i = [], m.end()
    while (k := _KEY.match(rest, i)) is not None:
        keys.append(k.group(1))
        i = _skip_parenthetical(rest, k.end())
        sep = _LIST_SEP.match(rest, i)
        if sep is None:
            break
        i = sep.end()
    return keys


# "... `out.csv` with the header `id,name,total`": the exact first line of a CSV output
_HEADER = re.compile(r"\bheader(?:\s+(?:row|line))?\s+(?:is\s+)?`([^`\n]*,[^`\n]*)`",
                     re.IGNORECASE)


def required_header(task: str, path: str) -> str | None:
    """The header line the task gives for the CSV output ``path``, else None."""
    if not path.lower().endswith(".csv"):
        return None
    rest = _after_path(task, path)
    m = _HEADER.search(rest) if rest is not None else None
    return m.group(1).strip() if m else None


# "... `report.md` with these sections, in this order: `## Overview`, `## Top paths`": the
# headings a Markdown output must hold (backticked, written as Markdown headings)
_HEADING = re.compile(r"`(#{1,6}[ \t]+[^`\n]*\S)`")
_IN_ORDER = re.compile(r"\bin\s+(?:(?:this|that|the\s+given|the\s+same)\s+)?order\b",
                       re.IGNORECASE)


def required_headings(task: str, path: str) -> tuple[list[str], bool]:
    """(the headings the task gives for the Markdown output ``path``, whether their order is
    asked for); ([], False) when it gives none."""
    if not path.lower().endswith((".md", ".markdown")):
        return [], False
    rest = _after_path(task, path)
    if rest is None:
        return [], False
    headings = [" ".join(h.split()) for h in _HEADING.findall(rest)]
    return headings, bool(headings) and _IN_ORDER.search(rest) is not None


# "Write the names, one per line in alphabetical order, to `out.txt`": a plain list of lines
# ("one number per line": one word may name the item)
_ONE_PER_LINE = re.compile(r"\bone\s+(?:[a-z-]+\s+)?per\s+line\b"
                           r"|\beach\s+on\s+(?:its|a)\s+own\s+line\b", re.IGNORECASE)
_ASCENDING = re.compile(r"\b(?:ascending|in\s+increasing\s+order|smallest\s+first|lowest\s+first)"
                        r"\b", re.IGNORECASE)
_ALPHABETICAL = re.compile(r"\b(?:in\s+alphabetical\s+order|alphabetically|sorted\s+by\s+name)\b",
                           re.IGNORECASE)


def line_list_rules(task: str, path: str) -> tuple[bool, bool, bool]:
    """(whether the task asks for ``path`` as one item per line, whether in alphabetical
    order, whether ascending), read from the one sentence that names ``path`` and no other
    output."""
    if path.lower().endswith((".json", ".jsonl", ".csv", ".md", ".markdown")):
        return False, False, False
    outputs = task_outputs(task)
    for sentence in _SENTENCE.split(task or ""):
        if path not in sentence:
            continue
        if any(other != path and other in sentence for other in outputs):
            return False, False, False  # two outputs in one sentence: which one is unknown
        lines = _ONE_PER_LINE.search(sentence) is not None
        return (lines, lines and _ALPHABETICAL.search(sentence) is not None,
                lines and _ASCENDING.search(sentence) is not None)
    return False, False, False


@attrs.frozen
class OutputSpec:
    """What the task says one output holds, beyond existing."""

    keys: tuple[str, ...] = ()  # top-level keys of a JSON object
    header: str | None = None  # the first line of a CSV
    headings: tuple[str, ...] = ()  # Markdown heading lines
    headings_ordered: bool = False
    one_per_line: bool = False  # a plain list of lines, not a JSON document
    alphabetical: bool = False  # ... in alphabetical order
    ascending: bool = False  # ... ascending (judged only when every item is a number)


def output_spec(task: str, path: str) -> OutputSpec:
    headings, ordered = required_headings(task, path)
    lines, alphabetical, ascending = line_list_rules(task, path)
    return OutputSpec(tuple(required_keys(task, path)), required_header(task, path),
                      tuple(headings), ordered, lines, alphabetical, ascending)


def heading_problem(path: str, text: str, headings, ordered: bool) -> str | None:
    """Which of the task's headings the Markdown output lacks, or their order, or None."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line.rstrip("#").rstrip() if line.startswith("#") else line for line in lines]
    missing = [h for h in headings if h not in lines]
    if missing:
        return (f"{path} lacks the heading line(s) the task gives: "
                + ", ".join(f"`{h}`" for h in missing) + "; add each as its own line")
    if ordered:
        at = [lines.index(h) for h in headings]
        if at != sorted(at):
            return (f"{path} has the headings out of order; the task asks for "
                    + ", ".join(f"`{h}`" for h in headings) + " in this order")
    return None


def line_list_problem(path: str, text: str, alphabetical: bool,
                      ascending: bool = False) -> str | None:
    """A one-per-line output that holds a JSON document instead, or lines out of order."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and "\n" in stripped:
        try:
            json.loads(stripped)
        except json.JSONDecodeError:
            pass
        else:
            return (f"{path} holds a JSON document, but the task asks for one item per line: "
                    "write just the items, each on its own line")
    items = [line.strip() for line in text.splitlines() if line.strip()]
    if alphabetical and items not in (sorted(items), sorted(items, key=str.casefold)):
        return (f"{path} is not in alphabetical order; the task asks for it sorted: "
                + ", ".join(sorted(items, key=str.casefold))[:300])
    numbers = [_number(item) for item in items]
    if ascending and items and None not in numbers and numbers != sorted(numbers):
        return (f"{path} is not in ascending order; the task asks for it sorted: "
                + ", ".join(item for _, item in sorted(zip(numbers, items)))[:300])
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def output_problem(path: str, text: str, spec: OutputSpec) -> str | None:
    """What is wrong with an output file's content, or None: a ``.json`` output must parse,
    and an object must have the keys the task names; a CSV must start with the header the
    task gives; a Markdown output must hold the headings the task gives; a one-per-line list
    must be plain lines (sorted when asked)."""
    if spec.headings:
        return heading_problem(path, text, spec.headings, spec.headings_ordered)
    if spec.one_per_line:
        return line_list_problem(path, text, spec.alphabetical, spec.ascending)
    header, keys = spec.header, spec.keys
    if header is not None:
        first = text.split("\n", 1)[0].rstrip("\r").strip()
        if first != header:
            return (f"{path} starts with the line `{first[:200]}`, but the task asks for the "
                    f"header `{header}`; rewrite it")
        return None
    if not path.lower().endswith(".json"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); rewrite it"
    if keys and isinstance(value, dict):
        missing = [k for k in keys if k not in value]
        if missing:
            return (f"{path} lacks the key(s) the task names: " + ", ".join(missing)
                    + "; add them")
    return None
