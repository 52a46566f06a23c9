"""Reference solution: run with cwd = the task workdir."""
import json

users = json.load(open("users.json"))
countries = {}
for u in users:
    countries.setdefault(u["address"]["country"], []).append(u["name"])
json.dump({"active_users": sum(1 for u in users if u["active"]),
           "countries": {k: sorted(v) for k, v in sorted(countries.items())}},
          open("by_country.json", "w"), indent=2)
