"""Reference solution: run with cwd = the task workdir."""
import csv
from collections import defaultdict

tot, cnt = defaultdict(float), defaultdict(int)
with open("sales.csv", newline="") as f:
    for r in csv.DictReader(f):
        tot[r["region"]] += float(r["amount"])
        cnt[r["region"]] += 1
with open("region_totals.csv", "w", newline="") as f:
    wr = csv.writer(f)
    wr.writerow(["region", "orders", "total"])
    for k in sorted(tot):
        wr.writerow([k, cnt[k], f"{tot[k]:.2f}"])
