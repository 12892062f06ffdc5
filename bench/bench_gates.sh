#!/usr/bin/env bash
# Gates benchmark (issue 4): what the gates of SPEC 5-6 cost per step.
#
#   bench/bench_gates.sh --retort-old PATH [--retort PATH] [--revisions N] [--rounds R]
#                        [--runs N] [--alembic-runs N] [--scale "N1 N2 ..."]
#                        [--scale-revisions N] [--scale-runs N] [--no-down]
#                        [--no-profile] [--built-from COMMIT] [--work DIR]
#
# bench/gen_gates_projects.py writes a chain of N (default 200) revisions that passes
# every gate (tables created whole: tenant FK ON DELETE CASCADE, tenant-led indexes,
# ENABLE + FORCE RLS, a tenant_isolation policy, GRANTs, UNIQUE with tenant_id, an
# isolation fixture per table; exact inverse downgrades) as a retort project (with
# tenancy:), an Alembic project and the psql floor script (gen_runner_projects.py's).
#
# On one throwaway cluster (scripts/pg_throwaway.sh, fsync off) hyperfine -N times,
# in R rounds whose runner order rotates (all runs pooled):
#   up    base -> head on a fresh database (CREATE DATABASE ... TEMPLATE in --prepare):
#         retort with every gate (--retort), retort before the gates (--retort-old, a
#         build of 344f5f7), Alembic, the psql floor;
#   down  head -> base from each runner's own head (retort's --confirm argument comes
#         from its --dry-run --format json, outside the timed region); unless --no-down
#         (then only the one run per runner that checks the downgrades is timed).
# Existing tables (--scale, default "200 2000"): per N a template at revision 1 plus N
# extra tenant-scoped tables (RLS, policy, tenant-led index, FKs, GRANT), then
# revision 1 -> head of a --scale-revisions (default 11) chain is timed for both
# retorts and the floor, and one more run per round of each retort with --format json
# gives every step's own time (the run's fixed costs left out).
# Unless --no-profile: one more gated run of each (base -> head, and at each N) with
# log_min_duration_statement = 0, server time attributed to fingerprint, catalog
# facts, isolation probe, the migration's own statements and the rest.
# Prints Markdown tables and the goals (with every gate: within 3x of the psql floor,
# faster than Alembic; per-step cost flat in the number of existing tables).
# Defaults: 3 rounds; per round 2 runs (Alembic 1) per scenario, 1 per N (at 2,000
# tables each gated step takes seconds: the fingerprint reads the whole schema).
# Needs: hyperfine, PostgreSQL client and server binaries, /usr/bin/alembic,
# /usr/bin/python3 with alembic and psycopg2, both retort binaries.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
repo=$PWD
cmdline="bench/bench_gates.sh$(printf ' %q' "$@")"

retort=build/retort
retort_old=
alembic=${ALEMBIC:-/usr/bin/alembic}
revisions=200
rounds=3
runs=2
alembic_runs=1
scale="200 2000"
scale_revisions=11
scale_runs=1
down=true
profile=true
built_from=  # the commit --retort was built from (default: the repo's HEAD)
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --retort) retort=$2; shift ;;
    --retort-old) retort_old=$2; shift ;;
    --revisions) revisions=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --alembic-runs) alembic_runs=$2; shift ;;
    --scale) scale=$2; shift ;;
    --scale-revisions) scale_revisions=$2; shift ;;
    --scale-runs) scale_runs=$2; shift ;;
    --no-down) down=false ;;
    --no-profile) profile=false ;;
    --built-from) built_from=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "bench_gates.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$retort_old" ] || { echo "bench_gates.sh: --retort-old PATH (a retort built from 344f5f7) is required" >&2; exit 2; }

pgbin=${PGBIN:-$(pg_config --bindir 2>/dev/null || true)}
if [ ! -x "$pgbin/psql" ]; then
  pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
          sort -t/ -k5,5n | tail -n 1)
fi
psql=$pgbin/psql
pg_dump=$pgbin/pg_dump
for tool in hyperfine "$psql" "$pg_dump" /usr/bin/python3 "$alembic" "$retort" "$retort_old"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench_gates.sh: $tool not found" >&2; exit 2; }
done
/usr/bin/python3 -c 'import alembic, psycopg2' 2>/dev/null ||
  { echo "bench_gates.sh: /usr/bin/python3 lacks alembic or psycopg2" >&2; exit 2; }
retort=$(realpath "$retort")
retort_old=$(realpath "$retort_old")

