#!/usr/bin/env bash
# A Citus cluster on this machine, for trying imserver on Citus, for the Citus test suite and for
# the rebalance drill: a coordinator and WORKERS workers (default 2), each a PostgreSQL instance
# of its own under DIR, on 127.0.0.1 from PORT (default 9700: the coordinator; the workers
# PORT+1, PORT+2, ...), trust authentication for the user postgres, and a database `imserver`
# with the citus extension on every node, the workers registered with the coordinator.
#
#   bash deploy/citus/cluster.sh start DIR [WORKERS] [PORT]
#   bash deploy/citus/cluster.sh add-worker DIR N [PORT]   (starts worker N and registers it)
#   bash deploy/citus/cluster.sh template DIR [PORT]       (see below)
#   bash deploy/citus/cluster.sh stop DIR
#
# Needs PostgreSQL 15 with Citus installed (deploy/citus/build.sh). Run as root, the servers run
# as the postgres account. Leaves the machine's own PostgreSQL alone. IMSERVER_CITUS_CONF adds
# lines to each new node's postgresql.conf (the drill sets wal_level = logical for shard moves).
#
# `template` makes template1 of every node a migrated imserver database, distributed over 4
# shards, and restarts the nodes (nothing may stay connected to a template). With
# citus.enable_create_database_propagation on, a `create database` on the coordinator then makes
# a ready imserver database on every node at once: the test harness makes one per test so.
set -euo pipefail
cmd=${1:?start|add-worker|template|stop}
dir=${2:?DIR}
bin=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
sql() { psql -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -Atqc "$3"; }

# node NAME PORT: creates (once) and starts one instance.
node() {
  local n=$1 p=$2
  if [ ! -f "$dir/$n/PG_VERSION" ]; then
    as_pg "$bin/initdb -D '$dir/$n' -A trust -U postgres >/dev/null"
    cat >>"$dir/$n/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
port = $p
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
max_worker_processes = 128
shared_buffers = 128MB
citus.enable_create_database_propagation = on
${IMSERVER_CITUS_CONF:-}
CONF
  fi
  as_pg "$bin/pg_ctl -D '$dir/$n' status >/dev/null" ||
    as_pg "$bin/pg_ctl -D '$dir/$n' -l '$dir/$n.log' -w start >/dev/null"
  sql "$p" postgres "select 1 from pg_database where datname = 'imserver'" | grep -q 1 ||
    sql "$p" postgres "create database imserver"
  sql "$p" imserver "create extension if not exists citus"
}

# The nodes made so far (c, w1, w2, ...), and the port of one.
nodes() { for d in "$dir"/c "$dir"/w*; do [ -d "$d" ] && basename "$d"; done; }
port_of() { local base; base=$(cat "$dir/port"); if [ "$1" = c ]; then echo "$base"; else echo $((base + ${1#w})); fi; }

case $cmd in
start)
  workers=${3:-2}
  port=${4:-9700}
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  echo "$port" >"$dir/port"
  # Every node up first (a cluster started again checks its workers as soon as it is asked).
  node c "$port"
  for i in $(seq 1 "$workers"); do node "w$i" $((port + i)); done
  sql "$port" imserver "select citus_set_coordinator_host('127.0.0.1', $port)" >/dev/null
  for i in $(seq 1 "$workers"); do
    sql "$port" imserver "select citus_add_node('127.0.0.1', $((port + i)))" >/dev/null
  done
  echo "citus: coordinator postgres://postgres@127.0.0.1:$port/imserver, $workers workers"
  ;;
add-worker)
  i=${3:?N}
  port=${4:-$(cat "$dir/port")}
  node "w$i" $((port + i))
  sql "$port" imserver "select citus_add_node('127.0.0.1', $((port + i)))" >/dev/null
  echo "citus: worker $i on port $((port + i)) added"
  ;;
template)
  port=${3:-$(cat "$dir/port")}
  here=$(cd "$(dirname "$0")/../.." && pwd)
  imserver=${IMSERVER_BIN:-$here/target/debug/imserver}
  if sql "$port" template1 "select count(*) from pg_class where relname = 'pg_dist_partition'" | grep -q 1 &&
    sql "$port" template1 "select count(*) from pg_dist_partition where logicalrelid = 'users'::regclass" 2>/dev/null | grep -q 1; then
    echo "citus: template1 already prepared"
    exit 0
  fi
  for n in $(nodes); do sql "$(port_of "$n")" template1 "create extension if not exists citus"; done
  sql "$port" template1 "select citus_set_coordinator_host('127.0.0.1', $port)" >/dev/null
  for n in $(nodes); do
    [ "$n" = c ] || sql "$port" template1 "select citus_add_node('127.0.0.1', $(port_of "$n"))" >/dev/null
  done
  sql "$port" template1 "alter database template1 set citus.shard_count = 4"
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/template1" IMSERVER__SERVER__LOG_LEVEL=warn \
    "$imserver" migrate >/dev/null
  sql "$port" template1 "alter database template1 reset citus.shard_count"
  for n in $(nodes); do as_pg "$bin/pg_ctl -D '$dir/$n' -m fast -w restart -l '$dir/$n.log' >/dev/null"; done
  echo "citus: template1 holds a distributed imserver schema on every node"
  ;;
stop)
  for n in $(nodes); do
    [ -f "$dir/$n/postmaster.pid" ] && as_pg "$bin/pg_ctl -D '$dir/$n' -m fast -w stop >/dev/null" || true
  done
  ;;
esac
