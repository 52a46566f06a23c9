"""The IR core: op declarations drive construction checks and verification; the textual form
reports its errors at locations."""

import attrs
import pytest

from skvmc.diagnostics import CompileError, DiagnosticEngine
from skvmc.dialects import skill
from skvmc.ir import FrozenDict, Location, Value, freeze, map_ops, module, thaw
from skvmc.irparse import parse_module
from skvmc.printer import format_attr, print_module
from skvmc.verifier import verify


def _step(name="1", text="Do it", **kw):
    return skill.STEP.build(results=(Value(name, skill.VALUE),), text=text, ordered=False,
                            marker="-", **kw)


def test_build_checks_declaration():
    with pytest.raises(ValueError, match="missing required attribute 'text'"):
        skill.STEP.build(results=(Value("1", skill.VALUE),), ordered=False, marker="-")
    with pytest.raises(ValueError, match="attribute 'level': expected int"):
        skill.SECTION.build(level="1", title="x")
    with pytest.raises(ValueError, match="expects 1 result"):
        skill.STEP.build(text="x", ordered=False, marker="-")
    with pytest.raises(ValueError, match="expected one of"):
        skill.QUOTE.build(text="x", kind="shout")
    with pytest.raises(ValueError, match="operand #0 must be !skill.file"):
        skill.STEP.build(operands=(Value("9", skill.VALUE),), results=(Value("1", skill.VALUE),),
                         text="x", ordered=False, marker="-")


def test_locations_do_not_take_part_in_equality():
    a = attrs.evolve(_step(), loc=Location("SKILL.md", 3, 1))
    b = attrs.evolve(_step(), loc=Location("SKILL.md", 9, 4))
    assert a == b and hash(a) == hash(b)


def test_attribute_values_freeze_and_thaw():
    data = {"a": [1, 2.5, None, True, {"b": "c"}]}
    frozen = freeze(data)
    assert isinstance(frozen, FrozenDict) and thaw(frozen) == data
    assert format_attr(frozen) == '{a = [1, 2.5, none, true, {b = "c"}]}'
    with pytest.raises(TypeError):
        freeze({"x": object()})


def test_verifier_reports_structural_problems():
    ref = skill.REF.build(results=(Value("0", skill.FILE),), path="a.py", exists=True)
    use = skill.STEP.build(operands=(ref.result,), results=(Value("1", skill.VALUE),), text="x",
                           ordered=False, marker="-")
    # use before definition
    bad_order = module([use, ref])
    assert any("before it is defined" in d.message for d in verify(bad_order))
    # redefinition
    dup = module([ref, attrs.evolve(ref)])
    assert any("redefines '%0'" in d.message for d in verify(dup))
    # unknown op and unknown attribute
    from skvmc.ir import Operation

    unknown = module([Operation("skill.nope"), Operation("skill.rule", attributes={"x": 1})])
    messages = [d.message for d in verify(unknown)]
    assert any("not declared" in m for m in messages)
    assert any("unknown attribute 'x'" in m for m in messages)
    assert verify(module([ref, use])) == []


def test_value_defined_in_a_region_is_not_visible_outside():
    ref = skill.REF.build(results=(Value("0", skill.FILE),), path="a.py", exists=True)
    section = skill.SECTION.build(level=1, title="T", regions=[[ref]])
    use = skill.TEXT.build(operands=(ref.result,), text="x")
    assert any("out of scope" in d.message for d in verify(module([section, use])))


@pytest.mark.parametrize("text, where, message", [
    ('"builtin.module"() ({\n  "skill.rule"() : () ->\n}) : () -> ()\n', (3, 1), "unexpected"),
    ('"builtin.module"() ({\n  "skill.text"(%7) {text = "x"} : (!skill.file) -> ()\n'
     '}) : () -> ()\n',
     (2, 16), "use of undefined value '%7'"),
    ('"builtin.module"() ({\n  "skill.rule"() {a = 1, a = 2} : () -> ()\n}) : () -> ()\n',
     (2, 26), "duplicate attribute 'a'"),
    ('"builtin.module"() ({\n  %0 = "skill.rule"() : () -> ()\n}) : () -> ()\n',
     (2, 8), "has 1 result(s) but its type lists 0"),
    ('"builtin.module"() ({ @ }) : () -> ()', (1, 23), "unexpected character '@'"),
])
def test_ir_parse_errors_are_located(text, where, message):
    diags = DiagnosticEngine()
    with pytest.raises(CompileError):
        parse_module(text, "bad.skir", diags)
    first = diags.diagnostics[0]
    assert (first.loc.line, first.loc.col) == where
    assert message in first.message
    rendered = diags.render(first)
    assert rendered.startswith(f"bad.skir:{where[0]}:{where[1]}: error:") and "^" in rendered


def test_map_ops_keeps_identity_when_nothing_changes():
    m = module([skill.SECTION.build(level=1, title="T", regions=[[_step()]])])
    assert map_ops(m, lambda op: op) is m
    dropped = map_ops(m, lambda op: None if op.name == "skill.step" else op)
    assert dropped.body[0].body == ()


def test_print_ir_escapes_and_roundtrips_awkward_strings():
    text = 'quote " backslash \\ newline \n tab \t unicode é 🙂 nul-free'
    m = module([skill.TEXT.build(text=text)], {"weird key": "v", "true": 1})
    printed = print_module(m)
    assert '"weird key" = "v"' in printed and '"true" = 1' in printed
    assert parse_module(printed) == m


def test_module_walk_is_kept_on_the_module_and_follows_rebuilds():
    """A module's walk is computed once per module object (each backend walks it again); a
    rebuilt module is a new object with its own walk."""
    from skvmc import ir

    inner = ir.Operation("skill.text", attributes={"text": "a"})
    step = ir.Operation("skill.step", regions=(ir.Region((inner,)),))
    m = ir.module([step, ir.Operation("skill.rule")])
    first = [op.name for op in m.walk()]
    assert first == ["builtin.module", "skill.step", "skill.text", "skill.rule"]
    kept = ir._module_walk.get(m)
    assert kept is not None and list(m.walk()) == list(kept)
    assert ir._module_walk.get(m) is kept  # not walked again
    rebuilt = m.with_ops([step])
    assert [op.name for op in rebuilt.walk()] == ["builtin.module", "skill.step", "skill.text"]
    assert [op.name for op in step.walk()] == ["skill.step", "skill.text"]  # not a module
    assert ir._module_walk.get(step) is None


def test_large_or_unfinished_module_walks_are_not_kept(monkeypatch):
    from skvmc import ir

    m = ir.module([ir.Operation("skill.rule"), ir.Operation("skill.rule")])
    next(m.walk())  # stopped early: nothing kept
    assert ir._module_walk.get(m) is None
    monkeypatch.setattr(ir, "WALK_KEEP_MAX", 2)
    assert len(list(m.walk())) == 3
    assert ir._module_walk.get(m) is None
