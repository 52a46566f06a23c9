"""What compiling does to the harness-facing SKILL.md, over a corpus x every harness.

For each skill, one ``skvmc SKILL --target=<model>+<h1>,...,<h9> -o OUT`` call (the CLI, so
any version of skvmc can be measured the same way), then per (skill, harness):

- words of the source body missing from the output, not counting what report.json declares
  as removed (``edits``; an old report without them declares nothing);
- frontmatter keys of the source missing from the output;
- lines the output adds that claim parallelism, or that add a tool note "(use `...`)";
- ``$VARIABLES`` the output uses that the source never did;
- whether skills-ref accepts the output (open-spec harnesses, when skills-ref is installed).

    python bench/faithfulness.py [--skvmc .venv/bin/skvmc] [--corpus ../shared/corpus] [--json F]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HARNESSES = ("aider", "bare", "claude-code", "codex", "goose", "hermes", "openclaw", "opencode",
             "openhands")
MODEL = "qwen-7b"
WORD = re.compile(r"\w+")
VAR = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")
PARALLEL = re.compile(r"parallel|independen|concurren", re.I)


def split(text: str) -> tuple[str, str]:
    m = re.match(r"\A\ufeff?---\r?\n(.*?)\r?\n---\r?\n?(.*)\Z", text, re.S)
    return (m.group(1), m.group(2)) if m else ("", text)


def keys(fm: str) -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", fm, re.M))


def words(text: str) -> collections.Counter:
    return collections.Counter(w.lower() for w in WORD.findall(text))


def measure(skvmc: str, skill: Path, out: Path) -> list[dict]:
    targets = ",".join(f"{MODEL}+{h}" for h in HARNESSES)
    r = subprocess.run([skvmc, str(skill), f"--target={targets}", "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return [{"skill": skill.name, "harness": h, "failed": True} for h in HARNESSES]
    source = (skill / "SKILL.md").read_text(encoding="utf-8-sig", errors="replace")
    fm, body = split(source)
    src_lines = source.splitlines()
    rows = []
    for h in HARNESSES:
        folder = next(iter(glob.glob(str(out / "*" / f"{MODEL}+{h}"))), None)
        if folder is None:
            rows.append({"skill": skill.name, "harness": h, "failed": True})
            continue
        report = json.loads(Path(folder, "report.json").read_text())
        md = [p for p in glob.glob(f"{folder}/**/*.md", recursive=True, include_hidden=True)
              if p.endswith("/SKILL.md") or p.endswith("CONVENTIONS.md")]
        path = min(md, key=len) if md else None
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace") if path else ""
        efm, ebody = split(text)
        removed = collections.Counter()
        for e in report.get("edits", []):
            if e.get("kind") == "remove":
                removed += words("\n".join(src_lines[e["line"] - 1:e["last_line"]]))
        lost = words(body) - words(ebody) - removed
        added_lines = set(ebody.splitlines()) - set(body.splitlines())
        row = {"skill": skill.name, "harness": h,
               "words_lost": sum(lost.values()),
               "keys_lost": sorted(keys(fm) - keys(efm)),
               "parallel_lines": sum(bool(PARALLEL.search(ln)) for ln in added_lines),
               "tool_notes": sum(ln.count("(use `") for ln in added_lines),
               "new_vars": sorted(set(VAR.findall(ebody)) - set(VAR.findall(source))),
               "edits": len(report.get("edits", [])),
               "skills_ref": skills_ref_ok(path, h)}
        rows.append(row)
    return rows


def skills_ref_ok(path: str | None, harness: str):
    if path is None or harness in ("aider", "bare", "openclaw"):
        return None  # not an open-spec SKILL.md (see tests/backends/test_skills_ref.py)
    try:
        from skills_ref.validator import validate
    except ImportError:
        return None
    problems = [p for p in validate(Path(path).parent)]
    return not problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skvmc", default=str(REPO / ".venv" / "bin" / "skvmc"))
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    ap.add_argument("--json")
    args = ap.parse_args()
    skills = sorted(p.parent for p in Path(args.corpus).glob("*/*/SKILL.md"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for skill in skills:
            rows += measure(args.skvmc, skill, Path(tmp) / skill.name)
    ok = [r for r in rows if not r.get("failed")]
    checked = [r for r in ok if r["skills_ref"] is not None]
    summary = {
        "outputs": len(rows), "failed": len(rows) - len(ok),
        "words_lost": sum(r["words_lost"] for r in ok),
        "outputs_losing_words": sum(r["words_lost"] > 0 for r in ok),
        "frontmatter_keys_lost": sum(len(r["keys_lost"]) for r in ok),
        "outputs_losing_keys": sum(bool(r["keys_lost"]) for r in ok),
        "parallel_lines_added": sum(r["parallel_lines"] for r in ok),
        "tool_notes_added": sum(r["tool_notes"] for r in ok),
        "outputs_with_new_vars": sum(bool(r["new_vars"]) for r in ok),
        "declared_edits": sum(r["edits"] for r in ok),
        "skills_ref_pass": f"{sum(r['skills_ref'] for r in checked)}/{len(checked)}",
    }
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    main()
