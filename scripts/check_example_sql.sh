#!/usr/bin/env bash
# Check a script directory's SQL with plain psql on a throwaway PostgreSQL, without retort:
#  * revision folders in lexical order are a topological order (parents and depends_on first);
#  * each step: upgrade, downgrade (schema back to before, by pg_dump -s), upgrade again;
#    each file in one transaction (psql -1) unless the revision says transactional: false;
#  * the isolation fixtures create rows for tenants A and B; as the app role, context A sees
#    only A's rows (and some), context B sees none of A's, no context sees nothing, and
#    under context A both moving A's rows to B (where the app role may UPDATE) and running
#    the fixture for B are rejected by row-level security;
#  * every downgrade in reverse order leaves the schema as it was before the first upgrade.
#
#   scripts/check_example_sql.sh [SCRIPT_DIR]        (default: migrations_example)
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
dir=${1:-migrations_example}
app_role=app_user
setting=app.current_tenant_id
tenant_a=aaaaaaaa-0000-4000-8000-00000000000a
tenant_b=bbbbbbbb-0000-4000-8000-00000000000b

fail() { echo "FAIL: $*" >&2; exit 1; }

# Scalar value of a top-level key in a migration.yaml (our own simple files).
yaml_get() { sed -n "s/^$2:[[:space:]]*//p" "$1" | sed 's/[][,]/ /g'; }

mapfile -t revs < <(find "$dir/versions" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort)
[ "${#revs[@]}" -gt 0 ] || fail "no revisions under $dir/versions"
seen=" "
for r in "${revs[@]}"; do
  id=$(yaml_get "$r/migration.yaml" revision)
  for parent in $(yaml_get "$r/migration.yaml" down_revision) $(yaml_get "$r/migration.yaml" depends_on); do
    [ "$parent" = null ] && continue
    case "$seen" in *" $parent "*) ;; *) fail "$r needs $parent, which is not earlier in lexical order" ;; esac
  done
  seen="$seen$id "
done
echo "ok: ${#revs[@]} revisions, lexical order is topological"

PGTMP=
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() { [ -z "$PGTMP" ] || scripts/pg_throwaway.sh stop "$PGTMP"; }
trap cleanup EXIT
trap 'exit 130' INT
eval "$(scripts/pg_throwaway.sh start)"
export PGDATABASE=example_check
psql -q -X -d postgres -c "CREATE DATABASE example_check"

run() { psql -q -X -v ON_ERROR_STOP=1 "$@" >/dev/null; }
# Schema text; newer pg_dump releases add \restrict lines with a random key.
dump() { pg_dump --schema-only --no-owner "$PGDATABASE" | grep -v '^\\\(un\)\?restrict '; }
# True when the schema now is $1; else prints the difference.
same_schema() {
  local now
  now=$(dump)
  [ "$1" = "$now" ] && return 0
  diff <(printf '%s\n' "$1") <(printf '%s\n' "$now") >&2 || true
  return 1
}
role_exists() { [ "$(psql -X -At -c "SELECT count(*) FROM pg_roles WHERE rolname = '$app_role'")" = 1 ]; }

# Runs a revision's file as retort would: in one transaction unless the
# revision is transactional: false (CREATE INDEX CONCURRENTLY and the like).
run_file() {
  if [ "$(yaml_get "$1/migration.yaml" transactional)" = false ]; then
    run -f "$1/$2"
  else
    run -1 -f "$1/$2"
  fi
}

base=$(dump)
for r in "${revs[@]}"; do
  before=$(dump)
  run_file "$r" upgrade.sql || fail "$r/upgrade.sql"
  after=$(dump)
  run_file "$r" downgrade.sql || fail "$r/downgrade.sql"
  same_schema "$before" || fail "$r: downgrade is not the inverse of upgrade"
  run_file "$r" upgrade.sql || fail "$r/upgrade.sql (second time)"
  [ "$after" = "$(dump)" ] || fail "$r: upgrade after downgrade gives another schema"
  echo "ok: $(basename "$r"): up, down (schema restored), up"
done
role_exists || fail "role $app_role missing after all upgrades"

