#!/usr/bin/env bash
# The test command: build retort, start a throwaway PostgreSQL, run every test.
#
#   scripts/test.sh [extra ctest arguments, e.g. -R Graph or -L db]
#
# Installs missing Debian packages first (scripts/install_deps.sh). Safe to run repeatedly; the
# cluster is removed on every exit (success, failure, Ctrl-C).
# Environment: RETORT_JOBS (default 2) for both the build and ctest; RETORT_BUILD_DIR
# (default build) to keep a separate build tree; RETORT_CMAKE_ARGS, more cmake options for
# the configure step (e.g. "-DRETORT_SANITIZE=ON -DRETORT_BUILD_BENCHMARKS=OFF").
set -euo pipefail

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
jobs=${RETORT_JOBS:-2}
build=${RETORT_BUILD_DIR:-build}

scripts/install_deps.sh  # installs only what is missing

echo "==> configure + build ($build/)"
# shellcheck disable=SC2086  # RETORT_CMAKE_ARGS is a list of options
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRETORT_WERROR=ON ${RETORT_CMAKE_ARGS:-}
cmake --build "$build" -j"$jobs"

echo "==> start a throwaway PostgreSQL"
PGTMP=
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  if [ -n "$PGTMP" ]; then
    echo "==> stop the throwaway PostgreSQL"
    scripts/pg_throwaway.sh stop "$PGTMP" || true
    PGTMP=
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
eval "$(scripts/pg_throwaway.sh start)"
# Over TCP (the server also has a unix socket in $PGHOST): the end-to-end tests check
# the client address that retort records, and any local user can reach it.
export RETORT_TEST_DATABASE_URL="host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"
# Tests get the server only through RETORT_TEST_DATABASE_URL, so that a test of
# "no database configured" cannot silently reach this one through libpq's PG* variables.
unset PGHOST PGPORT PGUSER PGDATABASE
echo "    RETORT_TEST_DATABASE_URL=$RETORT_TEST_DATABASE_URL"

# Sanitizer builds: known leaks inside system libraries (each explained there).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
echo "==> ctest"
status=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" "$@" || status=$?
exit "$status"
