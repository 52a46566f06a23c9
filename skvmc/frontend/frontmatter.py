"""The YAML frontmatter: split it off, parse it with a real YAML parser, check it against the
JSON Schema of the open Agent Skills format, and report problems at the offending key."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

import attrs
import yaml

from skvmc.diagnostics import DiagnosticEngine
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


def _scalar_to_json(value):
    # YAML can produce dates and other non-JSON scalars; keep them as their text.
    if isinstance(value, dict):
        return {str(k): _scalar_to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scalar_to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def parse(raw: str, end_line: int, file: str, diags: DiagnosticEngine) -> Frontmatter | None:
    """Parse the YAML (which starts on line 2 of the file)."""
    # Compose once and construct from that node (we need the node for key positions); use
    # libyaml's loader when PyYAML was built with it, which is several times faster.
    loader = _LOADER(raw)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context = getattr(err, "context_mark", None)
        at_end = mark is not None and mark.line >= raw.rstrip("\n").count("\n") + 1
        if context is not None and at_end:
            # "expected ']' but got end": the useful place is where the construct opened.
            problem += f" ({err.context} that is never closed)"
            mark = context
        line, col = (mark.line + 2, mark.column + 1) if mark else (2, 1)
        diags.error(f"frontmatter is not valid YAML: {problem}", Location(file, line, col),
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
    name = fm.fields.get("name")
    if isinstance(name, str) and folder_name and name != folder_name:
        diags.warning(f"name '{name}' differs from the skill folder '{folder_name}'",
                      fm.key_locs.get("name", start), code="frontmatter-name-folder")
    return ok


def _extra_keys(message: str) -> list[str]:
    # jsonschema: "Additional properties are not allowed ('a', 'b' were unexpected)"
    inner = message[message.find("(") + 1: message.rfind(")")]
    return re.findall(r"'([^']*)'", inner)


def to_attr(fields: dict):
    return freeze(fields)
