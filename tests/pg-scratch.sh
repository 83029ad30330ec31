#!/usr/bin/env bash
# A throwaway PostgreSQL on 127.0.0.1 for the live part of
# tests/tests/postgres.rs. `pg-scratch.sh start DIR` prints a URL for
# WASIO_PG_URL (exit 1, saying why, when it cannot); `stop DIR` ends it.
# Needs PostgreSQL's initdb and pg_ctl; as root it runs them as `postgres`.
set -euo pipefail
cmd=${1:?usage: pg-scratch.sh start|stop DIR}
dir=${2:?usage: pg-scratch.sh start|stop DIR}
# WASIO_PG_PORT, or the first of 55432… nothing listens on.
port=${WASIO_PG_PORT:-}
if [ -z "$port" ]; then
  for p in $(seq 55432 55471); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  port=${port:-55432}
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
  for t in initdb pg_ctl; do
    command -v $t >/dev/null || { echo "pg-scratch: $t not found" >&2; exit 1; }
  done
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg initdb -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
    { echo "pg-scratch: initdb failed, see $dir/initdb.log" >&2; exit 1; }
  as_pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null ||
    { echo "pg-scratch: server did not start, see $dir/server.log" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: pg-scratch.sh start|stop DIR" >&2; exit 2 ;;
esac
