#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: Unix socket only, no TCP.
#
#   scripts/pg_throwaway.sh start DIR   # initdb into DIR, start the server, print its URL
#   scripts/pg_throwaway.sh stop DIR    # stop it (the caller removes DIR)
#
# Uses the server binaries of Debian's postgresql package (/usr/lib/postgresql/<ver>/bin),
# or whatever pg_config --bindir names. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the `postgres` user the package creates. Extra server settings can
# be given as `-c name=value` words in PG_THROWAWAY_OPTIONS (tests turn fsync off).
set -euo pipefail

command=${1:?usage: pg_throwaway.sh start|stop DIR}
dir=${2:?usage: pg_throwaway.sh start|stop DIR}

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
fi
if [ -z "$bindir" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg_throwaway: no PostgreSQL server binaries (apt-get install postgresql)" >&2
  exit 3
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      --username=quotekb >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # listen_addresses='' : no TCP socket at all; the Unix socket lives in DIR
    # shellcheck disable=SC2086
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir ${PG_THROWAWAY_OPTIONS:-}" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bindir/createdb" -h "$dir" -U quotekb quotekb
    echo "postgresql://quotekb@/quotekb?host=$dir"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: pg_throwaway.sh start|stop DIR" >&2
    exit 2
    ;;
esac
