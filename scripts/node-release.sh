#!/usr/bin/env bash
# Prints the path of a Node.js binary of one major release (default 24), installed once from
# the npm registry into cpchaos's cache (src/binaries/node-release.ts, through
# `cpchaos binaries --node`). Needs the build (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/cpchaos.js binaries --node "${1:-24}"
