"""Every bad-input case: a located diagnostic, the right exit code, no traceback and no output.

The rendered diagnostics are snapshotted (paths made relative to the case folder) so a change
in wording or location shows up as a readable diff."""

import pytest

from skvmc.cli import main

VALID = "---\nname: {name}\ndescription: A test skill.\n---\n\n# Title\n\n1. Do it.\n"

# case -> (SKILL.md bytes, expected exit code without -Werror)
CASES = {
    "empty-file": (b"", 1),
    "whitespace-only": (b"  \n\n", 1),
    "no-frontmatter": (b"# Title\n\nJust text.\n", 1),
    "frontmatter-never-closed": (b"---\nname: case\ndescription: x\n# Title\n", 1),
    "yaml-does-not-parse": (b"---\nname: case\ndescription: [unclosed\n---\nbody\n", 1),
    "yaml-not-a-mapping": (b"---\n- a\n- b\n---\nbody\n", 1),
    "missing-name": (b"---\ndescription: x\n---\nbody\n", 1),
    "missing-description": (b"---\nname: case\n---\nbody\n", 1),
    "name-not-a-string": (b"---\nname: [a]\ndescription: x\n---\nbody\n", 1),
    "invalid-utf8": (b"---\nname: case\ndescription: caf\xe9\n---\n", 1),
    "nul-byte": (b"---\nname: case\ndescription: x\n---\nab\x00cd\n", 1),
    # hostile input: bounded, located, never a traceback
    "name-leaves-output": (b"---\nname: ../../../../tmp/x\ndescription: x\n---\nbody\n", 1),
    "name-nul-byte": (b'---\nname: "x\\u0000y"\ndescription: x\n---\nbody\n', 1),
    "name-dot-dot": (b"---\nname: '..'\ndescription: x\n---\nbody\n", 1),
    "yaml-alias-bomb": (b"---\nname: case\ndescription: x\na: &a [x,x,x,x,x,x,x,x,x]\n"
                        + b"".join(b"%s: &%s [%s]\n" % (k, k, b",".join([b"*" + p] * 9))
                                   for k, p in zip(b"b c d e f".split(), b"a b c d e".split()))
                        + b"---\nbody\n", 1),
    "yaml-recursive-alias": (b"---\nname: case\ndescription: x\na: &a [*a]\n---\nbody\n", 1),
    "yaml-too-deep": (b"---\nname: case\ndescription: x\nx: " + b"[" * 70 + b"]" * 70
                      + b"\n---\nbody\n", 1),
    "yaml-too-many-aliases": (b"---\nname: case\ndescription: x\na: &a x\nb: ["
                              + b",".join([b"*a"] * 101) + b"]\n---\nbody\n", 1),
    "yaml-bad-date": (b"---\nname: case\ndescription: x\nwhen: 2024-13-45\n---\nbody\n", 1),
    "yaml-huge-integer": (b"---\nname: case\ndescription: x\nn: " + b"7" * 5000
                          + b"\n---\nbody\n", 1),
    "lists-too-deep": (b"---\nname: case\ndescription: x\n---\n" + b"".join(
        b"  " * i + b"- item\n" for i in range(101)), 1),
    # warnings: exit 0, -Werror turns them into errors
    "yaml-nan-and-set": (b"---\nname: case\ndescription: x\nx: .nan\ny: !!set {b, a}\n"
                         b"---\nbody\n", 0),
    "quotes-nested-500": (b"---\nname: case\ndescription: x\nz: 1\n---\n" + b"".join(
        b"> " * i + b"q\n" for i in range(1, 501)), 0),
    "fence-never-closed": (b"---\nname: case\ndescription: x\n---\n```bash\necho hi\n", 0),
    "name-breaks-rule": (b"---\nname: Bad--Name\ndescription: x\n---\nbody\n", 0),
    "name-differs-from-folder": (b"---\nname: other-name\ndescription: x\n---\nbody\n", 0),
    "description-too-long": (b"---\nname: case\ndescription: " + b"d" * 1030 + b"\n---\nbody\n", 0),
    "keys-outside-spec": (b"---\nname: case\ndescription: x\nargument-hint: f\ntriggers: [a]\n"
                          b"colour: red\n---\nbody\n", 0),
    "missing-bundle-file": (b"---\nname: case\ndescription: x\n---\nRun `scripts/go.py`.\n", 0),
    "bundle-file-case-mismatch": (
        b"---\nname: case\ndescription: x\n---\nSee `reference/Forms.md`.\n", 0),
}


def _case_dir(tmp_path, data):
    folder = tmp_path / "case"
    (folder / "reference").mkdir(parents=True)
    (folder / "reference" / "forms.md").write_text("# forms\n")
    (folder / "SKILL.md").write_bytes(data)
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case, tmp_path, capsys, monkeypatch, snapshot_text):
    data, expected = CASES[case]
    folder = _case_dir(tmp_path, data)
    monkeypatch.chdir(tmp_path)
    code = main(["case"])
    out, err = capsys.readouterr()
    assert code == expected
    assert "Traceback" not in err
    if expected:
        assert out == "", "no partial output on error"
        assert "case/SKILL.md:" in err and ": error: " in err
    else:
        assert ": warning: " in err and out.startswith('"builtin.module"')
    assert err == snapshot_text
    if expected == 0:
        assert main(["case", "-Werror"]) == 1
        out, err = capsys.readouterr()
        assert out == "" and ": error: " in err
    assert (folder / "SKILL.md").read_bytes() == data


def test_path_that_does_not_exist(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no such file or directory" in err and "Traceback" not in err


def test_folder_without_skill_md(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no SKILL.md" in capsys.readouterr().err


def test_all_problems_reported_in_one_run(tmp_path, capsys, monkeypatch):
    data = (b"---\nname: Bad\ndescription: x\ncolour: red\n---\nSee `scripts/a.py`.\n"
            b"```\nopen\n")
    _case_dir(tmp_path, data)
    monkeypatch.chdir(tmp_path)
    assert main(["case"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") >= 5  # name rule, folder name, extra key, missing ref, fence


def test_output_file_not_written_on_error(tmp_path, monkeypatch, capsys):
    _case_dir(tmp_path, b"---\nname: case\n---\n")
    monkeypatch.chdir(tmp_path)
    assert main(["case", "-o", "out.skir"]) == 1
    assert not (tmp_path / "out.skir").exists()
    _case_dir(tmp_path / "ok", VALID.format(name="case").encode())
    assert main([str(tmp_path / "ok" / "case"), "-o", "out.skir"]) == 0
    assert (tmp_path / "out.skir").read_text().startswith('"builtin.module"')
