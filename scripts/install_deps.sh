#!/usr/bin/env bash
# Installs the Debian 12 packages retort needs to build, test and benchmark,
# when any is missing. The one list of packages: .ci/run, scripts/test.sh and
# scripts/quickstart.sh all call this. clang, libclang-rt-14-dev (libFuzzer) and
# llvm-14 (llvm-symbolizer) are for scripts/fuzz.sh; dpkg-dev for `cpack -G DEB`.
#
#   scripts/install_deps.sh          # install what is missing (root or sudo)
#   scripts/install_deps.sh --list   # print the package list
set -euo pipefail

packages=(
  build-essential cmake pkgconf
  libpqxx-dev libpq-dev libpg-query-dev libprotobuf-c-dev libcli11-dev libyaml-cpp-dev libssl-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  python3-alembic alembic python3-psycopg2
  groff-base man-db time hyperfine ca-certificates iproute2
  clang libclang-rt-14-dev llvm-14 dpkg-dev
)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> installing ${#missing[@]} missing Debian packages: ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  "${sudo[@]}" apt-get update && break
  [ "$attempt" -lt 3 ] || exit 1
  sleep 10
done
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
