#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster for tests.
#
#   eval "$(scripts/pg_throwaway.sh start)"   # exports PGTMP PGHOST PGPORT PGUSER PGDATABASE
#   scripts/pg_throwaway.sh stop "$PGTMP"
#
# The cluster lives in a fresh temp dir (data, logs and the unix socket), listens on
# 127.0.0.1 on a random free port, trusts local connections, and runs with fsync off.
# As root, initdb/pg_ctl run as $PG_THROWAWAY_USER (default: postgres) through runuser.
# Environment: PGBIN (server binaries), PG_THROWAWAY_TMPDIR (default /tmp; keep it short,
# a unix-socket path is limited to 107 bytes), PG_THROWAWAY_USER.
set -euo pipefail

RUNAS=${PG_THROWAWAY_USER:-postgres}
TMPBASE=${PG_THROWAWAY_TMPDIR:-/tmp}

die() { echo "pg_throwaway: $*" >&2; exit 1; }

# The server's bin dir: pg_config's when it holds a server, else the highest
# /usr/lib/postgresql/<version>/bin that does.
find_bindir() {
  if [ -n "${PGBIN:-}" ]; then
    [ -x "$PGBIN/initdb" ] || die "PGBIN=$PGBIN has no initdb"
    echo "$PGBIN"; return
  fi
  local dir
  if dir=$(pg_config --bindir 2>/dev/null) && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"; return
  fi
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
        sort -t/ -k5,5n | while read -r d; do [ -x "$d/initdb" ] && echo "$d"; done | tail -n 1)
  [ -n "$dir" ] || die "no PostgreSQL server binaries found (install postgresql-15)"
  echo "$dir"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a server tool as the cluster owner (initdb and pg_ctl refuse to run as root).
as_owner() {
  if is_root; then
    (cd / && runuser -u "$RUNAS" -- "$@")
  else
    "$@"
  fi
}

# True when nothing listens on 127.0.0.1:$1 (best effort; start retries anyway).
port_free() {
  if command -v ss >/dev/null 2>&1; then
    [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
  fi
}

start() {
  local bindir pgtmp port attempt
  bindir=$(find_bindir)
  if is_root; then
    id -u "$RUNAS" >/dev/null 2>&1 || die "user $RUNAS does not exist (it comes with the postgresql package)"
  fi
  pgtmp=$(mktemp -d "$TMPBASE/pgtmp.XXXXXX")
  # Remove the temp dir if anything below fails.
  trap 'as_owner "$bindir/pg_ctl" -D "$pgtmp/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf -- "$pgtmp"' EXIT
  if is_root; then chown "$RUNAS": "$pgtmp"; fi
  chmod 0755 "$pgtmp"  # so that any local user can reach the socket

  if ! as_owner "$bindir/initdb" -D "$pgtmp/data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=trust --no-sync >"$pgtmp/initdb.log" 2>&1; then
    cat "$pgtmp/initdb.log" >&2
    die "initdb failed"
  fi

  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_free "$port" || continue
    if as_owner "$bindir/pg_ctl" -D "$pgtmp/data" -l "$pgtmp/server.log" -w -t 60 \
         -o "-p $port -k $pgtmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
         start >"$pgtmp/pg_ctl.log" 2>&1; then
      trap - EXIT
      printf "export PGTMP='%s' PGHOST='%s' PGPORT='%s' PGUSER=postgres PGDATABASE=postgres\n" \
        "$pgtmp" "$pgtmp" "$port"
      return 0
    fi
    echo "pg_throwaway: start on port $port failed (attempt $attempt), retrying" >&2
  done
  cat "$pgtmp/server.log" >&2 2>/dev/null || true
  die "could not start PostgreSQL"
}

stop() {
  local pgtmp=${1:-}
  [ -n "$pgtmp" ] || die "usage: $0 stop PGTMP"
  [ -d "$pgtmp" ] || return 0  # already gone
  # Refuse to delete anything that is not one of our clusters.
  case "$(basename -- "$pgtmp")" in
    pgtmp.*) ;;
    *) die "$pgtmp is not a throwaway cluster dir" ;;
  esac
  if [ -f "$pgtmp/data/postmaster.pid" ]; then
    local bindir
    bindir=$(find_bindir)
    as_owner "$bindir/pg_ctl" -D "$pgtmp/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_owner "$bindir/pg_ctl" -D "$pgtmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
      echo "pg_throwaway: could not stop the server in $pgtmp" >&2
  fi
  rm -rf -- "$pgtmp"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop PGTMP" >&2; exit 2 ;;
esac
