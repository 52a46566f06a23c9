"""Generators for the generation category: code (python, javascript, shell, sql, html),
structured text, long text, prose and regex."""
from __future__ import annotations

import json

from .base import para, spec

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta", "theta", "lambda"]


def _nums(rng, n=8):
    return [rng.randint(-50, 99) for _ in range(n)]


def _fence(lang, code):
    return f"```{lang}\n{code.strip()}\n```"


# ----------------------------------------------------------------- python
def python_l1(rng):
    op = rng.choice(["sum", "max", "evens"])
    what = {"sum": "the sum of the numbers", "max": "the largest number",
            "evens": "how many of the numbers are even"}[op]
    expr = {"sum": "sum(nums)", "max": "max(nums)", "evens": "sum(1 for n in nums if n % 2 == 0)"}[op]
    cases = []
    for _ in range(3):
        nums = _nums(rng)
        val = {"sum": sum(nums), "max": max(nums), "evens": sum(1 for n in nums if n % 2 == 0)}[op]
        cases.append({"files": {"numbers.txt": "\n".join(map(str, nums)) + "\n"},
                      "out_files": {"result.txt": str(val)}})
    code = f"nums = [int(x) for x in open('numbers.txt').read().split()]\nopen('result.txt', 'w').write(str({expr}))\n"
    prompt = (f"Write a one-file Python script that reads `numbers.txt` (one integer per line) and "
              f"writes {what} to `result.txt`. Reply with the script in a ```python code block.")
    return spec(prompt, [{"kind": "program", "lang": "python", "cases": cases}], _fence("python", code))


def python_l2(rng):
    key = rng.choice(["sum", "count"])
    cases = []
    for _ in range(3):
        rows = [(rng.choice(WORDS[:4]), rng.randint(1, 40)) for _ in range(rng.randint(5, 9))]
        agg = {}
        for g, v in rows:
            agg[g] = agg.get(g, 0) + (v if key == "sum" else 1)
        csv_text = "group,value\n" + "".join(f"{g},{v}\n" for g, v in rows)
        cases.append({"files": {"data.csv": csv_text}, "out_files": {"summary.json": agg}})
    add = "int(r['value'])" if key == "sum" else "1"
    code = ("import csv, json\nagg = {}\nfor r in csv.DictReader(open('data.csv', newline='')):\n"
            f"    agg[r['group']] = agg.get(r['group'], 0) + {add}\n"
            "json.dump(agg, open('summary.json', 'w'))\n")
    what = "the sum of `value`" if key == "sum" else "the number of rows"
    prompt = ("Write a Python script using the standard library (csv, json) that reads `data.csv` "
              f"(columns `group,value`) and writes `summary.json`: an object mapping each group to {what}. "
              "Reply with the script in a ```python code block.")
    return spec(prompt, [{"kind": "program", "lang": "python", "json": True, "cases": cases}],
                _fence("python", code))


def python_l3(rng):
    op = rng.choice(["colmeans", "rowsums"])
    cases = []
    for _ in range(3):
        m = [[rng.randint(0, 20) for _ in range(3)] for _ in range(rng.randint(3, 5))]
        val = ([round(sum(r[j] for r in m) / len(m), 3) for j in range(3)] if op == "colmeans"
               else [sum(r) for r in m])
        cases.append({"files": {"matrix.txt": "\n".join(" ".join(map(str, r)) for r in m) + "\n"},
                      "stdout": val})
    expr = "np.round(a.mean(axis=0), 3).tolist()" if op == "colmeans" else "a.sum(axis=1).astype(int).tolist()"
    code = f"import json\nimport numpy as np\na = np.loadtxt('matrix.txt', ndmin=2)\nprint(json.dumps({expr}))\n"
    what = "the mean of each column rounded to 3 decimals" if op == "colmeans" else "the sum of each row as integers"
    prompt = ("Write a Python script that uses numpy to load `matrix.txt` (whitespace-separated numbers, "
              f"3 columns) and prints {what} as a JSON list. Reply with the script in a ```python code block.")
    return spec(prompt, [{"kind": "program", "lang": "python", "json": True, "must_use": ["numpy"],
                          "cases": cases}], _fence("python", code))


