"""Read a JSON file, validate it against one of our schemas, report problems where they are.

Every problem becomes a diagnostic at the ``file:line:col`` of the offending key or value
(found with :mod:`skvmc.targets.jsonpos`); nothing here raises on bad input.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path

import jsonschema

from skvmc.diagnostics import DiagnosticEngine, relpath_for_display
from skvmc.ir import Location
from skvmc.targets.jsonpos import Spans, locate, pointer

HERE = Path(__file__).resolve().parent
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


@functools.cache
def schema(name: str) -> dict:
    """A shipped schema by short name (targets/schemas/<name>.schema.json)."""
    return json.loads((HERE / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))


MAX_JSON_BYTES = 16 << 20  # profiles, descriptors and overlays are a few kilobytes


def read_json(path: str | Path, diags: DiagnosticEngine, severity: str = "error"
              ) -> tuple[object, Spans, str] | None:
    """Parse a JSON file; on failure record a diagnostic (``severity``: "error", or "warning"
    for files that are skipped) and return None. The read is bounded (a FIFO, /dev/zero or a
    huge file is refused), and so are nesting depth and integer size."""
    from skvmc import safejson
    from skvmc.fsutil import read_limited

    file = str(path)
    report = diags.warning if severity == "warning" else diags.error
    try:
        text = read_limited(file, MAX_JSON_BYTES, "the file").decode("utf-8")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        report(f"cannot read '{file}': {why}", Location(file), code="json-read")
        return None
    diags.sources.add(file, relpath_for_display(file), text)
    try:
        data = safejson.loads(text.removeprefix("\ufeff"))
    except ValueError as exc:  # bad syntax, too deep, an integer over the digit limit, NaN
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        report(f"invalid JSON: {getattr(exc, 'msg', exc)}", Location(file, line, col),
               code="json-syntax")
        return None
    return data, locate(text), file


def validate(data: object, spans: Spans, file: str, schema_name: str,
             diags: DiagnosticEngine, what: str) -> bool:
    """Check ``data`` against a shipped schema; one diagnostic per problem. True when valid."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    # A set: jsonschema reports one 'required' error per missing key, each listing them all.
    problems = {pair for err in validator.iter_errors(data)
                for pair in _explain(err, spans, file, what)}
    # Report in file order so the output reads top to bottom.
    problems = sorted(problems, key=lambda p: (p[1].line, p[1].col, p[0]))
    for message, loc in problems:
        diags.error(message, loc, code=f"{schema_name}-schema")
    return not problems


def _where(path) -> str:
    return pointer(path) or "the top level"


def _loc(spans: Spans, file: str, path, key: bool = False) -> Location:
    ptr = pointer(path)
    p = spans.of_key(ptr) if key else spans.of_value(ptr)
    return Location(file, p.line, p.col) if p else Location(file, 1, 1)


def _explain(err: jsonschema.ValidationError, spans: Spans, file: str, what: str):
    """Turn one jsonschema error into (message, location) pairs a user can act on."""
    path = list(err.absolute_path)
    inst = err.instance
    v = err.validator
    in_caps = what == "profile" and path[:1] == ["capabilities"]
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = set(err.schema.get("properties", {}))
        for extra in sorted(k for k in inst if k not in allowed):
            hint = difflib.get_close_matches(extra, sorted(allowed), n=1, cutoff=0.6)
            tail = f"; did you mean '{hint[0]}'?" if hint else ""
            if in_caps and len(path) == 1:
                msg = f"unknown primitive '{extra}'{tail}"
            else:
                msg = f"unknown key '{extra}' in {what} at {_where(path)}{tail}"
            yield msg, _loc(spans, file, path + [extra], key=True)
        return
    if v == "required":
        missing = [k for k in err.validator_value if isinstance(inst, dict) and k not in inst]
        for key in missing:
            yield f"{what} is missing required key '{key}' at {_where(path)}", \
                _loc(spans, file, path)
        return
    if v == "enum" and in_caps and len(path) == 2:
        yield (f"level of '{path[1]}' must be one of L0, L1, L2, L3, not {json.dumps(inst)}",
               _loc(spans, file, path))
        return
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = _JSON_TYPES.get(type(inst), type(inst).__name__)
        yield f"{_where(path)} in {what} must be {want}, not {got}", _loc(spans, file, path)
        return
    if v == "anyOf" and path == ["provenance"]:
        yield ("provenance must say how the levels were obtained: give 'url' or 'command', "
               "or set measured: false and explain in 'notes'"), _loc(spans, file, path)
        return
    yield f"{err.message} (at {_where(path)} in {what})", _loc(spans, file, path)


@functools.cache
def shipped_measurements(folder: str, schema_name: str,
                         root: Path = HERE) -> dict[tuple[str, str], dict]:
    """The measurement files shipped in ``targets/<folder>/*.json`` (``root`` for tests),
    keyed by (model alias, harness name). A shipped file that does not validate is a bug of
    ours: it raises."""
    out = {}
    for f in sorted((root / folder).glob("*.json")):
        diags = DiagnosticEngine()
        got = read_json(f, diags)
        if got is None or not validate(*got, schema_name, diags, f"{schema_name} measurement"):
            raise RuntimeError(f"shipped {schema_name} measurement {f} is invalid:\n"
                               + diags.render_all())
        out[(got[0]["model"], got[0]["harness"])] = got[0]
    return out


def measurement_for(folder: str, schema_name: str, model, harness) -> dict | None:
    """The shipped measurement of this model (any of its names) in this harness, if any."""
    records = shipped_measurements(folder, schema_name)
    for name in sorted(model.names()):
        if (name, harness.name) in records:
            return records[(name, harness.name)]
    return None


def write_measurement(folder: str | Path, record: dict) -> Path:
    """Write ``record`` as ``folder/<model>--<harness>.json``, the name the shipped files
    have (the bench scripts that measure a target write them)."""
    dest = Path(folder) / f"{record['model']}--{record['harness']}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return dest
