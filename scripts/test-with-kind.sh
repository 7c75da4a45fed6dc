#!/usr/bin/env bash
# The test suite, after obtaining what the kind end-to-end tests run on: kind itself and
# the node image (kindest/node when it can be pulled, else built offline once and
# cached). Run inside scripts/docker.sh, which has started a Docker daemon if it could.
# Where Docker does not answer the kind tests are skipped with the reason; where it
# answers, a failure to obtain the image fails the run. Afterwards it checks that the
# tests left nothing of theirs behind (temp folders, containers, networks, processes)
# and fails the run if they did.
set -euo pipefail
cd "$(dirname "$0")/.."
docker_up=0
if docker info >/dev/null 2>&1; then
  docker_up=1
  node bin/cpchaos.js binaries --kind-image
  # The kind OOM test runs the oldest release, as the field reports' apiservers behaved.
  node bin/cpchaos.js binaries --kind-image --kubernetes-version oldest
else
  echo "test-with-kind: Docker does not answer; the kind end-to-end tests will be skipped" >&2
fi
# Everything of ours that exists now, so what the user already runs is never counted.
ours() {
  ls -d /tmp/cpchaos-* 2>/dev/null | sed 's/^/temp folder /'
  if [ $docker_up = 1 ]; then
    docker ps -a --format '{{.Names}}' | grep '^cpchaos-' | sed 's/^/container /'
    docker network ls --format '{{.Name}}' | grep '^cpchaos-' | sed 's/^/docker network /'
  fi
  pgrep -af 'cpchaos/bin/(kubernetes|etcd|kwok)-' | sed 's/^/process /'
  true
}
before=$(ours | sort)
status=0
# Each part's output is kept, so a part that failed can be shown again at the very end: a CI
# log is often read from its tail, and the parts after a failure would push it out of sight.
logs=$(mktemp -d -t test-with-kind.XXXXXX)
trap 'rm -rf "$logs"' EXIT
failed=()
part() {
  local name=$1
  shift
  local code=0
  "$@" 2>&1 | tee "$logs/$name.log" || code=$?
  if [ $code != 0 ]; then
    status=$code
    failed+=("$name")
  fi
}
if [ $# -gt 0 ]; then
  part chosen npx ava "$@"
else
  # The kind tests run after the rest, alone: a kind node beside them on two cores starves
  # the timing-sensitive tests of the local control plane.
  mapfile -t files < <(find dist/test -name '*.test.js' | grep -v '/kind-e2e[^/]*\.test\.js$' | sort)
  part main npx ava "${files[@]}"
  # The unit tests and the fleet's end-to-end test once more on Node.js 24 (another OpenSSL).
  part node-24 bash scripts/test-on-node.sh 24
  # One file at a time: each kind test is a kind node of its own.
  part kind npx ava --concurrency 1 dist/test/e2e/kind-e2e*.test.js
fi

left=$(comm -13 <(echo "$before") <(ours | sort) | sed '/^$/d')
if [ -n "$left" ]; then
  echo "test-with-kind: the tests left $(echo "$left" | wc -l) thing(s) behind:" >&2
  echo "$left" | sed 's/^/  /' >&2
  [ $status = 0 ] && status=1
else
  echo "test-with-kind: nothing left behind (temp folders, containers, networks, control-plane processes)" >&2
fi
for name in "${failed[@]}"; do
  echo "test-with-kind: the $name tests failed; what failed, again:" >&2
  # ava marks a failed test with ✘ as it ends, and explains the failures at the end of its run.
  grep -E '✘|[Uu]ncaught|[Uu]nhandled' "$logs/$name.log" | head -20 | sed 's/^/  /' >&2 || true
  tail -n 50 "$logs/$name.log" | sed 's/^/  | /' >&2
done
exit $status
