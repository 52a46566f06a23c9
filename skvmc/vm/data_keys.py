"""What to tell a model whose code looked up a column or key the task's data does not have.

Weak models guess field names: the 0.5B wrote ``row['name']`` for a CSV whose header says
``full_name`` although the header was in its prompt, got ``KeyError: 'name'``, and answered
with the error. The traceback names the key but not the names that exist. When model code
fails with ``KeyError: 'K'`` and ``K`` is none of the columns of the workdir's CSV/TSV files
nor a key of its JSON files, the observation lists the names that are there, nearest first.
Nothing is said when ``K`` exists somewhere (then the error is not a wrong name) or when no
data file has named fields.
"""

from __future__ import annotations

import csv
import difflib
import json
import re

from skvmc.vm.host import SandboxError

_KEY_ERROR = re.compile(r"""(?m)^KeyError: (?P<q>['"])(?P<key>[^'"\n]{1,80})(?P=q)\s*$""")
_TABLE_EXT = {".csv": ",", ".tsv": "\t"}
HEAD_BYTES = 4096  # a header line fits; a whole JSON file is read only when it is small
JSON_BYTES = 256 * 1024
FILES_SHOWN = 3
NAMES_SHOWN = 20


def missing_key(stderr: str) -> str | None:
    """The key of the last ``KeyError`` a traceback ends with, or None."""
    found = _KEY_ERROR.findall(stderr or "")
    return found[-1][1] if found else None


def _table_columns(head: str, delimiter: str) -> list[str]:
    first = head.split("\n", 1)[0].strip("\r\ufeff")
    row = next(csv.reader([first], delimiter=delimiter), [])
    return [c.strip() for c in row if c.strip()]


def _json_keys(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict)), None)
    if not isinstance(value, dict):
        return []
    return [str(k) for k in value]


def field_names(host, limit: int = 40) -> list[tuple[str, list[str]]]:
    """(path, its column or top-level key names) for each data file of the workdir."""
    out = []
    for path, size in host.list_files(limit):
        ext = path[path.rfind("."):].lower() if "." in path else ""
        try:
            if ext in _TABLE_EXT:
                names = _table_columns(host.read_head(path, HEAD_BYTES), _TABLE_EXT[ext])
            elif ext == ".json" and size <= JSON_BYTES:
                names = _json_keys(host.read_file(path))
            else:
                continue
        except (SandboxError, OSError, UnicodeDecodeError):
            continue
        if names:
            out.append((path, names))
    return out


def key_note(stderr: str, host) -> str:
    """The note for code that failed on a key no data file has, or ""."""
    key = missing_key(stderr)
    if key is None:
        return ""
    files = field_names(host)
    if not files or any(key in names for _, names in files):
        return ""
    every = [n for _, names in files for n in names]
    near = difflib.get_close_matches(key, every, n=1, cutoff=0.5)
    lines = [f"note: no data file here has a field named '{key}'."]
    for path, names in files[:FILES_SHOWN]:
        shown = ", ".join(names[:NAMES_SHOWN]) + (" ..." if len(names) > NAMES_SHOWN else "")
        lines.append(f"- {path} has: {shown}")
    if near:
        lines.append(f"The nearest name is '{near[0]}'. Use the names exactly as listed.")
    else:
        lines.append("Use the names exactly as listed.")
    return "\n".join(lines)
