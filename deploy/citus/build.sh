#!/usr/bin/env bash
# Installs Citus 13.2.2 into this machine's PostgreSQL 15, offline, from the source beside this
# script: citus-13.2.2.tar.gz (the unmodified release source, AGPL-3.0) and
# pg15.20-compat.patch (PostgreSQL 15.20 exports have_createdb_privilege, which Citus 13.2.2
# also defines; the patch renames Citus's copy). Citus 13.2 is the last release line that
# supports PostgreSQL 15.
#
#   bash deploy/citus/build.sh
#
# Needs root: it installs the build dependencies with apt (the distribution's mirror, or a local
# one) and runs `make install` into the PostgreSQL tree. About 3 minutes on 2 cores. Does nothing
# when citus.so is installed already. Operators who install Citus from their own packages do not
# need this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
libdir=$(pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
if [ -f "$libdir/citus.so" ]; then
  echo "citus: already installed in $libdir"
  exit 0
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "citus: installing the build dependencies"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-server-dev-15 \
  build-essential libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev \
  libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev >/dev/null
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
tar -xzf "$here/citus-13.2.2.tar.gz" -C "$src"
cd "$src"
patch -p1 -s <"$here/pg15.20-compat.patch"
echo "citus: building"
./configure -q >/dev/null
make -s -j"$(nproc)" >/dev/null 2>&1
as_root make -s install >/dev/null
echo "citus: installed into $libdir"
