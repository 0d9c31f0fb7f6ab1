#!/usr/bin/env python3
"""Seeds the threads benchmark (see threads.sh) and prints shell assignments for it.

One group of 99001 members (u0 owns it; `hub` and pu1..pu98999 are members, so that the join
runs never run out of group members to join), 10000 threads in it created by `hub` (so `hub` is
in 10000 threads), and the cursors of each list's last page. pu99001..pu110000 are in no room:
the pgbench ceiling adds them.

Usage: threads_setup.py BASE CLIENT_ID CLIENT_SECRET DATABASE_URL
"""

import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from bench_common import Bench

b = Bench(*sys.argv[1:5])
b.users(110000)
gid = b.group("u0", 100000, ["hub"])
b.fill(gid, 1, 98999)


def thread(i):
    body = {"group_id": gid, "name": f"t{i}", "msg_id": f"m{i}", "owner": "hub"}
    return b.call("POST", "/thread", body)["data"]["thread_id"]


t = time.monotonic()
with ThreadPoolExecutor(4) as pool:
    threads = list(pool.map(thread, range(10000)))
made = time.monotonic() - t


def last_cursor(path):
    """The cursor of the last page of 50 (walked from the start)."""
    cursor = None
    while True:
        q = path + ("&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else "")
        nxt = b.call("GET", q).get("properties", {}).get("cursor")
        if not nxt:
            return urllib.parse.quote(cursor or "", safe="")
        cursor = nxt


print(f"TOKEN={b.token} GROUP={gid} THREAD={threads[0]} APPUUID={b.app} "
      f"LAST_APP={last_cursor('/thread?limit=50')} "
      f"LAST_USER={last_cursor('/threads/user/hub?limit=50')} "
      f"LAST_USER_GROUP={last_cursor(f'/threads/chatgroups/{gid}/user/hub?limit=50')} "
      f"MADE='10000_threads_created_by_4_clients seconds={made:.1f}'")
