"""Reference solution: run with cwd = the task workdir."""
import json
from pathlib import Path

bad = []
for p in sorted(Path("invoices").glob("*.json")):
    inv = json.loads(p.read_text())
    sub = sum(l["quantity"] * l["unit_price"] for l in inv["lines"])
    comp = round(sub * (1 - inv.get("discount_pct", 0) / 100) * (1 + inv["tax_pct"] / 100), 2)
    if abs(comp - inv["total"]) > 0.01:
        bad.append({"id": inv["id"], "stated": inv["total"], "computed": comp})
bad.sort(key=lambda b: b["id"])
json.dump(bad, open("mismatches.json", "w"), indent=2)
