"""Reference solution: run with cwd = the task workdir."""
import csv
import re
from collections import defaultdict
from decimal import Decimal

spend, payee, postings = defaultdict(Decimal), None, []


def flush():
    known = sum(a for _, a in postings if a is not None)
    for account, a in postings:
        if account.startswith("expenses:"):
            spend[payee] += -known if a is None else a


for line in open("books.journal"):
    line = line.split(";", 1)[0].rstrip()
    if line[:1].isdigit():
        if payee:
            flush()
        head = re.match(r"(\d{4}-\d{2})-\d{2} (?:[*!] )?(.*)", line)
        payee = head.group(2).strip() if head.group(1) == "2025-03" else None
        postings = []
    elif line[:1].isspace() and line.strip() and payee:
        parts = re.split(r"\s{2,}|\t", line.strip(), maxsplit=1)
        a = Decimal(parts[1].replace("$", "").replace(",", "")) if len(parts) > 1 else None
        postings.append((parts[0], a))
if payee:
    flush()
with open("march_payees.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["payee", "total"])
    for p, t in sorted(spend.items(), key=lambda kv: (-kv[1], kv[0])):
        w.writerow([p, f"{t:.2f}"])
