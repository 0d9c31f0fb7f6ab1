# Shared by the bench scripts: build, a throwaway database, the release server, wrk runs, and the
# ceilings of the shared perf directory measured in the same run. Source it, then call
# bench_start [ENV=VALUE...] after setting D (seconds per run) and PERF (the perf directory).
#
# Every read measured with `run` is followed at once by its same-SQL ceiling: the ceiling server
# running the very statements imserver ran for one such request, with the same parameters, in
# the same state of the database (see same_sql_start).
#
# BENCH_KEEP=DIR keeps the throwaway database, and puts the server's log and the captured
# statements in DIR, for a look afterwards.
#
# BENCH_EXPLAIN=5ms (PostgreSQL superuser only) logs, for the throwaway database alone, every
# statement slower than that with its plan as run (auto_explain, nested statements included:
# trigger bodies and foreign-key cascades), and lock waits over 10 ms, to the server's log
# (`psql -c 'show data_directory'`, or /var/log/postgresql on Debian). Nothing global changes.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# For the scripts that start their own servers (no ceilings): the release binary in BIN, a
# throwaway database named PREFIX_… in DATABASE_URL with the schema and the app bench/bench (CID,
# CSEC), a scratch directory WORK; at exit the processes in PIDS stop, the database is dropped and
# WORK removed.
throwaway_app() { # PREFIX
  command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)"; exit 3; }
  cargo build --release --bins -q || exit 3
  BIN=$(pwd)/target/release/imserver
  DB=$1_$(date +%s)_$$
  export DATABASE_URL="$PGBASE/$DB"
  WORK=$(mktemp -d)
  PIDS=()
  trap throwaway_cleanup EXIT
  "$BIN" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 3; }
  read -r CID CSEC < <("$BIN" app create --org bench --app bench --json 2>/dev/null |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["client_id"], d["client_secret"])')
}

throwaway_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  psql -q "$PGBASE/postgres" -c "drop database if exists $DB with (force)" >/dev/null 2>&1
  rm -rf "$WORK"
}

bench_start() { # [ENV=VALUE...] for the server
  cargo build --release --bins -q >&2 || exit 3
  BIN=$(pwd)/target/release/imserver
  command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)"; exit 3; }
  export CEIL_TARGET=${CEIL_TARGET:-${TMPDIR:-/tmp}/imserver-perf-ceiling-replay}
  CEIL=$CEIL_TARGET/release/ceiling
  cargo build --release -q --manifest-path "$(ceiling_source)/Cargo.toml" --target-dir "$CEIL_TARGET" || exit 3
  DB=bench_$(date +%s)_$$
  export DATABASE_URL="$PGBASE/$DB"
  PORT=$(free_port)
  CPORT=$(free_port)
  LOG=$(mktemp)
  trap bench_cleanup EXIT
  "$BIN" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 3; }
  [ -n "${BENCH_EXPLAIN:-}" ] && bench_explain "$BENCH_EXPLAIN"
  read -r ORG APP CID CSEC < <("$BIN" app create --org bench --app bench --json 2>/dev/null | python3 -c '
import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d["org"],d["app"],d["client_id"],d["client_secret"])')
  env IMSERVER__SERVER__LOG_LEVEL=warn "$@" "$BIN" serve --port "$PORT" --bind 127.0.0.1 >"$LOG" 2>&1 &
  SPID=$!
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
  BASE="http://127.0.0.1:$PORT/$ORG/$APP"
  cat "$PERF/wrk/auth.lua" "$PERF/wrk/report.lua" > /tmp/bench_auth_$$.lua
  same_sql_start "$@"
}