PGTMP=
cleanup() {
  if [ -n "$PGTMP" ]; then "$repo/scripts/pg_throwaway.sh" stop "$PGTMP" || true; fi
  if [ -n "${own_work:-}" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/retort-gbench.XXXXXX")
  own_work=1
fi
mkdir -p "$work"
work=$(realpath "$work")
results=$work/results
rm -rf -- "$results" "$work/chain" "$work/short"
mkdir -p "$results"
log() { echo "--- $(date -u +%H:%M:%S) $*" >&2; }

gen=bench/gen_gates_projects.py
/usr/bin/python3 $gen generate "$work/chain" --revisions "$revisions"
/usr/bin/python3 $gen generate "$work/short" --revisions "$scale_revisions"

cluster_env=$(scripts/pg_throwaway.sh start)
eval "$cluster_env"
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres
db_url() { echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"; }
sa_url() { echo "postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/$1"; }
sql() { "$psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
at() { "$psql" -X -At -v ON_ERROR_STOP=1 -d "$@"; }

# The timed command of RUNNER for SCENARIO on database DB with chain CHAIN, as words.
bench_cmd() {
  local scenario=$1 runner=$2 db=$3 chain=$4 bin
  case $runner in retort) bin=$retort ;; retort_old) bin=$retort_old ;; esac
  case "$runner:$scenario" in
    retort*:down) echo "$bin -q -c $chain/retort/retort.yaml --url $(db_url "$db") downgrade base$(
                    [ "$runner" = retort ] && [ -n "$confirm" ] && echo " --confirm $confirm")" ;;
    retort*:*) echo "$bin -q -c $chain/retort/retort.yaml --url $(db_url "$db") upgrade head" ;;
    alembic:up) echo "$alembic -c $chain/alembic/alembic.ini upgrade head" ;;
    alembic:down) echo "$alembic -c $chain/alembic/alembic.ini downgrade base" ;;
    psql:up) echo "$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/upgrade.sql" ;;
    psql:down) echo "$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/downgrade.sql" ;;
    psql:scale*) echo "$psql -X -q -v ON_ERROR_STOP=1 -d $db -f $chain/psql/upgrade_from_1.sql" ;;
  esac
}
run() {  # run SCENARIO RUNNER DB CHAIN: one untimed run
  local words
  eval "words=($(bench_cmd "$@"))"
  RETORT_BENCH_ALEMBIC_URL=$(sa_url "$3") "${words[@]}" >/dev/null 2>"$work/run.err" ||
    { echo "bench_gates.sh: $2 $1 failed:" >&2; tail -30 "$work/run.err" >&2; exit 1; }
}

# A fresh database from a template (for --prepare, outside the timed region).
cat >"$work/fresh_db.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
export PGHOST='$PGHOST' PGPORT='$PGPORT' PGUSER=postgres
'$psql' -X -q -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS bench_run WITH (FORCE)' \\
  -c "CREATE DATABASE bench_run TEMPLATE \$1 STRATEGY FILE_COPY" -c CHECKPOINT
EOF
chmod +x "$work/fresh_db.sh"
fresh() { "$work/fresh_db.sh" "$1"; }

log "setting up: the app role, templates at base and at head (one per runner), checks"
sql -c "CREATE ROLE retort_bench_app NOLOGIN" -c "GRANT retort_bench_app TO postgres" \
    -c "CREATE DATABASE tpl_base TEMPLATE template0"
confirm=
runners=(retort retort_old alembic psql)
for r in "${runners[@]}"; do
  sql -c "CREATE DATABASE tpl_head_$r TEMPLATE tpl_base"
  run up "$r" "tpl_head_$r" "$work/chain"
done
head=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$work/chain/manifest.json")
for r in "${runners[@]}"; do
  got=$(at "tpl_head_$r" -c "SELECT string_agg(version_num, ',') FROM alembic_version")
  [ "$got" = "$head" ] || { echo "bench_gates.sh: $r left alembic_version at '$got', expected $head" >&2; exit 1; }
  "$pg_dump" -s -d "tpl_head_$r" -T retort_history -T retort_history_id_seq |
    grep -v '^\\\(un\)\?restrict ' >"$work/schema_$r.sql"
done
for r in retort retort_old alembic; do
  diff -q "$work/schema_psql.sql" "$work/schema_$r.sql" >/dev/null ||
    { echo "bench_gates.sh: $r's head schema differs from the floor's:" >&2
      diff "$work/schema_psql.sql" "$work/schema_$r.sql" | head -20 >&2; exit 1; }
