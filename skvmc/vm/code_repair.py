"""Repairs for two measured habits of weak models writing code inside a JSON action.

1. A program flattened onto one line: ``with open(p) as f: rows = f.readlines() n = len(rows)
   print(n)``. JSON strings need ``\\n`` escapes, and small models leave them out (the 1.5B,
   3 of 10 bench tasks, every retry the same line). The statements are split back apart at
   the points where Python's grammar cannot continue (an expression followed by a name), and
   the blocks are indented by the rule a reader applies: ``with``/``def``/``class``/``try``
   bodies run on, ``if``/``for``/``while`` bodies hold one statement.
2. A shell command line sent as Python (``python3 scripts/x.py a.log --out s.json``).
3. argv items run together: ``["python3 scripts/x.py", "a.log", "--out s.json"]``. A program
   name with a space in it that names no program, and an option with its value in one item
   (``--out s.json``: no option parser reads that as an option and a value), are split.

A repair is only tried on code that does not compile, and only kept when the result
compiles; the observation tells the model what ran. Anything else is left as written.
"""

from __future__ import annotations

import io
import json
import keyword
import re
import shlex
import shutil
import tokenize
import warnings

# names that continue an expression rather than start a statement
_CONTINUES = {"and", "or", "not", "in", "is", "as", "if", "else", "lambda", "from", "await"}
# statements that open a block of several statements (their body runs on)
_RUN_ON = {"with", "def", "class", "try", "async"}
# statements that open a block of one statement
_ONE = {"if", "elif", "else", "for", "while", "except", "finally"}
_CLAUSE_OF = {"elif": {"if", "elif"}, "else": {"if", "elif", "for", "while", "try", "except"},
              "except": {"try", "except"}, "finally": {"try", "except", "else"}}
_CLOSES = {"return", "raise", "break", "continue"}
_OPEN, _CLOSE = "([{", ")]}"
# programs that run a script file: a command line when they start "code", even off PATH
INTERPRETERS = {"python", "python3", "bash", "sh", "node"}
REPAIR_LIMIT = 20_000  # characters: a one-liner longer than this is not a program to re-lay


def repair_code(language: str, code: str) -> tuple[str, str, str] | None:
    """(language, code, note for the model) to run instead of ``code``, or None."""
    if language != "python" or not isinstance(code, str) or len(code) > REPAIR_LIMIT:
        return None
    code = code.strip()
    if _compiles(code):
        return None
    escaped = escape_newlines_in_strings(code)
    was_escaped = escaped != code
    if was_escaped:
        if _compiles(escaped):
            return "python", escaped, ESCAPED_NOTE
        code = escaped  # a one-liner now, perhaps with statements to split
    if "\n" in code:
        lines = split_flattened_lines(code)
        if lines is not None:
            note = FLATTENED_LINES_NOTE + lines
            return "python", lines, (ESCAPED_NOTE + "\n" + note) if was_escaped else note
        return _without_json_tail(code)
    command = _command_line(code)
    if command is not None:
        return "bash", command, "note: that was a command line, not Python; it ran as one."
    split = split_statements(code)
    if split is not None:
        note = _split_note(split)
        return "python", split, (ESCAPED_NOTE + "\n" + note) if was_escaped else note
    return _without_json_tail(code)


def _split_note(split: str) -> str:
    return ("note: your code was on one line; it ran split into these lines (next time put "
            "\\n between statements):\n" + split)


FLATTENED_LINES_NOTE = ("note: some lines of your code held several statements; it ran with "
                        "each on its own line (next time put \\n between statements):\n")


def split_flattened_lines(code: str) -> str | None:
    """Multi-line ``code`` with each line that holds several statements split like a one-line
    program (``for f in names: if f.endswith('.json'): with open(f) as h: d = json.load(h)
    n += 1``), at that line's indent; None unless the whole then compiles. The 1.5B wrote
    such lines between ordinary ones and resent them until the step ended
    (invoice-vendor-totals)."""
    out, changed = [], False
    for line in code.split("\n"):
        body = line.lstrip()
        if body and not _compiles(body):
            split = split_statements(body)  # two statements or more, else None
            if split is not None:
                pad = line[:len(line) - len(body)]
                out += [pad + piece for piece in split.splitlines()]
                changed = True
                continue
        out.append(line)
    if not changed:
        return None
    text = "\n".join(out)
    return text if _compiles(text) else None


