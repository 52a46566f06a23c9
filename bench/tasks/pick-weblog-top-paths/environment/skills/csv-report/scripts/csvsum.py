"""Print the sum of one numeric column of a CSV file: csvsum.py FILE COLUMN."""
import csv
import sys

path, column = sys.argv[1], sys.argv[2]
with open(path, newline="") as f:
    print(sum(float(r[column]) for r in csv.DictReader(f) if r[column].strip()))
