"""The rebalance drill's client (see rebalance.sh): keeps imserver busy with reads and writes over
many apps while a worker is added to the Citus cluster and the shards are rebalanced, then checks
that nothing was lost, duplicated or answered with a 5xx.

    python3 drill.py BASE DATABASE_URL CLUSTER_SH CLUSTER_DIR APPS_JSON

APPS_JSON: [{"org", "app", "client_id", "client_secret"}, ...]. Each app gets 300 users (SQL) and
4 chatrooms. Eight threads add and remove members and read pages and users; a room's changes are
serialized by a lock held across the request, so the expected members, in join order, follow
from the answers. Exits 1 when anything is wrong.
"""
import json
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

base, dburl, cluster_sh, cluster_dir, apps_path = sys.argv[1:6]
apps = json.load(open(apps_path))
USERS, ROOMS, THREADS = 300, 4, 8


def sql(statement):
    out = subprocess.run(["psql", "-Atq", dburl, "-c", statement], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"SQL failed: {out.stderr.strip()}")
    return out.stdout.strip()


def call(app, method, path, body=None):
    req = urllib.request.Request(f"{base}/{app['org']}/{app['app']}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if app.get("token"):
        req.add_header("Authorization", "Bearer " + app["token"])
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except Exception as e:  # a refused or cut connection counts as a failure too
        return 599, str(e)


# Setup: users straight into the table (argon2 through the API would take minutes), rooms and
# tokens through the API.
rooms = []  # (app, room id, lock, expected members in join order: a dict used as a list)
for app in apps:
    s, body = call(app, "POST", "/token", {"grant_type": "client_credentials",
                                           "client_id": app["client_id"],
                                           "client_secret": app["client_secret"]})
    assert s == 200, body
    app["token"] = body["access_token"]
    app_id = sql(f"select id from apps where org_name = '{app['org']}' and app_name = '{app['app']}'")
    sql(f"insert into users (app, username, uuid) select '{app_id}', 'd' || g, gen_random_uuid() "
        f"from generate_series(0, {USERS - 1}) g")
    for _ in range(ROOMS):
        s, body = call(app, "POST", "/chatrooms", {"name": "drill", "description": "d",
                                                   "owner": "d0", "maxusers": 10000})
        assert s == 200, body
        rooms.append((app, body["data"]["id"], threading.Lock(), {"d0": None}))
print(f"drill: {len(apps)} apps, {len(rooms)} rooms, {len(apps) * USERS} users", flush=True)

stop = threading.Event()
stats = {"requests": 0, "bad": []}
stats_lock = threading.Lock()


def note(what, status, body):
    with stats_lock:
        stats["requests"] += 1
        if status >= 500 or status == 599:
            stats["bad"].append((what, status, str(body)[:200]))


def load(seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        app, rid, lock, members = rnd.choice(rooms)
        op = rnd.random()
        if op < 0.2:
            s, b = call(app, "GET", f"/chatrooms/{rid}/users?pagenum=1&pagesize=50")
            note("page", s, b)
            continue
        if op < 0.3:
            s, b = call(app, "GET", f"/users/d{rnd.randrange(USERS)}")
            note("user", s, b)
            continue
        with lock:
            if op < 0.45:  # a batch add of up to 20 non-members
                names = sorted({f"d{rnd.randrange(1, USERS)}" for _ in range(20)} - members.keys())
                if not names:
                    continue
                s, b = call(app, "POST", f"/chatrooms/{rid}/users", {"usernames": names})
                note("batch add", s, b)
                if s == 200:
                    members.update(dict.fromkeys(b["data"]["newmembers"]))
            elif op < 0.75:
                u = f"d{rnd.randrange(1, USERS)}"
                if u in members:
                    continue
                s, b = call(app, "POST", f"/chatrooms/{rid}/users/{u}")
                note("add", s, b)
                if s == 200:
                    members[u] = None
                elif s < 500:
                    stats["bad"].append(("add refused", s, str(b)[:200]))
            else:
                others = sorted(members.keys() - {"d0"})
                if not others:
                    continue
                u = rnd.choice(others)
                s, b = call(app, "DELETE", f"/chatrooms/{rid}/users/{u}")
                note("remove", s, b)
                if s == 200:
                    del members[u]
                elif s < 500:
                    stats["bad"].append(("remove refused", s, str(b)[:200]))


threads = [threading.Thread(target=load, args=(i,)) for i in range(THREADS)]
for t in threads:
    t.start()
time.sleep(10)
before = stats["requests"]
print(f"drill: load running ({before} requests in 10 s); adding worker 3", flush=True)
t0 = time.time()
subprocess.run(["bash", cluster_sh, "add-worker", cluster_dir, "3"], check=True)
sql("select citus_rebalance_start()")
while True:
    state = sql("select state from citus_rebalance_status() order by job_id desc limit 1")
    if state in ("finished", "failed", "cancelled"):
        break
    time.sleep(1)
moved = sql("select count(*) from pg_dist_background_task t join citus_rebalance_status() s "
            "on true where t.job_id = s.job_id")
took = time.time() - t0
print(f"drill: rebalance {state} in {took:.0f} s ({moved} tasks) while serving "
      f"{stats['requests'] - before} requests", flush=True)
time.sleep(5)
stop.set()
for t in threads:
    t.join()

# The checks: every room's members through the API are what the answers said, in the order they
# joined (the owner first); the counts equal the rows; every node has shards.
wrong = []
for app, rid, _, members in rooms:
    got = []
    page = 1
    while True:
        s, b = call(app, "GET", f"/chatrooms/{rid}/users?pagenum={page}&pagesize=100")
        if s != 200:
            wrong.append(f"room {rid}: members page {s}")
            break
        names = [m.get("member") or m.get("owner") for m in b["data"]]
        got.extend(names)
        if len(names) < 100:
            break
        page += 1
    if set(got) != members.keys():
        wrong.append(f"room {rid}: {len(got)} members listed, {len(members)} expected "
                     f"(missing {sorted(members.keys() - set(got))[:5]}, "
                     f"extra {sorted(set(got) - members.keys())[:5]})")
    elif got != list(members):
        wrong.append(f"room {rid}: members listed out of join order")
    s, b = call(app, "GET", f"/chatrooms/{rid}")
    if s != 200 or b["data"][0]["affiliations_count"] != len(members):
        wrong.append(f"room {rid}: affiliations_count {b['data'][0].get('affiliations_count')} "
                     f"!= {len(members)}")
counts = sql("select count(*) from rooms r where member_count <> "
             "(select count(*) from room_members m where m.app = r.app and m.room_id = r.id)")
if counts != "0":
    wrong.append(f"{counts} rooms whose member_count differs from their rows")
per_user = sql("select count(*) from user_room_counts c where n <> (select count(*) from room_members m "
               "where m.app = c.app and m.username = c.username and m.kind = c.kind)")
if per_user != "0":
    wrong.append(f"{per_user} users whose room count differs from their rows")
spread = sql("select string_agg(nodeport || ': ' || n, ', ' order by nodeport) from "
             "(select nodeport, count(*) n from citus_shards where citus_table_type = 'distributed' "
             "group by nodeport) s")
print(f"drill: shards per worker after: {spread}")
if state != "finished":
    wrong.append(f"rebalance {state}")
print(f"drill: {stats['requests']} requests, {len(stats['bad'])} failed")
for b in stats["bad"][:20]:
    print("  failed:", b)
for w in wrong:
    print("  wrong:", w)
sys.exit(1 if wrong or stats["bad"] else 0)
