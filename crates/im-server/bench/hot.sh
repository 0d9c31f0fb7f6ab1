#!/usr/bin/env bash
# The hot endpoints, next to this machine's ceilings measured in the same run: the benchmark.
#
#   bash crates/im-server/bench/hot.sh [SECONDS_PER_RUN] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed (see groups.sh for
# PERF_DIR). Builds the release binary, starts it on a throwaway database, then:
#   - 60 users through the API (u0..u59), 600000 inserted in SQL (pu1..pu600000: argon2 through
#     the API would take minutes); chatrooms of 100 and 1000 members, an empty busy one, an
#     empty one to fill and an empty one for the single client, and 5000 other rooms (SQL);
#     `analyze`, and no other analyze for the rest of the run: autovacuum is turned off on the
#     membership and user tables of the throwaway database, and so is the server's own
#     statistics keeper (which analyzes when the cluster's autovacuum is off);
#   - wrk (1 thread, 32 connections, SECONDS_PER_RUN each, default 5): a user, a client-credentials
#     token (same secret, so cached), details of the 100-member room, a member page of the
#     1000-member one in both forms (`version=v3&limit=100`, `pagenum=1&pagesize=10`); each read
#     followed at once by its same-SQL ceiling (see lib.sh);
#   - writes to the busy room, 32 connections on that one room: add one, a batch add of 60,
#     remove one; then one connection alone on its own room: add one, a batch of 60, and the
#     ratio of their p50;
#   - a room filled with 50000 members through the API in batches of 60 (fill time printed),
#     measured right after, on the statistics of the setup (what a room that grows faster than
#     autovacuum analyzes sees): member page, add one, remove one;
#   - the ceilings (actix + sqlx: one PK select, a room row plus a 100-member page; pgbench: the
#     add-member transaction; actix alone), the server's resident memory after the load, and
#     each figure's ratio to its closest ceiling.
# BENCH_EXPLAIN=5ms also logs the slow statements' plans (see lib.sh).
D=${1:-5}
PERF=$(cd "${2:-../shared/perf}" && pwd)
. "$(dirname "$0")/lib.sh"
bench_start IMSERVER__LIMITS__CHATROOM_MAXUSERS_CEILING=1000000 IMSERVER__DATABASE__ANALYZE_INTERVAL_SECS=0
SETUP=$(python3 - "$here" "$BASE" "$CID" "$CSEC" "$DATABASE_URL" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from bench_common import Bench
b = Bench(*sys.argv[2:6])
b.users(600000)
def room(maxusers, first=1, last=0):
    rid = b.call("POST", "/chatrooms", {"name": "r", "description": "d", "owner": "u0",
                                         "maxusers": maxusers})["data"]["id"]
    for i in range(first, last + 1, 60):
        b.call("POST", f"/chatrooms/{rid}/users", {"usernames": [f"pu{j}" for j in range(i, min(i + 60, last + 1))]})
    return rid
print(f"TOKEN={b.token} APPUUID={b.app} R100={room(1000, 298901, 298999)} "
      f"R1000={room(2000, 299001, 299999)} BUSY={room(1000000)} FRESH={room(1000000)} "
      f"ALONE={room(1000000)}")
PY
) || { echo "setup failed"; tail "$LOG"; exit 3; }
eval "$SETUP"
export TOKEN
bench_other_rooms "$APPUUID"
bench_settle
bench_autovacuum_off room_members users user_room_counts
RESULTS=$(mktemp) CEILINGS=$(mktemp)
P="/$ORG/$APP/chatrooms"
total() { sed -nE 's/.*total=([0-9]+).*/\1/p' <<<"$1"; }
{
run get_user "$BASE/users/u5"
run token_client_credentials "$BASE/token" METHOD=POST \
  BODY="{\"grant_type\":\"client_credentials\",\"client_id\":\"$CID\",\"client_secret\":\"$CSEC\"}"
run details_100 "$BASE/chatrooms/$R100"
run page_v3_1000 "$BASE/chatrooms/$R1000/users?version=v3&limit=100"
run page_legacy_1000 "$BASE/chatrooms/$R1000/users?pagenum=1&pagesize=10"
# The busy room: adds walk pu100001.., the batches go on after them, and the removes walk the
# same users again from pu100001, so each remove finds a member.
out=$(script add_one_busy seq_from.lua METHOD=POST ROOM_PATH="$P/$BUSY" START=100001); echo "$out"
from=$((100001 + $(total "$out") + 40))
script batch_60_busy batch_from.lua ROOM_PATH="$P/$BUSY" START=$from
script remove_one_busy seq_from.lua METHOD=DELETE ROOM_PATH="$P/$BUSY" START=100001
# One client alone on a room of its own: what one add and one batch of 60 cost by themselves.
one=$(CONNS=1 script add_one_alone seq_from.lua METHOD=POST ROOM_PATH="$P/$ALONE" START=1); echo "$one"
batch=$(CONNS=1 script batch_60_alone batch_from.lua ROOM_PATH="$P/$ALONE" START=$((1 + $(total "$one") + 40))); echo "$batch"
echo "batch_60_over_add_one_alone p50_ratio=$(p50_ratio "$batch" "$one")"
# A room of 50000 just filled, on the setup's statistics.
python3 - "$BASE" "$TOKEN" "$FRESH" <<'PY'
import json, sys, time, urllib.request
base, tok, room = sys.argv[1:4]
t = time.monotonic()
for i in range(1, 50001, 60):
    req = urllib.request.Request(f"{base}/chatrooms/{room}/users", method="POST", data=json.dumps(
        {"usernames": [f"pu{j}" for j in range(i, min(i + 60, 50001))]}).encode())
    req.add_header("Content-Type", "application/json"); req.add_header("Authorization", "Bearer " + tok)
    urllib.request.urlopen(req).read()
print(f"fill_50000_members_in_batches_of_60 seconds={time.monotonic() - t:.1f}")
PY
run page_v3_fresh50000 "$BASE/chatrooms/$FRESH/users?version=v3&limit=100"
script add_one_fresh50000 seq_from.lua METHOD=POST ROOM_PATH="$P/$FRESH" START=50001
script remove_one_fresh50000 seq_from.lua METHOD=DELETE ROOM_PATH="$P/$FRESH" START=1
} | tee "$RESULTS"
CEIL_PK_USER=u5 bench_ceilings "$APPUUID" 200001 290000 "fresh50000=$FRESH" "1000=$R1000" "100=$R100" | tee "$CEILINGS"
bench_ratios "$RESULTS" "$CEILINGS"
rm -f "$RESULTS" "$CEILINGS"