# The same-SQL ceilings. A second imserver (same binary, same settings, port XPORT, idle but for
# the captures) connects as the role imserver_capture, whose statements PostgreSQL logs on the
# throwaway database alone (log_statement = all); the measured server logs nothing. Before each
# read, `run` sends its request to that second server twice and keeps the statements of the
# second request (the first fills caches: an app's secret, say) from PostgreSQL's log
# (capture.py). After the read, the ceiling server (RPORT) runs them again (ceiling/replay.rs).
# Needs a superuser and PostgreSQL's log in BENCH_PGLOG (default: Debian's place for it);
# without them the same-SQL ceilings are left out, and said so.
same_sql_start() { # [ENV=VALUE...] for the server
  PGLOG=${BENCH_PGLOG:-/var/log/postgresql/postgresql-15-main.log}
  REPLAY_DIR=$(mktemp -d)
  [ -r "$PGLOG" ] || { echo "# no same-SQL ceilings: PostgreSQL's log $PGLOG cannot be read (BENCH_PGLOG)" >&2; return; }
  psql -q "$DATABASE_URL" >/dev/null 2>&1 <<SQL || { echo "# no same-SQL ceilings: they need a superuser" >&2; return; }
do \$\$ begin
  execute format('create role imserver_capture login in role %I', current_user);
exception when duplicate_object then null;
end \$\$;
alter role imserver_capture in database $DB set log_statement = 'all';
SQL
  local url
  url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1])
print(p._replace(netloc="imserver_capture@" + p.netloc.rpartition("@")[2]).geturl())' "$DATABASE_URL")
  XPORT=$(free_port) RPORT=$(free_port)
  # Without the statistics keeper, whose statements would otherwise land among a request's.
  env IMSERVER__SERVER__LOG_LEVEL=warn "$@" IMSERVER__DATABASE__MAX_CONNECTIONS=4 \
    IMSERVER__DATABASE__ANALYZE_INTERVAL_SECS=0 DATABASE_URL="$url" \
    "$BIN" serve --port "$XPORT" --bind 127.0.0.1 >/dev/null 2>&1 &
  XPID=$!
  # As many connections as the measured server has (its /metrics says).
  local pool
  pool=$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -nE 's/^db_pool_connections\{state="max"\} ([0-9]+)$/\1/p')
  REPLAY_POOL=${pool:-20} REPLAY_DIR="$REPLAY_DIR" REPLAY_DATABASE_URL="$DATABASE_URL" \
    "$CEIL" "$RPORT" >/dev/null 2>&1 &
  RPID=$!
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$XPORT/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$XPORT/ready" >/dev/null && curl -sf "http://127.0.0.1:$RPORT/x" >/dev/null ||
    { echo "# no same-SQL ceilings: the capturing server or the ceiling did not start" >&2; return; }
  SAME_SQL=1
}

# The statements of one request of a read into $REPLAY_DIR/NAME.json (see same_sql_start).
same_sql_capture() { # name url [ENV=VALUE...]
  local name=$1 url=${2/:$PORT\//:$XPORT/}; shift 2
  python3 - "$REPLAY_DIR/$name.json" "$PGLOG" "$DB" "$here/capture.py" "$TOKEN" "$url" "$@" <<'PY'
import json, os, subprocess, sys, time, urllib.request
out, pglog, db, capture, token, url, *env = sys.argv[1:]
env = dict(e.split("=", 1) for e in env)
def send():
    req = urllib.request.Request(url, method=env.get("METHOD", "GET"),
                                 data=env["BODY"].encode() if "BODY" in env else None)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req).read()
send()
time.sleep(0.2)
start = os.path.getsize(pglog)
send()
time.sleep(0.2)
statements = json.loads(subprocess.check_output(["python3", capture, pglog, str(start), db, "imserver_capture"]))
json.dump(statements, open(out, "w"))
for st in statements:
    print(f"# {os.path.basename(out)[:-5]}:  {' '.join(st['sql'].split())[:150]}  {st['params']}"[:250], file=sys.stderr)
PY
}

