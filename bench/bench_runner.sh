#!/usr/bin/env bash
# Runner benchmark: retort vs Alembic vs a bare psql floor, online, on one throwaway cluster.
#
#   bench/bench_runner.sh [--retort PATH] [--revisions N] [--rounds R] [--runs N]
#                         [--alembic-runs N] [--noop-runs N] [--transport tcp|unix]
#                         [--no-profile] [--built-from COMMIT] [--work DIR]
#
# bench/gen_runner_projects.py writes one linear chain of N (default 200) revisions of
# multi-tenant DDL (tables with tenant_id uuid NOT NULL REFERENCES tenants ON DELETE
# CASCADE, tenant-led indexes, ENABLE + FORCE ROW LEVEL SECURITY, a tenant_isolation
# policy, GRANTs, ADD COLUMN + a small UPDATE backfill, composite foreign keys) as a retort
# project, an Alembic project (op.execute of the same statements, online env.py with
# transaction_per_migration=True) and two psql scripts (the floor: per step BEGIN; the
# same statements; Alembic's version-row UPDATE/INSERT/DELETE; COMMIT). The same
# statement text goes to all three.
#
# On one throwaway cluster (scripts/pg_throwaway.sh: fsync off, same for all) hyperfine
# (-N, no shell) times, in R rounds that interleave the runners (their order rotates
# each round; all runs of all rounds are pooled):
#   noop  `upgrade head` on a database at head: retort, `alembic upgrade head`,
#         and `psql -c 'select 1'`;
#   up    base -> head on a fresh database (CREATE DATABASE ... TEMPLATE in --prepare,
#         outside the timed region): retort, Alembic, `psql -f upgrade.sql`;
#   down  head -> base on a fresh copy of a database the same runner brought to head.
# Before timing, the three head schemas are compared (pg_dump -s, retort_history left
# out) and each runner's downgrade is checked to leave an empty schema.
# A fourth runner, "trips", is the floor script plus every other round trip retort makes
# (SET LOCAL, history row, the version-table re-read after COMMIT, lock, look-ups):
# between it and the floor is the cost of those round trips, between it and retort
# retort's own client cost.
# Prints the Markdown table (mean ± σ, median, min, client CPU, ratios) and the goals,
# then (unless --no-profile) one more run of each with log_min_duration_statement = 0:
# round trips and server time per kind of statement beside wall and client CPU time.
# Defaults: 5 rounds; per round 10 runs (Alembic 4) of base->head and head->base, 30 of
# the no-op (Alembic 8); TCP to 127.0.0.1.
# Needs: hyperfine, psql/pg_dump, PostgreSQL server binaries, /usr/bin/alembic and
# /usr/bin/python3 with psycopg2 (Debian's python3-alembic), a built retort.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
repo=$PWD
cmdline="bench/bench_runner.sh$(printf ' %q' "$@")"

retort=build/retort
alembic=${ALEMBIC:-/usr/bin/alembic}
revisions=200
rounds=5
runs=10         # base->head and head->base, per round, retort and psql
alembic_runs=4  # the same for Alembic
noop_runs=30    # no-op, per round (Alembic: a quarter of it)
built_from=     # the commit the retort binary was built from (default: the repo's HEAD)
transport=tcp
profile=true
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --retort) retort=$2; shift ;;
    --revisions) revisions=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --alembic-runs) alembic_runs=$2; shift ;;
    --noop-runs) noop_runs=$2; shift ;;
    --transport) transport=$2; shift ;;
    --work) work=$2; shift ;;
    --no-profile) profile=false ;;
    --built-from) built_from=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "bench_runner.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$transport" in tcp|unix) ;; *) echo "bench_runner.sh: --transport tcp|unix" >&2; exit 2 ;; esac

# Debian's /usr/bin/psql is a Perl wrapper (pg_wrapper) that costs tens of milliseconds
# per start: the floor uses the real client binaries.
pgbin=${PGBIN:-$(pg_config --bindir 2>/dev/null || true)}
if [ ! -x "$pgbin/psql" ]; then
  pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
          sort -t/ -k5,5n | tail -n 1)
