"""Reference solution: run with cwd = the task workdir."""
import json
import re
from collections import defaultdict
from decimal import Decimal

POSTING = re.compile(r"^\s+(\S(?:.*?\S)?)(?:(?:\s{2,}|\t)\s*(\S[^;]*?))?\s*(?:;.*)?$")


def amount(text):
    text = text.replace(",", "").replace("$", "")
    return Decimal(text)


txs, cur = [], None
for line in open("books.journal"):
    line = line.rstrip("\n")
    if not line.strip() or line[0] in ";#*":
        cur = None
        continue
    if not line[0].isspace():
        cur = [] if re.match(r"\d{4}-\d{2}-\d{2}", line) else None
        if cur is not None:
            txs.append(cur)
        continue
    if cur is None or line.strip().startswith(";"):
        continue
    m = POSTING.match(line)
    cur.append((m.group(1), amount(m.group(2)) if m.group(2) else None))
bal = defaultdict(Decimal)
for postings in txs:
    known = sum(a for _, a in postings if a is not None)
    for account, a in postings:
        bal[account] += -known if a is None else a
json.dump({k: float(v) for k, v in sorted(bal.items())}, open("balances.json", "w"), indent=2)
