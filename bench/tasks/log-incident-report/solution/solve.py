"""Reference solution: run with cwd = the task workdir."""
import re
from collections import Counter

line_re = re.compile(r"^(\S+) (DEBUG|INFO|WARN|ERROR) \[([\w.-]+)\] (.*)$")
errs = []
for line in open("app.log"):
    m = line_re.match(line.strip())
    if m and m.group(2) == "ERROR":
        errs.append((m.group(1), m.group(3), m.group(4)))
def top(counter):
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
lines = ["# Incident report", "",
         f"First error: {errs[0][0]}", f"Last error: {errs[-1][0]}",
         f"Error count: {len(errs)}",
         f"Most affected component: {top(Counter(e[1] for e in errs))}",
         f"Most common message: {top(Counter(e[2] for e in errs))}", "", "## Timeline", ""]
lines += [f"- {t} {c}: {m}" for t, c, m in errs]
open("incident_report.md", "w").write("\n".join(lines) + "\n")
