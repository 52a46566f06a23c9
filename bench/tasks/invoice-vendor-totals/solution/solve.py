"""Reference solution: run with cwd = the task workdir."""
import csv
import json
from pathlib import Path

tot = {}
for p in sorted(Path("invoices").glob("*.json")):
    inv = json.loads(p.read_text())
    sub = sum(l["quantity"] * l["unit_price"] for l in inv["lines"])
    comp = round(sub * (1 - inv.get("discount_pct", 0) / 100) * (1 + inv["tax_pct"] / 100), 2)
    e = tot.setdefault(inv["vendor"], [0, 0.0])
    e[0] += 1
    e[1] += comp
with open("vendor_totals.csv", "w", newline="") as f:
    wr = csv.writer(f)
    wr.writerow(["vendor", "invoices", "total"])
    for v in sorted(tot):
        wr.writerow([v, tot[v][0], f"{tot[v][1]:.2f}"])
