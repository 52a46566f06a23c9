"""Validate a CSV file against a JSON column schema.

usage: validate.py DATA.csv --schema SCHEMA.json [--out REPORT.json] [--max-errors N]
       [--delimiter C]
"""
import argparse
import csv
import datetime as dt
import json
import re
import sys

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def check(value, rule):
    """The error message for one non-empty cell, or None."""
    kind = rule.get("type", "str")
    try:
        if kind == "int":
            number = int(value)
        elif kind == "float":
            number = float(value)
        elif kind == "date":
            dt.date.fromisoformat(value)
            number = None
        else:
            number = None
    except ValueError:
        return f"not a {kind}"
    if kind == "email" and not EMAIL.match(value):
        return "not an email"
    if "enum" in rule and value not in rule["enum"]:
        return f"not one of {', '.join(rule['enum'])}"
    if "pattern" in rule and not re.fullmatch(rule["pattern"], value):
        return f"does not match {rule['pattern']}"
    if number is not None and "min" in rule and number < rule["min"]:
        return f"below {rule['min']}"
    if number is not None and "max" in rule and number > rule["max"]:
        return f"above {rule['max']}"
    return None


def main():
    ap = argparse.ArgumentParser(description="validate a CSV file against a column schema")
    ap.add_argument("data")
    ap.add_argument("--schema", required=True)
    ap.add_argument("--out")
    ap.add_argument("--max-errors", type=int)
    ap.add_argument("--delimiter", default=",")
    args = ap.parse_args()
    try:
        columns = json.load(open(args.schema))["columns"]
        fh = open(args.data, newline="", encoding="utf-8")
    except (OSError, ValueError, KeyError) as exc:
        print(f"validate.py: {exc}", file=sys.stderr)
        return 2
    errors, seen, rows = [], {c: set() for c, r in columns.items() if r.get("unique")}, 0
    reader = csv.DictReader(fh, delimiter=args.delimiter)
    for name in columns:
        if name not in (reader.fieldnames or []):
            errors.append({"line": 1, "column": name, "value": "", "message": "missing column"})
    for row in reader:
        rows += 1
        line = reader.line_num
        for name, rule in columns.items():
            value = (row.get(name) or "").strip()
            if not value:
                message = "required" if rule.get("required") else None
            else:
                message = check(value, rule)
                if message is None and name in seen:
                    message = "duplicate" if value in seen[name] else None
                    seen[name].add(value)
            if message:
                errors.append({"line": line, "column": name, "value": value,
                               "message": message})
        if args.max_errors and len(errors) >= args.max_errors:
            break
    report = {"rows": rows, "invalid_rows": sorted({e["line"] for e in errors}),
              "errors": errors}
    text = json.dumps(report, indent=2)
    if args.out:
        open(args.out, "w").write(text + "\n")
    else:
        print(text)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