# ----------------------------------------------------------------- javascript
def js_l1(rng):
    op = rng.choice(["upper", "reverse"])
    cases = []
    for _ in range(3):
        lines = [rng.choice(WORDS) + " " + rng.choice(WORDS) for _ in range(4)]
        want = [ln.upper() for ln in lines] if op == "upper" else lines[::-1]
        cases.append({"files": {"input.txt": "\n".join(lines) + "\n"}, "out_files": {"output.txt": "\n".join(want)}})
    tx = "lines.map(l => l.toUpperCase())" if op == "upper" else "lines.reverse()"
    code = ("const fs = require('fs');\nconst lines = fs.readFileSync('input.txt', 'utf8').split('\\n').filter(l => l);\n"
            f"fs.writeFileSync('output.txt', {tx}.join('\\n') + '\\n');\n")
    what = "with every line upper-cased" if op == "upper" else "with the lines in reverse order"
    prompt = (f"Write a Node.js script using `fs` that reads `input.txt` and writes `output.txt` {what}. "
              "Reply with the script in a ```javascript code block.")
    return spec(prompt, [{"kind": "program", "lang": "node", "cases": cases}], _fence("javascript", code),
                requires=("node",))


def js_l2(rng):
    cases = []
    for _ in range(3):
        paths = [f"/data/{rng.choice(WORDS)}/{rng.choice(WORDS)}.{rng.choice(['txt', 'csv', 'json', 'md'])}"
                 for _ in range(rng.randint(4, 8))]
        counts = {}
        for p in paths:
            ext = "." + p.rsplit(".", 1)[1]
            counts[ext] = counts.get(ext, 0) + 1
        cases.append({"files": {"paths.txt": "\n".join(paths) + "\n"}, "stdout": counts})
    code = ("const fs = require('fs');\nconst path = require('path');\nconst counts = {};\n"
            "for (const p of fs.readFileSync('paths.txt', 'utf8').split('\\n').filter(Boolean)) {\n"
            "  const e = path.extname(p);\n  counts[e] = (counts[e] || 0) + 1;\n}\nconsole.log(JSON.stringify(counts));\n")
    prompt = ("Write a Node.js script using the built-in `path` module that reads `paths.txt` (one file path "
              "per line) and prints a JSON object mapping each extension (as `path.extname` returns it, e.g. "
              "`.txt`) to how many paths have it. Reply with the script in a ```javascript code block.")
    return spec(prompt, [{"kind": "program", "lang": "node", "json": True, "must_use": ["require('path')|require(\"path\")|from 'path'|node:path"],
                          "cases": cases}], _fence("javascript", code), requires=("node",))