# "table<TAB>sql" for each fixture under a migration.yaml's isolation: key,
# written as "  table: SQL" on one line or as a folded block ("  table: >-"
# and more-indented lines, joined with spaces). Our own simple files: no
# quoting, no other block styles.
fixtures_of() {
  awk '
    function flush() { if (name != "") print name "\t" sql; name = "" }
    /^isolation:/ { iso = 1; next }
    !iso { next }
    /^[^ #]/ { flush(); iso = 0; next }
    /^[[:space:]]*(#.*)?$/ { next }
    /^  [a-z_][a-z0-9_.]*:/ {
      flush()
      name = $0; sub(/^  /, "", name); sub(/:.*/, "", name)
      sql = $0; sub(/^  [a-z_][a-z0-9_.]*:[[:space:]]*/, "", sql)
      if (sql ~ /^>-?$/) sql = ""
      next
    }
    /^    / { line = $0; sub(/^ +/, "", line); sql = (sql == "" ? line : sql " " line); next }
    END { flush() }
  ' "$1"
}

# Isolation fixtures: the newest definition of each table's fixture wins; first
# definitions keep their order (a fixture may use rows of earlier ones).
declare -A fixture=()
tables=()
for r in "${revs[@]}"; do
  while IFS=$'\t' read -r t sql; do
    [ -n "${fixture[$t]+x}" ] || tables+=("$t")
    fixture[$t]=$sql
  done < <(fixtures_of "$r/migration.yaml")
done
[ "${#tables[@]}" -gt 0 ] || fail "no isolation fixtures"
for tid in "$tenant_a" "$tenant_b"; do
  # psql interpolates :'tid' (a quoted literal) in scripts, not in -c.
  run -v tid="$tid" <<<"INSERT INTO tenants (id, name) VALUES (:'tid', 'probe');"
  for t in "${tables[@]}"; do
    run -v tid="$tid" <<<"${fixture[$t]//:tenant_id/:\'tid\'};" || fail "fixture of $t"
  done
done
as_app() { psql -X -At -v ON_ERROR_STOP=1 -c "SET ROLE $app_role" -c "$1" -c "$2"; }
ctx() { echo "SELECT set_config('$setting', '$1', false)"; }
for t in "${tables[@]}"; do
  got=$(as_app "$(ctx "$tenant_a")" "SELECT count(*) FILTER (WHERE tenant_id = '$tenant_a') || ' ' || count(*) FROM $t" | tail -n 1)
  read -r mine all <<<"$got"
  { [ "$mine" -ge 1 ] && [ "$mine" = "$all" ]; } || fail "$t: tenant A sees $all rows, $mine of them its own"
  got=$(as_app "$(ctx "$tenant_b")" "SELECT count(*) FROM $t WHERE tenant_id = '$tenant_a'" | tail -n 1)
  [ "$got" = 0 ] || fail "$t: tenant B sees $got rows of tenant A"
  got=$(as_app "SELECT 1" "SELECT count(*) FROM $t" | tail -n 1)
  [ "$got" = 0 ] || fail "$t: without a tenant context $got rows are visible"
  # Rejected by the policy itself (not, say, by a composite foreign key or a
  # missing privilege). An append-only table has no UPDATE to test.
  if [ "$(psql -X -At -c "SELECT has_table_privilege('$app_role', '$t', 'UPDATE')")" = t ]; then
    if err=$(as_app "$(ctx "$tenant_a")" "UPDATE $t SET tenant_id = '$tenant_b'" 2>&1) ||
       [[ $err != *"violates row-level security policy"* ]]; then
      fail "$t: RLS did not stop tenant A from moving its rows to tenant B: ${err:-UPDATE succeeded}"
    fi
  fi
  if err=$(psql -X -At -v ON_ERROR_STOP=1 -v tid="$tenant_b" 2>&1 >/dev/null \
             <<<"SET ROLE $app_role; $(ctx "$tenant_a"); ${fixture[$t]//:tenant_id/:\'tid\'};") ||
     [[ $err != *"violates row-level security policy"* ]]; then
    fail "$t: RLS did not stop tenant A from inserting a row of tenant B: ${err:-INSERT succeeded}"
  fi
  echo "ok: $t: tenant A sees only its $mine row(s); B sees none of A's; no context sees none; A cannot write B rows"
done
run -c "DELETE FROM tenants WHERE id IN ('$tenant_a', '$tenant_b')"

for (( i=${#revs[@]}-1; i>=0; i-- )); do
  run -f "${revs[$i]}/downgrade.sql" || fail "${revs[$i]}/downgrade.sql"
done
same_schema "$base" || fail "schema not empty after all downgrades"
! role_exists || fail "role $app_role still exists after all downgrades"
echo "ok: all downgrades in reverse order: schema back to empty, role $app_role dropped"
