"""Analysis: the simple commands of a shell text, and the program each one runs.

A program is the command word of a command line, nothing else: not an output line shown in
the fence (``PASS``, ``Tests: 3 passed``), not a continuation line, not a here-document body,
not the text of a multi-line quoted argument (``python3 -c "..."`` spanning lines), not a
``$ `` prompt. The lexer tracks quotes, ``\\`` escapes, comments, ``$(...)`` and backticks
(whose commands count too) across lines, so one linear scan gives the commands.

In a *session* (a ``console``/``shell-session`` fence, or any fence with a ``$ `` prompt line)
only prompt lines are commands; every other line is output.
"""

from __future__ import annotations

import re

import attrs

from skvmc.dialects import skill

_PROMPT = re.compile(r"^\s*(?:\(\S+\)\s*)?[\w@.~:/-]*\$ (?=\S)")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w-]*)\2")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")", "\n")
# A word that can be a program: lowercase first letter or digit-free names like `R` are rare;
# all-caps words (PASS, FAIL, OK) and words with ':' are output or labels, not programs.
PROGRAM_WORD = re.compile(r"^(?=.*[a-z])[A-Za-z][\w.+-]*$")


@attrs.frozen
class Command:
    line: int  # 1-based line in the text where the command starts
    argv: tuple[str, ...]


def is_session(lang: str, body: str) -> bool:
    return skill.is_session(lang) or any(_PROMPT.match(ln) for ln in body.splitlines())


def _session_text(body: str) -> str:
    """Only the prompt lines (and their backslash continuations); output lines blanked, so
    line numbers stay the same."""
    out, cont = [], False
    for line in body.split("\n"):
        m = _PROMPT.match(line)
        if m or cont:
            text = line[m.end():] if m else line
            out.append(text)
            cont = text.rstrip().endswith("\\")
        else:
            out.append("")
    return "\n".join(out)


def commands(body: str, lang: str = "bash") -> list[Command]:
    """Every simple command of ``body`` (pipelines and lists split apart), in order."""
    text = _session_text(body) if is_session(lang, body) else body
    out: list[Command] = []
    _lex(text, 1, out, depth=0)
    return out


def _lex(text: str, first_line: int, out: list[Command], depth: int) -> None:
    words: list[str] = []
    word: list[str] = []
    in_word = False
    line = first_line
    start_line = first_line
    heredocs: list[tuple[str, bool]] = []
    i, n = 0, len(text)

    def end_word():
        nonlocal in_word
        if in_word:
            words.append("".join(word))
            word.clear()
            in_word = False

    def end_command():
        end_word()
        if words:
            out.append(Command(start_line, tuple(words)))
            words.clear()

    while i < n:
        c = text[i]
        if c == "\n":
            end_command()
            line += 1
            i += 1
            if heredocs:  # skip the here-document bodies that start after this line
                for tag, strip in heredocs:
                    while i < n:
                        j = text.find("\n", i)
                        j = n if j < 0 else j
                        body_line = text[i:j]
                        line += 1
                        i = j + 1
                        if (body_line.strip() if strip else body_line) == tag:
                            break
                heredocs.clear()
            start_line = line
            continue
        if not words and not in_word and c in " \t":
            start_line = line
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "#" and not in_word:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "\\":
            if i + 1 < n and text[i + 1] == "\n":
                line += 1
                i += 2
                continue
            word.append(text[i + 1:i + 2])
            in_word = True
            i += 2
            continue
        if c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                if c == '"' and text[j] == "\\":
                    j += 1
                elif c == '"' and text.startswith("$(", j):
                    k = _matching_paren(text, j + 1)
                    if depth < 8:
                        _lex(text[j + 2:k], line + text.count("\n", i, j), out, depth + 1)
                    j = k
                j += 1
            line += text.count("\n", i, j)
            word.append(text[i + 1:j])
            in_word = True
            i = j + 1
            continue
        sub = None  # a command substitution: (where its commands start, where it ends)
        if text.startswith("$(", i) and not text.startswith("$((", i):
            sub = (i + 2, _matching_paren(text, i + 1))
        elif c == "`":
            k = text.find("`", i + 1)
            sub = (i + 1, n if k < 0 else k)
        if sub is not None:  # its commands count; it stands as one word in this one
            if depth < 8:
                _lex(text[sub[0]:sub[1]], line, out, depth + 1)
            line += text.count("\n", i, sub[1])
            word.append("$(...)")
            in_word = True
            i = sub[1] + 1
            continue
        m = _HEREDOC.match(text, i) if c == "<" else None
        if m:
            end_word()
            heredocs.append((m.group(3), m.group(1) == "-"))
            i = m.end()
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None and op != "\n":
            end_command()
            start_line = line
            i += len(op)
            continue
        word.append(c)
        in_word = True
        i += 1
    end_command()


def _matching_paren(text: str, open_at: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``open_at`` (quotes respected), or len(text)."""
    depth, i, n = 0, open_at, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            j = text.find(c, i + 1)
            i = n if j < 0 else j
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def defined_functions(body: str) -> set[str]:
    """Shell functions a text defines (``name() {`` or ``function name``): not programs."""
    return set(re.findall(r"(?m)^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)", body)) | set(
        re.findall(r"(?m)^\s*function\s+([A-Za-z_][\w-]*)", body))
