"""Reads, from PostgreSQL's statement log, the statements one role ran on one database after a
byte offset, with their parameters: what bench/ceiling/replay.rs runs again.

    python3 capture.py LOG OFFSET DATABASE ROLE   -> JSON list of {"sql": ..., "params": [...]}

The log is the server's stderr log (log_statement = all on that database alone, the default
line prefix `%m [%p] %q%u@%d `): a statement's first line carries the prefix, its next lines
start with a tab, and a DETAIL line after it lists the parameters.
"""
import json
import re
import sys

path, offset, db, role = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(path, "rb") as f:
    f.seek(offset)
    text = f.read().decode("utf-8", "replace")

head = re.compile(r"^\S+ \S+ \S+ \[\d+\] (\S*)@(\S+) (LOG|DETAIL|ERROR|STATEMENT):  (.*)$")
records = []  # [(role, db), kind, message lines]
for line in text.split("\n"):
    m = head.match(line)
    if m:
        records.append([(m.group(1), m.group(2)), m.group(3), [m.group(4)]])
    elif line.startswith("\t") and records:
        records[-1][2].append(line[1:])

PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")
out = []
for who, kind, lines in records:
    if who != (role, db):
        continue
    message = "\n".join(lines)
    if kind == "LOG":
        m = re.match(r"(?s)(?:execute [^:]+|statement): (.*)$", message)
        # The server's database watchdog probes with `select 1` every second: not the request's.
        if m and m.group(1).strip() != "select 1":
            out.append({"sql": m.group(1), "params": []})
        elif m:
            out.append(None)
    elif kind == "DETAIL" and message.startswith("parameters: ") and out and out[-1]:
        params = {}
        for p in PARAM.finditer(message):
            params[int(p.group(1))] = None if p.group(2) == "NULL" else p.group(3).replace("''", "'")
        out[-1]["params"] = [params[i] for i in sorted(params)]
print(json.dumps([s for s in out if s]))
