"""Reference solution: run with cwd = the task workdir."""
import json

inv = json.load(open("invoice.json"))
sub = sum(l["quantity"] * l["unit_price"] for l in inv["lines"])
total = sub * (1 - inv.get("discount_pct", 0) / 100) * (1 + inv["tax_pct"] / 100)
open("total.txt", "w").write(f"{total:.2f}\n")