fi
psql=$pgbin/psql
pg_dump=$pgbin/pg_dump
for tool in hyperfine "$psql" "$pg_dump" /usr/bin/python3 "$alembic" "$retort"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench_runner.sh: $tool not found" >&2; exit 2; }
done
/usr/bin/python3 -c 'import alembic, psycopg2' 2>/dev/null ||
  { echo "bench_runner.sh: /usr/bin/python3 lacks alembic or psycopg2" >&2; exit 2; }
retort=$(realpath "$retort")

PGTMP=
cleanup() {
  if [ -n "$PGTMP" ]; then "$repo/scripts/pg_throwaway.sh" stop "$PGTMP" || true; fi
  if [ -n "${own_work:-}" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/retort-rbench.XXXXXX")
  own_work=1
fi
mkdir -p "$work"
work=$(realpath "$work")
results=$work/results
rm -rf -- "$results" "$work/chain"
mkdir -p "$results"

log() { echo "--- $*" >&2; }

/usr/bin/python3 bench/gen_runner_projects.py generate "$work/chain" --revisions "$revisions"
chain=$work/chain

cluster_env=$(scripts/pg_throwaway.sh start)  # exits here if the cluster does not start
eval "$cluster_env"
if [ "$transport" = tcp ]; then
  export PGHOST=127.0.0.1
  db_url() { echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"; }
  sa_url() { echo "postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/$1"; }
else
  db_url() { echo "postgresql://postgres@/$1?host=$PGTMP&port=$PGPORT"; }
  sa_url() { echo "postgresql+psycopg2://postgres@/$1?host=$PGTMP&port=$PGPORT"; }
fi
export PGUSER=postgres PGDATABASE=postgres
sql() { "$psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

# The timed commands of each runner, as words for hyperfine -N.
retort_cmd() { echo "$retort -c $chain/retort/retort.yaml --url $(db_url "$2") $1"; }
alembic_cmd() { echo "$alembic -c $chain/alembic/alembic.ini $1"; }
# run_alembic DB ARGS...: Alembic against database DB.
run_alembic() { local db=$1; shift; RETORT_BENCH_ALEMBIC_URL=$(sa_url "$db") $alembic -c "$chain/alembic/alembic.ini" "$@"; }
run_retort() { local db=$1; shift; "$retort" -q -c "$chain/retort/retort.yaml" --url "$(db_url "$db")" "$@"; }
run_psql_floor() { "$psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$chain/psql/$2.sql" >/dev/null; }

# A fresh database from a template, for --prepare (outside the timed region). The
# CHECKPOINT writes out the previous run's dirty buffers so that no runner pays for them.
cat >"$work/fresh_db.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
export PGHOST='$PGHOST' PGPORT='$PGPORT' PGUSER=postgres
'$psql' -X -q -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS bench_run WITH (FORCE)' \\
  -c "CREATE DATABASE bench_run TEMPLATE \$1" -c CHECKPOINT
EOF
chmod +x "$work/fresh_db.sh"

log "setting up: role, templates at base and at head (one per runner), checks"
sql -c "CREATE ROLE retort_bench_app NOLOGIN" -c "CREATE DATABASE tpl_base TEMPLATE template0"
for r in retort alembic psql; do sql -c "CREATE DATABASE tpl_head_$r TEMPLATE tpl_base"; done
run_retort tpl_head_retort upgrade head
run_alembic tpl_head_alembic upgrade head 2>/dev/null
run_psql_floor tpl_head_psql upgrade
head=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$chain/manifest.json")
for r in retort alembic psql; do
  got=$("$psql" -X -At -d "tpl_head_$r" -c "SELECT string_agg(version_num, ',') FROM alembic_version")
  [ "$got" = "$head" ] || { echo "bench_runner.sh: $r left alembic_version at '$got', expected $head" >&2; exit 1; }
  # (pg_dump 15.14+ writes a random \restrict key: left out)
  "$pg_dump" -s -d "tpl_head_$r" -T retort_history -T retort_history_id_seq |
    grep -v '^\\\(un\)\?restrict ' >"$work/schema_$r.sql"
done
for r in retort alembic; do
  diff -q "$work/schema_psql.sql" "$work/schema_$r.sql" >/dev/null ||
    { echo "bench_runner.sh: $r's head schema differs from the psql floor's:" >&2
      diff "$work/schema_psql.sql" "$work/schema_$r.sql" | head -20 >&2; exit 1; }
done
tables=$("$psql" -X -At -d tpl_head_psql -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
policies=$("$psql" -X -At -d tpl_head_psql -c "SELECT count(*) FROM pg_policies")
log "head: $tables tables, $policies policies; the three runners' schemas are equal"
sql -c "CREATE DATABASE check_trips TEMPLATE tpl_base"
run_psql_floor check_trips upgrade_retort_trips
got=$("$psql" -X -At -d check_trips -c "SELECT string_agg(version_num, ',') FROM alembic_version")
[ "$got" = "$head" ] || { echo "bench_runner.sh: upgrade_retort_trips.sql left '$got'" >&2; exit 1; }
for r in retort alembic psql trips; do
  [ "$r" = trips ] || sql -c "CREATE DATABASE check_$r TEMPLATE tpl_head_$r"
  case $r in
    retort) run_retort check_retort downgrade base ;;
    alembic) run_alembic check_alembic downgrade base 2>/dev/null ;;
    psql) run_psql_floor check_psql downgrade ;;
    trips) run_psql_floor check_trips downgrade_retort_trips ;;
  esac
  left=$("$psql" -X -At -d "check_$r" -c "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
         AND c.relname NOT IN ('alembic_version', 'alembic_version_pkc', 'retort_history',
                               'retort_history_pkey', 'retort_history_id_seq')")
  rows=$("$psql" -X -At -d "check_$r" -c 'SELECT count(*) FROM alembic_version')
  [ -z "$left" ] && [ "$rows" = 0 ] ||
    { echo "bench_runner.sh: $r's downgrade base left [$left], $rows version rows" >&2; exit 1; }
  sql -c "DROP DATABASE check_$r"
done
for r in retort alembic psql; do sql -c "CREATE DATABASE noop_$r TEMPLATE tpl_head_$r"; done

# bench_cmd SCENARIO RUNNER DB: the timed command, as words for hyperfine -N.
bench_cmd() {
  local scenario=$1 runner=$2 db=$3 cmd
  case "$runner:$scenario" in
    retort:noop) cmd=$(retort_cmd "upgrade head" "$db") ;;
    retort:up) cmd=$(retort_cmd "upgrade head" "$db") ;;
    retort:down) cmd=$(retort_cmd "downgrade base" "$db") ;;
    alembic:noop|alembic:up) cmd=$(alembic_cmd "upgrade head") ;;
    alembic:down) cmd=$(alembic_cmd "downgrade base") ;;
    psql:noop) cmd="$psql -X -d $db -c 'select 1'" ;;
    psql:up) cmd="$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/upgrade.sql" ;;
    psql:down) cmd="$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/downgrade.sql" ;;
    trips:up) cmd="$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/upgrade_retort_trips.sql" ;;
    trips:down) cmd="$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/downgrade_retort_trips.sql" ;;
  esac
  echo "$cmd"
}