JSON_TAIL_NOTE = ("note: your code ended in a stray '}' or ']' (the JSON object closed inside "
                  "the code string); it ran without it.")


def _without_json_tail(code: str) -> tuple[str, str, str] | None:
    """``code`` without one or two closing braces or brackets after its end, when the rest
    compiles (split into statements if it is one line): the 1.5B closed its JSON action
    inside the code string (``... file.write(name)}``) and resent it unchanged 4 times."""
    trimmed = code
    for _ in range(2):
        if not trimmed or trimmed[-1] not in "}]":
            return None
        trimmed = trimmed[:-1].rstrip()
        if _compiles(trimmed):
            return "python", trimmed, JSON_TAIL_NOTE
        if "\n" not in trimmed:
            split = split_statements(trimmed)
            if split is not None:
                return "python", split, JSON_TAIL_NOTE + "\n" + _split_note(split)
    return None


ESCAPED_NOTE = ("note: a line break inside a one-line string literal ('...') was taken as "
                "\\n; in JSON write it as \\\\n.")


def escape_newlines_in_strings(code: str) -> str:
    """``code`` with each line break inside a one-line string literal written as ``\\n``: a
    model's ``'\\n'`` in a JSON string decodes to a real line break, which ends the literal
    (measured: the 1.5B, ``f.write(path + '\\n')``). Triple-quoted strings and comments are
    left as they are."""
    out: list[str] = []
    i, n, quote = 0, len(code), ""
    while i < n:
        c = code[i]
        if quote:
            if c == "\\" and i + 1 < n:
                out.append(code[i:i + 2])
                i += 2
                continue
            if c == "\n":
                out.append("\\n")
            else:
                out.append(c)
                if c == quote:
                    quote = ""
            i += 1
            continue
        if c == "#":  # a comment runs to the end of its line
            end = code.find("\n", i)
            end = n if end < 0 else end
            out.append(code[i:end])
            i = end
            continue
        if c in "'\"":
            if code.startswith(c * 3, i):  # a triple-quoted string may hold line breaks
                end = code.find(c * 3, i + 3)
                end = n if end < 0 else end + 3
                out.append(code[i:end])
                i = end
                continue
            quote = c
        out.append(c)
        i += 1
    return "".join(out)


_OPTION_VALUE = re.compile(r"^(--?[A-Za-z][\w-]*) +([^\s-]\S*)$")
SHELL_OPERATORS = ("|", "||", "&&", ";", ">", ">>", "<")


def split_argv(argv: list[str], is_program) -> tuple[list[str], str]:
    """(argv with run-together items split, a note saying so or ""); raises ValueError for
    a program item shlex cannot split. ``is_program(word)`` says whether a word with a
    space in it is itself a program (a path with a space)."""
    out: list[str] = []
    for i, item in enumerate(argv):
        if i == 0 and " " in item.strip() and not is_program(item):
            out.extend(shlex.split(item))
            continue
        m = _OPTION_VALUE.match(item)
        out.extend([m.group(1), m.group(2)] if m else [item])
    if out == argv or len(argv) == 1:  # one string is a command line: no note needed
        return out, ""
    return out, ("note: ran as " + json.dumps(out) + ": a program and its script, or an "
                 "option and its value, are separate argv items.")


def _compiles(code: str) -> bool:
    try:
        with warnings.catch_warnings():  # the model's code is not ours to warn about
            warnings.simplefilter("ignore")
            compile(code, "<action>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # deep nesting too
        return False
    return True


def _command_line(code: str) -> str | None:
    try:
        words = shlex.split(code)
    except ValueError:
        return None
    if words and (words[0] in INTERPRETERS or (shutil.which(words[0]) is not None
                                          and not keyword.iskeyword(words[0]))):
        return code
    return None


def _tokens(code: str) -> list[tokenize.TokenInfo] | None:
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    keep = [t for t in toks if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER,
                                               tokenize.INDENT, tokenize.DEDENT)]
    if any(t.type == tokenize.COMMENT for t in keep):
        return None  # a comment swallows the rest of a one-liner: what follows is unknown
    return keep


def _ends_expression(t: tokenize.TokenInfo) -> bool:
    if t.type == tokenize.NAME:
        if t.string in ("True", "False", "None", "pass", "break", "continue"):
            return True
        return t.string not in _CONTINUES and not keyword.iskeyword(t.string)
    return t.type in (tokenize.NUMBER, tokenize.STRING) or t.string in _CLOSE


