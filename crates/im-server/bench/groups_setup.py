#!/usr/bin/env python3
"""Seeds the groups benchmark (see groups.sh) and prints shell assignments for it.

Usage: groups_setup.py BASE CLIENT_ID CLIENT_SECRET DATABASE_URL
"""

import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, cid, csec, dburl = sys.argv[1:5]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def sql(statement):
    out = subprocess.run(["psql", "-Atq", dburl, "-c", statement], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"setup SQL failed: {out.stderr.strip()}")
    return out.stdout.strip()


tok = call("POST", "/token", {"grant_type": "client_credentials", "client_id": cid, "client_secret": csec})["access_token"]
call("POST", "/users", [{"username": f"u{j}", "password": "pw"} for j in range(60)], tok)
app = sql("select id from apps where org_name = 'bench'")
sql(f"insert into users (app, username, uuid) select '{app}'::uuid, 'pu'||g, gen_random_uuid() "
    f"from generate_series(1, 260000) g union all select '{app}'::uuid, 'hub', gen_random_uuid(); analyze users")


def group(owner, maxusers, members=()):
    body = {"groupname": "g", "description": "d", "public": True, "owner": owner,
            "maxusers": maxusers, "members": list(members)}
    return call("POST", "/chatgroups", body, tok)["data"]["groupid"]


def fill(gid, first, last):
    for i in range(first, last + 1, 60):
        names = [f"pu{j}" for j in range(i, min(i + 60, last + 1))]
        call("POST", f"/chatgroups/{gid}/users", {"usernames": names}, tok)


def deep_cursor(gid):
    """The cursor of the last page of 100 (walked from the start)."""
    cursor = None
    while True:
        q = f"/chatgroups/{gid}/users?version=v3&limit=100" + (f"&cursor={cursor}" if cursor else "")
        nxt = call("GET", q, token=tok).get("cursor")
        if not nxt:
            return cursor or ""
        cursor = nxt


g1k = group("u0", 200000)
fill(g1k, 150001, 150999)
g100k = group("u0", 200000)
t = time.monotonic()
fill(g100k, 1, 99999)
fill_s = time.monotonic() - t


def hub_group(i):
    return group(f"u{i % 60}", 200, ["hub"])


t = time.monotonic()
with ThreadPoolExecutor(4) as pool:
    list(pool.map(hub_group, range(10000)))
hub_s = time.monotonic() - t
print(f"TOKEN={tok} G1K={g1k} G100K={g100k} APPUUID={app} "
      f"CUR1K={deep_cursor(g1k)} CUR100K={deep_cursor(g100k)} "
      f"FILL='fill_100000_members_in_batches_of_60 seconds={fill_s:.1f}; hub_into_10000_groups seconds={hub_s:.1f}'")
