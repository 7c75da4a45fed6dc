#!/usr/bin/env bash
# The test suite, after obtaining what the kind end-to-end tests run on: kind itself and
# the node image (kindest/node when it can be pulled, else built offline once and
# cached). Run inside scripts/docker.sh, which has started a Docker daemon if it could.
# Where Docker does not answer the kind tests are skipped with the reason; where it
# answers, a failure to obtain the image fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker info >/dev/null 2>&1; then
  node bin/cpchaos.js binaries --kind-image
else
  echo "test-with-kind: Docker does not answer; the kind end-to-end tests will be skipped" >&2
fi
exec npx ava "$@"
