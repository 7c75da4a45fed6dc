#!/usr/bin/env bash
# The unit tests and one end-to-end test against a real local control plane (the agent
# fleet: TLS, HTTP/2 and the drop storms, where Node's bundled OpenSSL matters) on another
# Node.js major release, default 24, the current LTS. ava forks its workers with the Node it
# runs on, so every test file runs on that release.
set -euo pipefail
cd "$(dirname "$0")/.."
node=$(bash scripts/node-release.sh "${1:-24}")
echo "test-on-node: the unit tests and test/e2e/fleet on Node.js $("$node" --version)" >&2
mapfile -t files < <(find dist/test/unit -name '*.test.js' | sort)
"$node" node_modules/ava/entrypoints/cli.mjs "${files[@]}" dist/test/e2e/fleet.test.js
