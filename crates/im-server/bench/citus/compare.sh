#!/usr/bin/env bash
# Citus next to plain PostgreSQL, in one run on this machine: the shared perf measurement
# (../shared/perf/measure.sh: hot reads, single adds to and removes from a busy room, and their
# ceilings) against the machine's PostgreSQL and against a coordinator with two workers, in
# alternating rounds; then where the extra hop's cost comes from (one primary-key select through
# pgbench on plain PostgreSQL, through the coordinator, and on the worker's shard directly); then
# how 100 apps' rows fall across the workers.
#
#   bash crates/im-server/bench/citus/compare.sh [SECONDS_PER_RUN] [ROUNDS] [PORT]
#
# From the project root, with Citus installed (deploy/citus/build.sh) and PERF pointing at the
# perf directory (default ../shared/perf). The cluster lives in a scratch directory on ports
# PORT.. (default 9760..9762) and is removed at the end. Compare the ratios it prints; absolute
# figures move with whatever else the machine is doing.
set -euo pipefail
D=${1:-8}
ROUNDS=${2:-2}
PORT=${3:-9760}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
PERF=${PERF:-$root/../shared/perf}
cluster="$root/deploy/citus/cluster.sh"
dir=$(mktemp -d /tmp/imserver-citus-bench.XXXXXX)
out=$(mktemp -d)
cleanup() { bash "$cluster" stop "$dir" || true; rm -rf "$dir" "$out"; }
trap cleanup EXIT
cd "$root"
cargo build --release --bins -q
BIN=$root/target/release/imserver
# The coordinator's template1 holds the distributed schema: measure.sh's throwaway database (a
# `create database` there) is then a distributed imserver database on every node.
IMSERVER_CITUS_CONF="max_connections = 600" bash "$cluster" start "$dir" 2 "$PORT"
IMSERVER_BIN=$BIN bash "$cluster" template "$dir" "$PORT"
# measure.sh's `create database` and `drop database` arrive through the `postgres` database: with
# Citus there as well (knowing the workers), they reach every node.
for p in "$PORT" $((PORT + 1)) $((PORT + 2)); do
  psql -q "postgres://postgres@127.0.0.1:$p/postgres" -c "create extension if not exists citus"
done
psql -q "postgres://postgres@127.0.0.1:$PORT/postgres" \
  -c "select citus_set_coordinator_host('127.0.0.1', $PORT)" \
  -c "select citus_add_node('127.0.0.1', $((PORT + 1)))" \
  -c "select citus_add_node('127.0.0.1', $((PORT + 2)))" >/dev/null
