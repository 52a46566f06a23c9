"""Property tests over hostile inputs (bounded for CI; bench/fuzz_campaign.py runs the same
strategies for longer): every input gives a result or diagnostics, never an uncaught
exception, never output outside the output folder, never a leaked file."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    BUNDLE_ENTRIES,
    bytecode_files,
    check_bytecode,
    check_ir,
    check_skill,
    ir_texts,
    skill_texts,
)

FAST = settings(max_examples=25, deadline=10_000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(text=skill_texts())
def test_hostile_skills_frontend(text):
    check_skill(text, compile_it=False)


@settings(FAST, max_examples=15)
@given(text=skill_texts(), entries=BUNDLE_ENTRIES,
       target=st.sampled_from(["qwen-7b+openhands", "smollm2+aider", "qwen-7b+openclaw"]))
def test_hostile_skills_compile(text, entries, target):
    check_skill(text, entries, target)


@settings(FAST, max_examples=60)
@given(text=ir_texts())
def test_random_ir_texts(text):
    check_ir(text)


@settings(FAST, max_examples=100)
@given(data=bytecode_files())
def test_corrupted_bytecode(data):
    check_bytecode(data)


@settings(FAST, max_examples=30)
@given(data=st.binary(max_size=300))
def test_random_bytes_as_bytecode(data):
    check_bytecode(b"SKBC" + data)