# bench SCENARIO RUNNER ROUND RUNS WARMUP [PREPARE]: one hyperfine call.
bench() {
  local scenario=$1 runner=$2 round=$3 nruns=$4 warmup=$5 prepare=${6:-} db cmd
  db=$([ "$scenario" = noop ] && echo "noop_$runner" || echo bench_run)
  cmd=$(bench_cmd "$scenario" "$runner" "$db")
  local args=(-N --style basic --runs "$nruns" --warmup "$warmup"
              --export-json "$results/$scenario.$runner.r$round.json")
  [ -n "$prepare" ] && args+=(--prepare "$prepare")
  log "round $round/$rounds, $scenario, $runner: $cmd"
  RETORT_BENCH_ALEMBIC_URL=$(sa_url "$db") hyperfine "${args[@]}" "$cmd" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%H:%M)
# head_template RUNNER: where RUNNER's head -> base starts (the trips script mimics
# retort, so it starts from retort's head, retort_history included).
head_template() { [ "$1" = trips ] && echo tpl_head_retort || echo "tpl_head_$1"; }
order=(retort alembic psql trips)
for round in $(seq 1 "$rounds"); do
  warm=$([ "$round" = 1 ] && echo 1 || echo 0)
  for runner in "${order[@]}"; do
    [ "$runner" = trips ] && continue
    n=$([ "$runner" = alembic ] && echo $(( (noop_runs + 3) / 4 )) || echo "$noop_runs")
    bench noop "$runner" "$round" "$n" 2
  done
  for runner in "${order[@]}"; do
    n=$([ "$runner" = alembic ] && echo "$alembic_runs" || echo "$runs")
    bench up "$runner" "$round" "$n" "$warm" "$work/fresh_db.sh tpl_base"
    bench down "$runner" "$round" "$n" "$warm" "$work/fresh_db.sh $(head_template "$runner")"
  done
  order=("${order[@]:1}" "${order[0]}")  # rotate: no runner always goes first
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Profile: one more run of each, with every statement's server time in the log.
if $profile; then
  log "profile: one run each with log_min_duration_statement = 0"
  sql -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
  for scenario in noop up down; do
    for runner in retort alembic psql trips; do
      [ "$scenario:$runner" = noop:trips ] && continue
      db=$([ "$scenario" = noop ] && echo "noop_$runner" || echo bench_run)
      case $scenario in
        up) "$work/fresh_db.sh" tpl_base ;;
        down) "$work/fresh_db.sh" "$(head_template "$runner")" ;;
      esac
      cmd=$(bench_cmd "$scenario" "$runner" "$db")
      sleep 0.5
      offset=$(stat -c %s "$PGTMP/server.log")
      eval "words=($cmd)"  # the same word splitting as hyperfine's (our own paths, no spaces)
      RETORT_BENCH_ALEMBIC_URL=$(sa_url "$db") /usr/bin/time -f '%e %U %S' \
        -o "$results/prof.$scenario.$runner.time" "${words[@]}" >/dev/null 2>&1
      sleep 0.5  # let the server finish writing the log
      tail -c +$((offset + 1)) "$PGTMP/server.log" >"$results/prof.$scenario.$runner.log"
    done
  done
  sql -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
