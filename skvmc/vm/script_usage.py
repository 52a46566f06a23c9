"""A skill's scripts are programs, not modules: what to tell a model whose code imports one.

Weak models read "`scripts/validate.py` checks a CSV file" and write ``from validate import
validate``. The import fails (scripts/ is not on the path, and the script's functions are not
its documented interface), and the 1.5B resent the same import until the step ended
(csv-validate-errors-by-column). When model code fails with ``No module named 'X'`` and the
step's prompt shows a command line that runs a script named ``X``, the observation gets that
command line: the way the skill says to use it.
"""

from __future__ import annotations

import functools
import re

# a command line that runs a script: ``python3 scripts/validate.py DATA.csv --out r.json``
_COMMAND = re.compile(
    r"(?m)(?:^|[`\s])(?P<line>(?:python3?|bash|sh|node)\s+"
    r"(?P<path>(?:[\w.${}-]+/)*(?P<stem>[A-Za-z_]\w*)\.(?:py|sh|js|mjs))(?:[ \t]+[^\n`]*)?)")
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<name>[A-Za-z_][\w.]*)'")
COMMAND_CHARS = 300


@functools.lru_cache(maxsize=64)
def documented_commands(prompt: str) -> dict[str, str]:
    """Script stem -> the first command line of the prompt that runs it (one line, trimmed)."""
    out: dict[str, str] = {}
    for m in _COMMAND.finditer(prompt or ""):
        out.setdefault(m.group("stem"), m.group("line").strip()[:COMMAND_CHARS])
    return out


def import_note(stderr: str, commands: dict[str, str]) -> str:
    """The note for code that imported a script of the skill as a module, or ""."""
    m = _NO_MODULE.search(stderr or "")
    if m is None:
        return ""
    name = m.group("name").split(".")[0]
    command = commands.get(name)
    if command is None:
        return ""
    return (f"note: `{name}` is not a Python module here: it is one of the skill's scripts, "
            f"a command-line program. Run it as the skill shows: `{command}` (the task's own "
            'files in place of the example names), with {"action": "exec", "argv": [...]}, '
            "then read what it writes.")