def js_l3(rng):
    cases = []
    for _ in range(3):
        names = rng.sample(WORDS, 3)
        files = {f"{n}.txt": " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))) + "\n" for n in names}
        files["list.txt"] = "\n".join(f"{n}.txt" for n in names) + "\n"
        cases.append({"files": files, "stdout": {f"{n}.txt": len(files[f"{n}.txt"].split()) for n in names}})
    code = ("const fs = require('fs');\n\nasync function main() {\n"
            "  const names = (await fs.promises.readFile('list.txt', 'utf8')).split('\\n').filter(Boolean);\n"
            "  const texts = await Promise.all(names.map(n => fs.promises.readFile(n, 'utf8')));\n"
            "  const out = {};\n  names.forEach((n, i) => { out[n] = texts[i].split(/\\s+/).filter(Boolean).length; });\n"
            "  console.log(JSON.stringify(out));\n}\n\nmain();\n")
    prompt = ("Write a Node.js script with an async function that reads `list.txt` (one file name per line), "
              "reads all listed files concurrently with `fs.promises` and `Promise.all`, and prints a JSON "
              "object mapping each file name to its word count. Reply with the script in a ```javascript code block.")
    return spec(prompt, [{"kind": "program", "lang": "node", "json": True, "must_use": ["Promise.all", "await"],
                          "cases": cases}], _fence("javascript", code), requires=("node",))


# ----------------------------------------------------------------- shell
def _log_lines(rng, n):
    return [f"{rng.choice(['INFO', 'WARN', 'ERROR'])} {rng.choice(WORDS)} {rng.randint(1, 99)}" for _ in range(n)]


def shell_l1(rng):
    op = rng.choice(["count", "grep"])
    cases = []
    for _ in range(3):
        lines = _log_lines(rng, rng.randint(5, 12))
        lines.insert(rng.randint(0, len(lines)), f"ERROR {rng.choice(WORDS)} 0")  # grep exits 1 on no match
        out = str(len(lines)) if op == "count" else "\n".join(ln for ln in lines if ln.startswith("ERROR"))
        cases.append({"files": {"log.txt": "\n".join(lines) + "\n"}, "stdout": out})
    cmd = "wc -l < log.txt" if op == "count" else "grep '^ERROR' log.txt"
    what = "prints only the number of lines in `log.txt`" if op == "count" else \
        "prints the lines of `log.txt` that start with `ERROR`"
    prompt = f"Give a single basic shell command that {what}. Reply with the command in a ```bash code block."
    return spec(prompt, [{"kind": "program", "lang": "bash", "one_liner": True, "cases": cases}], _fence("bash", cmd))


def shell_l2(rng):
    cases = []
    for _ in range(3):
        names = sorted(rng.sample(WORDS, 3))
        files = {f"{n}.txt": "\n".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))) + "\n" for n in names}
        counts = "\n".join(f"{n}.txt: {len(files[f'{n}.txt'].splitlines())}" for n in names)
        cases.append({"files": files, "out_files": {"counts.out": counts}})
    code = "for f in *.txt; do\n  echo \"$f: $(wc -l < \"$f\")\"\ndone > counts.out\n"
    prompt = ("Write a bash script that loops over the `*.txt` files in the current directory (glob order) and, "
              "for each, writes a line `<name>: <line count>`, redirecting all output into `counts.out`. "
              "Reply with the script in a ```bash code block.")
    return spec(prompt, [{"kind": "program", "lang": "bash", "cases": cases}], _fence("bash", code))


def shell_l3(rng):
    cases = []
    for _ in range(3):
        rows = [(rng.choice(WORDS[:4]), rng.choice(WORDS), rng.randint(1, 50)) for _ in range(rng.randint(5, 10))]
        tot = {}
        for k, _, v in rows:
            tot[k] = tot.get(k, 0) + v
        cases.append({"files": {"data.tsv": "".join(f"{k}\t{n}\t{v}\n" for k, n, v in rows)},
                      "stdout": "\n".join(f"{k} {tot[k]}" for k in sorted(tot))})
    cmd = "awk -F'\\t' '{s[$1] += $3} END {for (k in s) print k, s[k]}' data.tsv | sort"
    prompt = ("Write a shell pipeline using awk (and sort) that prints, for each distinct value of column 1 of "
              "the tab-separated file `data.tsv`, a line `<key> <sum of column 3>`, sorted by key. "
              "Reply with the pipeline in a ```bash code block.")
    return spec(prompt, [{"kind": "program", "lang": "bash", "one_liner": True, "must_use": ["awk|sed"],
                          "cases": cases}], _fence("bash", cmd))


# ----------------------------------------------------------------- sql
def _shop_db(rng):
    customers = [(i + 1, name, rng.choice(["north", "south", "east"])) for i, name in enumerate(rng.sample(
        ["ana", "bo", "chen", "dara", "eli", "femi", "gus"], 5))]
    orders = [(j + 1, rng.randint(1, 5), rng.randint(5, 200), rng.choice(["paid", "paid", "refunded"]))
              for j in range(rng.randint(8, 14))]
    setup = ("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT);\n"
             "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount INTEGER, status TEXT);\n")
    setup += "".join(f"INSERT INTO customers VALUES ({i}, '{n}', '{r}');\n" for i, n, r in customers)
    setup += "".join(f"INSERT INTO orders VALUES ({i}, {c}, {a}, '{s}');\n" for i, c, a, s in orders)
    return setup


def _sql_spec(rng, prompt, query, must_use=(), ordered=True):
    import sqlite3
    cases = []
    for _ in range(3):
        setup = _shop_db(rng)
        db = sqlite3.connect(":memory:")
        db.executescript(setup)
        cases.append({"setup": setup, "rows": [list(r) for r in db.execute(query).fetchall()]})
        db.close()
    schema = ("Schema (SQLite): customers(id, name, region), orders(id, customer_id, amount, status). "
              "A sample database is in `shop.sql`.\n")
    return spec(schema + prompt + " Reply with one SQL query in a ```sql code block.",
                [{"kind": "sql", "cases": cases, "ordered": ordered, "must_use": list(must_use)}],
                _fence("sql", query), files={"shop.sql": cases[0]["setup"]})


