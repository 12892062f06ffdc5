#!/usr/bin/env bash
# Graph benchmark: retort vs Alembic on large generated script directories.
#
#   bench/bench_graph.sh [--alembic-10k] [--runs N] [--alembic-runs N]
#                        [--sizes 2000,10000] [--retort PATH] [--work DIR]
#
# For each size, bench/gen_graph_projects.py writes one revision graph (mostly linear,
# side branches merged back, fixed seed) as an Alembic and as a retort project. Then
# hyperfine times `heads`, `history` and `upgrade base:head --sql` for both tools
# (--warmup 1), /usr/bin/time -f %M records each command's peak RSS, and a Markdown
# table is printed. Alembic runs only at the smallest size unless --alembic-10k is
# given (at 10,000 revisions each Alembic run takes seconds).
# Needs: hyperfine, GNU time (/usr/bin/time), /usr/bin/alembic (Debian's alembic 1.8),
# a built retort (default build/retort).
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

retort=build/retort
alembic=${ALEMBIC:-/usr/bin/alembic}
sizes=2000,10000
runs=10
alembic_runs=3
alembic_all=false
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --alembic-10k) alembic_all=true ;;
    --runs) runs=$2; shift ;;
    --alembic-runs) alembic_runs=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --retort) retort=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench_graph.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in hyperfine /usr/bin/time "$alembic" "$retort"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench_graph.sh: $tool not found" >&2; exit 2; }
done
retort=$(realpath "$retort")
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/retort-bench.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
fi
mkdir -p "$work"
results=$work/results
rm -rf -- "$results"

commands=("heads" "history" "upgrade base:head --sql")
IFS=, read -r -a size_list <<<"$sizes"
smallest=$(printf '%s\n' "${size_list[@]}" | sort -n | head -n 1)

# bench TOOL N INDEX RUNS COMMAND...: time it with hyperfine, then record its peak RSS.
bench() {
  local tool=$1 n=$2 i=$3 nruns=$4; shift 4
  local out=$results/size-$n/$tool-$i
  echo "--- $tool, $n revisions: ${*:2}" >&2
  "$@" >/dev/null  # fails loudly if the command is not supported
  hyperfine -N --warmup 1 --runs "$nruns" --style basic --export-json "$out.json" \
    "$(printf '%q ' "$@")" >&2
  /usr/bin/time -f %M -o "$out.rss" "$@" >/dev/null
}

for n in "${size_list[@]}"; do
  dir=$work/graph-$n
  [ -f "$dir/retort/retort.yaml" ] || /usr/bin/python3 bench/gen_graph_projects.py generate "$dir" "$n"
  mkdir -p "$results/size-$n"
  for i in "${!commands[@]}"; do
    read -r -a words <<<"${commands[$i]}"
    bench retort "$n" "$i" "$runs" "$retort" -c "$dir/retort/retort.yaml" "${words[@]}"
    if [ "$n" = "$smallest" ] || $alembic_all; then
      bench alembic "$n" "$i" "$alembic_runs" "$alembic" -c "$dir/alembic/alembic.ini" "${words[@]}"
    fi
  done
done

echo
echo "retort $("$retort" --version 2>/dev/null || echo '(version unknown)') vs Alembic $(/usr/bin/python3 -c 'import alembic; print(alembic.__version__)'); $(nproc) CPUs; $(date -u +%Y-%m-%d)"
echo
/usr/bin/python3 bench/gen_graph_projects.py table "$results"
