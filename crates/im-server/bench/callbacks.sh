#!/usr/bin/env bash
# Event callbacks under load: what they cost on the write path, how fast events reach a local
# receiver, and how long a backlog takes to drain after the receiver was down.
#
#   bash crates/im-server/bench/callbacks.sh [SECONDS_PER_RUN] [ROUNDS] [PERF_DIR] [DOWN_SECS]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed. Builds the release
# binary and starts it on a throwaway database with 600000 users (SQL), busy chatrooms (5000
# members each, a fresh one for every run that adds to a busy room), a room for a single client,
# and 100 rooms to spread adds over; a receiver (bench/receiver.py) on loopback; one rule for
# every event to it.
#   1. Write cost: in turn, ROUNDS times, with the rule
#        off      disabled: no event is written;
#        written  enabled but paused: every change writes its events, none is sent meanwhile (the
#                 write path's own cost);
#        on       enabled, the worker delivering to the receiver meanwhile (on this one machine the
#                 worker and the receiver take CPU from the writes);
#      add one to a busy room (32 connections), batches of 60 to a busy room (32 connections), add
#      one alone (1 connection). Each line is wrk's; the ratios of the medians follow. The outbox
#      is drained between runs.
#   2. Throughput and lag: adds over the 100 rooms at full speed (32 connections) for SECONDS,
#      then until every event is delivered: events delivered a second (from the first add to the
#      last delivery), the lag p50/p99 (receipt minus the event's commit time), resident memory.
#   3. The receiver down (answering 503) for DOWN_SECS (default 60) while adds go on (8
#      connections); then back: how long until the backlog is delivered. The failures pause the
#      rule (90 within 30 s) and back off each room's retries (1 s doubling), so the drain starts
#      when the pause ends and each room's next retry comes; the bench sets callbacks.pause_secs
#      to 30 (the default, 300, would add minutes of waiting that measure nothing).
set -u
D=${1:-5}
ROUNDS=${2:-3}
PERF=$(cd "${3:-../shared/perf}" && pwd)
DOWN_SECS=${4:-60}
. "$(dirname "$0")/lib.sh"
throwaway_app bench_cb
PORT=$(free_port)
IMSERVER__SERVER__LOG_LEVEL=warn IMSERVER__LIMITS__CHATROOM_MAXUSERS_CEILING=1000000 IMSERVER__CALLBACKS__PAUSE_SECS=30 \
  "$BIN" serve --port "$PORT" --bind 127.0.0.1 >"$WORK/server.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
RPORT=$(free_port)
python3 "$here/receiver.py" "$RPORT" "$WORK/lags" "$WORK/down" &
PIDS+=($!)
BASE="http://127.0.0.1:$PORT/bench/bench"
SETUP=$(python3 - "$here" "$BASE" "$CID" "$CSEC" "$DATABASE_URL" $((ROUNDS * 6)) <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from bench_common import Bench
b = Bench(*sys.argv[2:6])
b.users(600000)
def room():
    return b.call("POST", "/chatrooms", {"name": "r", "description": "d", "owner": "u0",
                                         "maxusers": 1000000})["data"]["id"]
alone = room()
spread = ",".join(room() for _ in range(100))
busies = []
for _ in range(int(sys.argv[6])):
    r = room()
    b.fill_room("chatrooms", r, 1, 5000)
    busies.append(r)
print(f"TOKEN={b.token} ALONE={alone} SPREAD={spread} BUSIES={','.join(busies)}")
PY
) || { echo "setup failed"; tail "$WORK/server.log"; exit 3; }
eval "$SETUP"
export TOKEN
IFS=, read -r -a BUSY_ROOMS <<<"$BUSIES"
RULE=$(curl -s -X POST "$BASE/callbacks/rules" -H "Authorization: Bearer $TOKEN" \
  -d "{\"url\":\"http://127.0.0.1:$RPORT/cb\",\"enabled\":false}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
rule() { curl -sf -X PUT "$BASE/callbacks/rules/$RULE" -H "Authorization: Bearer $TOKEN" -d "{\"enabled\":$1}" >/dev/null; }
pause() { psql -q "$DATABASE_URL" -c "update callback_rules set paused_until = now() + interval '1 day'" >/dev/null; }
pending() { psql -Atq "$DATABASE_URL" -c "select count(*) from callback_deliveries"; }
drain() { # waits until the outbox is empty; prints the seconds it took
  local t0; t0=$(date +%s.%N)
  while [ "$(pending)" != 0 ]; do sleep 0.2; done
  python3 -c "print(round($(date +%s.%N) - $t0, 1))"
}
P="/bench/bench/chatrooms"
ALONE_N=1
wrkrun() { # name conns lua START [ENV=VALUE...]
  local name=$1 conns=$2 lua=$3 start=$4; shift 4
  cat "$here/wrk/$lua" "$PERF/wrk/report.lua" >"$WORK/s.lua"
  env "$@" START="$start" wrk -t1 -c"$conns" -d"${D}s" -s "$WORK/s.lua" "http://127.0.0.1:$PORT" 2>&1 |
    grep RESULT >"$WORK/last"
  echo "$name $(cat "$WORK/last")"
}
RESULTS="$WORK/results"
echo "# 1. write cost, rule off / written / on, $ROUNDS rounds of ${D}s"
b=0
for r in $(seq "$ROUNDS"); do
  for state in off written on; do
    case $state in off) rule false ;; written) rule true; pause ;; on) rule true ;; esac
    psql -q "$DATABASE_URL" -c checkpoint >/dev/null 2>&1
    wrkrun "add_one_busy_$state" 32 seq_from.lua 5001 METHOD=POST ROOM_PATH="$P/${BUSY_ROOMS[$b]}" | tee -a "$RESULTS"
    b=$((b + 1))
    wrkrun "batch_60_busy_$state" 32 batch_from.lua 5001 ROOM_PATH="$P/${BUSY_ROOMS[$b]}" | tee -a "$RESULTS"
    b=$((b + 1))
    wrkrun "add_one_alone_$state" 1 seq_from.lua "$ALONE_N" METHOD=POST ROOM_PATH="$P/$ALONE" | tee -a "$RESULTS"
    ALONE_N=$((ALONE_N + $(sed -nE 's/.*total=([0-9]+).*/\1/p' "$WORK/last") + 10))
    rule true
    drain >/dev/null
  done
