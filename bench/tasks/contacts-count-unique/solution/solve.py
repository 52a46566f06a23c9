"""Reference solution: run with cwd = the task workdir."""
import csv

with open("signups.csv", newline="") as fh:
    n = len({row["email"].strip().lower() for row in csv.DictReader(fh)})
open("unique_count.txt", "w").write(f"{n}\n")