PLAIN=${PGBASE:-postgres://postgres@127.0.0.1:5432}
CITUS=postgres://postgres@127.0.0.1:$PORT

for r in $(seq 1 "$ROUNDS"); do
  echo "compare: round $r, plain PostgreSQL" >&2
  PGBASE=$PLAIN bash "$PERF/measure.sh" "$D" >"$out/plain.$r" 2>"$out/log" || { tail "$out/log"; exit 1; }
  echo "compare: round $r, Citus (coordinator + 2 workers)" >&2
  PGBASE=$CITUS bash "$PERF/measure.sh" "$D" >"$out/citus.$r" 2>"$out/log" || { tail "$out/log"; exit 1; }
done

# The hop: one primary-key select of a user by pgbench (prepared, 16 clients), plain, through the
# coordinator, and on the shard that holds it, straight on its worker.
db=hop_$$
psql -q "$PLAIN/postgres" -c "create database $db" >/dev/null
psql -q "$CITUS/postgres" -c "create database $db" >/dev/null
hop_seed="insert into apps (id, app_id, org_name, app_name, client_id, client_secret_hash)
            values ('00000000-0000-0000-0000-00000000000a', 'hop', 'hop', 'hop', 'hop', 'x');
          insert into users (app, username, uuid)
            select '00000000-0000-0000-0000-00000000000a', 'u' || g, gen_random_uuid()
              from generate_series(1, 100000) g;
          analyze users;"
DATABASE_URL=$PLAIN/$db "$BIN" migrate >/dev/null
psql -q "$PLAIN/$db" -c "$hop_seed" >/dev/null
psql -q "$CITUS/$db" -c "$hop_seed" >/dev/null
read -r wport shard < <(psql -Atq "$CITUS/$db" -F ' ' -c "
  select nodeport, shard_name from citus_shards
   where shardid = get_shard_id_for_distribution_column('users', '00000000-0000-0000-0000-00000000000a')")
pk() { # url table: "tps with 16 clients" "mean latency in ms with one client"
  echo "\\set n random(1, 100000)
select username, uuid, activated, created_at from $2 where app = '00000000-0000-0000-0000-00000000000a' and username = 'u' || :n;" >"$out/pk.sql"
  local tps lat
  tps=$(pgbench -n -M prepared -c 16 -j 2 -T "$D" -f "$out/pk.sql" "$1" 2>/dev/null | awk '/^tps/ {print int($3)}')
  lat=$(pgbench -n -M prepared -c 1 -T "$D" -f "$out/pk.sql" "$1" 2>/dev/null | awk '/^latency average/ {print $4}')
  echo "$tps/$lat"
}
hop_plain=$(pk "$PLAIN/$db" users)
hop_coord=$(pk "$CITUS/$db" users)
hop_shard=$(pk "postgres://postgres@127.0.0.1:$wport/$db" "$shard")
psql -q "$PLAIN/postgres" -c "drop database $db with (force)" >/dev/null
psql -q "$CITUS/postgres" -c "drop database $db with (force)" >/dev/null

# The spread: 100 apps with 100 users each in the cluster's `imserver` database (32 shards).
spread_url=$CITUS/imserver
DATABASE_URL=$spread_url "$BIN" migrate >/dev/null
for i in $(seq 1 100); do
  DATABASE_URL=$spread_url "$BIN" app create --org spread --app "a$i" --json >/dev/null
done
psql -q "$spread_url" -c "insert into users (app, username, uuid)
  select a.id, 'u' || g, gen_random_uuid() from apps a, generate_series(1, 100) g
   where a.org_name = 'spread'" >/dev/null
spread=$(psql -Atq "$spread_url" -F ' ' -c "
  with placed as (
    select a.id, s.nodeport from apps a
      join citus_shards s on s.shardid = get_shard_id_for_distribution_column('users', a.id)
                         and s.table_name = 'users'::regclass
     where a.org_name = 'spread')
  select p.nodeport, count(*),
         (select sum(shard_size) from citus_shards c
           where c.nodeport = p.nodeport and c.citus_table_type = 'distributed')
    from placed p group by p.nodeport order by p.nodeport")

python3 - "$out" "$ROUNDS" "$hop_plain" "$hop_coord" "$hop_shard" "$spread" <<'PY'
import re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
(hop_plain, lat_plain), (hop_coord, lat_coord), (hop_shard, lat_shard) = (
    (float(a or 0), float(b or 0)) for a, b in (x.split("/") for x in sys.argv[3:6]))
spread = sys.argv[6]
def parse(path):
    figs = {}
    for line in open(path):
        m = re.match(r"(\S+) RESULT rps=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+).* ok_rps=(\d+)", line)
        if m:
            figs[m.group(1)] = (float(m.group(6)), float(m.group(3)), int(m.group(5)))
            continue
        m = re.match(r"(ceiling_db_\S+) tps=(\d+)", line)
        if m:
            figs[m.group(1)] = (float(m.group(2)), 0.0, 0)
        m = re.match(r"rss_after_load_mb (\d+)", line)
        if m:
            figs["rss_mb"] = (float(m.group(1)), 0.0, 0)
    return figs
runs = {e: [parse(f"{out}/{e}.{r}") for r in range(1, rounds + 1)] for e in ("plain", "citus")}
# The shared ceiling's room page omits `pos >= 0` and so cannot use the (partial) member-order
# index on plain PostgreSQL: that figure compares nothing here.
names = [n for n in runs["plain"][0] if n not in ("rss_mb", "ceiling_stack_room_plus_page")]
print(f"{'figure':36s} {'plain rps':>10s} {'citus rps':>10s} {'ratio':>6s} {'p50 plain':>10s} {'p50 citus':>10s}  non-2xx")
for n in names:
    p = [r[n] for r in runs["plain"] if n in r]
    c = [r[n] for r in runs["citus"] if n in r]
    if not p or not c:
        continue
    pr, cr = statistics.median(x[0] for x in p), statistics.median(x[0] for x in c)
    pl, cl = statistics.median(x[1] for x in p), statistics.median(x[1] for x in c)
    bad = sum(x[2] for x in p) + sum(x[2] for x in c)
    print(f"{n:36s} {pr:10.0f} {cr:10.0f} {cr / pr if pr else 0:6.2f} {pl:10.2f} {cl:10.2f}  {bad}")
rss = [r.get("rss_mb", (0,))[0] for e in ("plain", "citus") for r in runs[e]]
print(f"server RSS after load, MB (plain rounds, then citus rounds): {rss}")
print(f"pk select by pgbench, tps: plain {hop_plain:.0f}, via coordinator {hop_coord:.0f} "
      f"({hop_coord / hop_plain if hop_plain else 0:.2f}), on the worker's shard {hop_shard:.0f} "
      f"({hop_shard / hop_plain if hop_plain else 0:.2f})")
print(f"pk select, one client, mean latency: plain {lat_plain * 1000:.0f} us, via coordinator "
      f"{lat_coord * 1000:.0f} us, on the worker's shard {lat_shard * 1000:.0f} us")
print("100 apps across the workers (port, apps, bytes of distributed shards):")
for line in spread.splitlines():
    port, apps, size = line.split()
    print(f"  worker {port}: {apps} apps, {int(size) / 1e6:.1f} MB")
PY
