"""Reference solution: run with cwd = the task workdir."""
import csv

with open("sales.csv", newline="") as f:
    total = sum(float(r["amount"]) for r in csv.DictReader(f))
open("total.txt", "w").write(f"{total:.2f}\n")
