#!/usr/bin/env bash
# Threads at scale, next to this machine's ceilings measured in the same run.
#
#   bash crates/im-server/bench/threads.sh [SECONDS_PER_RUN] [PERF_DIR]
#
# From the project root, with PostgreSQL on 127.0.0.1:5432 and wrk installed (see groups.sh for
# PERF_DIR). A group with 10000 threads, all created by `hub`, who is so in 10000 threads; wrk
# (1 thread, 32 connections) on each thread list's first and last page (50 a page), create,
# join a batch of 10 and kick a batch of 10; then the ceilings and each figure's ratio.
D=${1:-8}
PERF=$(cd "${2:-../shared/perf}" && pwd)
. "$(dirname "$0")/lib.sh"
bench_start
SETUP=$(python3 "$here/threads_setup.py" "$BASE" "$CID" "$CSEC" "$DATABASE_URL") || { echo "setup failed"; tail "$LOG"; exit 3; }
eval "$SETUP"
export TOKEN
bench_settle
RESULTS=$(mktemp) CEILINGS=$(mktemp)
{
run app_list_first "$BASE/thread?limit=50"
run app_list_last "$BASE/thread?limit=50&cursor=$LAST_APP"
run user_list_first "$BASE/threads/user/hub?limit=50"
run user_list_last "$BASE/threads/user/hub?limit=50&cursor=$LAST_USER"
run user_in_group_list_first "$BASE/threads/chatgroups/$GROUP/user/hub?limit=50"
run user_in_group_list_last "$BASE/threads/chatgroups/$GROUP/user/hub?limit=50&cursor=$LAST_USER_GROUP"
run members_page "$BASE/thread/$THREAD/users?limit=50"
script create create_thread.lua APP_PATH="/$ORG/$APP" GROUP="$GROUP" OWNER=hub
script join_10 batch_from.lua BATCH=10 ROOM_PATH="/$ORG/$APP/thread/$THREAD" START=1
script kick_10 batch_from.lua BATCH=10 METHOD=DELETE ROOM_PATH="/$ORG/$APP/threads/$THREAD" START=1
} | tee "$RESULTS"
bench_ceilings "$APPUUID" 99001 110000 "group=$GROUP" | tee "$CEILINGS"
echo "$MADE"
bench_ratios "$RESULTS" "$CEILINGS"
rm -f "$RESULTS" "$CEILINGS"
