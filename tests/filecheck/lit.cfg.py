# lit configuration for the pass tests in tests/filecheck (run by tests/test_filecheck.py).
#
# Each case is a .skir input whose comments hold the test:
#   // RUN: skvmc opt %s -p <pass> | filecheck %s
#   // CHECK: what the pass must produce (CHECK-NEXT, CHECK-NOT, CHECK-SAME, CHECK-LABEL, ...)
# The IR grammar ignores // comments, so the input is also the check file.
import os
import sys

import lit.formats

config.name = "skvmc-filecheck"  # lit injects config
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".skir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
# skvmc and filecheck live next to the Python that runs lit (the project's virtualenv)
bindir = os.path.dirname(sys.executable)
config.environment["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
for name in ("HOME", "TMPDIR", "SKVMC_CACHE_DIR"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
