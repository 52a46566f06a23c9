"""The YAML frontmatter: split it off, parse it with a real YAML parser, check it against the
JSON Schema of the open Agent Skills format, and report problems at the offending key."""

from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources

import attrs
import yaml

from skvmc.diagnostics import DiagnosticEngine
from skvmc.fsutil import path_component_problem
from skvmc.ir import Location, freeze

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DELIM = re.compile(r"---[ \t]*\Z")


@attrs.frozen
class Frontmatter:
    fields: dict
    raw: str
    end_line: int  # the line of the closing ---
    key_locs: dict  # key -> Location of the key


@functools.cache
def frontmatter_schema() -> dict:
    text = resources.files("skvmc").joinpath("schemas/skill-frontmatter.schema.json").read_text()
    return json.loads(text)


def split(text: str, file: str, diags: DiagnosticEngine) -> tuple[str, int] | None:
    """(raw YAML, line of the closing ---) or None with an error."""
    lines = text.split("\n")
    if not text.strip():
        diags.error("empty file: a skill needs YAML frontmatter and instructions",
                    Location(file, 1, 1), code="empty")
        return None
    if not _DELIM.match(lines[0]):
        diags.error("no frontmatter: SKILL.md must start with a '---' line, then YAML, then '---'",
                    Location(file, 1, 1), code="no-frontmatter")
        return None
    for i in range(1, len(lines)):
        if _DELIM.match(lines[i]):
            return "\n".join(lines[1:i]) + ("\n" if i > 1 else ""), i + 1
    diags.error("frontmatter is never closed: no '---' line after the opening one",
                Location(file, 1, 1), code="frontmatter-unclosed")
    return None


# Bounds on what the YAML may expand to. Real frontmatter is a handful of keys a few levels
# deep; without bounds a 200-byte alias bomb ("a: &a [x,x,..]", "b: &b [*a,*a,..]", ...)
# expands to millions of values, and a recursive alias ("a: &a [*a]") never ends.
MAX_DEPTH = 64  # nesting of sequences and mappings, aliases expanded
MAX_NODES = 10_000  # values after expanding aliases (real frontmatter has tens)
MAX_ALIASES = 100  # alias uses (*name)


def _scalar_to_json(value):
    # YAML can produce dates and other non-JSON scalars; keep them as their text. Non-finite
    # floats (.nan, .inf) have no JSON or IR form either; sets become sorted lists so the
    # result does not depend on hash order.
    if isinstance(value, dict):
        return {str(k): _scalar_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scalar_to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_scalar_to_json(v) for v in value), key=str)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class _Bound(Exception):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.mark = mark


def _check_events(raw: str) -> None:
    """Depth, size and alias bounds on the event stream, before anything is built (the
    event parser is iterative, so this is safe on any input). Raises _Bound."""
    loader = _LOADER(raw)
    depth = nodes = aliases = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Bound(f"frontmatter nests deeper than {MAX_DEPTH} levels",
                                 event.start_mark)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise _Bound(f"frontmatter uses more than {MAX_ALIASES} aliases",
                                 event.start_mark)
            elif isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent,
                                    yaml.MappingStartEvent)):
                nodes += 1
                if nodes > MAX_NODES:
                    raise _Bound(f"frontmatter has more than {MAX_NODES} values",
                                 event.start_mark)
    finally:
        loader.dispose()