def _next_markers(toks: list[tokenize.TokenInfo]) -> list[str | None]:
    """For each token, the first ``:`` or ``else`` after it outside brackets (one pass
    from the end): an ``if`` whose next marker is its colon opens a statement, one followed
    by ``else`` first is a conditional expression."""
    depths, depth = [], 0
    for t in toks:
        depth += (t.string in _OPEN) - (t.string in _CLOSE)
        depths.append(depth)
    markers: list[str | None] = [None] * len(toks)
    following = None
    for j in range(len(toks) - 1, -1, -1):
        markers[j] = following
        if depths[j] == 0 and toks[j].string in (":", "else"):
            following = toks[j].string
    return markers


def _starts_statement(toks, i: int, run, markers) -> bool:
    t, first = toks[i], run[0].string
    if t.type != tokenize.NAME:
        return False
    if t.string in ("else", "elif", "except", "finally"):
        return run[-1].string not in ("=", "(", ",", ":") and (
            t.string != "else" or not _open_ternary(run))
    if not _ends_expression(run[-1]):
        return False
    if t.string == "if":
        return markers[i] == ":"
    if t.string == "from":
        return first not in ("raise", "yield")
    if t.string == "import":  # ``from x import y``: the first import continues the from
        return first != "from" or any(x.string == "import" for x in run)
    return t.string not in _CONTINUES


def _open_ternary(run) -> bool:
    """Whether ``run`` holds a conditional expression's ``if`` still waiting for its else."""
    depth, pending = 0, 0
    for t in run:
        if t.string in _OPEN:
            depth += 1
        elif t.string in _CLOSE:
            depth -= 1
        elif depth == 0 and t.string == "if" and t is not run[0]:
            pending += 1
        elif depth == 0 and t.string == "else" and pending:
            pending -= 1
    return pending > 0


def _statements(toks: list[tokenize.TokenInfo]) -> list[list[tokenize.TokenInfo]] | None:
    """The token runs of the statements and block headers, in order (a header ends at its
    colon; its body is the next run)."""
    runs: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    markers = _next_markers(toks)
    for i, t in enumerate(toks):
        run = runs[-1]
        if t.string in _OPEN:
            depth += 1
        elif t.string in _CLOSE:
            depth -= 1
            if depth < 0:
                return None
        if depth == 0 and run:
            if t.string == ";":
                runs.append([])
                continue
            if _starts_statement(toks, i, run, markers):
                runs.append([t])
                continue
            if (t.string == ":" and run[0].string in _RUN_ON | _ONE
                    and not _open_ternary(run)):
                run.append(t)
                runs.append([])
                continue
        run.append(t)
    return [r for r in runs if r] if depth == 0 else None


def split_statements(code: str) -> str | None:
    """``code`` (one line) with its statements on their own lines, or None when the split
    does not compile."""
    toks = _tokens(code)
    if toks is None:
        return None
    runs = _statements(toks)
    if runs is None or len(runs) < 2:
        return None
    lines: list[str] = []
    open_blocks: list[tuple[str, int]] = []  # (keyword, indent of its header)
    headers: list[tuple[str, int]] = []
    indent = 0
    for run in runs:
        word = run[0].string
        if word in _CLAUSE_OF:
            match = next((h for h in reversed(headers)
                          if h[0] in _CLAUSE_OF[word] and h[1] <= indent), None)
            if match is None:
                return None
            indent = match[1]
            while open_blocks and open_blocks[-1][1] >= indent:
                open_blocks.pop()
        lines.append("    " * indent + code[run[0].start[1]:run[-1].end[1]])
        if run[-1].string == ":" and word in _RUN_ON | _ONE:
            headers.append((word, indent))
            open_blocks.append((word, indent))
            indent += 1
            continue
        # a simple statement completes every one-statement block it ends
        while open_blocks and open_blocks[-1][0] in _ONE and open_blocks[-1][1] == indent - 1:
            open_blocks.pop()
            indent -= 1
        if word in _CLOSES and open_blocks and open_blocks[-1][0] == "def":
            indent = open_blocks.pop()[1]
    text = "\n".join(lines) + "\n"
    return text if _compiles(text) else None
