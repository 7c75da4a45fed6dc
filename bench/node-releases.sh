#!/usr/bin/env bash
# One benchmark on this machine's Node.js and on another release (default 24, from npm through
# scripts/node-release.sh), interleaved A B A B ... so the noise of a shared machine falls on
# both alike. Prints the last lines of each run (where the benchmarks put their figures), tagged
# with the Node.js version (TAIL_LINES=8 of them); the whole output goes to a log under results/.
#   npm run build && bash bench/node-releases.sh [--major 24] [--pairs 3] dist/bench/<bench>.js [its flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
major=24 pairs=3
while [ $# -gt 0 ]; do
  case $1 in
    --major) major=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: bash bench/node-releases.sh [--major 24] [--pairs 3] dist/bench/<bench>.js [flags...]" >&2; exit 2; }
other=$(bash scripts/node-release.sh "$major")
mkdir -p results && log="results/bench-node-releases-$(date +%Y%m%dT%H%M%S).log"
for i in $(seq "$pairs"); do
  for node in "$(command -v node)" "$other"; do
    version=$("$node" --version)
    echo "== pair $i, Node.js $version: $*" | tee -a "$log"
    status=0
    "$node" --expose-gc "$@" >"$log.run" 2>&1 || status=$?
    cat "$log.run" >>"$log"
    tail -n "${TAIL_LINES:-8}" "$log.run" | sed "s/^/  [$version] /"
    rm -f "$log.run"
    [ $status = 0 ] || { echo "the benchmark failed on Node.js $version (log: $log)" >&2; exit 1; }
  done
done
echo "whole output: $log"