def sql_l1(rng):
    status = rng.choice(["paid", "refunded"])
    return _sql_spec(rng, f"Return one row with the total `amount` of orders whose status is '{status}'.",
                     f"SELECT SUM(amount) FROM orders WHERE status = '{status}'")


def sql_l2(rng):
    return _sql_spec(rng, "Return each customer's name and the total amount of their paid orders, "
                     "only customers with at least one paid order, ordered by name.",
                     "SELECT c.name, SUM(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.id "
                     "WHERE o.status = 'paid' GROUP BY c.id ORDER BY c.name", must_use=["JOIN"])


def sql_l3(rng):
    q = ("WITH spend AS (SELECT c.region, c.name, SUM(o.amount) AS total FROM customers c "
         "JOIN orders o ON o.customer_id = c.id WHERE o.status = 'paid' GROUP BY c.id), "
         "ranked AS (SELECT region, name, total, ROW_NUMBER() OVER (PARTITION BY region "
         "ORDER BY total DESC, name) AS rn FROM spend) "
         "SELECT region, name, total FROM ranked WHERE rn = 1 ORDER BY region")
    return _sql_spec(rng, "Using common table expressions (WITH), return for every region the customer with the "
                     "highest total of paid orders (ties: name ascending) as columns region, name, total, "
                     "ordered by region.", q, must_use=["WITH"])


# ----------------------------------------------------------------- html
def html_l1(rng):
    title = f"{rng.choice(WORDS).title()} {rng.choice(['Club', 'Notes', 'Garden', 'Shop'])}"
    items = rng.sample(WORDS, 3)
    url = f"https://example.org/{rng.choice(WORDS)}"
    link = f"More about {rng.choice(WORDS)}"
    page = (f"<!DOCTYPE html>\n<html><body>\n<h1>{title}</h1>\n<ul>\n" +
            "".join(f"  <li>{i}</li>\n" for i in items) + f"</ul>\n<a href=\"{url}\">{link}</a>\n</body></html>")
    req = [["h1", {}, title]] + [["li", {}, i] for i in items] + [["a", {"href": url}, link], ["ul", {}, None]]
    prompt = (f"Write an HTML page with an `<h1>` heading \"{title}\", an unordered list with the items "
              f"{', '.join(items)}, and a link to {url} with the text \"{link}\". Reply with the HTML in a ```html block.")
    return spec(prompt, [{"kind": "html", "require": req}], _fence("html", page))


def html_l2(rng):
    fields = rng.sample(["name", "email", "phone", "city", "age"], 3)
    rows = [(rng.choice(WORDS), rng.randint(1, 99)) for _ in range(3)]
    page = ("<!DOCTYPE html>\n<html><body>\n<header><h1>Sign up</h1></header>\n<main>\n<form action=\"/submit\" method=\"post\">\n" +
            "".join(f"  <label>{f} <input name=\"{f}\"></label>\n" for f in fields) +
            "  <button type=\"submit\">Send</button>\n</form>\n<table>\n<tr><th>Item</th><th>Count</th></tr>\n" +
            "".join(f"<tr><td>{a}</td><td>{b}</td></tr>\n" for a, b in rows) +
            "</table>\n<svg width=\"100\" height=\"100\"><circle cx=\"50\" cy=\"50\" r=\"40\"/></svg>\n</main>\n"
            "<footer>bye</footer>\n</body></html>")
    req = ([["form", {"method": "post"}, None], ["button", {"type": "submit"}, None], ["main", {}, None],
            ["header", {}, None], ["footer", {}, None], ["th", {}, "Item"], ["th", {}, "Count"], ["circle", {}, None]]
           + [["input", {"name": f}, None] for f in fields]
           + [["td", {}, str(x)] for r in rows for x in r])
    prompt = (f"Write an HTML page using semantic elements `<header>`, `<main>` and `<footer>`. Inside main: a form "
              f"(method post) with inputs named {', '.join(fields)} and a submit button; a table with header cells "
              f"Item and Count and these rows: {'; '.join(f'{a} = {b}' for a, b in rows)}; and an inline SVG with "
              "one circle. Reply with the HTML in a ```html block.")
    return spec(prompt, [{"kind": "html", "require": req}], _fence("html", page))


