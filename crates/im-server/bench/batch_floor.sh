#!/usr/bin/env bash
# What a batch add of 60 costs next to one add, and how much of it PostgreSQL's per-row work
# decides: the floor under the target "a batch of 60 costs at most twice one add".
#
#   bash crates/im-server/bench/batch_floor.sh [SECONDS_PER_RUN] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 as a superuser (the statements are
# captured from PostgreSQL's log, see lib.sh) and wrk installed. Builds the release binary, starts
# it on a throwaway database with 600000 users, then:
#   - through HTTP, one client: add one member at a time to a room, then batches of 60 to another
#     (p50 of each and their ratio, as hot.sh measures it);
#   - captures the statements the server runs for one add and for one batch of 60 (as they reach
#     PostgreSQL, parameters inlined; the names become a range that pgbench advances);
#   - runs them with pgbench, one client, one add against one batch, on the same database:
#       full        every statement of the request (lock the users, lock the room, read each
#                   name's facts, insert the rows and the count, commit);
#       write       only the transaction that writes (begin, insert the rows and the count, commit);
#     each with the schema as it is, then without the foreign keys of the memberships and of the
#     per-user counters, then also without the trigger that keeps those counters: what the
#     integrity checks cost, and what is left without any of them.
# Each pgbench figure is its latency average; each case is run three times, after the rooms and
# counters are emptied again, and the median ratio is printed, with what each of the 59 names a
# batch has over one add costs. The throwaway database is dropped
# at the end (BENCH_KEEP=DIR keeps it).
D=${1:-5}
PERF=$(cd "${2:-../shared/perf}" && pwd)
. "$(dirname "$0")/lib.sh"
bench_start IMSERVER__LIMITS__CHATROOM_MAXUSERS_CEILING=1000000 IMSERVER__DATABASE__ANALYZE_INTERVAL_SECS=0
[ -n "${SAME_SQL:-}" ] || { echo "batch_floor needs the statement capture (see lib.sh)"; exit 3; }
SETUP=$(python3 - "$here" "$BASE" "$CID" "$CSEC" "$DATABASE_URL" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from bench_common import Bench
b = Bench(*sys.argv[2:6])
b.users(600000)
rooms = [b.call("POST", "/chatrooms", {"name": "r", "description": "d", "owner": "u0",
                                        "maxusers": 1000000})["data"]["id"] for _ in range(4)]
print(f"TOKEN={b.token} APPUUID={b.app} ONE={rooms[0]} BATCH={rooms[1]} XONE={rooms[2]} XBATCH={rooms[3]}")
PY
) || { echo "setup failed"; tail "$LOG"; exit 3; }
eval "$SETUP"
export TOKEN
bench_other_rooms "$APPUUID"
bench_settle
P="/$ORG/$APP/chatrooms"
one=$(CONNS=1 script add_one_alone seq_from.lua METHOD=POST ROOM_PATH="$P/$ONE" START=1); echo "$one"
batch=$(CONNS=1 script batch_60_alone batch_from.lua ROOM_PATH="$P/$BATCH" START=20001); echo "$batch"
echo "http batch_60_over_add_one p50_ratio=$(p50_ratio "$batch" "$one")"

# The statements of one add (to XONE) and of one batch (to XBATCH), sent to the capturing server
# after a first request of each kind (which fills its caches), as pgbench scripts: the users'
# names become `pu<lo>`..`pu<hi>`, from a sequence each transaction advances.
WORK=$(mktemp -d)
python3 - "$PGLOG" "$DB" "$here/capture.py" "$TOKEN" "http://127.0.0.1:$XPORT$P" "$XONE" "$XBATCH" "$WORK" <<'PY'
import json, os, re, subprocess, sys, time, urllib.request
pglog, db, capture, token, rooms, xone, xbatch, work = sys.argv[1:]
def add(room, names):
    req = urllib.request.Request(f"{rooms}/{room}/users", method="POST",
                                 data=json.dumps({"usernames": names}).encode())
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req).read()
def captured(room, first, second):
    add(room, first)
    time.sleep(0.2)
    start = os.path.getsize(pglog)
    add(room, second)
    time.sleep(0.2)
    return json.loads(subprocess.check_output(["python3", capture, pglog, str(start), db, "imserver_capture"]))
NAMES = "array(select 'pu' || g from generate_series(:lo::bigint, :hi::bigint) g)"
def literal(value, names):
    if value is None:
        return "null"
    if value == "{" + ",".join(names) + "}":
        return NAMES
    if value in names:
        return "('pu' || :lo::bigint)"
    return "'" + value.replace("'", "''") + "'"
