"""-j N into a new folder: the parent writes each skill's files as its worker hands them over
(``outdir.Streamed``) and renames the folder into place only when it is exactly what the
usual write makes; anything else falls back to that write."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
from test_scale import SKILLS, TARGETS, bad_skill, tree

from skvmc import outdir
from skvmc.cli import main
from skvmc.fsutil import TMP_PREFIX


def modes(root) -> dict:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
            for p in root.rglob("*") if p.is_file()}


def leftovers(parent) -> list:
    return [p for p in os.listdir(parent) if p.startswith(TMP_PREFIX)]


def _one_job(tmp_path, skills, capsys):
    ref = tmp_path / "j1"
    assert main([*skills, f"--target={TARGETS}", "-o", str(ref)]) == 0
    return ref, capsys.readouterr().err


@pytest.fixture
def finished(monkeypatch):
    """What each Streamed.finish returned."""
    seen = []
    real = outdir.Streamed.finish
    monkeypatch.setattr(outdir.Streamed, "finish",
                        lambda self, files: seen.append(real(self, files)) or seen[-1])
    return seen


def test_streamed_folder_is_the_usual_one(tmp_path, capsys, monkeypatch, finished):
    ref, err = _one_job(tmp_path, SKILLS, capsys)

    def no_usual_write(*a, **k):
        raise AssertionError("the streamed folder should have been renamed into place")

    monkeypatch.setattr(outdir, "write_output", no_usual_write)
    out = tmp_path / "j2"
    assert main([*SKILLS, f"--target={TARGETS}", "-o", str(out), "-j", "2"]) == 0
    assert finished == [True]
    assert tree(out) == tree(ref) and modes(out) == modes(ref)
    assert modes(out)[next(k for k in modes(out) if k.endswith("env-setup.sh"))] == 0o755
    assert capsys.readouterr().err == err
    assert not leftovers(tmp_path)


def test_two_skills_claiming_one_folder_fall_back_to_the_usual_write(tmp_path, capsys,
                                                                     finished):
    skills = []
    for side in ("a", "b"):  # same folder name, so the same OUT/<skill>/ (the later wins)
        dest = tmp_path / "in" / side / "same-name"
        shutil.copytree(SKILLS[0 if side == "a" else 1], dest)
        skills.append(str(dest))
    ref, err = _one_job(tmp_path, skills, capsys)
    out = tmp_path / "j2"
    assert main([*skills, f"--target={TARGETS}", "-o", str(out), "-j", "2"]) == 0
    assert finished == [False]  # spoiled by the second claim: written the usual way
    assert tree(out) == tree(ref) and modes(out) == modes(ref)
    assert capsys.readouterr().err == err
    assert not leftovers(tmp_path)


def test_a_failed_skill_leaves_no_folder_and_no_staging(tmp_path, capsys):
    bad = bad_skill(tmp_path / "in")
    out = tmp_path / "out"
    assert main([SKILLS[0], str(bad), SKILLS[1], f"--target={TARGETS}", "-o", str(out),
                 "-j", "2"]) == 1
    assert not out.exists() and not leftovers(tmp_path)


@pytest.mark.parametrize("change", ["missing", "other bytes", "other mode", "extra"])
def test_finish_renames_only_exactly_the_files(tmp_path, change):
    a, b = b"alpha", b"beta"
    streamed = outdir.Streamed(str(tmp_path / "out"))
    streamed.add({"x/a.txt": (a, None)})
    streamed.add({"y/b.sh": (b, 0o755)})
    want = {"x/a.txt": (a, None), "y/b.sh": (b, 0o755)}
    if change == "missing":
        want["z/c.txt"] = (b"gamma", None)
    elif change == "other bytes":
        want["x/a.txt"] = (b"alphA", None)
    elif change == "other mode":
        want["y/b.sh"] = (b, None)
    else:
        del want["y/b.sh"]
    assert streamed.finish(want) is False
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)
    streamed.discard()  # after finish: nothing left to do


def test_finish_with_exactly_the_files_renames_them_into_place(tmp_path):
    streamed = outdir.Streamed(str(tmp_path / "out"))
    data = b"#!/bin/sh\n"
    streamed.add({"t/env-setup.sh": (data, 0o755)})
    assert streamed.finish({"t/env-setup.sh": (data, 0o755)}) is True
    path = tmp_path / "out" / "t" / "env-setup.sh"
    assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o755
    assert not leftovers(tmp_path)
