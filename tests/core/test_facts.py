"""Declared facts: the attributes analyses attach are typed, owned by a dialect and checked by
the verifier like any other attribute (nested shapes, located diagnostics, unknown names)."""

import subprocess
import sys

import pytest
from conftest import REPO

from skvmc.dialects import skill
from skvmc.ir import Value, module
from skvmc.opdef import CarriesFacts, declared_facts, lookup_op
from skvmc.verifier import verify

BAD_STEP = """\
"builtin.module"() ({
  %0 = "skill.step"() ({
  }) {text = "Read it", ordered = true, marker = "1.", number = 1,
      reads = 5, writes = "oops"} : () -> !skill.value
}) : () -> ()
"""


def _step(**facts):
    return skill.STEP.build(results=(Value("1", skill.VALUE),), text="Do it", ordered=False,
                            marker="-", **facts)


def _problems(op):
    return [d.message for d in verify(module([op]))]


def test_every_fact_a_pass_sets_is_declared_by_its_dialect():
    owners = {name: f.dialect for name, f in declared_facts("instruction").items()}
    assert owners == {"requires": "cap", "actions": "cap", "translated_from": "cap",
                      "rewritten": "cap", "reads": "env", "writes": "env", "tools": "prompt",
                      "other_product": "prompt",
                      "fallback": "prompt", "drop": "prompt"}
    assert {n: f.dialect for n, f in declared_facts("module").items()} == {"concurrency": "flow"}


def test_ops_opt_in_through_the_trait():
    for name in ("skill.text", "skill.step", "skill.code", "skill.quote"):
        assert CarriesFacts in lookup_op(name).traits
    assert CarriesFacts not in lookup_op("skill.table").traits
    table = skill.TABLE.build(header=("a",), align=("",), rows=())
    assert _problems(table.with_attrs(requires=())) == [
        "'skill.table' op unknown attribute 'requires'"]


def test_well_formed_facts_verify():
    op = _step(requires=[{"primitive": "tool.exec", "level": 2, "evidence": ["x"],
                          "status": "lowered", "by": "shell-to-python"}],
               actions=[{"kind": "read", "target": "a.csv"}], reads=["a.csv"], writes=[],
               tools={"read": "Read"}, fallback={"exec": "describe it"}, drop="other-product")
    assert _problems(op) == []


@pytest.mark.parametrize("facts, message", [
    ({"reads": 5}, "attribute 'reads': expected array, got int"),
    ({"writes": ("a", 3)}, "attribute 'writes[1]': expected str, got int"),
    ({"requires": [{"primitive": "p", "level": "2", "evidence": []}]},
     "attribute 'requires[0].level': expected int, got str"),
    ({"requires": [{"primitive": "p", "level": 7, "evidence": []}]},
     "attribute 'requires[0].level': expected 0..3, got 7"),
    ({"requires": [{"primitive": "p", "level": 1}]},
     "attribute 'requires[0]': missing key 'evidence'"),
    ({"requires": [{"primitive": "p", "level": 1, "evidence": [], "colour": "red"}]},
     "attribute 'requires[0]': unknown key 'colour'"),
    ({"requires": [{"primitive": "p", "level": 1, "evidence": [], "status": "fine"}]},
     "attribute 'requires[0].status': expected one of 'legal', 'lowered', 'gap', got 'fine'"),
    ({"actions": [{"kind": "teleport", "target": "x"}]},
     "attribute 'actions[0].kind': expected one of"),
    ({"tools": {"teleport": "T"}}, "attribute 'tools': unknown key 'teleport'"),
    ({"fallback": {"exec": 1}}, "attribute 'fallback.exec': expected str, got int"),
    ({"drop": True}, "attribute 'drop': expected str, got bool"),
    ({"colour": "red"}, "unknown attribute 'colour'"),
])
def test_bad_facts_are_named_with_their_path(facts, message):
    op = _step().with_attrs(**facts)
    problems = _problems(op)
    assert len(problems) == 1 and problems[0].startswith(f"'skill.step' op {message}"), problems


def test_module_facts_are_checked():
    m = module([]).with_attrs(concurrency={"critical_path": 1})
    assert [d.message for d in verify(m)] == [
        "'builtin.module' op attribute 'concurrency': missing key 'sequential_steps'",
        "'builtin.module' op attribute 'concurrency': missing key 'parallel_regions'",
        "'builtin.module' op attribute 'concurrency': missing key 'foreach'"]
    assert [d.message for d in verify(module([]).with_attrs(colour=1))] == [
        "'builtin.module' op unknown attribute 'colour'"]


def test_opt_reports_bad_facts_at_the_attribute_before_any_pass(tmp_path):
    path = tmp_path / "bad.skir"
    path.write_text(BAD_STEP)
    r = subprocess.run([sys.executable, "-m", "skvmc.cli", "opt", str(path),
                        "-p", "extract-concurrency"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    # each error points at the attribute, in the IR text
    assert f"{path}:4:7: error: 'skill.step' op attribute 'reads': expected array, got int" \
        in r.stderr
    assert f"{path}:4:18: error: 'skill.step' op attribute 'writes': expected array, got str" \
        in r.stderr


def test_problems_without_text_locations_point_at_the_op():
    from skvmc.ir import Location

    op = _step().with_attrs(reads=5)
    import attrs

    op = attrs.evolve(op, loc=Location("SKILL.md", 3, 1))
    [d] = verify(module([op]))
    assert str(d.loc) == "SKILL.md:3:1"
