"""Run the lit + FileCheck pass tests (tests/filecheck/<pass>/<case>.skir) as part of pytest.

Each case is a .skir input whose `// RUN:` line runs `skvmc opt` with one pass and pipes the
output to `filecheck`, and whose `// CHECK:` lines say what the pass must produce. lit and
filecheck are dev dependencies: a missing one is a failure here, not a skip.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "filecheck"


def test_lit_filecheck_suite():
    import filecheck  # noqa: F401  (fail, not skip, without the dev extra)
    import lit.main  # noqa: F401

    env = dict(os.environ)
    # skvmc and filecheck are found next to this interpreter (see lit.cfg.py)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    r = subprocess.run([sys.executable, "-c", "import sys; from lit.main import main; "
                        "sys.argv[0] = 'lit'; main()", "-v", "-j", "2", str(SUITE)],
                       capture_output=True, text=True, env=env, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    passed = re.search(r"Passed\s*:\s*(\d+)", out)
    assert passed and int(passed.group(1)) >= 25, out[-2000:]
    assert "Failed" not in out.split("Testing Time")[-1]


def test_every_case_has_a_run_line_and_checks():
    cases = sorted(SUITE.rglob("*.skir"))
    assert len(cases) >= 25
    for case in cases:
        if "Inputs" in case.parts:
            continue
        text = case.read_text()
        assert text.startswith("// RUN: skvmc opt %s -p "), case
        assert "| filecheck %s" in text.splitlines()[0], case
        assert re.search(r"^// CHECK(-NEXT|-NOT|-SAME)?:", text, re.M), case
