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
else
  echo "test-with-kind: Docker does not answer; the kind end-to-end tests will be skipped" >&2
fi
temp_before=$(ls -d /tmp/cpchaos-* 2>/dev/null | sort || true)
status=0
npx ava "$@" || status=$?

left=()
while IFS= read -r dir; do [ -n "$dir" ] && left+=("temp folder $dir"); done < <(comm -13 <(echo "$temp_before") <(ls -d /tmp/cpchaos-* 2>/dev/null | sort || true))
if [ $docker_up = 1 ]; then
  while IFS= read -r name; do [ -n "$name" ] && left+=("container $name"); done < <(docker ps -a --format '{{.Names}}' | grep '^cpchaos-' || true)
  while IFS= read -r name; do [ -n "$name" ] && left+=("docker network $name"); done < <(docker network ls --format '{{.Name}}' | grep '^cpchaos-' || true)
fi
while IFS= read -r proc; do [ -n "$proc" ] && left+=("process $proc"); done < <(pgrep -af 'cpchaos/bin/(kubernetes|etcd|kwok)-' | grep -v pgrep || true)
if [ ${#left[@]} -gt 0 ]; then
  echo "test-with-kind: the tests left ${#left[@]} thing(s) behind:" >&2
  printf '  %s\n' "${left[@]}" >&2
  [ $status = 0 ] && status=1
else
  echo "test-with-kind: nothing left behind (temp folders, containers, networks, control-plane processes)" >&2
fi
exit $status