def html_l3(rng):
    label = f"{rng.choice(WORDS).title()} chart"
    n = rng.randint(3, 5)
    bars = [rng.randint(10, 90) for _ in range(n)]
    nav = rng.choice(["Main navigation", "Site menu"])
    bp = rng.choice([480, 600, 768])
    svg = "".join(f"<rect x=\"{i * 20}\" y=\"{100 - b}\" width=\"15\" height=\"{b}\"/>" for i, b in enumerate(bars))
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<style>.wrap{{display:grid;grid-template-columns:1fr 1fr}} @media (max-width: {bp}px) {{.wrap{{grid-template-columns:1fr}}}}</style>\n"
            f"</head><body><nav aria-label=\"{nav}\"><a href=\"/\">Home</a></nav>\n<main class=\"wrap\">\n"
            f"<svg role=\"img\" aria-labelledby=\"t\" viewBox=\"0 0 120 100\"><title id=\"t\">{label}</title>\n"
            f"<g fill=\"steelblue\">{svg}</g><path d=\"M0 100 L120 100\" stroke=\"black\"/></svg>\n"
            f"<img src=\"logo.png\" alt=\"Company logo\">\n</main></body></html>")
    req = ([["html", {"lang": None}, None], ["meta", {"name": "viewport"}, None], ["nav", {"aria-label": nav}, None],
            ["svg", {"role": "img"}, None], ["title", {}, label], ["g", {}, None], ["path", {"d": None}, None],
            ["img", {"alt": None}, None]] + [["rect", {"height": str(b)}, None] for b in bars])
    prompt = (f"Write an accessible, responsive HTML page: `<html lang=...>`, a viewport meta tag, a CSS grid layout "
              f"that switches to one column with `@media (max-width: {bp}px)`, a `<nav aria-label=\"{nav}\">`, an image "
              f"with alt text, and an inline SVG bar chart with role=\"img\", a `<title>` \"{label}\", the bars as `<rect>` "
              f"elements inside a `<g>` with heights {', '.join(map(str, bars))} (in that order), and a `<path>` axis line. "
              "Reply with the HTML in a ```html block.")
    return spec(prompt, [{"kind": "html", "require": req, "contains": [f"@media (max-width: {bp}px)"]}],
                _fence("html", page))


# ----------------------------------------------------------------- structured text
def structured_l1(rng):
    fmt = rng.choice(["json", "yaml"])
    data = {"name": rng.choice(WORDS), "version": rng.randint(1, 9), "enabled": rng.random() < 0.5,
            "owner": rng.choice(["ana", "bo", "chen"]), "ratio": round(rng.random(), 2)}
    desc = "; ".join(f"`{k}` = {json.dumps(v)}" for k, v in data.items())
    body = json.dumps(data) if fmt == "json" else "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items())
    prompt = (f"Produce a flat {fmt.upper()} object (under 500 bytes) with exactly these keys and values: {desc}. "
              f"Reply with only the {fmt.upper()} in a code block.")
    return spec(prompt, [{"kind": "data", "format": fmt, "value": data, "max_bytes": 500}], _fence(fmt, body))


def _people(rng, n):
    return [{"name": f"{rng.choice(WORDS)}-{i}", "role": rng.choice(["dev", "ops", "qa", "pm"]),
             "since": rng.randint(2010, 2024), "skills": rng.sample(WORDS, 2)} for i in range(n)]


def structured_l2(rng):
    teams = {t: _people(rng, rng.randint(2, 3)) for t in rng.sample(["core", "web", "data", "infra"], 2)}
    data = {"org": rng.choice(WORDS).title(), "teams": [{"name": t, "members": m} for t, m in teams.items()]}
    lines = [f"- team {t['name']}: " + "; ".join(f"{p['name']} ({p['role']}, since {p['since']}, skills "
                                                 f"{' and '.join(p['skills'])})" for p in t["members"]) for t in data["teams"]]
    prompt = (f"Produce a nested JSON document (under 5 KB) for organisation \"{data['org']}\" shaped as "
              "`{\"org\": str, \"teams\": [{\"name\": str, \"members\": [{\"name\", \"role\", \"since\" (int), \"skills\" (list)}]}]}`, "
              "keeping the order given:\n" + "\n".join(lines) + "\nReply with only the JSON in a code block.")
    return spec(prompt, [{"kind": "data", "value": data, "max_bytes": 5120}], _fence("json", json.dumps(data, indent=2)))


