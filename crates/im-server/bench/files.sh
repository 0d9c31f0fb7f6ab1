#!/usr/bin/env bash
# Shared-file throughput and memory: starts the release server over a throwaway database with the
# local-directory store, then
#   - uploads COUNT files of SIZE_MB one after the other and downloads each back (MB/s),
#   - copies the same file COUNT times with `cp` and `dd` on the same disk (the ceiling),
#   - uploads PARALLEL files of SIZE_MB at once and reads the server's peak resident memory.
#
#   bash crates/im-server/bench/files.sh      # from the project root, after
#   cargo build --release --bin imserver
#
# Environment: DATABASE_URL (a login that may create databases), PORT (18190), COUNT (20),
# PARALLEL (8), SIZE_MB (10).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ADMIN_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=${PORT:-18190}
COUNT=${COUNT:-20}
PARALLEL=${PARALLEL:-8}
SIZE_MB=${SIZE_MB:-10}
BIN=target/release/imserver
DB=imserver_files_bench
WORK=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$WORK"' EXIT

psql "$ADMIN_URL" -Atqc "drop database if exists $DB with (force)" >/dev/null
export DATABASE_URL="${ADMIN_URL%/*}/$DB"
export IMSERVER__SERVER__PORT=$PORT IMSERVER__SERVER__BIND=127.0.0.1 IMSERVER__SERVER__DEMO_APP=false
export IMSERVER__SERVER__LOG_LEVEL=warn IMSERVER__FILES__DIR="$WORK/store"
creds=$("$BIN" app create --org bench --app files --json)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
"$BIN" serve >"$WORK/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$PORT/bench/files"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.1; done
token=$(field "$(curl -sf -X POST "$base/token" -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$(field "$creds" client_id)\",\"client_secret\":\"$(field "$creds" client_secret)\"}")" access_token)
auth=(-H "Authorization: Bearer $token")
curl -sf "${auth[@]}" -X POST "$base/users" -d '{"username":"owner","password":"pw-owner"}' >/dev/null
group=$(curl -sf "${auth[@]}" -X POST "$base/chatgroups" -d '{"groupname":"g","description":"","public":true,"owner":"owner"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["groupid"])')
# Just under the limit: the form's own framing is not counted, the file is.
bytes=$((SIZE_MB * 1024 * 1024))
head -c "$bytes" /dev/urandom >"$WORK/file.bin"
now() { date +%s.%N; }
rate() { python3 -c "import sys; print(f'{$COUNT * $SIZE_MB / (float(sys.argv[2]) - float(sys.argv[1])):.0f}')" "$1" "$2"; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "server resident memory at rest: $(rss_kib) KiB"

# `Expect:` off: curl would otherwise wait for the 100 Continue, which the server sends once
# the handler starts reading (after the token and the group are checked).
t0=$(now)
for i in $(seq 1 "$COUNT"); do
  curl -sf -H 'Expect:' "${auth[@]}" -F "file=@$WORK/file.bin" "$base/chatgroups/$group/share_files"
  echo
done >"$WORK/uploaded.jsonl"
t1=$(now)
mapfile -t ids < <(python3 -c 'import json,sys; [print(json.loads(l)["data"]["file_id"]) for l in open(sys.argv[1]) if l.strip()]' "$WORK/uploaded.jsonl")
for id in "${ids[@]}"; do
  curl -sf "${auth[@]}" -o "$WORK/down.bin" "$base/chatgroups/$group/share_files/$id"
done
t2=$(now)
cmp "$WORK/file.bin" "$WORK/down.bin"
for i in $(seq 1 "$COUNT"); do cp "$WORK/file.bin" "$WORK/cp-$i.bin"; done
t3=$(now)
for i in $(seq 1 "$COUNT"); do dd if="$WORK/file.bin" of="$WORK/dd-$i.bin" bs=1M conv=fsync status=none; done
t4=$(now)
rm -f "$WORK"/cp-*.bin "$WORK"/dd-*.bin
echo "upload   $(rate "$t0" "$t1") MB/s  ($COUNT x $SIZE_MB MB, one at a time, curl -F, sha256 and write included)"
echo "download $(rate "$t1" "$t2") MB/s"
echo "cp       $(rate "$t2" "$t3") MB/s  (same file, same disk)"
echo "dd fsync $(rate "$t3" "$t4") MB/s"

# Peak resident memory while PARALLEL uploads run at once (sampled every 20 ms).
peak=0
( for i in $(seq 1 "$PARALLEL"); do
    curl -sf -H 'Expect:' "${auth[@]}" -F "file=@$WORK/file.bin" "$base/chatgroups/$group/share_files" -o /dev/null &
  done; wait ) &
uploads=$!
before=$(rss_kib)
while kill -0 "$uploads" 2>/dev/null; do
  r=$(rss_kib); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.02
done
wait "$uploads"
files=$(curl -sf "${auth[@]}" "$base/chatgroups/$group/share_files" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
echo "$PARALLEL uploads of $SIZE_MB MB at once: resident memory $before KiB before, peak $peak KiB" \
     "(holding them would take $((PARALLEL * SIZE_MB * 1024)) KiB); $files files listed"
echo "server VmHWM (peak over the whole run): $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status") KiB"
