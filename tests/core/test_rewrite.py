"""The rewrite and conversion drivers (skvmc/rewrite.py): sweep order, insert before and after,
consuming siblings, pre-order removal, region patterns, and the declared-effect checks."""

import pytest

from skvmc.dialects import cap, skill
from skvmc.ir import Value, module
from skvmc.passes.capability_patterns import PATTERNS, Site, delegate_arithmetic
from skvmc.rewrite import (
    ConversionPattern,
    Pattern,
    PatternContractError,
    PatternSet,
    Rewrite,
    apply_patterns,
    legalize,
    walk_patterns,
)


def text(t):
    return skill.TEXT.build(text=t)


def step(t, n=None, body=()):
    attrs = {"ordered": n is not None, "marker": f"{n}." if n else "-"}
    if n:
        attrs["number"] = n
    return skill.STEP.build(text=t, results=(Value(f"s{t}", skill.VALUE),),
                            regions=(tuple(body),), **attrs)


def texts(m):
    return [o.attr("text") for o in m.walk() if o.name in ("skill.text", "skill.step")]


def test_nothing_matches_returns_the_same_object():
    m = module([text("a"), step("b", body=[text("c")])])
    assert walk_patterns(m, PatternSet(post=(Pattern("never", lambda site: None),))) is m


def test_insert_before_and_after_in_every_region():
    def around(site):
        if site.op.name != "skill.text":
            return None
        return Rewrite((site.op,), before=(skill.RULE.build(),), after=(skill.RULE.build(),))

    m = module([text("a"), step("b", body=[text("c")])])
    out = walk_patterns(m, PatternSet(post=(Pattern("rules-around", around, ("skill.rule",)),)))
    assert [o.name for o in out.body] == ["skill.rule", "skill.text", "skill.rule", "skill.step"]
    assert [o.name for o in out.body[3].body] == ["skill.rule", "skill.text", "skill.rule"]


def test_post_patterns_see_rewritten_children_and_the_original_siblings():
    seen = []

    def upper(site):
        if site.op.name == "skill.text":
            return Rewrite((site.op.with_attrs(text=site.op.attr("text").upper()),))
        seen.append((site.op.body[0].attr("text"), site.original.body[0].attr("text"),
                     site.next_op.attr("text") if site.next_op else None))
        return None

    m = module([step("a", body=[text("x")]), text("y")])
    out = walk_patterns(m, PatternSet(post=(Pattern("upper", upper),)))
    assert texts(out) == ["a", "X", "Y"]
    assert seen == [("X", "x", "y")]  # the step's child first; its next sibling as it was


def test_a_pre_pattern_removal_skips_the_ops_regions():
    visited = []

    def drop_b(site):
        visited.append(site.op.attr("text"))
        return Rewrite(()) if site.op.attr("text") == "b" else None

    m = module([step("a"), step("b", body=[text("inner")]), step("c")])
    out = walk_patterns(m, PatternSet(pre=(Pattern("drop-b", drop_b),)))
    assert texts(out) == ["a", "c"]
    assert "inner" not in visited


def test_a_pattern_may_consume_the_siblings_after_it():
    def fold_ordered(site):
        if not site.op.attr("ordered"):
            return None
        j = site.index
        while j < len(site.ops) and site.ops[j].attr("ordered"):
            j += 1
        members = tuple(site.descend(o) for o in site.ops[site.index:j])
        return Rewrite((cap.SPLIT.build(reason="r", regions=(members,)),),
                       consumed=j - site.index)

    m = module([step("a", 1), step("b", 2), step("c", 3), text("end")])
    out = walk_patterns(m, PatternSet(post=(Pattern("fold", fold_ordered, ("cap.split",)),)))
    assert [o.name for o in out.body] == ["cap.split", "skill.text"]
    assert texts(out) == ["a", "b", "c", "end"]


def test_region_patterns_see_the_parent():
    parents = []

    def note(ops, parent):
        parents.append(parent.name)
        return None

    walk_patterns(module([step("a", body=[text("x")])]), PatternSet(region=(Pattern("n", note),)))
    assert parents == ["skill.step", "builtin.module"]  # inner region first


def test_an_undeclared_op_is_an_internal_error_naming_the_pattern():
    def sneaky(site):
        return Rewrite((site.op, skill.RULE.build())) if site.op.name == "skill.text" else None

    with pytest.raises(PatternContractError, match="pattern 'sneaky' created skill.rule"):
        walk_patterns(module([text("a")]), PatternSet(post=(Pattern("sneaky", sneaky),)))


def test_greedy_driver_runs_to_a_fixed_point_and_catches_divergence():
    def halve(op):
        t = op.attr("text", "")
        return op.with_attrs(text=t[: len(t) // 2]) if op.name == "skill.text" and t else None

    out = apply_patterns(module([text("abcdefgh")]), op_patterns=[halve])
    assert texts(out) == [""]

    def grow(op):
        return op.with_attrs(text=op.attr("text") + "x") if op.name == "skill.text" else None

    with pytest.raises(RuntimeError, match="did not converge"):
        apply_patterns(module([text("a")]), op_patterns=[grow], max_iterations=4)


# -- the conversion driver ---------------------------------------------------------------------


class Profile:
    def __init__(self, levels):
        self.levels = levels

    def level(self, primitive):
        return self.levels.get(primitive)

    def allows(self, primitive, level):
        return (self.levels.get(primitive) or 0) >= level


def _site(op, levels):
    names = iter(range(1000))
    return Site(op, None, Profile(levels), lambda: f"n{next(names)}")


def _legalize(pattern, op, levels):
    profile = Profile(levels)
    return legalize(_site(op, levels), {"primitive": "reason.arithmetic", "level": 2}, [pattern],
                    profile.allows, lambda p, lvl: f"has {profile.level(p)}", "cap.split")


def test_conversion_accepts_a_rewrite_whose_additions_are_legal():
    delegate = next(p for p in PATTERNS if p.name == "delegate-arithmetic")
    got = _legalize(delegate, step("Add 2 and 3"), {"gen.code.python": 2})
    assert isinstance(got, tuple) and got[0] is delegate
    assert [o.name for o in got[1].op.body] == ["cap.delegate"]


def test_conversion_says_why_each_pattern_failed():
    delegate = next(p for p in PATTERNS if p.name == "delegate-arithmetic")
    got = _legalize(delegate, step("Add 2 and 3"), {"gen.code.python": 0})
    assert got == ["delegate-arithmetic would need gen.code.python L2 (has 0)"]
    assert _legalize(delegate, skill.RULE.build(), {}) == ["delegate-arithmetic does not apply"]


def test_an_undeclared_requirement_is_an_internal_error_naming_the_pattern():
    liar = ConversionPattern("liar", ("reason.arithmetic",), (("gen.code.python", 1),),
                             delegate_arithmetic, creates=("cap.delegate",))
    with pytest.raises(PatternContractError, match="'liar' added gen.code.python L2"):
        _legalize(liar, step("Add 2 and 3"), {"gen.code.python": 3})


def test_an_undeclared_inserted_op_is_an_internal_error():
    quiet = ConversionPattern("quiet", ("reason.arithmetic",), (("gen.code.python", 2),),
                              delegate_arithmetic)
    with pytest.raises(PatternContractError, match="'quiet' created cap.delegate"):
        _legalize(quiet, step("Add 2 and 3"), {"gen.code.python": 3})


def test_every_shipped_pattern_declares_what_it_creates():
    for p in PATTERNS:
        assert p.legalizes and p.summary, p.name
        assert all(name.split(".")[0] in ("cap", "skill") for name in p.creates), p.name