def structured_l3(rng):
    depts = []
    for d in rng.sample(["engineering", "sales", "finance", "research", "support"], 3):
        teams = []
        for t in range(3):
            teams.append({"name": f"{d}-{rng.choice(WORDS)}-{t}", "lead": {"name": rng.choice(WORDS), "contact": {
                "email": f"{d}{t}@corp.example", "room": rng.randint(100, 999)}}, "members": _people(rng, 5)})
        depts.append({"name": d, "budget": {"currency": "EUR", "amount": rng.randint(10, 99) * 1000}, "teams": teams})
    data = {"company": rng.choice(WORDS).title(), "departments": depts}
    lines = []
    for d in depts:
        lines.append(f"department {d['name']} (budget {d['budget']['amount']} EUR)")
        for t in d["teams"]:
            lines.append(f"  team {t['name']}, lead {t['lead']['name']} <{t['lead']['contact']['email']}> room {t['lead']['contact']['room']}")
            lines += [f"    member {p['name']}: role {p['role']}, since {p['since']}, skills {', '.join(p['skills'])}" for p in t["members"]]
    prompt = (f"Produce one JSON document for company \"{data['company']}\" shaped as "
              "`{\"company\", \"departments\": [{\"name\", \"budget\": {\"currency\": \"EUR\", \"amount\": int}, "
              "\"teams\": [{\"name\", \"lead\": {\"name\", \"contact\": {\"email\", \"room\": int}}, "
              "\"members\": [{\"name\", \"role\", \"since\": int, \"skills\": [str]}]}]}]}`, order as given "
              "(the result is over 5 KB):\n" + "\n".join(lines) + "\nReply with only the JSON in a code block.")
    return spec(prompt, [{"kind": "data", "value": data, "min_bytes": 5120}], _fence("json", json.dumps(data, indent=2)))


# ----------------------------------------------------------------- long text
def long_l1(rng):
    n = rng.randint(5, 9)
    words = [rng.choice(WORDS) for _ in range(n)]
    lines = [f"{i + 1}. {w}" for i, w in enumerate(words)]
    prompt = (f"Write exactly {n} lines (under 1 KB total), line i being `i. <word>` with the words "
              f"{', '.join(words)} in this order. No other text.")
    return spec(prompt, [{"kind": "rules", "rules": [{"rule": "lines", "values": lines}, {"rule": "bytes", "max": 1023}]}],
                "\n".join(lines))


def _sections(rng, n_sections, min_words, lo, hi):
    names = [f"{rng.choice(WORDS).upper()}{i + 1}" for i in range(n_sections)]
    parts = []
    for name in names:
        bullets = [f"- {name} {para(rng, max(3, min_words // 3))}" for _ in range(3)]
        parts.append(f"=== BEGIN {name} ===\n" + "\n".join(bullets) + f"\n=== END {name} ===")
    rule = {"rule": "sections", "names": names, "open": "=== BEGIN {name} ===", "close": "=== END {name} ===",
            "bullets": 3, "min_words": min_words, "mention": True}
    prompt = (f"Write {n_sections} sections in this order: {', '.join(names)}. Each section starts with the line "
              "`=== BEGIN <NAME> ===` and ends with `=== END <NAME> ===`, and contains exactly 3 bullet lines "
              f"(starting `- `) that mention the section name, at least {min_words} words per section. "
              f"Total size between {lo} and {hi} bytes." if hi else "")
    return prompt, rule, "\n\n".join(parts)


def long_l2(rng):
    prompt, rule, ref = _sections(rng, 4, 60, 1024, 5120)
    return spec(prompt, [{"kind": "rules", "rules": [rule, {"rule": "bytes", "min": 1024, "max": 5120}]}], ref)


