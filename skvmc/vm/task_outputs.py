"""The files a task instruction says to write: what CHECK.OUTPUTS looks for after a step.

A file counts as an output when the nearest verb before it, in the same sentence, is a writing
verb ("write it to `total.txt`", "save the report as report.md", "create `out/summary.json`").
A reading verb in between ("read `a.csv` and ...") or none at all leaves it out: unknown is
not an output, so the check never asks for a file the task did not ask for.
"""

from __future__ import annotations

import re

_WRITE = {"write", "writes", "save", "saves", "store", "create", "creates", "produce",
          "output", "export", "generate", "put", "emit", "dump", "record", "place", "to",
          "into", "as", "build", "builds", "make", "prepare", "compose", "draft", "render",
          "rename", "move"}
_READ = {"read", "reads", "open", "load", "parse", "use", "uses", "from", "inside",
         "lists", "about", "for", "holds", "contains", "given", "check", "scan", "with", "of"}
# a file name: a path with an extension of letters (``total.txt``, ``/root/out/report.md``)
_FILE = r"(?:/?[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z][A-Za-z0-9]{0,7}"
_TOKEN = re.compile(rf"`(?P<code>{_FILE})`|(?P<bare>(?<![\w/.-]){_FILE})(?![\w/-])"
                    r"|(?P<word>[A-Za-z]+)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])|\n\s*\n|\n\s*[-*\d]")


def task_outputs(task: str) -> list[str]:
    """The output files ``task`` names, in order, each once."""
    found: list[str] = []
    for sentence in _SENTENCE.split(task or ""):
        verb = None
        for m in _TOKEN.finditer(sentence):
            word = m.group("word")
            if word is not None:
                w = word.lower()
                if w in _WRITE:
                    verb = "write"
                elif w in _READ:
                    verb = "read"
                continue
            path = m.group("code") or m.group("bare")
            if verb == "write" and path not in found:
                found.append(path)
    return found

