"""Frontend + verify time per skill over the corpus and examples, against markdown-it-py
tokenizing the same files in the same run.

    python bench/frontend_speed.py [--repeat N]

Prints per skill the median time of skvmc (parse + verify) and of markdown-it-py
(MarkdownIt().parse), lines per second, and the ratio. Needs the dev extra (markdown-it-py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from skvmc.diagnostics import DiagnosticEngine
from skvmc.frontend import parse_skill
from skvmc.verifier import verify

REPO = Path(__file__).resolve().parent.parent


def skills() -> list[Path]:
    roots = [REPO.parent / "shared" / "corpus" / "anthropic-skills", REPO / "examples"]
    return sorted(p for root in roots if root.is_dir() for p in root.iterdir()
                  if (p / "SKILL.md").exists())


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")  # tables, like our grammar
    parse_skill(str(skills()[0]), DiagnosticEngine())  # warm the grammar cache
    rows = []
    for path in skills():
        text = (path / "SKILL.md").read_text(encoding="utf-8")
        lines = text.count("\n") + 1

        def ours(path=path):
            module = parse_skill(str(path), DiagnosticEngine())
            assert not verify(module)

        t_ours = timed(ours, args.repeat)
        t_md = timed(lambda text=text: md.parse(text), args.repeat)
        rows.append((path.name, lines, t_ours, t_md))
        print(f"{path.name:<24} {lines:5d} lines  skvmc {t_ours * 1e3:7.2f} ms "
              f"({lines / t_ours:8.0f} lines/s)  markdown-it {t_md * 1e3:6.2f} ms  "
              f"ratio {t_ours / t_md:5.1f}x")
    times = [r[2] for r in rows]
    total_lines = sum(r[1] for r in rows)
    print(f"\nskills: {len(rows)}  median {statistics.median(times) * 1e3:.2f} ms  "
          f"max {max(times) * 1e3:.2f} ms  throughput {total_lines / sum(times):.0f} lines/s  "
          f"ratio vs markdown-it (sum) {sum(times) / sum(r[3] for r in rows):.1f}x")


if __name__ == "__main__":
    main()
