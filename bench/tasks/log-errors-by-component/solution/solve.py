"""Reference solution: run with cwd = the task workdir."""
import json
import re
from collections import Counter

line_re = re.compile(r"^(\S+) (DEBUG|INFO|WARN|ERROR) \[([\w.-]+)\] (.*)$")
levels, comps = Counter(), Counter()
for line in open("app.log"):
    m = line_re.match(line.strip())
    if not m:
        continue
    levels[m.group(2)] += 1
    if m.group(2) == "ERROR":
        comps[m.group(3)] += 1
json.dump({"total_errors": levels["ERROR"], "total_warnings": levels["WARN"],
           "by_component": dict(comps)}, open("errors_by_component.json", "w"), indent=2)
