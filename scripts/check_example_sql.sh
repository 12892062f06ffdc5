#!/usr/bin/env bash
# Check a script directory's SQL with plain psql on a throwaway PostgreSQL, without retort:
#  * revision folders in lexical order are a topological order (parents and depends_on first);
#  * each step: upgrade, downgrade (schema back to before, by pg_dump -s), upgrade again;
#  * the isolation fixtures create rows for tenants A and B; as the app role, context A sees
#    only A's rows (and some), context B sees none of A's, no context sees nothing, and
#    writing a B row under context A is rejected;
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

base=$(dump)
for r in "${revs[@]}"; do
  before=$(dump)
  run -f "$r/upgrade.sql" || fail "$r/upgrade.sql"
  after=$(dump)
  run -f "$r/downgrade.sql" || fail "$r/downgrade.sql"
  same_schema "$before" || fail "$r: downgrade is not the inverse of upgrade"
  run -f "$r/upgrade.sql" || fail "$r/upgrade.sql (second time)"
  [ "$after" = "$(dump)" ] || fail "$r: upgrade after downgrade gives another schema"
  echo "ok: $(basename "$r"): up, down (schema restored), up"
done
role_exists || fail "role $app_role missing after all upgrades"

# Isolation fixtures: the newest definition of each table's fixture wins; first
# definitions keep their order (a fixture may use rows of earlier ones).
declare -A fixture=()
tables=()
for r in "${revs[@]}"; do
  while IFS= read -r line; do
    t=${line%%:*}; t=${t//[[:space:]]/}; sql=${line#*: }
    [ -n "${fixture[$t]+x}" ] || tables+=("$t")
    fixture[$t]=$sql
  done < <(sed -n '/^isolation:/,/^[^[:space:]]/{/^[[:space:]]\+[a-z_]\+:/p}' "$r/migration.yaml")
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
  # Rejected by the policy itself (not, say, by a composite foreign key).
  if err=$(as_app "$(ctx "$tenant_a")" "UPDATE $t SET tenant_id = '$tenant_b'" 2>&1) ||
     [[ $err != *"violates row-level security policy"* ]]; then
    fail "$t: RLS did not stop tenant A from moving its rows to tenant B: ${err:-UPDATE succeeded}"
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
