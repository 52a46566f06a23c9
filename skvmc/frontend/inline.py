"""Inline Markdown -> links and path mentions, from the token stream of ``grammar/inline.lark``.

The lexer is linear (see the grammar); links are assembled here with a bracket stack, in one
pass. Each path mention says why it was read as a path, so a warning about a missing bundle
file can say it too:

- ``link``: the target of ``[text](path)``;
- ``code``: a code span holding only a path (`` `scripts/run.py` ``);
- ``explicit``: a bare ``./path``;
- ``bare``: any other bare token with a ``/`` or a file extension (the caller decides whether
  it is a bundle reference, e.g. by its first folder).
Placeholders (``<dir>/x``, ``{name}.md``, ``$VAR/x``, ``YYYY-MM-DD.md``) are never paths.
"""

from __future__ import annotations

import functools
import re

import attrs

_PLACEHOLDER = re.compile(r"[<>{}$]|\bYYYY|\bXXX|\.\.\.")
_PATHLIKE = re.compile(r"^(?:\./)?[\w*.-]+(?:/[\w*.-]+)*/?$")


_DEST_TOKENS = 64
_DEST_END = frozenset({"RPAREN", "WS", "LBRACK", "LINK_MID", "IMAGE_OPEN"})
_TITLE_END = frozenset({"RPAREN", "LBRACK", "LINK_MID", "IMAGE_OPEN"})


@attrs.frozen
class Mention:
    path: str
    why: str  # link | code | explicit | bare
    offset: int  # where in the text


@functools.cache
def _lexer():
    from skvmc import grammar

    return grammar.load("inline", lexer="basic")


@functools.cache
def _scanner():
    """The basic lexer's own alternation (terminals in Lark's order), or None when Lark needs
    more than one regex or token callbacks for it. ``Lark.lex`` builds a new lexer on every
    call and makes a Token object per match, most of the cost on a long text."""
    lexer = _lexer()._build_lexer()
    mres = lexer.scanner._mres
    if len(mres) != 1 or lexer.callback or lexer.ignore_types:
        return None
    return mres[0]


def tokens(text: str):
    """(type, value, offset) of every token of ``text``."""
    rx = _scanner()
    if rx is not None:
        # the terminals cover every character (WS, OTHER), so matches are contiguous and
        # finditer takes the same matches as Lark's match at each position
        out, pos = [], 0
        for m in rx.finditer(text):
            if m.start() != pos:
                break
            out.append((m.lastgroup, m.group(), pos))
            pos = m.end()
        if pos == len(text):
            return out
    return [(t.type, t.value, t.start_pos) for t in _lexer().lex(text)]


@functools.cache
def _extension():
    """The PATH terminal's "name.ext" tail (``\\.(?:md|py|...)(?![\\w.])``), from the grammar:
    a PATH token without a slash holds a match of it."""
    pattern = _lexer().get_terminal("PATH").pattern.to_regexp()
    return re.compile(pattern[pattern.rindex(r"\.(?:"):])


def _plain(text: str) -> bool:
    """Whether ``text`` can hold no link, code span or path: no ``[`` (links, images), no
    backtick, no slash, no known file extension (each token kind scan() reads needs one).
    Most instructions are such plain prose; tokenizing them found nothing, at ~10 µs each."""
    return ("[" not in text and "`" not in text and "/" not in text
            and _extension().search(text) is None)


def scan(text: str) -> tuple[list[dict], list[Mention]]:
    """(links, path mentions) of a piece of inline Markdown."""
    if _plain(text):
        return [], []
    toks = tokens(text)
    links: list[dict] = []
    mentions: list[Mention] = []
    openers: list[int] = []  # token indexes of "[" / "![" not yet closed
    i, n = 0, len(toks)
    while i < n:
        kind, value, at = toks[i]
        if kind in ("LBRACK", "IMAGE_OPEN"):
            openers.append(i)
        elif kind == "RBRACK" and openers:
            openers.pop()
        elif kind == "LINK_MID" and openers:
            start = openers.pop()
            label = "".join(v for _, v, _ in toks[start + 1:i])
            # the destination, then an optional "title" on the same line; both bounded, so a
            # long run of "[a](" costs a constant per token, not a scan to the end
            j, dest = i + 1, []
            while j < n and j - i <= _DEST_TOKENS and toks[j][0] not in _DEST_END:
                dest.append(toks[j][1])
                j += 1
            while (j < n and j - i <= 2 * _DEST_TOKENS and toks[j][0] not in _TITLE_END
                   and "\n" not in toks[j][1]):
                j += 1
            if j < n and toks[j][0] == "RPAREN":
                url = "".join(dest).strip("<>")
                links.append({"text": label, "url": url})
                target = url.split("#", 1)[0]
                if target and "://" not in target and not target.startswith(
                        ("/", "~", "mailto:", "#")):
                    _add(mentions, target, "link", toks[i][2] + 2)
                i = j
        elif kind == "CODE_SPAN":
            inner = value[1:-1].strip()
            if _PATHLIKE.match(inner) and ("/" in inner or "." in inner.strip(".")):
                _add(mentions, inner, "code", at + 1)
        elif kind == "PATH":
            _add(mentions, value, "explicit" if value.startswith("./") else "bare", at)
        i += 1
    return links, mentions


def _add(out: list[Mention], path: str, why: str, offset: int) -> None:
    path = path.strip().rstrip(".,:;")
    if path.startswith("./"):
        path = path[2:]
    if path and not _PLACEHOLDER.search(path):
        out.append(Mention(path, why, offset))


def find_links(text: str) -> list[dict]:
    return scan(text)[0]
