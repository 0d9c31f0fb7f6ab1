#!/usr/bin/env bash
# Groups at scale, next to this machine's ceilings measured in the same run.
#
#   bash crates/im-server/bench/groups.sh [SECONDS_PER_RUN] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed. PERF_DIR (default
# ../shared/perf) holds the ceiling server and wrk reporter that `measure.sh` uses: actix alone,
# actix + sqlx doing the same room-row-plus-page SQL, and pgbench doing the bare add-member
# transaction. Builds the release binary, starts it on a throwaway database, then:
#   - 260000 users inserted in SQL (argon2 through the API would take hours), `hub` among them;
#   - a group of 1000 and one of 100000 members, filled with batch adds of 60 (fill time printed);
#   - `hub` in 10000 groups;
#   - wrk (1 thread, 32 connections) on member pages (both forms, first and deep), details, the
#     user's joined groups (first and last page), add one, remove one, a batch of 60;
#   - the ceilings, and each figure's ratio to the closest one.
set -u
D=${1:-8}
PERF=$(cd "${2:-../shared/perf}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}
cargo build --release --bins -q >&2 || exit 3
BIN=$(pwd)/target/release/imserver
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)"; exit 3; }
export CEIL_TARGET=${CEIL_TARGET:-${TMPDIR:-/tmp}/imserver-perf-ceiling}
CEIL=$CEIL_TARGET/release/ceiling
[ -x "$CEIL" ] || cargo build --release -q --manifest-path "$PERF/ceiling/Cargo.toml" --target-dir "$CEIL_TARGET" || exit 3
DB=bench_groups_$(date +%s)_$$
export DATABASE_URL="$PGBASE/$DB"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CPORT=$((PORT+1))
LOG=$(mktemp)
cleanup() {
  [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  [ -n "${CPID:-}" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
  psql -q "$PGBASE/postgres" -c "drop database if exists $DB with (force)" >/dev/null 2>&1
  rm -f "$LOG"
}
trap cleanup EXIT
"$BIN" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 3; }
read -r ORG APP CID CSEC < <("$BIN" app create --org bench --app bench --json 2>/dev/null | python3 -c '
import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d["org"],d["app"],d["client_id"],d["client_secret"])')
IMSERVER__LIMITS__GROUP_MAXUSERS_CEILING=200000 IMSERVER__SERVER__LOG_LEVEL=warn \
  "$BIN" serve --port "$PORT" --bind 127.0.0.1 >"$LOG" 2>&1 &
SPID=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
BASE="http://127.0.0.1:$PORT/$ORG/$APP"
# Users: u0..u59 own the groups; pu1..pu99999 fill the big group, pu150001..pu150999 the small
# one; the write runs add pu100000.. / pu120000.. (big) and pu160000.. / pu170000.. (small).
SETUP=$(python3 "$here/groups_setup.py" "$BASE" "$CID" "$CSEC" "$DATABASE_URL") || { echo "setup failed"; tail "$LOG"; exit 3; }
eval "$SETUP"
export TOKEN
psql -q "$DATABASE_URL" -c "analyze" >/dev/null
run() { # name url [env...]
  local name=$1 url=$2; shift 2
  echo "$name $(env "$@" wrk -t1 -c32 -d"${D}s" -s /tmp/bench_auth.lua "$url" 2>&1 | grep RESULT)"
}
script() { # name lua [env...]
  local name=$1 lua=$2; shift 2
  cat "$here/wrk/$lua" "$PERF/wrk/report.lua" > /tmp/bench_script.lua
  echo "$name $(env "$@" wrk -t1 -c32 -d"${D}s" -s /tmp/bench_script.lua "http://127.0.0.1:$PORT" 2>&1 | grep RESULT)"
}
cat "$PERF/wrk/auth.lua" "$PERF/wrk/report.lua" > /tmp/bench_auth.lua
RESULTS=$(mktemp)
G="$BASE/chatgroups"
P="/$ORG/$APP/chatgroups"
{
for size in 1000 100000; do
  if [ $size = 1000 ]; then id=$G1K; deep=$CUR1K; last=10; else id=$G100K; deep=$CUR100K; last=1000; fi
  run "page_v3_first_$size" "$G/$id/users?version=v3&limit=100"
  run "page_v3_deep_$size" "$G/$id/users?version=v3&limit=100&cursor=$deep"
  run "page_legacy_first_$size" "$G/$id/users?pagenum=1&pagesize=100"
  run "page_legacy_deep_$size" "$G/$id/users?pagenum=$last&pagesize=100"
  run "details_$size" "$G/$id"
done
run joined_first_of_10000 "$BASE/users/hub/joined_chatgroups?pagenum=1&pagesize=20"
run joined_last_of_10000 "$BASE/users/hub/joined_chatgroups?pagenum=500&pagesize=20"
script add_one_1000 seq_from.lua METHOD=POST ROOM_PATH="$P/$G1K" START=160000
script add_one_100000 seq_from.lua METHOD=POST ROOM_PATH="$P/$G100K" START=100000
script remove_one_1000 seq_from.lua METHOD=DELETE ROOM_PATH="$P/$G1K" START=160000
script remove_one_100000 seq_from.lua METHOD=DELETE ROOM_PATH="$P/$G100K" START=1
script batch_60_1000 batch_from.lua ROOM_PATH="$P/$G1K" START=170000
script batch_60_100000 batch_from.lua ROOM_PATH="$P/$G100K" START=120000
} | tee "$RESULTS"
RSS=$(ps -o rss= -p "$SPID" | awk '{print int($1/1024)}')
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
DATABASE_URL="$DATABASE_URL" APP_UUID="$APPUUID" "$CEIL" "$CPORT" >/dev/null 2>&1 & CPID=$!
sleep 1
ceil() { wrk -t1 -c32 -d"${D}s" -s "$PERF/wrk/report.lua" "http://127.0.0.1:$CPORT$1" 2>&1 | grep RESULT; }
HTTPC=$(ceil /x)
STACK1K=$(ceil "/db/members/$G1K")
STACK100K=$(ceil "/db/members/$G100K")
kill "$CPID"; wait "$CPID" 2>/dev/null; CPID=
cat > /tmp/bench_add.sql <<SQL
\set n random(200001, 260000)
begin;
select 1 from users where app = '$APPUUID' and username = 'pu' || :n for share;
select member_count, maxusers from rooms where app = '$APPUUID' and id = $G100K for update;
insert into room_members (app, room_id, username, kind) values ('$APPUUID', $G100K, 'pu' || :n, 'group') on conflict do nothing;
update rooms set member_count = member_count + 1 where app = '$APPUUID' and id = $G100K;
commit;
SQL
ADDC=$(pgbench -n -M prepared -c 16 -j 2 -T "$D" -f /tmp/bench_add.sql "$DATABASE_URL" 2>&1 | awk '/^tps/ {print int($3)}')
echo "ceiling_http $HTTPC"
echo "ceiling_stack_room_plus_page_1000 $STACK1K"
echo "ceiling_stack_room_plus_page_100000 $STACK100K"
echo "ceiling_db_add_member_tx tps=$ADDC"
echo "rss_after_load_mb $RSS"
echo "$FILL"
python3 - "$RESULTS" "$HTTPC" "$STACK1K" "$STACK100K" "$ADDC" <<'PY'
import re, sys
rps = lambda s: float(re.search(r"rps=(\d+)", s).group(1)) if re.search(r"rps=(\d+)", s) else 1.0
res, http, s1k, s100k, add = sys.argv[1], rps(sys.argv[2]), rps(sys.argv[3]), rps(sys.argv[4]), float(sys.argv[5] or 1)
for line in open(res):
    m = re.match(r"(\S+) RESULT rps=(\d+)", line)
    if not m: continue
    name, r = m.group(1), float(m.group(2))
    if name.startswith(("add_", "remove_", "batch_")): c = min(http, add)
    elif name.endswith("_100000"): c = s100k
    else: c = s1k
    print(f"ratio {name:26s} {r:8.0f} / {c:8.0f} = {r / c:5.2f}")
PY