# The ceiling server's source: a copy of the shared one with two changes.
#   - Its page statement says `pos >= 0`, as imserver's does (the member-order index is partial
#     on it, see the migration lookups_take_the_primary_key); without it the statement cannot use
#     that index and sorts the room instead.
#   - It serves the same-SQL ceilings, /db/replay/NAME (ceiling/replay.rs).
# The copy is only rewritten where it changed, so that an unchanged ceiling is not rebuilt.
ceiling_source() {
  local src=$PERF/ceiling copy=${TMPDIR:-/tmp}/imserver-perf-ceiling-src stage f
  stage=$(mktemp -d)
  cp -r "$src/Cargo.toml" "$src/src" "$stage"/
  [ -f "$src/Cargo.lock" ] && cp "$src/Cargo.lock" "$stage"/
  grep -q "pos >= 0" "$stage/src/main.rs" ||
    sed -i 's/and room_id = \$2 order by pos/and room_id = $2 and pos >= 0 order by pos/' "$stage/src/main.rs"
  grep -q "pos >= 0" "$stage/src/main.rs" || { echo "the ceiling's page statement changed: check it" >&2; exit 3; }
  cp "$here/ceiling/replay.rs" "$stage/src/"
  sed -i -e '1i mod replay;' \
    -e 's/^\( *\)HttpServer::new(move || {/\1let replays = replay::configure()?;\n&/' \
    -e 's/let app = App::new();/let app = match \&replays { Some(r) => App::new().app_data(r.clone()).route("\/db\/replay\/{name}", web::get().to(replay::run)), None => App::new() };/' \
    "$stage/src/main.rs"
  grep -q "replay::run" "$stage/src/main.rs" && grep -q "replay::configure" "$stage/src/main.rs" ||
    { echo "the ceiling's main.rs changed: check ceiling_source" >&2; exit 3; }
  grep -q "serde_json" "$stage/Cargo.toml" || { echo "the ceiling lost serde_json" >&2; exit 3; }
  mkdir -p "$copy/src"
  (cd "$stage" && find . -type f) | while read -r f; do
    cmp -s "$stage/$f" "$copy/$f" || cp "$stage/$f" "$copy/$f"
  done
  rm -rf "$stage"
  echo "$copy"
}

bench_explain() { # min_duration: auto_explain and lock waits for new sessions of $DB
  local s
  for s in "session_preload_libraries = 'auto_explain'" "auto_explain.log_min_duration = '$1'" \
           "auto_explain.log_analyze = on" "auto_explain.log_nested_statements = on" \
           "auto_explain.log_buffers = on" "log_min_duration_statement = '$1'" \
           "log_lock_waits = on" "deadlock_timeout = '10ms'"; do
    psql -q "$DATABASE_URL" -c "alter database $DB set $s" >/dev/null || { echo "BENCH_EXPLAIN needs a superuser"; exit 3; }
  done
}

# 5000 other rooms of the app, so that no plan gets to rely on a rooms table of a few rows (a
# generic plan that reads such a table whole looks cheapest, and spares the planning a real one
# pays).
bench_other_rooms() { # app_uuid
  psql -q "$DATABASE_URL" -c "insert into rooms (app, kind, name, owner, maxusers)
    select '$1', k, 'other', 'u0', 10 from generate_series(1, 2500), unnest('{chatroom,group}'::text[]) k" >/dev/null
}

# A checkpoint, so that writing out the pages earlier steps dirtied does not happen during (and
# slow) the measured run that follows. Without the right to checkpoint, says so once.
bench_checkpoint() {
  psql -q "$DATABASE_URL" -c "checkpoint" >/dev/null 2>&1 && return
  [ -n "${NO_CHECKPOINT_SAID:-}" ] ||
    echo "# no checkpoints before the runs (they need a superuser or pg_checkpoint)" >&2
  NO_CHECKPOINT_SAID=1
}

# After a setup: fresh statistics, then a checkpoint.
bench_settle() {
  psql -q "$DATABASE_URL" -c "analyze" >/dev/null
  bench_checkpoint
}

# Turns autovacuum (and so auto-analyze) off on tables of the throwaway database, so that a
# figure measured on stale statistics stays so for the whole run.
bench_autovacuum_off() { # table...
  local t
  for t in "$@"; do psql -q "$DATABASE_URL" -c "alter table $t set (autovacuum_enabled = off)" >/dev/null; done
}