fi

echo
echo "Command: \`$cmdline\`"
echo
if [ -n "$built_from" ]; then
  built="built from commit $built_from"
else
  built="repo at $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src include CMakeLists.txt 2>/dev/null || echo ' (src has uncommitted changes)')"
fi
echo "retort $("$retort" --version 2>/dev/null | awk '{print $NF}') ($retort, $built);" \
     "Alembic $(/usr/bin/python3 -c 'import alembic; print(alembic.__version__)') + SQLAlchemy" \
     "$(/usr/bin/python3 -c 'import sqlalchemy; print(sqlalchemy.__version__)') + psycopg2;" \
     "PostgreSQL $("$psql" -X -At -c 'SHOW server_version' | awk '{print $1}') over $transport" \
     "(fsync off); $revisions revisions, $tables tables, $policies policies at head;" \
     "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'));" \
     "$(date -u +%Y-%m-%d) $started-$(date -u +%H:%M) UTC; load average $load_before before, $load_after after."
echo
/usr/bin/python3 bench/gen_runner_projects.py table "$results"
if $profile; then
  echo
  echo "Profile (one run each, log_min_duration_statement = 0, so a little slower than above):"
  echo
  /usr/bin/python3 bench/gen_runner_projects.py profile "$results" "$chain"
fi
