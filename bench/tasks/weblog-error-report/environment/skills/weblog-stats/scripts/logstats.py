"""Summarize a combined-format access log: logstats.py ACCESS_LOG [--top N] [--out FILE]."""
import argparse
import json
import re
import sys
from collections import Counter

LINE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) '
                  r'"[^"]*" "[^"]*"(?: ([\d.]+))?\s*$')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--out")
    args = ap.parse_args()
    status, paths = Counter(), Counter()
    requests = size = skipped = 0
    with open(args.log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = LINE.match(line)
            if not m:
                skipped += 1
                continue
            requests += 1
            status[m.group(5)] += 1
            paths[m.group(4).split("?", 1)[0]] += 1
            size += 0 if m.group(6) == "-" else int(m.group(6))
    top = sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:args.top]
    result = {"requests": requests, "status": dict(sorted(status.items())), "bytes": size,
              "top_paths": [list(kv) for kv in top], "skipped": skipped}
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
        print(f"wrote {args.out}: {requests} requests, {skipped} skipped", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
