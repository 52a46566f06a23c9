"""Requests slower than a threshold: slowreq.py ACCESS_LOG --min-ms N [--out FILE.csv]."""
import argparse
import csv
import datetime as dt
import re
import sys

LINE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) '
                  r'"[^"]*" "[^"]*" ([\d.]+)\s*$')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("--min-ms", type=int, required=True)
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = []
    with open(args.log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = LINE.match(line)
            if not m:
                continue
            ms = round(float(m.group(7)) * 1000)
            if ms < args.min_ms:
                continue
            when = dt.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z")
            rows.append([when.strftime("%Y-%m-%dT%H:%M:%S"), m.group(3),
                         m.group(4).split("?", 1)[0], m.group(5), ms])
    rows.sort(key=lambda r: (-r[4], r[0]))
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    w = csv.writer(out)
    w.writerow(["time", "method", "path", "status", "ms"])
    w.writerows(rows)
    if args.out:
        out.close()
        print(f"wrote {args.out}: {len(rows)} requests >= {args.min_ms} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
