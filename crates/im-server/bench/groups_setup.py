#!/usr/bin/env python3
"""Seeds the groups benchmark (see groups.sh) and prints shell assignments for it.

Usage: groups_setup.py BASE CLIENT_ID CLIENT_SECRET DATABASE_URL
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench_common import Bench

b = Bench(*sys.argv[1:5])
b.users(720000)


def deep_cursor(gid):
    """The cursor of the last page of 100 (walked from the start)."""
    cursor = None
    while True:
        q = f"/chatgroups/{gid}/users?version=v3&limit=100" + (f"&cursor={cursor}" if cursor else "")
        nxt = b.call("GET", q).get("cursor")
        if not nxt:
            return cursor or ""
        cursor = nxt


g1k = b.group("u0", 1000000)
b.fill(g1k, 150001, 150999)
g100k = b.group("u0", 1000000)
t = time.monotonic()
b.fill(g100k, 1, 99999)
fill_s = time.monotonic() - t
t = time.monotonic()
with ThreadPoolExecutor(4) as pool:
    list(pool.map(lambda i: b.group(f"u{i % 60}", 200, ["hub"]), range(10000)))
hub_s = time.monotonic() - t
gceil = b.group("u0", 1000000)
print(f"TOKEN={b.token} G1K={g1k} G100K={g100k} GCEIL={gceil} APPUUID={b.app} "
      f"CUR1K={deep_cursor(g1k)} CUR100K={deep_cursor(g100k)} "
      f"FILL='fill_100000_members_in_batches_of_60 seconds={fill_s:.1f}; hub_into_10000_groups seconds={hub_s:.1f}'")