done
grep -q 'non2xx=[1-9]' "$RESULTS" && echo "# WARNING: some runs had answers other than 2xx (see non2xx)"
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name = line.split()[0]
    rps = float(re.search(r"rps=([0-9.]+)", line).group(1))
    p50 = float(re.search(r"p50_ms=([0-9.]+)", line).group(1))
    runs.setdefault(name, []).append((rps, p50))
med = lambda name, k: statistics.median(run[k] for run in runs[name])
for base in ("add_one_busy", "batch_60_busy", "add_one_alone"):
    for state in ("written", "on"):
        r = med(f"{base}_{state}", 0) / med(f"{base}_off", 0)
        p = med(f"{base}_{state}", 1) / med(f"{base}_off", 1)
        print(f"{base}: {state} / off: rps {r:.3f}, p50 {p:.3f}")
PY

echo "# 2. throughput and lag: adds over 100 rooms at full speed for ${D}s"
rule true
: >"$WORK/lags"
t0=$(date +%s.%N)
wrkrun adds_over_100_rooms 32 rooms_from.lua 1 ROOMS_PATH="$P" ROOMS="$SPREAD"
made=$(psql -Atq "$DATABASE_URL" -c "select count(*) from room_members m join rooms r on r.app = m.app and r.id = m.room_id where r.id in ($SPREAD) and m.role <> 2")
drain >/dev/null
t1=$(date +%s.%N)
python3 - "$WORK/lags" "$t0" "$t1" "$made" <<'PY'
import sys
lags = sorted(float(l.split()[0]) for l in open(sys.argv[1]) if l.strip())
secs = float(sys.argv[3]) - float(sys.argv[2])
n = len(lags)
print(f"events delivered: {n} (adds made: {sys.argv[4]}) in {secs:.1f} s: {n / secs:.0f}/s; "
      f"lag p50 {lags[n // 2]:.0f} ms, p99 {lags[int(n * 0.99)]:.0f} ms, max {lags[-1]:.0f} ms")
PY
echo "server resident memory: $(awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/$SPID/status)"

echo "# 3. the receiver down for ${DOWN_SECS}s while adds go on"
touch "$WORK/down"
D=$DOWN_SECS wrkrun adds_while_down 8 rooms_from.lua 200001 ROOMS_PATH="$P" ROOMS="$SPREAD"
echo "backlog: $(pending) deliveries; server resident memory: $(awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/$SPID/status)"
rm -f "$WORK/down"
echo "# receiver back: drained in $(drain) s"
echo "server resident memory: $(awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/$SPID/status)"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^callback_(deliveries_total|backlog)' | sed 's/^/# /'
