"""Reference solution: run with cwd = the task workdir."""
import csv
import json

users = json.load(open("users.json"))
cols = ["id", "name", "contact.email", "contact.phone", "address.city", "address.country", "active"]
def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
with open("users_flat.csv", "w", newline="") as f:
    wr = csv.writer(f)
    wr.writerow(cols)
    for u in users:
        flat = flatten(u)
        flat["active"] = "true" if flat["active"] else "false"
        wr.writerow([flat[c] for c in cols])
