"""Token counts come from skvmc's own counter: the same on every machine, whatever is installed,
and without side effects on the process."""

import os
import subprocess
import sys

from skvmc.tokens import TOKENIZER, count_tokens, tokenizer_name


def test_counts_follow_the_documented_rules():
    assert tokenizer_name() == TOKENIZER == "skvmc-wordpiece-v1"
    assert count_tokens("") == count_tokens("  \n\t") == 0
    assert count_tokens("the") == 1
    assert count_tokens("requirements") == 2  # 12 letters: two pieces of 8
    assert count_tokens("2026") == 2  # digit pieces of 3
    assert count_tokens("```") == 2 and count_tokens("**") == 1  # symbol pieces of 2
    assert count_tokens("Read `data.csv`, then stop.") == 9


def test_counting_sets_no_environment_variable():
    before = dict(os.environ)
    count_tokens("some text to count")
    assert dict(os.environ) == before


def test_same_count_without_optional_packages(tmp_path):
    # Block litellm and tiktoken: the count and the tokenizer name must not change.
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nfor name in ('litellm', 'tiktoken'):\n"
                       "    sys.modules[name] = None\n")
    code = ("from skvmc.tokens import count_tokens, tokenizer_name; import sys;"
            "print(tokenizer_name(), count_tokens(sys.stdin.read()))")
    text = "Summarize `data.csv`: 1. read it 2. write `out.json` (UTF-8) -- done!"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    blocked = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True,
                             text=True, env=env, check=True).stdout
    assert blocked == f"{TOKENIZER} {count_tokens(text)}\n"
