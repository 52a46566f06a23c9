"""extract-concurrency: snapshots per fixture, graph unit tests, conservative cases, corpus."""

from pathlib import Path

import pytest

from skvmc.backends import dag
from skvmc.irparse import parse_module
from skvmc.passes.analysis import dataflow
from skvmc.printer import print_module
from tests.conftest import corpus_params, ops_named, parse_corpus, parse_fixture, run_passes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passes" / "flow"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "SKILL.md").exists())


def run(module, pipeline="extract-concurrency"):
    return run_passes(module, pipeline)


flow_ops = ops_named


@pytest.mark.parametrize("case", CASES)
def test_snapshot(case, snapshot_skir):
    after, _ = run(parse_fixture(FIXTURES / case))
    assert print_module(after) == snapshot_skir


@pytest.mark.parametrize("case", CASES)
def test_roundtrip_and_idempotent(case):
    once, _ = run(parse_fixture(FIXTURES / case))
    assert parse_module(print_module(once)) == once
    twice, _ = run(once)
    assert twice == once


def test_ordered_procedure_stays_in_order():
    """Numbered steps of one procedure are dependent unless the text says otherwise, even
    when the files they name look disjoint."""
    after, ctx = run(parse_fixture(FIXTURES / "instruction-reads"),
                     "infer-capabilities,extract-concurrency")
    assert flow_ops(after, "flow.parallel") == []
    report = ctx.report["extract-concurrency"]
    assert report["critical_path"] == report["sequential_steps"] == 5


def test_sections_are_never_parallel_regions():
    after, _ = run(parse_fixture(FIXTURES / "task-sections"),
                   "infer-capabilities,extract-concurrency")
    assert flow_ops(after, "flow.parallel") == []


def test_stated_independence_makes_a_region():
    after, _ = run(parse_fixture(FIXTURES / "stated-parallel"),
                   "infer-capabilities,extract-concurrency")
    [par] = flow_ops(after, "flow.parallel")
    assert par.attr("evidence") == "stated"
    assert [b.body[0].attr("text").split(" with")[0] for b in par.body] == [
        "Lint the code", "Run the unit tests", "Build the docs"]
    # the list after "Then:" is not stated independent and its steps have unknown effects


def test_negated_statement_is_not_independence():
    after, _ = run(parse_fixture(FIXTURES / "negated-parallel"),
                   "infer-capabilities,extract-concurrency")
    assert flow_ops(after, "flow.parallel") == []


def test_data_level_foreach():
    after, _ = run(parse_fixture(FIXTURES / "foreach-data"))
    loops = flow_ops(after, "flow.foreach")
    assert [(loop.attr("collection"), loop.attr("parallel")) for loop in loops] == [
        ("CSV in data/", True), ("log file", False)]  # appending to one file is not parallel
    # step 3 reads out/, which the first loop writes: it stays after it
    assert after.body[1].body[0].name == "flow.foreach"


def test_known_disjoint_reads_inside_a_step():
    """Unordered items whose reads and writes are all known (facts, named files, nothing
    else) and disjoint may run together; the write after them stays after them."""
    after, _ = run(parse_fixture(FIXTURES / "nested-reads"),
                   "infer-capabilities,extract-concurrency")
    [par] = flow_ops(after, "flow.parallel")
    assert par.attr("evidence") == "disjoint"
    assert [b.body[0].attr("text") for b in par.body] == [
        "Read `README.md`.", "Read `pyproject.toml`.", "List the files in `src/`."]
    section = after.body[1]
    assert [op.name for op in section.body] == ["skill.step", "skill.step"]


def test_unknown_effects_are_dependent():
    after, _ = run(parse_fixture(FIXTURES / "nested-reads"))  # no facts: nothing is known
    assert flow_ops(after, "flow.parallel") == []


def test_conservative_keeps_order():
    before = parse_fixture(FIXTURES / "conservative")
    after, ctx = run(before)
    assert not flow_ops(after, "flow.parallel")
    assert ctx.report["extract-concurrency"]["critical_path"] == 8


def _steps(*texts):
    from skvmc.dialects import skill
    from skvmc.ir import Value

    return [skill.STEP.build(text=t, ordered=True, marker=f"{i + 1}.", number=i + 1,
                             results=[Value(str(i), skill.VALUE)])
            for i, t in enumerate(texts)]


def test_graph_raw_waw_war_edges():
    ops = _steps("Write `a.txt`.", "Read `a.txt` and write `b.txt`.", "Write `b.txt` from `c.txt`.",
                 "Overwrite `c.txt` with data from `d.txt`.", "Read `e.txt` and write `f.txt`.")
    g = dataflow.build_graph(ops)
    assert g.edges[0, 1]["reason"] == "input" or g.edges[0, 1]["reason"] == "raw"
    assert g.edges[1, 2]["reason"] == "waw"
    assert g.edges[2, 3]["reason"] == "war"
    assert not g.has_edge(3, 4) and not g.has_edge(1, 4)
    # the graph is evidence; the schedule stays sequential until a region is made explicit
    assert dataflow.critical_path(ops) == dataflow.sequential_length(ops) == 5


def test_graph_uses_facts_when_present():
    a, b = _steps("Do the first thing.", "Do the second thing.")
    a = a.with_attrs(reads=["x.csv"], writes=["y.csv"])
    b = b.with_attrs(reads=["y.csv"], writes=["z.csv"])
    assert dataflow.build_graph([a, b]).edges[0, 1]["reason"] == "raw"
    b2 = b.with_attrs(reads=["q.csv"])
    assert not dataflow.build_graph([a, b2]).has_edge(0, 1)


def test_graph_order_words_and_opaque():
    ops = _steps("Read `a.txt`.", "Then read `b.txt`.", "Think hard.")
    g = dataflow.build_graph(ops)
    assert g.edges[0, 1]["reason"] == "order"
    assert g.edges[1, 2]["reason"] == "opaque"
    assert "digraph" in dag.to_dot(g) and "flowchart" in dag.to_mermaid(g)


def test_log_triage_example():
    root = Path(__file__).resolve().parents[2] / "examples" / "log-triage"
    after, ctx = run(parse_fixture(root), "extract-concurrency,canonicalize")
    assert flow_ops(after, "flow.foreach")
    assert ctx.report["extract-concurrency"]["critical_path"] >= 1


@pytest.mark.parametrize("skill_dir", corpus_params())
def test_corpus(skill_dir):
    before = parse_corpus(skill_dir)
    once, ctx = run(before)
    assert parse_module(print_module(once)) == once
    assert run(once)[0] == once
    report = ctx.report["extract-concurrency"]
    assert report["critical_path"] <= report["sequential_steps"]