def script(name, size, statements, names):
    seq = f"floor_{name}"
    lines = [f"select nextval('{seq}') * {size} as hi \\gset", f"\\set lo :hi - {size - 1}"]
    write = []
    for st in statements:
        sql = " ".join(st["sql"].split())
        if "--" in sql:
            sys.exit(f"a captured statement holds a comment: {sql[:80]}")
        # Highest first, so that $1 never eats the start of $12.
        for i in sorted(range(len(st["params"])), reverse=True):
            sql = sql.replace(f"${i + 1}", literal(st["params"][i], names))
        lines.append(sql + ";")
        if re.match(r"(?i)(begin|commit)\b", sql) or "insert into room_members" in sql:
            write.append(sql + ";")
    if not any("insert into room_members" in l for l in write):
        sys.exit(f"no membership insert among the statements of {name}: {statements}")
    open(f"{work}/full_{name}.sql", "w").write("\n".join(lines) + "\n")
    open(f"{work}/write_{name}.sql", "w").write("\n".join(lines[:2] + write) + "\n")
one = captured(xone, ["pu540001"], ["pu540002"])
batch = captured(xbatch, [f"pu{i}" for i in range(540101, 540161)], [f"pu{i}" for i in range(540161, 540221)])
script("one", 1, one, ["pu540002"])
script("batch", 60, batch, [f"pu{i}" for i in range(540161, 540221)])
print(f"# one add: {len(one)} statements, one batch: {len(batch)} statements", file=sys.stderr)
PY
[ -s "$WORK/full_batch.sql" ] || { echo "capture failed"; exit 3; }
# The servers are done: nothing else runs while pgbench measures.
for p in "$SPID" "$XPID" "$RPID"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
SPID= XPID= RPID=
psql -q "$DATABASE_URL" -c "create sequence floor_one; create sequence floor_batch" >/dev/null

# Empties the two rooms and the counters, and restarts the names: each case starts alike. The
# adds take pu550001.., the batches pu61..pu549999 (over 1800 batches a second would run out).
reset() {
  psql -q "$DATABASE_URL" -c "delete from room_members where app = '$APPUUID' and room_id in ($XONE, $XBATCH) and role <> 2" \
    -c "update rooms set member_count = 1 where app = '$APPUUID' and id in ($XONE, $XBATCH)" \
    -c "delete from user_room_counts" -c "select setval('floor_one', 550000), setval('floor_batch', 1)" \
    -c "vacuum analyze room_members, user_room_counts, rooms" >/dev/null
}
# One add against one batch, three times: the median of the ratios of their latency averages.
floor_case() { # label script
  local label=$1 kind=$2 i s b ratios=()
  for i in 1 2 3; do
    reset
    s=$(PGOPTIONS="-c enable_seqscan=off -c plan_cache_mode=force_generic_plan" pgbench -n -M prepared -c1 -T"$D" \
        -f "$WORK/${kind}_one.sql" "$DATABASE_URL" 2>&1 | sed -nE 's/latency average = ([0-9.]+) ms/\1/p')
    b=$(PGOPTIONS="-c enable_seqscan=off -c plan_cache_mode=force_generic_plan" pgbench -n -M prepared -c1 -T"$D" \
        -f "$WORK/${kind}_batch.sql" "$DATABASE_URL" 2>&1 | sed -nE 's/latency average = ([0-9.]+) ms/\1/p')
    [ -n "$s" ] && [ -n "$b" ] || { echo "pgbench failed on $label $kind"; exit 3; }
    ratios+=("$(python3 -c "print(round($b / $s, 2))") $s $b")
  done
  printf '%s\n' "${ratios[@]}" | sort -n | sed -n 2p |
    { read -r r s b; echo "floor $label $kind one_ms=$s batch_60_ms=$b ratio=$r" \
        "per_extra_name_us=$(python3 -c "print(round(($b - $s) / 59 * 1000, 1))")"; }
}
floor_case integrity full
floor_case integrity write
psql -q "$DATABASE_URL" -c "alter table room_members drop constraint room_members_room_fkey, drop constraint room_members_user_fkey" \
  -c "alter table user_room_counts drop constraint user_room_counts_user_fkey" >/dev/null
floor_case no_foreign_keys full
floor_case no_foreign_keys write
psql -q "$DATABASE_URL" -c "alter table room_members disable trigger room_members_counted_in" >/dev/null
floor_case no_foreign_keys_no_counter full
floor_case no_foreign_keys_no_counter write
rm -rf "$WORK"
