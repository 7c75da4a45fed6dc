#!/usr/bin/env bash
# Prints the path of a Node.js binary of one major release (default 24), installing it once
# from the npm registry's node-<os>-<arch> package into cpchaos's cache: a fresh machine gets
# it with no download beyond npm. The tests run on it besides the Node.js they were started
# with (scripts/test-on-node.sh); a user can run cpchaos itself with it the same way.
set -euo pipefail
major=${1:-24}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-release: npm has no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
cache=${CPCHAOS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cpchaos}
dir="$cache/node/$major"
bin="$dir/node_modules/node-$os-$arch/bin/node"
if [ ! -x "$bin" ]; then
  echo "node-release: installing Node.js $major (npm package node-$os-$arch@$major) into $dir" >&2
  mkdir -p "$dir"
  # --ignore-scripts: the package's own install script would fetch again what the tarball holds.
  npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "node-$os-$arch@$major" >&2
fi
echo "$bin"
