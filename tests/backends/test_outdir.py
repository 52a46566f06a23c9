"""The output folder: built atomically when new, updated in place (only what differs) when it
exists; either way it ends up holding exactly the artifacts."""

from __future__ import annotations

import os
import stat

import pytest

from skvmc.fsutil import TMP_PREFIX, AtomicDir
from skvmc.outdir import write_output

FILES = {"a.txt": (b"alpha", None), "sub/b.txt": (b"beta", None),
         "sub/deep/env-setup.sh": (b"#!/bin/sh\n", 0o755), "empty": (b"", None)}


def _tree(root) -> dict:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            out[rel] = ("link" if os.path.islink(path) else
                        (open(path, "rb").read(), stat.S_IMODE(os.lstat(path).st_mode)))
    return out


def _expected(tmp_path):
    ref = tmp_path / "ref"
    assert write_output(str(ref), FILES).rebuilt
    return _tree(ref)


def _inodes(root) -> dict:
    return {rel: os.stat(os.path.join(root, rel)).st_ino for rel in FILES}


def test_new_folder_is_built_whole(tmp_path):
    tree = _expected(tmp_path)
    assert {rel: data for rel, (data, _) in tree.items()} == {r: d for r, (d, _) in FILES.items()}
    assert tree["sub/deep/env-setup.sh"][1] == 0o755


def test_identical_folder_is_not_rewritten(tmp_path):
    out = tmp_path / "out"
    write_output(str(out), FILES)
    before = {rel: os.stat(out / rel) for rel in FILES}
    done = write_output(str(out), dict(FILES))
    assert (done.written, done.removed, done.kept, done.rebuilt) == (0, 0, len(FILES), False)
    for rel, st in before.items():  # same inode, same mtime: never opened for writing
        now = os.stat(out / rel)
        assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_changed_missing_and_extra_entries_are_repaired(tmp_path):
    expected = _expected(tmp_path)
    out = tmp_path / "out"
    write_output(str(out), FILES)
    kept = _inodes(out)
    (out / "a.txt").write_bytes(b"edited")  # changed content
    (out / "sub" / "b.txt").unlink()  # missing
    os.chmod(out / "sub" / "deep" / "env-setup.sh", 0o600)  # changed mode only
    (out / "extra.txt").write_bytes(b"x")  # not an artifact
    (out / "old" / "nested").mkdir(parents=True)  # a folder no artifact needs
    (out / "old" / "nested" / "f").write_bytes(b"y")
    (out / "empty").unlink()
    os.symlink("/etc/passwd", out / "empty")  # a link where an artifact goes
    done = write_output(str(out), FILES)
    assert _tree(out) == expected
    assert done.written == 3 and done.removed == 3  # a.txt, b.txt, empty; extra, f, old
    assert os.stat(out / "sub/deep/env-setup.sh").st_ino == kept["sub/deep/env-setup.sh"]


def test_file_and_folder_swap_places(tmp_path):
    out = tmp_path / "out"
    write_output(str(out), {"x": (b"1", None), "y/z": (b"2", None)})
    write_output(str(out), {"x/inner": (b"3", None), "y": (b"4", None)})
    assert _tree(out) == {"x/inner": (b"3", 0o666 & ~_umask()), "y": (b"4", 0o666 & ~_umask())}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failed_write_leaves_the_folder_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_output(str(out), FILES)
    before = _tree(out)
    real = AtomicDir.write
    calls = []

    def flaky(self, rel, data, mode=None):
        calls.append(rel)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, rel, data, mode)

    monkeypatch.setattr(AtomicDir, "write", flaky)
    changed = {rel: (data + b"!", mode) for rel, (data, mode) in FILES.items()}
    with pytest.raises(OSError):
        write_output(str(out), changed)
    assert _tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_leftover_staging_of_a_killed_update_is_removed(tmp_path):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a finished process: its staging folder is a leftover
    out = tmp_path / "out"
    write_output(str(out), FILES)
    stale = tmp_path / f"{TMP_PREFIX}{pid}-xyz"
    (stale / "sub").mkdir(parents=True)
    write_output(str(out), {**FILES, "a.txt": (b"new", None)})
    assert not stale.exists() and (out / "a.txt").read_bytes() == b"new"


def test_warm_cache_recompile_rewrites_nothing_and_matches_cold(tmp_path, capsys):
    from conftest import REPO

    from skvmc.cli import main

    skill = str(REPO / "examples" / "csv-summary")
    targets = "--target=qwen-7b+openhands,qwen-7b+bare"
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert main([skill, targets, "-o", str(cold)]) == 0
    assert main([skill, targets, "-o", str(warm), *cache]) == 0  # fills the cache
    stamps = {rel: os.stat(warm / rel).st_mtime_ns for rel in _tree(warm)}
    assert main([skill, targets, "-o", str(warm), *cache]) == 0  # every target a hit
    assert _tree(warm) == _tree(cold)
    assert {rel: os.stat(warm / rel).st_mtime_ns for rel in _tree(warm)} == stamps
    report = next(rel for rel in stamps if rel.endswith("report.json"))
    (warm / report).write_bytes(b"{}")  # an edited artifact is put back
    assert main([skill, targets, "-o", str(warm), *cache]) == 0
    assert _tree(warm) == _tree(cold)
    capsys.readouterr()


def test_atomic_dir_resolves_a_folder_it_did_not_make(tmp_path):
    from skvmc.fsutil import UnsafePath

    outside = tmp_path / "outside"
    outside.mkdir()
    folder = AtomicDir(str(tmp_path / "out"))
    with pytest.raises(UnsafePath), folder:
        folder.write("made/a", b"1")  # made by write: no realpath needed
        os.symlink(outside, os.path.join(folder.tmp, "planted"))  # made by someone else
        folder.write("planted/x", b"2")
    assert not list(outside.iterdir()) and not (tmp_path / "out").exists()
