#!/usr/bin/env bash
# Wall time of the test suite (without the kind end-to-end tests, which need Docker and
# dominate by minutes) in two built checkouts of cpchaos, interleaved A B A B ... so the
# noise of a shared machine falls on both alike. Prints each run and the medians.
#   bash bench/suite-interleaved.sh /path/to/checkout-A /path/to/checkout-B [pairs=3]
set -euo pipefail
a=$1 b=$2 pairs=${3:-3}
run() {
  local dir=$1 start end
  start=$(date +%s.%N)
  (cd "$dir" && npx ava $(find dist/test -name '*.test.js' ! -name 'kind-e2e.test.js' | sort) >/tmp/suite-$$.log 2>&1) || { echo "suite failed in $dir (log: /tmp/suite-$$.log)" >&2; exit 1; }
  end=$(date +%s.%N)
  local passed
  passed=$(grep -oE '[0-9]+ tests? passed' /tmp/suite-$$.log | head -1)
  echo "$(basename "$dir") $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s ($passed)"
}
results=()
for i in $(seq "$pairs"); do
  results+=("$(run "$a")") && echo "${results[-1]}"
  results+=("$(run "$b")") && echo "${results[-1]}"
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ma=$(printf '%s\n' "${results[@]}" | grep "^$(basename "$a") " | awk '{print $2}' | median)
mb=$(printf '%s\n' "${results[@]}" | grep "^$(basename "$b") " | awk '{print $2}' | median)
echo "median A $ma s, B $mb s, B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }')"
rm -f /tmp/suite-$$.log