def long_l3(rng):
    prompt, rule, ref = _sections(rng, 12, 90, 5121, 10**6)
    prompt = prompt.replace("Total size between 5121 and 1000000 bytes.", "Total size over 5 KB.")
    return spec(prompt, [{"kind": "rules", "rules": [rule, {"rule": "bytes", "min": 5121}]}], ref)


# ----------------------------------------------------------------- prose
TOPICS = ["urban gardening", "night trains", "public libraries", "tidal energy", "board games", "bicycle repair"]


def prose_l1(rng):
    topic = rng.choice(TOPICS)
    keys = tuple(rng.sample(WORDS, 2))
    text = para(rng, 60, (topic,) + keys)
    rules = [{"rule": "paragraphs", "min": 1, "max": 1}, {"rule": "words", "min": 40, "max": 150},
             {"rule": "contains", "words": [topic, *keys]}, {"rule": "regex", "pattern": r"^\s*([#*-]|\d+\.)", "must": False}]
    prompt = (f"Write one paragraph (40-150 words, no headings or lists) about {topic} that uses the words "
              f"{keys[0]} and {keys[1]}.")
    return spec(prompt, [{"kind": "rules", "rules": rules}], text)


def prose_l2(rng):
    topic, n = rng.choice(TOPICS), rng.randint(3, 4)
    text = "\n\n".join(para(rng, 50, (topic,)) for _ in range(n))
    rules = [{"rule": "paragraphs", "min": n, "max": n, "min_words": 40},
             {"rule": "each_paragraph", "words": [topic]}, {"rule": "no_chars", "chars": ["!"]},
             {"rule": "absent", "words": ["I", "lol", "awesome"]}]
    prompt = (f"Write exactly {n} paragraphs (blank line between them, each at least 40 words) about {topic} in a "
              f"consistent neutral, informative tone: mention \"{topic}\" in every paragraph, no exclamation marks, "
              "no first person \"I\", no slang.")
    return spec(prompt, [{"kind": "rules", "rules": rules}], text)


TRANSITIONS = ["however", "moreover", "therefore", "in contrast", "as a result", "finally"]


def prose_l3(rng):
    topic = rng.choice(TOPICS)
    heads = rng.sample(["Background", "Current state", "Challenges", "Opportunities", "Outlook"], 3)
    parts = []
    for i, h in enumerate(heads):
        parts.append(f"## {h}\n\n{TRANSITIONS[i].capitalize()}, {para(rng, 80, (topic,))}\n\n"
                     f"{TRANSITIONS[i + 3].capitalize()}, {para(rng, 80)}")
    rules = [{"rule": "headings", "values": heads}, {"rule": "words", "min": 450},
             {"rule": "paragraphs", "min": 6, "min_words": 30},
             {"rule": "contains", "words": TRANSITIONS, "at_least": 4}, {"rule": "contains", "words": [topic]}]
    prompt = (f"Write a long-form article about {topic} with exactly these Markdown `## ` sections in order: "
              f"{', '.join(heads)}. At least 450 words, at least two paragraphs of 30+ words per section, and use at "
              f"least four of these transitions: {', '.join(TRANSITIONS)}.")
    return spec(prompt, [{"kind": "rules", "rules": rules}], "\n\n".join(parts))


# ----------------------------------------------------------------- regex
def regex_l1(rng):
    letters, digits = rng.randint(2, 3), rng.randint(3, 5)
    sep = rng.choice(["-", "_", "/"])
    pattern = f"[A-Z]{{{letters}}}{sep}[0-9]{{{digits}}}"
    def mk(lt, dg, s=sep):
        return "".join(rng.choice("ABCDEFGHXYZ") for _ in range(lt)) + s + "".join(rng.choice("0123456789") for _ in range(dg))
    pos = [mk(letters, digits) for _ in range(5)]
    neg = [mk(letters + 1, digits), mk(letters, digits - 1), mk(letters, digits).lower(),
           mk(letters, digits, "+"), mk(letters, digits) + "9x", ""]
    prompt = (f"Write a Python regular expression (used with re.fullmatch) for product codes: exactly {letters} "
              f"uppercase letters, then `{sep}`, then exactly {digits} digits. Examples: {pos[0]}, {pos[1]}. "
              "Reply with only the pattern.")
    return spec(prompt, [{"kind": "regex", "positives": pos, "negatives": neg}], pattern)


