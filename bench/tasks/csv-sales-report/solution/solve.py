"""Reference solution: run with cwd = the task workdir."""
import csv
from collections import defaultdict

reg, prod = defaultdict(float), defaultdict(float)
n = 0
with open("sales.csv", newline="") as f:
    for r in csv.DictReader(f):
        a = float(r["amount"])
        reg[r["region"]] += a
        prod[r["product"]] += a
        n += 1
top = sorted(prod.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
lines = ["# Sales report", "", "## Overview", "",
         f"Total revenue was {sum(reg.values()):.2f} across {n} orders.", "",
         "## By region", "", "| Region | Total |", "|---|---|"]
lines += [f"| {k} | {reg[k]:.2f} |" for k in sorted(reg)]
lines += ["", "## Top product", "", f"The best-selling product was {top}.", ""]
open("sales_report.md", "w").write("\n".join(lines))
