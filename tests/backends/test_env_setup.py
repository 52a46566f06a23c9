"""env-setup.sh checks what the skill really needs, the way it can be checked."""

from __future__ import annotations

import subprocess
import sys

from backend_helpers import compiled

SKILL = """---
name: envy
description: d
---

# Steps

1. Install the tools:

   ```bash
   brew install jq    # macOS
   apt-get install jq # Debian
   pip install requests
   ```

2. Run this:

   ```python
   from PIL import Image
   import yaml
   ```

3. Check the output:

   ```bash
   $ jq --version
   jq-1.7
   PASS
   ```
"""


def _script(tmp_path):
    (tmp_path / "SKILL.md").write_text(SKILL)
    return compiled(str(tmp_path), "qwen-7b+openhands").files["env-setup.sh"].decode()


def test_checks_by_import_name_or_distribution_never_a_guess(tmp_path):
    text = _script(tmp_path)
    assert "find_spec(sys.argv[1]) is None)' PIL" in text  # import PIL -> check PIL
    assert "python3 -m pip install --quiet pillow" in text  # ... install pillow
    assert "m.distribution(sys.argv[1])' requests" in text  # pip install requests -> dist
    assert "import pillow" not in text and "'pillow' >" not in text


def test_alternatives_are_any_of_and_output_lines_are_not_programs(tmp_path):
    text = _script(tmp_path)
    [line] = [ln for ln in text.splitlines() if "command -v brew" in ln]
    assert "command -v apt-get" in line and " || " in line  # one check: either will do
    assert "command -v PASS" not in text and "jq-1.7" not in text
    assert "command -v jq" in text


def test_the_check_is_right_on_this_interpreter(tmp_path):
    """The generated checks give the right answer: yaml is importable here, a made-up module
    is not (the same code the script runs)."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"
    assert subprocess.run([sys.executable, "-c", probe, "yaml"]).returncode == 0
    assert subprocess.run([sys.executable, "-c", probe, "no_such_mod_xyz"]).returncode == 1
