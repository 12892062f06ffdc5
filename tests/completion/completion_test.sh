#!/usr/bin/env bash
# ctest: completion/retort.bash sources cleanly in a plain bash (no
# bash-completion package, nounset on) and completes commands, options and
# revision targets of migrations_example through the given retort binary.
#   tests/completion/completion_test.sh RETORT_BINARY SOURCE_DIR
set -euo pipefail
retort=${1:?retort binary}
src=${2:?source dir}
failures=0

# shellcheck source=../../completion/retort.bash
source "$src/completion/retort.bash"
complete -p retort >/dev/null

# complete LINE: COMPREPLY for the cursor at the end of LINE (words[0] = the binary).
complete_line() {
  COMP_LINE="$retort $1"
  COMP_POINT=${#COMP_LINE}
  COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
  _retort
  printf '%s\n' "${COMPREPLY[@]}"
}

expect() {  # expect LINE WORD...: every WORD is offered
  local line=$1 got w
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    if ! grep -qxF -- "$w" <<<"$got"; then
      echo "FAIL: '$line<TAB>' does not offer '$w'; got: $(tr '\n' ' ' <<<"$got")"
      failures=$((failures + 1))
    fi
  done
}

expect_not() {  # expect_not LINE WORD...: no WORD is offered
  local line=$1 got w
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    if grep -qxF -- "$w" <<<"$got"; then
      echo "FAIL: '$line<TAB>' offers '$w'"
      failures=$((failures + 1))
    fi
  done
}

cfg="$src/migrations_example/retort.yaml"
expect "up" upgrade
expect_not "up" downgrade history
expect "" init revision merge heads branches history show upgrade downgrade stamp current verify check lint
expect "--" --config --format --version
expect "history -" -r --rev-range -i --indicate-current --verbose
expect "stamp --" --purge --sql
expect "--format " text json
# Targets come from the project named by -c/--config.
expect "-c $cfg upgrade " head heads base 8a6c4e2f1d0b 1f0c2a9b7d10 billing billing@head
expect "--config $cfg downgrade 1f" 1f0c2a9b7d10
expect "--config=$cfg show bil" billing billing@head
expect_not "-c $cfg upgrade 1f" 8a6c4e2f1d0b
expect "-c $cfg revision --head " heads 7f83b1d2e6c9
# A range completes after the colon (':' is a word break: only the tail is offered).
expect "-c $cfg history -r 1f0c2a9b7d10:8a" 8a6c4e2f1d0b
# No project here: targets are only the symbols, and nothing fails.
(cd / && expect "upgrade " head heads base)

if ((failures)); then
  echo "$failures completion check(s) failed"
  exit 1
fi
echo "bash completion: all checks passed"
