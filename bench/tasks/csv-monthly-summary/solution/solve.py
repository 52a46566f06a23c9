"""Reference solution: run with cwd = the task workdir."""
import csv
import json

summary = {}
with open("sales.csv", newline="") as f:
    for r in csv.DictReader(f):
        e = summary.setdefault(r["date"][:7], {"revenue": 0.0, "orders": 0, "prod": {}})
        amt = float(r["amount"])
        e["revenue"] += amt
        e["orders"] += 1
        e["prod"][r["product"]] = e["prod"].get(r["product"], 0) + amt
result = {}
for m in sorted(summary):
    e = summary[m]
    top = sorted(e["prod"].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    result[m] = {"revenue": round(e["revenue"], 2), "orders": e["orders"], "top_product": top}
json.dump(result, open("monthly_summary.json", "w"), indent=2)
