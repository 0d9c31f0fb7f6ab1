#!/usr/bin/env bash
# The rebalance drill: imserver on a Citus cluster of a coordinator and two workers serves reads
# and writes over 12 apps (bench/citus/drill.py) while a third worker joins and
# citus_rebalance_start() moves shards to it. Passes when no request got a 5xx or a cut
# connection, every room's members are what the answers said, and the counts equal the rows.
#
#   bash crates/im-server/bench/citus/rebalance.sh [PORT]
#
# From the project root, with Citus installed (deploy/citus/build.sh). The cluster lives in a
# scratch directory on ports PORT.. (default 9720..9723) and is removed at the end. IMSERVER_BIN
# runs that imserver instead of a release build; IMSERVER_DRILL_SHARDS (default 32, Citus's own
# default) is the number of shards of each table, so of shard groups to move (.ci/citus drill
# runs the debug build over 8).
set -euo pipefail
PORT=${1:-9720}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
cluster="$root/deploy/citus/cluster.sh"
dir=$(mktemp -d /tmp/imserver-citus-drill.XXXXXX)
if [ -n "${IMSERVER_BIN:-}" ]; then
  BIN=$IMSERVER_BIN
else
  cargo build --release --bins -q
  BIN="$root/target/release/imserver"
fi
SPID=
cleanup() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  bash "$cluster" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
# Shard moves copy by logical replication.
IMSERVER_CITUS_CONF="wal_level = logical
citus.shard_count = ${IMSERVER_DRILL_SHARDS:-32}" bash "$cluster" start "$dir" 2 "$PORT"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/imserver"
"$BIN" migrate >/dev/null
apps="$dir/apps.json"
python3 - "$BIN" "$apps" <<'PY'
import json, subprocess, sys
out = []
for i in range(12):
    r = subprocess.run([sys.argv[1], "app", "create", "--org", "drill", "--app", f"a{i}", "--json"],
                       capture_output=True, text=True, check=True)
    d = json.loads(r.stdout)
    out.append({"org": "drill", "app": f"a{i}", "client_id": d["client_id"],
                "client_secret": d["client_secret"]})
json.dump(out, open(sys.argv[2], "w"))
PY
HPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
IMSERVER__SERVER__LOG_LEVEL=warn "$BIN" serve --port "$HPORT" --bind 127.0.0.1 >"$dir/server.log" 2>&1 &
SPID=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$HPORT/ready" >/dev/null && break; sleep 0.5; done
status=0
python3 "$here/drill.py" "http://127.0.0.1:$HPORT" "$DATABASE_URL" "$cluster" "$dir" "$apps" || status=$?
if grep -qiE "panic|error" "$dir/server.log"; then
  echo "server log:"; grep -iE "panic|error" "$dir/server.log" | head -20
fi
exit "$status"