bench_cleanup() {
  local p
  for p in "${SPID:-}" "${CPID:-}" "${XPID:-}" "${RPID:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP" && cp "$REPLAY_DIR"/*.json "$BENCH_KEEP"/ 2>/dev/null
    cp "$LOG" "$BENCH_KEEP/server.log"
    echo "# kept: database $DB, the server's log and the captured statements in $BENCH_KEEP"
  else
    psql -q "$PGBASE/postgres" -c "drop database if exists $DB with (force)" >/dev/null 2>&1
    [ -n "${SAME_SQL:-}" ] && psql -q "$PGBASE/postgres" -c "drop role if exists imserver_capture" >/dev/null 2>&1
  fi
  rm -rf "$LOG" "${REPLAY_DIR:-}" /tmp/bench_auth_$$.lua /tmp/bench_script_$$.lua
}

# CONNS (default 32): wrk's connections. A read is followed by its same-SQL ceiling. Each is
# measured after a one-second warm-up on the same URL (not counted), so that its figures are the
# steady state's, not those of every connection preparing the read's statement once. Before it,
# a checkpoint writes out what earlier steps left dirty, so that no checkpoint of theirs lands in
# the read's run (a write that stalls on the disk shows up as the read's tail).
run() { # name url [ENV=VALUE...]: GET (or $METHOD/$BODY) with the app token
  local name=$1 url=$2; shift 2
  [ -n "${SAME_SQL:-}" ] && same_sql_capture "$name" "$url" "$@"
  bench_checkpoint
  env "$@" wrk -t1 -c"${CONNS:-32}" -d1s -s /tmp/bench_auth_$$.lua "$url" >/dev/null 2>&1
  local result
  result="$name $(env "$@" wrk -t1 -c"${CONNS:-32}" -d"${D}s" -s /tmp/bench_auth_$$.lua "$url" 2>&1 | grep RESULT)"
  echo "$result"
  non2xx_statuses "$result"
  [ -s "${REPLAY_DIR:-}/$name.json" ] || return 0
  local replay="http://127.0.0.1:$RPORT/db/replay/$name" answer
  answer=$(curl -s -w ' %{http_code}' "$replay")
  [ "${answer##* }" = 200 ] || { echo "# $name: the same-SQL ceiling failed: ${answer:0:300}" >&2; return 0; }
  wrk -t1 -c"${CONNS:-32}" -d1s "$replay" >/dev/null 2>&1
  echo "ceiling_same_sql_$name $(wrk -t1 -c"${CONNS:-32}" -d"${D}s" -s "$PERF/wrk/report.lua" "$replay" 2>&1 | grep RESULT)"
}

script() { # name lua [ENV=VALUE...]: a request script of bench/wrk
  local name=$1 lua=$2; shift 2
  cat "$here/wrk/$lua" "$PERF/wrk/report.lua" > /tmp/bench_script_$$.lua
  local result
  result="$name $(env "$@" wrk -t1 -c"${CONNS:-32}" -d"${D}s" -s /tmp/bench_script_$$.lua "http://127.0.0.1:$PORT" 2>&1 | grep RESULT)"
  echo "$result"
  non2xx_statuses "$result"
}

# The p50 of a RESULT line, and the ratio of two lines' p50.
p50() { sed -nE 's/.*p50_ms=([0-9.]+).*/\1/p' <<<"$1"; }
p50_ratio() { python3 -c "print(round($(p50 "$1") / $(p50 "$2"), 2))"; }

# After a run with answers other than 2xx: which statuses, by route, the server has answered so
# far (its /metrics), and the warnings in its log (a 503 says why there), as comment lines.
non2xx_statuses() { # result line
  [[ "$1" =~ non2xx=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" != 0 ] || return 0
  curl -s "http://127.0.0.1:$PORT/metrics" | grep '^http_requests_total{' | grep -v 'status="2' |
    sed 's/^/# so far: /' >&2
  grep -E 'WARN|ERROR' "$LOG" | tail -5 | cut -c1-300 | sed 's/^/# server log: /' >&2
}

# Stops the server, then measures the ceilings: ceiling_http, ceiling_room_plus_page_LABEL for
# each LABEL=ROOM_ID given (actix + sqlx reading the room row and a 100-member page), and
# ceiling_db_add_member_tx (pgbench: lock a user, lock the room, insert, bump the count, commit)
# on the first room (or the room CEIL_ADD_ROOM), for users puFROM..puTO. With CEIL_PK_USER=NAME
# also ceiling_pk_select: actix + sqlx selecting that user by primary key (`/db/user/NAME`).
bench_ceilings() { # app_uuid from to label=room...
  local appuuid=$1 from=$2 to=$3; shift 3
  local first=${CEIL_ADD_ROOM:-${1#*=}}
  RSS=$(ps -o rss= -p "$SPID" | awk '{print int($1/1024)}')
  local p
  for p in "$SPID" "${XPID:-}" "${RPID:-}"; do [ -n "$p" ] && kill "$p" && wait "$p" 2>/dev/null; done
  SPID= XPID= RPID=
  local clog
  clog=$(mktemp)
  DATABASE_URL="$DATABASE_URL" APP_UUID="$appuuid" "$CEIL" "$CPORT" >"$clog" 2>&1 & CPID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$CPORT/x" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$CPORT/x" >/dev/null || { echo "the ceiling server did not start:"; cat "$clog"; }
  rm -f "$clog"
  local ceil="wrk -t1 -c32 -d${D}s -s $PERF/wrk/report.lua http://127.0.0.1:$CPORT"
  echo "ceiling_http $($ceil/x 2>&1 | grep RESULT)"
  [ -n "${CEIL_PK_USER:-}" ] && echo "ceiling_pk_select $($ceil/db/user/$CEIL_PK_USER 2>&1 | grep RESULT)"
  for pair in "$@"; do
    echo "ceiling_room_plus_page_${pair%%=*} $($ceil/db/members/${pair#*=} 2>&1 | grep RESULT)"
  done
  kill "$CPID"; wait "$CPID" 2>/dev/null; CPID=
  cat > /tmp/bench_add_$$.sql <<SQL
\set n random($from, $to)
begin;
select 1 from users where app = '$appuuid' and username = 'pu' || :n for share;
select member_count, maxusers from rooms where app = '$appuuid' and id = $first for update;
insert into room_members (app, room_id, username, kind) select app, id, 'pu' || :n, kind from rooms where app = '$appuuid' and id = $first on conflict do nothing;
update rooms set member_count = member_count + 1 where app = '$appuuid' and id = $first;
commit;
SQL
  echo "ceiling_db_add_member_tx tps=$(pgbench -n -M prepared -c 16 -j 2 -T "$D" -f /tmp/bench_add_$$.sql "$DATABASE_URL" 2>&1 | awk '/^tps/ {print int($3)}')"
  rm -f /tmp/bench_add_$$.sql
  echo "rss_after_load_mb $RSS"
}

# Each result line of file $1 with its ratio to a ceiling of file $2: writes (names starting
# add_/remove_/batch_/create/join_/kick_) against min(http, add tx); get_user… and token… against
# the one-PK-select ceiling when measured; other reads against their same-SQL ceiling when
# captured (the room ceiling's ratio beside it), else the room ceiling whose label ends the name
# (`…_LABEL`), else the first room ceiling.
bench_ratios() {
  python3 - "$1" "$2" <<'PY'
import re, sys
rps = lambda s: float(m.group(1)) if (m := re.search(r"(?:rps|tps)=(\d+)", s)) else None
ceil = {}
for line in open(sys.argv[1]).readlines() + open(sys.argv[2]).readlines():
    name, _, rest = line.partition(" ")
    if name.startswith("ceiling_") and rps(rest) is not None: ceil[name] = rps(rest)
rooms = [k for k in ceil if k.startswith("ceiling_room_plus_page_")] or ["none"]
write = min(ceil.get("ceiling_http", 1), ceil.get("ceiling_db_add_member_tx", 1))
for line in open(sys.argv[1]):
    name, _, rest = line.partition(" ")
    r = rps(rest)
    if r is None or name.startswith("ceiling_"): continue
    if name.startswith(("add_", "remove_", "batch_", "create", "join_", "kick_")): c, what = write, "write"
    elif name.startswith(("get_user", "token")) and "ceiling_pk_select" in ceil:
        c, what = ceil["ceiling_pk_select"], "ceiling_pk_select"
    else:
        key = "ceiling_room_plus_page_" + name.rsplit("_", 1)[-1]
        key = key if key in ceil else rooms[0]
        c, what = ceil.get(key, 1), key
        if "ceiling_same_sql_" + name in ceil:
            what = f"same SQL; {r / c:.2f} of {key}"
            c = ceil["ceiling_same_sql_" + name]
    print(f"ratio {name:34s} {r:8.0f} / {c:8.0f} = {r / c:5.2f}  ({what})")
PY
}