def _check_graph(root) -> None:
    """Bounds with aliases expanded: the composed graph shares aliased nodes, so count each
    node's expanded size once (memoized) and refuse cycles. Raises _Bound."""
    size: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth) when expanded
    active: set[int] = set()

    def visit(node) -> tuple[int, int]:
        key = id(node)
        if key in size:
            return size[key]
        if key in active:
            raise _Bound("frontmatter has a recursive alias (a value that contains itself)",
                         node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            size[key] = (1, 0)
            return size[key]
        active.add(key)
        children = node.value if isinstance(node, yaml.SequenceNode) else [
            n for pair in node.value for n in pair]
        total, deepest = 1, 0
        for child in children:
            n, d = visit(child)
            total += n
            deepest = max(deepest, d)
        active.discard(key)
        if total > MAX_NODES:
            raise _Bound(f"frontmatter expands to more than {MAX_NODES} values (aliases "
                         "repeated inside aliases)", node.start_mark)
        if deepest + 1 > MAX_DEPTH:
            raise _Bound(f"frontmatter nests deeper than {MAX_DEPTH} levels once aliases are "
                         "expanded", node.start_mark)
        size[key] = (total, deepest + 1)
        return size[key]

    visit(root)


def _bad_scalar(root):
    """The first scalar node that cannot be constructed (a date like 2024-13-45, an integer
    over Python's digit limit, ``!!float abc``), to locate the error; None if none."""
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except Exception:  # noqa: BLE001 - any failure is the one we are looking for
                return node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        else:
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
    return None


def _at(mark, file: str) -> Location:
    return Location(file, mark.line + 2, mark.column + 1) if mark else Location(file, 2, 1)


def parse(raw: str, end_line: int, file: str, diags: DiagnosticEngine) -> Frontmatter | None:
    """Parse the YAML (which starts on line 2 of the file)."""
    # Compose once and construct from that node (we need the node for key positions); use
    # libyaml's loader when PyYAML was built with it, which is several times faster.
    node = None
    loader = _LOADER(raw)
    try:
        _check_events(raw)
        node = loader.get_single_node()
        if node is not None:
            _check_graph(node)
        data = loader.construct_document(node) if node is not None else None
    except _Bound as err:
        diags.error(str(err), _at(err.mark, file), code="frontmatter-too-big")
        return None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context = getattr(err, "context_mark", None)
        at_end = mark is not None and mark.line >= raw.rstrip("\n").count("\n") + 1
        if context is not None and at_end:
            # "expected ']' but got end": the useful place is where the construct opened.
            problem += f" ({err.context} that is never closed)"
            mark = context
        diags.error(f"frontmatter is not valid YAML: {problem}", _at(mark, file),
                    code="frontmatter-yaml")
        return None
    except (ValueError, TypeError, OverflowError) as err:
        # A scalar whose tag or form says int/float/date but whose value is not one.
        bad = _bad_scalar(node) if node is not None else None
        diags.error(f"frontmatter value cannot be read: {str(err).split(';')[0]}",
                    _at(bad.start_mark if bad is not None else None, file),
                    code="frontmatter-yaml")
        return None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        diags.error(f"frontmatter must be a YAML mapping of keys, not a {type(data).__name__}",
                    Location(file, 2, 1), code="frontmatter-shape")
        return None
    key_locs = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_locs[str(key_node.value)] = Location(
                file, key_node.start_mark.line + 2, key_node.start_mark.column + 1)
    return Frontmatter(_scalar_to_json(data), raw, end_line, key_locs)


def check(fm: Frontmatter, folder_name: str, file: str, diags: DiagnosticEngine,
          harness_keys: dict[str, list[str]] | None = None) -> bool:
    """Check against the open spec. Missing name/description are errors; the rest warnings.

    ``harness_keys`` maps a non-spec key to the harnesses that understand it, so the warning can
    say where the key does mean something. Returns False when there was an error.
    """
    import jsonschema

    ok = True
    start = Location(file, 1, 1)
    name = fm.fields.get("name")
    unsafe = path_component_problem(name) if isinstance(name, str) and name else None
    if unsafe:
        # The name becomes a folder of the output (<skills dir>/<name>/SKILL.md): it must not
        # be able to point anywhere else.
        diags.error(f"name {name!r} cannot be used as a folder name: {unsafe}",
                    fm.key_locs.get("name", start), code="frontmatter-name-unsafe")
        ok = False
    validator = jsonschema.Draft202012Validator(frontmatter_schema())
    for err in sorted(validator.iter_errors(fm.fields), key=lambda e: list(e.path)):
        key = str(err.path[0]) if err.path else None
        loc = fm.key_locs.get(key, start) if key else start
        if err.validator == "required":
            missing = err.message.split("'")[1]
            diags.error(f"frontmatter is missing required key '{missing}'", start,
                        code="frontmatter-missing-key")
            ok = False
        elif err.validator == "additionalProperties":
            for extra in _extra_keys(err.message):
                where = (harness_keys or {}).get(extra)
                hint = (f"; understood by {', '.join(where)}" if where
                        else "; no known harness uses it")
                diags.warning(f"frontmatter key '{extra}' is not in the open Agent Skills "
                              f"spec{hint}",
                              fm.key_locs.get(extra, start), code="frontmatter-extra-key")
        elif key == "name" and err.validator in ("pattern", "maxLength", "minLength"):
            if unsafe:
                continue
            diags.warning(f"name {fm.fields['name']!r} breaks the naming rule: 1-64 characters, "
                          "lowercase letters, digits and single hyphens, no leading/trailing "
                          "hyphen",
                          loc, code="frontmatter-name")
        elif key == "description" and err.validator == "maxLength":
            diags.warning(f"description is {len(fm.fields['description'])} characters; "
                          "the spec allows at most 1024", loc, code="frontmatter-description-long")
        elif key in ("name", "description") and err.validator == "type":
            diags.error(f"frontmatter '{key}' must be a string", loc, code="frontmatter-type")
            ok = False
        else:
            diags.warning(f"frontmatter '{key}': {err.message}", loc, code="frontmatter-spec")
    if isinstance(name, str) and folder_name and name != folder_name and not unsafe:
        diags.warning(f"name '{name}' differs from the skill folder '{folder_name}'",
                      fm.key_locs.get("name", start), code="frontmatter-name-folder")
    return ok


def _extra_keys(message: str) -> list[str]:
    # jsonschema: "Additional properties are not allowed ('a', 'b' were unexpected)"
    inner = message[message.find("(") + 1: message.rfind(")")]
    return re.findall(r"'([^']*)'", inner)


def to_attr(fields: dict):
    return freeze(fields)
