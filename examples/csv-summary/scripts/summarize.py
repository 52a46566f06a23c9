"""Sum the `amount` column of a CSV per `category` (standard library only)."""

import argparse
import csv
import json
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv_path")
    parser.add_argument("--out", default="totals.json")
    args = parser.parse_args()
    totals: dict[str, float] = defaultdict(float)
    with open(args.csv_path, newline="") as fh:
        for row in csv.DictReader(fh):
            totals[row["category"]] += float(row["amount"])
    with open(args.out, "w") as fh:
        json.dump({k: round(v, 2) for k, v in sorted(totals.items())}, fh, indent=2)


if __name__ == "__main__":
    main()
