#!/usr/bin/env bash
# Quick start: build retort (if needed) and run it on migrations_example.
#
#   scripts/quickstart.sh
#
# Needs the packages listed in README.md ("Building").
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ ! -f build/CMakeCache.txt ]; then
  step "configure (build/)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRETORT_WERROR=ON
fi
step "build retort"
cmake --build build -j"${RETORT_JOBS:-2}" --target retort

# The commands below are offline: they read the script directory only, so
# database_url (${DATABASE_URL}) is not needed yet.
config=migrations_example/retort.yaml

step "retort -c $config history"
build/retort -c "$config" history

step "retort -c $config upgrade base:heads --sql"
build/retort -c "$config" upgrade base:heads --sql

step "prove the chain on a throwaway database"
build/retort -c "$config" verify --ephemeral