done
tables=$(at tpl_head_psql -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
log "head: $tables tables; the four runners' schemas are equal"
# retort's gated run printed no finding? (a refusal would have failed above)
"$retort" -c "$work/chain/retort/retort.yaml" --url "$(db_url tpl_head_retort)" check >/dev/null 2>&1 ||
  log "warning: retort check on the gated head is not clean"
if true; then  # always: checks each runner's downgrade; one timed run each
  fresh tpl_head_retort
  confirm=$("$retort" -c "$work/chain/retort/retort.yaml" --url "$(db_url bench_run)" --format json \
            downgrade base --dry-run | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["confirm"])')
  log "downgrade confirmation: ${#confirm} characters"
  for r in "${runners[@]}"; do
    fresh "tpl_head_$r"
    t0=$(date +%s.%N)
    run down "$r" bench_run "$work/chain"
    echo "$(date +%s.%N) - $t0" | bc >"$results/downonce.$r.time"
    left=$(at bench_run -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r'
             AND c.relname NOT IN ('alembic_version', 'retort_history')")
    [ "$left" = 0 ] || { echo "bench_gates.sh: $r's downgrade base left $left tables" >&2; exit 1; }
  done
fi

# Templates for the existing-tables runs: revision 1 (tenants), then N extra tables.
rev1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revisions"][0])' "$work/short/manifest.json")
for n in $scale; do
  log "template with $n extra tables"
  sql -c "CREATE DATABASE tpl_scale_$n TEMPLATE tpl_base"
  "$retort" -q -c "$work/short/retort/retort.yaml" --url "$(db_url "tpl_scale_$n")" upgrade "$rev1" >/dev/null
  /usr/bin/python3 $gen extra-tables "$n" | "$psql" -X -q -v ON_ERROR_STOP=1 -d "tpl_scale_$n" >/dev/null
  at "tpl_scale_$n" -c "VACUUM ANALYZE" >/dev/null
  log "tpl_scale_$n: $(at "tpl_scale_$n" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") tables," \
      "$(at "tpl_scale_$n" -c "SELECT count(*) FROM pg_policies") policies"
done

bench() {  # bench SCENARIO RUNNER ROUND RUNS TEMPLATE CHAIN
  local scenario=$1 runner=$2 round=$3 nruns=$4 tpl=$5 chain=$6 cmd
  cmd=$(bench_cmd "$scenario" "$runner" bench_run "$chain")
  log "round $round/$rounds, $scenario, $runner"
  RETORT_BENCH_ALEMBIC_URL=$(sa_url bench_run) hyperfine -N --style basic --runs "$nruns" \
    --prepare "$work/fresh_db.sh $tpl" --export-json "$results/$scenario.$runner.r$round.json" "$cmd" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%H:%M)
order=("${runners[@]}")
for round in $(seq 1 "$rounds"); do
  for runner in "${order[@]}"; do
    n=$([ "$runner" = alembic ] && echo "$alembic_runs" || echo "$runs")
    bench up "$runner" "$round" "$n" tpl_base "$work/chain"
    if $down; then bench down "$runner" "$round" "$n" "tpl_head_$runner" "$work/chain"; fi
  done
  for n in $scale; do
    for runner in retort retort_old psql; do
      bench "scale$n" "$runner" "$round" "$scale_runs" "tpl_scale_$n" "$work/short"
      [ "$runner" = psql ] && continue
      bin=$([ "$runner" = retort ] && echo "$retort" || echo "$retort_old")
      fresh "tpl_scale_$n"
      "$bin" -c "$work/short/retort/retort.yaml" --url "$(db_url bench_run)" --format json upgrade head \
        >"$results/steps.$n.$runner.r$round.json" 2>/dev/null
    done
  done
  order=("${order[@]:1}" "${order[0]}")
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

profiles=()
if $profile; then
  log "profile: log_min_duration_statement = 0"
  sql -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
  prof() {  # prof NAME TEMPLATE CHAIN
    fresh "$2"
    sleep 0.5
    local offset
    offset=$(stat -c %s "$PGTMP/server.log")
    /usr/bin/time -f '%e %U %S' -o "$results/prof.$1.time" \
      "$retort" -q -c "$3/retort/retort.yaml" --url "$(db_url bench_run)" upgrade head >/dev/null 2>&1
    sleep 0.5
    tail -c +$((offset + 1)) "$PGTMP/server.log" >"$results/prof.$1.log"
    profiles+=("$results/prof.$1.log")
  }
  prof "base_to_head_${revisions}_revisions" tpl_base "$work/chain"
  for n in $scale; do prof "extra_${n}_tables" "tpl_scale_$n" "$work/short"; done
  sql -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
fi

echo
echo "Command: \`$cmdline\`"
echo
if [ -n "$built_from" ]; then
  built="built from commit $built_from"
else
  built="repo at $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src include CMakeLists.txt 2>/dev/null || echo ', src has uncommitted changes')"
fi
echo "retort $("$retort" --version 2>/dev/null | head -n 1 | awk '{print $NF}') ($retort, $built);" \
     "before the gates: $retort_old (344f5f7);" \
     "Alembic $(/usr/bin/python3 -c 'import alembic; print(alembic.__version__)') + psycopg2;" \
     "PostgreSQL $(at postgres -c 'SHOW server_version' | awk '{print $1}') over TCP (fsync off);" \
     "$revisions revisions, $tables tables at head; existing-tables runs: $((scale_revisions - 1)) steps;" \
     "$(nproc) CPUs; $(date -u +%Y-%m-%d) $started-$(date -u +%H:%M) UTC; load average $load_before before, $load_after after."
echo
/usr/bin/python3 $gen table "$results" --steps "$revisions" --scaling-steps $((scale_revisions - 1))
if $profile; then
  echo
  echo "Server time per kind of statement (one gated run each, log_min_duration_statement = 0):"
  echo
  /usr/bin/python3 $gen attribute "$work/chain" "${profiles[@]}"
fi
