"""Hypothesis strategies for hostile inputs (used by tests/core/test_fuzz.py with small bounds
and by bench/fuzz_campaign.py for long runs), and the checks that run one input.

Every check returns normally when skvmc gave a result or diagnostics; anything else (an
uncaught exception, a traceback printed by the CLI, the CLI's RecursionError safety net
firing, output outside the output folder) raises AssertionError or the exception itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import tempfile

from hypothesis import strategies as st

# -- SKILL.md ---------------------------------------------------------------------------------

ODD_TEXT = st.text(alphabet=st.sampled_from(
    list("abc xyz-_./\\`*[]()<>!#|>~:\"'{}$%&\t") + ["\u00e9", "\u202e", "\ufeff", "\r",
                                                        "\x7f", "\U0001f600"]),
    max_size=40)


def _indent(n: int) -> str:
    return " " * n


def _line(draw) -> str:
    kind = draw(st.integers(0, 11))
    words = draw(ODD_TEXT)
    if kind == 0:
        return "#" * draw(st.integers(1, 7)) + " " + words
    if kind == 1:
        return _indent(draw(st.integers(0, 40))) + draw(st.sampled_from(["-", "*", "1.", "2)"])) \
            + " " + words
    if kind == 2:
        return "> " * draw(st.integers(1, 60)) + words
    if kind == 3:
        return draw(st.sampled_from(["```", "```bash", "~~~", "````python", "```json"]))
    if kind == 4:
        return "| " + " | ".join(draw(st.lists(ODD_TEXT, max_size=4))) + " |"
    if kind == 5:
        return "|---|---|"
    if kind == 6:
        return "<div onclick=x>" + words
    if kind == 7:
        return "Run `python3 scripts/run.py " + words + "` then write `out/" + words + ".json`."
    if kind == 8:
        return "x" * draw(st.integers(0, 5000))
    if kind == 9:
        return "[" * draw(st.integers(0, 200)) + words + "](" * draw(st.integers(0, 5))
    if kind == 10:
        return ""
    return words


@st.composite
def bodies(draw) -> str:
    n = draw(st.integers(0, 60))
    out = [_line(draw) for _ in range(n)]
    if draw(st.booleans()):  # a deep list
        depth = draw(st.integers(1, 130))
        out += [_indent(2 * i) + "- step " + str(i) for i in range(depth)]
    return "\n".join(out) + "\n"


NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    st.sampled_from(["../../../../tmp/x", "..", ".", "a/b", "a\\b", '"x\\u0000y"', "'  x'", "a\x00b",
                     "x" * 300, "CON", "\u202egnp.exe", "-", "a\tb", '""']),
    ODD_TEXT,
)

YAML_EXTRAS = st.sampled_from([
    "", "x: .nan\n", "x: -.inf\n", "a: &a [*a]\n", "when: 2024-13-45\n",
    "n: " + "9" * 5000 + "\n", "x: " + "[" * 80 + "]" * 80 + "\n", "s: !!set {a, b}\n",
    "b: !!binary Zg==\n", "o: !!omap [a: 1]\n", "t: !!python/object:os.system x\n",
    "metadata: {a: b}\n", "allowed-tools: [Bash, Read]\n", "d: 2024-01-01\n",
    ("a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: &d [*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d]\n"),
    "k: [" + ",".join(["*a"] * 150) + "]\n", "? [a]\n: b\n", "x: !!float abc\n",
    "x: {" + ", ".join(f"k{i}: {i}" for i in range(200)) + "}\n",
])


@st.composite
def skill_texts(draw) -> str:
    hostile = draw(st.integers(0, 9)) >= 7  # most inputs get past the frontmatter
    name = draw(NAMES) if hostile else draw(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
    quoted = name if name.startswith(('"', "'")) else _yaml_str(name)
    description = draw(st.sampled_from(['x', 'd' * 1100, '[x'])) if hostile else "A skill."
    front = f"name: {quoted}\ndescription: {description}\n"
    if hostile:
        front += draw(YAML_EXTRAS) + draw(YAML_EXTRAS)
    if draw(st.integers(0, 20)) == 20:
        front = draw(ODD_TEXT)  # no usable frontmatter at all
    return f"---\n{front}---\n\n" + draw(bodies())


def _yaml_str(s: str) -> str:
    import json

    return json.dumps(s)


BUNDLE_ENTRIES = st.lists(st.sampled_from([
    "file", "big", "link-passwd", "link-zero", "link-inner", "link-dangling", "fifo",
    "dir-link-out", "dir-link-in", "hidden", "deep"]), max_size=6, unique=True)


def make_bundle(folder: str, entries, big: int = 3000) -> None:
    os.makedirs(os.path.join(folder, "scripts"), exist_ok=True)
    with open(os.path.join(folder, "scripts", "run.py"), "w") as fh:
        fh.write("print(1)\n")
    for e in entries:
        p = os.path.join(folder, "scripts", e)
        if e == "file":
            with open(p, "wb") as fh:
                fh.write(bytes(range(256)))
        elif e == "big":
            with open(p, "wb") as fh:
                fh.write(b"z" * big)
        elif e == "link-passwd":
            os.symlink("/etc/passwd", p)
        elif e == "link-zero":
            os.symlink("/dev/zero", p)
        elif e == "link-inner":
            os.symlink("run.py", p)
        elif e == "link-dangling":
            os.symlink(os.path.join(folder, "nothing-here"), p)
        elif e == "fifo":
            os.mkfifo(p)
        elif e == "dir-link-out":
            os.symlink("/etc", p)
        elif e == "dir-link-in":
            os.symlink(".", p)
        elif e == "hidden":
            os.makedirs(os.path.join(folder, ".git"), exist_ok=True)
            os.symlink("/etc/passwd", os.path.join(folder, ".git", "leak"))
        elif e == "deep":
            os.makedirs(os.path.join(p, *"abcdefghij"), exist_ok=True)


def check_skill(text: str, entries=(), target: str = "qwen-7b+openhands",
                compile_it: bool = True) -> int:
    """Compile one hostile skill through the real CLI entry point, in-process. Returns the
    exit code; raises when skvmc crashed or wrote outside its output folder."""
    from skvmc import cli

    root = tempfile.mkdtemp(prefix="skvmc-fuzz-")
    try:
        folder = os.path.join(root, "case")
        os.makedirs(folder)
        with open(os.path.join(folder, "SKILL.md"), "w", encoding="utf-8",
                  errors="surrogatepass") as fh:
            fh.write(text)
        make_bundle(folder, entries)
        out = os.path.join(root, "out")
        args = [folder] + ([f"--target={target}", "-o", out, "--max-bundle-file-size", "2K"]
                           if compile_it else [])
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(args)
        log = err.getvalue()
        assert "Traceback" not in log, log
        assert "skvmc: error: input is" not in log, log  # the safety net: a bound is missing
        assert code in (0, 1, 2), (code, log)
        for dirpath, dirnames, files in os.walk(root):
            for name in files + dirnames:
                path = os.path.join(dirpath, name)
                assert os.path.realpath(path).startswith(os.path.realpath(root)) or \
                    os.path.islink(path), f"output outside: {path}"
        leaked = [f for f in _all_files(out) if _reads_like_passwd(f)]
        assert not leaked, leaked
        return code
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _all_files(root: str):
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            if not os.path.islink(path) and os.path.isfile(path):
                yield path


def _reads_like_passwd(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(5) == b"root:"


# -- IR text ------------------------------------------------------------------------------------

SEED_IR = '''"builtin.module"() ({
  "skill.frontmatter"() {name = "x", description = "d", fields = {name = "x"}, raw = "name: x\\n"} : () -> ()
  %0 = "skill.step"() ({
    "skill.text"() {text = "hi"} : () -> ()
  }) {text = "Do it.", ordered = true, marker = "1.", number = 1} : () -> !skill.value
}) {skill_dir = "x", source = "SKILL.md", n = [1, 2.5, -3, none, true, {a = "b"}]} : () -> ()
'''
IR_PIECES = st.sampled_from(['"', "\\", "\\q", "\\ud800", "[", "]", "{", "}", "(", ")", "%0",
                             "%9", " = ", ",", ":", "->", "!skill.value", "9" * 5000, "1e999",
                             "loc(", '"f":1:2)', "none", "\n", "[" * 300, "{" * 300, "()" * 50])


@st.composite
def ir_texts(draw) -> str:
    text = SEED_IR
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.integers(0, 2))
        if op == 0:
            text = text[:at] + draw(IR_PIECES) + text[at:]
        elif op == 1:
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        else:
            text = text[:at] + draw(st.text(max_size=10)) + text[at:]
    return text


def check_ir(text: str) -> None:
    from skvmc.diagnostics import CompileError, DiagnosticEngine
    from skvmc.irparse import parse_module
    from skvmc.printer import print_module
    from skvmc.verifier import verify

    diags = DiagnosticEngine()
    try:
        module = parse_module(text, "fuzz.skir", diags)
    except CompileError:
        assert diags.has_errors
        diags.render_all()
        return
    verify(module)
    print_module(module, debuginfo=True)


# -- bytecode -----------------------------------------------------------------------------------

def seed_program_bytes() -> bytes:
    from skvmc.bytecode import ACT_ALL, Json, ProgramBuilder, encode

    b = ProgramBuilder({"skill": "demo", "target": "smollm2+vm", "source_hash": "ab"})
    done = b.label()
    b.emit("ask", "Compute the total", "out", Json({"type": "object"}), ACT_ALL, 4, 2,
           line=("SKILL.md", 6))
    b.emit("check.slot", "out", Json({"type": "object"}), "retry")
    b.emit("exec", ["python3", "x.py", b.slot("out")], "stdout")
    b.emit("fork", "collect", done, [done])
    b.place(done)
    b.emit("halt", 0)
    return encode(b.build())


@st.composite
def bytecode_files(draw) -> bytes:
    import struct
    import zlib

    data = bytearray(seed_program_bytes())
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.integers(0, 3))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == 0 and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == 1:
            data[at:at] = draw(st.binary(max_size=16))
        elif kind == 2:
            del data[at:at + draw(st.integers(1, 8))]
        else:
            data = data[:at]
    if draw(st.booleans()) and len(data) >= 8:  # re-seal: get past the checksum
        data = data[:-4] + struct.pack("<I", zlib.crc32(bytes(data[:-8])))
    return bytes(data)


def check_bytecode(data: bytes) -> None:
    from skvmc.bytecode import BytecodeError, decode, disassemble, encode

    try:
        program = decode(data)
    except BytecodeError as exc:
        assert isinstance(exc.offset, int) or exc.offset is None
        return
    text = disassemble(program)
    assert encode(program) is not None and text


def random_seed_text(seed: int) -> str:
    """A deterministic hostile skill for non-hypothesis use (quick smoke)."""
    rnd = random.Random(seed)
    return "---\nname: x\ndescription: d\n---\n" + "".join(
        rnd.choice(["- a\n", "  - b\n", "# h\n", "> q\n", "```\n", "text\n"]) for _ in range(50))
