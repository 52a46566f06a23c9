"""Shared fixtures: readable single-file snapshots and access to ../shared."""

from __future__ import annotations

import os
from pathlib import Path

# litellm fetches a model price map from the network at import unless told not to; some tests
# import it directly (its exception classes), before skvmc's own import sets this.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("SKVMC_SHARED", REPO.parent / "shared"))


class SkirSnapshot(SingleFileSnapshotExtension):
    """One `.skir` file per case, so a snapshot diff reads like a compiler test diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "skir"


class TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def snapshot_skir(snapshot):
    return snapshot.use_extension(SkirSnapshot)


@pytest.fixture
def snapshot_text(snapshot):
    return snapshot.use_extension(TextSnapshot)


def fixture_skills() -> list[Path]:
    return sorted(p for p in (FIXTURES / "skills").iterdir() if (p / "SKILL.md").exists())


def example_skills() -> list[Path]:
    return sorted(p for p in (REPO / "examples").iterdir() if (p / "SKILL.md").exists())


def corpus_skills() -> list[Path]:
    """Every whole skill folder under ../shared/corpus/<repository>/<skill>/ (bundles on disk)."""
    root = SHARED / "corpus"
    if not root.is_dir():
        return []
    return sorted((p for p in root.glob("*/*") if (p / "SKILL.md").is_file()),
                  key=lambda p: p.name)


def corpus_params():
    """pytest params over the corpus: one skipped param when ../shared is absent."""
    skills = corpus_skills()
    if not skills:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/corpus is absent"),
                             id="no-corpus")]
    names = [p.name for p in skills]
    assert len(set(names)) == len(names), "corpus skill names must be unique (they name snapshots)"
    return [pytest.param(p, id=p.name) for p in skills]


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


def parse_fixture(path: Path, bundle_files=None):
    """Parse a skill folder; fail the test with rendered diagnostics if it has errors."""
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.frontend import parse_skill

    diags = DiagnosticEngine()
    module = parse_skill(str(path), diags, bundle_files=bundle_files)
    assert not diags.has_errors, diags.render_all()
    return module


def parse_corpus(path: Path):
    return parse_fixture(path)


def run_passes(module, pipeline: str, **options):
    """Run a pipeline the way the compiler does (verifying after every pass) and check the
    result survives a textual round trip. Returns (module, PassContext)."""
    from skvmc.diagnostics import DiagnosticEngine
    from skvmc.irparse import parse_module
    from skvmc.passmanager import PassContext, PassManager, parse_pipeline
    from skvmc.printer import print_module

    ctx = PassContext(diags=DiagnosticEngine(), options=options)
    out = PassManager(parse_pipeline(pipeline, ctx.diags)).run(module, ctx)
    assert parse_module(print_module(out)) == out
    return out, ctx


def ops_named(module, name: str) -> list:
    return [op for op in module.walk() if op.name == name]
