"""Reference solution: run with cwd = the task workdir."""
import json

result = {}
for o in json.load(open("orders.json")):
    if o["status"] != "paid":
        continue
    e = result.setdefault(o["customer"], {"orders": [], "total": 0.0})
    e["orders"].append(o["order"])
    e["total"] += sum(it["qty"] * it["price"] for it in o["items"])
result = {k: {"orders": v["orders"], "total": round(v["total"], 2)} for k, v in sorted(result.items())}
json.dump(result, open("customers.json", "w"), indent=2)
