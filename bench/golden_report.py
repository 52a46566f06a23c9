"""Precision and recall of each analysis against tests/golden (the closing-note table).

    python bench/golden_report.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.golden import scoring  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    req, level = scoring.score_requirements(corpus)
    scores = scoring.score_all(corpus)
    sys.stdout.write(scoring.table(scores, level))


if __name__ == "__main__":
    main()
