#!/usr/bin/env bash
# Groups at scale, next to this machine's ceilings measured in the same run.
#
#   bash crates/im-server/bench/groups.sh [SECONDS_PER_RUN] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed. PERF_DIR (default
# ../shared/perf) holds the ceiling server and wrk reporter that `measure.sh` uses. Builds the
# release binary, starts it on a throwaway database, then:
#   - 720000 users inserted in SQL (argon2 through the API would take hours), `hub` among them;
#   - a group of 1000 and one of 100000 members, filled with batch adds of 60 (fill time printed);
#   - `hub` in 10000 groups;
#   - wrk (1 thread, 32 connections) on member pages (both forms, first and deep), details, the
#     user's joined groups (first and last page), the middle pages before and after a vacuum,
#     add one, remove one, a batch of 60;
#   - the ceilings (pgbench's add-member transaction on an empty group of its own), and each
#     figure's ratio to the closest one.
D=${1:-8}
PERF=$(cd "${2:-../shared/perf}" && pwd)
. "$(dirname "$0")/lib.sh"
bench_start IMSERVER__LIMITS__GROUP_MAXUSERS_CEILING=1000000
# Users: u0..u59 own the groups; pu1..pu99999 fill the big group, pu150001..pu150999 the small
# one; the single adds walk pu100000.. (big) and pu160000.. (small), the batches pu300000.. (both
# groups: some 400000 names in 8 s), pgbench adds pu200001..pu260000. The removes walk members
# that are there: the big group's first ones, and in the small one those the batches added (more
# than the single adds, which a remove run would outrun). The groups may hold up to 1000000, so
# that no write run fills its group.
SETUP=$(python3 "$here/groups_setup.py" "$BASE" "$CID" "$CSEC" "$DATABASE_URL") || { echo "setup failed"; tail "$LOG"; exit 3; }
eval "$SETUP"
export TOKEN
bench_settle
RESULTS=$(mktemp) CEILINGS=$(mktemp)
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
# Pages by number are counted from the nearer end of the list: the middle page is the dearest.
run page_legacy_middle_100000 "$G/$G100K/users?pagenum=500&pagesize=100"
run joined_middle_of_10000 "$BASE/users/hub/joined_chatgroups?pagenum=250&pagesize=20"
# The same once a vacuum has marked the freshly written pages all-visible (as autovacuum soon
# does), so that the skipped entries are counted on the index alone.
psql -q "$DATABASE_URL" -c "vacuum room_members" >/dev/null
run page_legacy_middle_vacuumed_100000 "$G/$G100K/users?pagenum=500&pagesize=100"
run joined_middle_vacuumed_of_10000 "$BASE/users/hub/joined_chatgroups?pagenum=250&pagesize=20"
script add_one_1000 seq_from.lua METHOD=POST ROOM_PATH="$P/$G1K" START=160000
script add_one_100000 seq_from.lua METHOD=POST ROOM_PATH="$P/$G100K" START=100000
script batch_60_1000 batch_from.lua ROOM_PATH="$P/$G1K" START=300000
script batch_60_100000 batch_from.lua ROOM_PATH="$P/$G100K" START=300000
# wrk builds one request before the run that it never sends: the batches' first 60 names are
# not members.
script remove_one_1000 seq_from.lua METHOD=DELETE ROOM_PATH="$P/$G1K" START=300060
script remove_one_100000 seq_from.lua METHOD=DELETE ROOM_PATH="$P/$G100K" START=1
} | tee "$RESULTS"
CEIL_ADD_ROOM=$GCEIL bench_ceilings "$APPUUID" 200001 260000 "100000=$G100K" "1000=$G1K" | tee "$CEILINGS"
echo "$FILL"
bench_ratios "$RESULTS" "$CEILINGS"
rm -f "$RESULTS" "$CEILINGS"
