"""Runs a model-written Python file; when it raises, prints the usual traceback and then the
values of the names on the line that failed.

``python values_runner.py CODE.py ARGS...`` behaves like ``python CODE.py ARGS...`` (same
``__name__``, ``__file__``, ``sys.argv``, exit codes and traceback, without this file's
frames), plus a "values on the failing line" block on stderr. A weak model reading
``KeyError: 'Region'`` does not know the row's keys are ``region`` and ``amount``; with the
row's value beside the error it does. This file is copied into the step's sandbox and run
there, so it imports only the standard library and nothing of skvmc.
"""

import io
import keyword
import linecache
import os
import runpy
import sys
import tokenize
import traceback
import types

VALUE_CHARS = 200  # characters of one value's repr
NAMES_SHOWN = 8  # names of one failing line
KEYS_SHOWN = 30  # keys of a mapping shown in full
VALUES_HEADER = "values on the failing line:"


def _short(text: str, limit: int = VALUE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(value) -> str | None:
    """A short text for ``value``, or None for what its name already says (modules,
    functions, classes)."""
    if isinstance(value, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                          types.MethodType, type)):
        return None
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the real error
        return f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"
    if isinstance(value, dict) and len(text) > VALUE_CHARS:
        keys = ", ".join(repr(k) for k in list(value)[:KEYS_SHOWN])
        more = f", ... ({len(value)} keys)" if len(value) > KEYS_SHOWN else ""
        return _short(f"dict with keys [{keys}{more}]", 2 * VALUE_CHARS)
    sized = isinstance(value, (list, tuple, set, frozenset, dict, str, bytes))
    if sized and len(text) > VALUE_CHARS:  # cut: say how much there is
        return _short(text) + f"  ({type(value).__name__} of length {len(value)})"
    fields = getattr(value, "fieldnames", None)  # csv.DictReader: its columns, not its id
    if isinstance(fields, (list, tuple)):
        return _short(f"{type(value).__name__} with fieldnames {fields!r}")
    return _short(text)


def line_names(line: str) -> list[str]:
    """The identifiers on ``line`` that are not keywords and not attributes, in order."""
    names, previous = [], None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if (tok.type == tokenize.NAME and not keyword.iskeyword(tok.string)
                    and previous != "." and tok.string not in names):
                names.append(tok.string)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return names


def failing_values(tb, path: str) -> list[str]:
    """``name = value`` lines for the innermost frame of ``path`` in traceback ``tb``."""
    frame, lineno = None, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            frame, lineno = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    if frame is None:
        return []
    line = linecache.getline(path, lineno)
    out = []
    for name in line_names(line):
        if name in frame.f_locals:
            value = frame.f_locals[name]
        elif name in frame.f_globals:
            value = frame.f_globals[name]
        else:
            continue
        text = describe(value)
        if text is not None:
            out.append(f"  {name} = {text}")
        if len(out) == NAMES_SHOWN:
            break
    return out


def main(argv: list[str]) -> int:
    path = os.path.abspath(argv[1])  # as python CODE.py shows it in tracebacks
    sys.argv = argv[1:]
    sys.path[0] = os.path.dirname(path)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - report any error as python itself would
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next  # this runner's and runpy's frames are not the model's code
        traceback.print_exception(type(exc), exc, tb)  # tb None: a SyntaxError, as python
        if not isinstance(exc, (KeyboardInterrupt, SyntaxError, MemoryError)):
            values = failing_values(exc.__traceback__, path)
            if values:
                print(VALUES_HEADER, *values, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
