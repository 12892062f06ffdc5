#!/usr/bin/env bash
# Quick start: build retort (if needed) and run its main job on migrations_example:
# prove every revision on a throwaway PostgreSQL (verify --ephemeral).
#
#   scripts/quickstart.sh
#
# Installs missing Debian packages first (scripts/install_deps.sh).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

scripts/install_deps.sh

if [ ! -f build/CMakeCache.txt ]; then
  step "configure (build/)"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRETORT_WERROR=ON
fi
step "build retort"
cmake --build build -j"${RETORT_JOBS:-2}" --target retort

# history and --sql are offline (no database_url needed); verify --ephemeral
# starts its own PostgreSQL from the local binaries and removes it afterwards.
config=migrations_example/retort.yaml

step "retort -c $config history"
build/retort -c "$config" history

step "retort -c $config upgrade base:heads --sql"
build/retort -c "$config" upgrade base:heads --sql

step "prove the chain on a throwaway database"
build/retort -c "$config" verify --ephemeral
