#!/usr/bin/env bash
# What the rate-limit check costs on `GET /users/{u}` when limits are configured but not reached.
#
#   bash crates/im-server/bench/rate_limits.sh [SECONDS_PER_RUN] [ROUNDS] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed. Builds the release
# binary and starts two servers on one throwaway database: `off` with no limit anywhere (the
# check returns at once) and `on` with rate_limits.default far above what the machine can serve
# (every request goes through its bucket: the operation lookup, the limit lookup and the atomic
# update). Runs wrk (1 thread, 32 connections) on each in turn, ROUNDS times (default 4), after a
# one-second warm-up each, and prints every run, the medians, their ratio, and each server's
# resident memory after the load. Compare the ratio, not the figures (the machine is shared).
set -u
D=${1:-5}
ROUNDS=${2:-4}
PERF=$(cd "${3:-../shared/perf}" && pwd)
. "$(dirname "$0")/lib.sh"
throwaway_app bench_rl
LUA=$WORK/auth.lua
cat "$PERF/wrk/auth.lua" "$PERF/wrk/report.lua" >"$LUA"

declare -A PORT
start() { # name [ENV=VALUE...]
  local name=$1; shift
  PORT[$name]=$(free_port)
  env IMSERVER__SERVER__LOG_LEVEL=warn "$@" "$BIN" serve --port "${PORT[$name]}" --bind 127.0.0.1 >/dev/null 2>&1 &
  PIDS+=($!)
  eval "PID_$name=$!"
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:${PORT[$name]}/ready" >/dev/null && return; sleep 0.5; done
  echo "$name did not start"; exit 3
}
start off
start on IMSERVER__RATE_LIMITS__DEFAULT=1000000000

BASE="http://127.0.0.1:${PORT[off]}/bench/bench"
TOKEN=$(curl -s -X POST "$BASE/token" \
  -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$CID\",\"client_secret\":\"$CSEC\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export TOKEN
curl -sf -X POST "$BASE/users" -H "Authorization: Bearer $TOKEN" -d '{"username":"u1","password":"pw"}' >/dev/null

RESULTS=$WORK/results
for r in $(seq "$ROUNDS"); do
  for name in off on; do
    url="http://127.0.0.1:${PORT[$name]}/bench/bench/users/u1"
    wrk -t1 -c32 -d1s -s "$LUA" "$url" >/dev/null 2>&1
    line="$name $(wrk -t1 -c32 -d"${D}s" -s "$LUA" "$url" 2>&1 | grep RESULT)"
    echo "round $r: $line"
    echo "$line" >>"$RESULTS"
  done
done
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$1/status"; }
echo "resident memory: off $(rss "$PID_off"), on $(rss "$PID_on")"
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
runs = {"off": [], "on": []}
for line in open(sys.argv[1]):
    name = line.split()[0]
    rps = float(re.search(r"rps=([0-9.]+)", line).group(1))
    p50 = float(re.search(r"p50_ms=([0-9.]+)", line).group(1))
    non2xx = int(re.search(r"non2xx=([0-9]+)", line).group(1))
    assert non2xx == 0, line
    runs[name].append((rps, p50))
med = {k: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v)) for k, v in runs.items()}
for k, (rps, p50) in med.items():
    print(f"median {k}: rps={rps:.0f} p50_ms={p50:.2f}")
print(f"limits on / off: rps {med['on'][0] / med['off'][0]:.3f}, p50 {med['on'][1] / med['off'][1]:.3f}")
PY
rm -f "$RESULTS"