def regex_l2(rng):
    kind = rng.choice(["date", "log"])
    if kind == "date":
        pattern = r"(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})"
        pos = [f"{rng.randint(1990, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
               f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2030)}",
               f"{rng.randint(1990, 2030)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]
        neg = ["2024/01/02", "01-02-2024", "2024-1-02", "x2024-01-02", "2024-01-02 ", "12/31/24"]
        desc = "a date written either as YYYY-MM-DD or as DD/MM/YYYY (digits only, nothing else on the line)"
    else:
        comps = rng.sample(WORDS, 2)
        pattern = rf"(ERROR|WARN) \[({comps[0]}|{comps[1]})\] .+"
        pos = [f"ERROR [{comps[0]}] disk full", f"WARN [{comps[1]}] slow", f"ERROR [{comps[1]}] x y z"]
        neg = [f"INFO [{comps[0]}] ok", f"ERROR [{rng.choice([w for w in WORDS if w not in comps])}] bad",
               f" ERROR [{comps[0]}] late start", f"ERROR [{comps[0]}]", f"error [{comps[0]}] lower"]
        desc = f"log lines that start with ERROR or WARN, then a space and a component in brackets that is either {comps[0]} or {comps[1]}, then a space and a non-empty message"
    prompt = f"Write a Python regular expression (used with re.fullmatch) matching {desc}. Use groups and alternation. Reply with only the pattern."
    return spec(prompt, [{"kind": "regex", "positives": pos, "negatives": neg, "must_use": ["|"]}], pattern)


def regex_l3(rng):
    kind = rng.choice(["password", "named"])
    if kind == "password":
        n = rng.randint(8, 10)
        pattern = rf"(?=.*\d)(?=.*[A-Z])(?!.*\s).{{{n},}}"
        pos = ["Abcdefg1" + "x" * (n - 8), "ZZZZZZZZ9" + "q" * (n - 8), "a1B" + "c" * n]
        neg = ["abcdefg1" + "x" * n, "Abcdefgh" + "x" * n, "Ab1 " + "c" * n, "Ab1" + "c" * (n - 4), ""]
        prompt = (f"Write a Python regular expression (used with re.fullmatch) that accepts passwords of at least {n} "
                  "characters containing at least one digit and one uppercase letter and no whitespace. Use lookahead "
                  "assertions. Reply with only the pattern.")
        return spec(prompt, [{"kind": "regex", "positives": pos, "negatives": neg, "must_use": ["(?=|(?!"]}], pattern)
    key = rng.choice(["user", "host", "port"])
    pattern = r"(?P<key>[a-z]+)=(?P<value>[^;\s]+)(?<!,)"
    vals = [f"{rng.choice(WORDS)}{rng.randint(0, 9)}" for _ in range(3)]
    pos = [f"{key}={vals[0]}", f"mode={vals[1]}", f"x={vals[2]}"]
    neg = [f"{key}=", f"{key.upper()}={vals[0]}", f"{key}={vals[0]};", f"{key}={vals[0]},", f"{key} = {vals[0]}"]
    groups = [[s, {"key": s.split("=")[0], "value": s.split("=")[1]}] for s in pos]
    prompt = ("Write a Python regular expression (used with re.fullmatch) for `key=value` settings: key is lowercase "
              "letters, value is one or more characters that are not `;` or whitespace and the value must not end "
              "with a comma (use a lookbehind). Capture them in named groups `key` and `value`. Reply with only the pattern.")
    return spec(prompt, [{"kind": "regex", "positives": pos, "negatives": neg, "groups": groups,
                          "must_use": ["(?P<"]}], pattern)


LEVELS = {
    "gen.code.python": (python_l1, python_l2, python_l3),
    "gen.code.javascript": (js_l1, js_l2, js_l3),
    "gen.code.shell": (shell_l1, shell_l2, shell_l3),
    "gen.code.sql": (sql_l1, sql_l2, sql_l3),
    "gen.code.html": (html_l1, html_l2, html_l3),
    "gen.text.structured": (structured_l1, structured_l2, structured_l3),
    "gen.text.long": (long_l1, long_l2, long_l3),
    "gen.text.prose": (prose_l1, prose_l2, prose_l3),
    "gen.regex": (regex_l1, regex_l2, regex_l3),
}
