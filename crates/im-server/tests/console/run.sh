#!/usr/bin/env bash
# Browser tests of the admin console: headless Chromium (Debian's `chromium`, driven by
# playwright-core) against a real imserver on a fresh database. Screenshots of every page, at
# desktop (1280x800) and phone (390x844) width, go to target/console-screenshots/ (or
# $CONSOLE_SCREENSHOTS).
#
#   bash crates/im-server/tests/console/run.sh
#
# Needs PostgreSQL answering at $DATABASE_URL (default: .env's server). Installs chromium and
# node with apt when missing, and playwright-core (pinned in package-lock.json) with npm ci.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "console: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --cache "$here/.npm-cache" --prefer-offline >/dev/null)
fi

echo "console: building imserver"
cargo build -q -p im-server --locked
target=${CARGO_TARGET_DIR:-$root/target}
bin="$target/debug/imserver"

# A fresh database on the tests' PostgreSQL server.
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' "$root/.env")
fi
db_url="${DATABASE_URL%/*}/imserver_console"
psql "$DATABASE_URL" -qc "drop database if exists imserver_console with (force)" >/dev/null
psql "$DATABASE_URL" -qc "create database imserver_console" >/dev/null

work=$(mktemp -d)
export IMSERVER__DATABASE__URL="$db_url"
export IMSERVER__SERVER__DEMO_APP=false
export IMSERVER__FILES__DIR="$work/files"
export IMSERVER__SERVER__WORKERS=2
export IMSERVER__SERVER__LOG_LEVEL=warn
export IMSERVER__AUTH__ARGON2__MEMORY_KIB=1024
export IMSERVER__AUTH__ARGON2__ITERATIONS=1
creds=$("$bin" app create --org acme --app console --json 2>"$work/create.log")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --bind 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  env -u IMSERVER__DATABASE__URL psql "${DATABASE_URL}" -qc "drop database if exists imserver_console with (force)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/ready" >/dev/null || { cat "$work/server.log"; echo "console: the server did not start"; exit 1; }

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$creds" "$1"; }
export CONSOLE_BASE="http://127.0.0.1:$port"
export CONSOLE_ORG=acme CONSOLE_APP=console
CONSOLE_CLIENT_ID=$(field client_id)
CONSOLE_CLIENT_SECRET=$(field client_secret)
export CONSOLE_CLIENT_ID CONSOLE_CLIENT_SECRET
export CONSOLE_SCREENSHOTS="${CONSOLE_SCREENSHOTS:-$root/target/console-screenshots}"
mkdir -p "$CONSOLE_SCREENSHOTS"
echo "console: browser tests against $CONSOLE_BASE (screenshots in $CONSOLE_SCREENSHOTS)"
status=0
(cd "$here" && node --test --test-concurrency=1 --test-reporter=spec console.test.mjs) || status=$?
if [ "$status" != 0 ]; then
  echo "console: server log (last 40 lines)"
  tail -n 40 "$work/server.log"
fi
exit "$status"
