#!/usr/bin/env bash
# npm test: unit tests, then end-to-end tests of the built binary against a private
# Ceph RGW (HTTPS on loopback) and a private gnome-keyring, both started and stopped here.
#   scripts/test.sh           everything but the packaging test
#   scripts/test.sh --unit          unit tests only (no servers, no Debian packages)
#   scripts/test.sh --reliability   the reliability suite (faults, crashes, bad input), then the tests that stop or
#                                   freeze the gateway (test/reliability/exclusive/), one file at a time
#   scripts/test.sh --package       the packaging test: npm pack, npm install -g of the tarball, the installed sse3
#   scripts/test.sh FILE...         only these built test files (e.g. dist/test/e2e/get.test.js)
#   scripts/test.sh --node VERSION ...  any of the above on Node.js VERSION (CI: the oldest Node sse3 runs on)
set -euo pipefail
cd "$(dirname "$0")/.."

# Every test runs on one Node: the project's Node 24 LTS, or Node.js VERSION after --node VERSION (installed in
# .cache/node/ by scripts/install-node.sh).
# shellcheck source=scripts/project-node.sh
source scripts/project-node.sh
SSE3_TEST_NODE24=$PROJECT_NODE
export SSE3_TEST_NODE24
if [ "${1:-}" = "--node" ]; then
  node_bin=$(bash scripts/install-node.sh "${2:?usage: scripts/test.sh --node VERSION [--unit | FILE...]}")
  shift 2
  PATH="$(dirname "$node_bin"):$PATH"
fi

state=$(mktemp -d "${TMPDIR:-/tmp}/sse3-test.XXXXXX")
# Removed at the end (start_private_rgw replaces this trap with one that also stops the gateway).
trap 'rm -rf "$state"' EXIT
# Nothing here writes to the real home's cache: sse3's compile cache (the build runs bin/sse3.js too) and any other
# tool's cache go to this run's folder.
export XDG_CACHE_HOME="$state/cache"

# The tests' build has the fault points of the reliability tests (src/faults.ts); the shipped one does not.
if [ "${1:-}" = "--unit" ]; then
  SSE3_FAULT_HOOKS=1 npm run --silent build
  node --test dist/test/unit/*.test.js
  exit
fi

bash scripts/install-deps.sh
# The Node just too old for sse3 and the oldest it runs on: the launcher's check of the version, and a package
# installed under one Node and run under another.
SSE3_TEST_NODE_TOO_OLD=$(bash scripts/install-node.sh 22.12.0)
SSE3_TEST_NODE_OLDEST=$(bash scripts/install-node.sh 22.13.0)
export SSE3_TEST_NODE_TOO_OLD SSE3_TEST_NODE_OLDEST
SSE3_FAULT_HOOKS=1 npm run --silent build

# Tests must never read the developer's own manifest, keys or AWS settings.
# shellcheck source=scripts/private-rgw.sh
source scripts/private-rgw.sh
start_private_rgw "$state"
unset NO_COLOR FORCE_COLOR

files=(dist/test/unit/*.test.js dist/test/e2e/*.test.js)
case "${1:-}" in
  --reliability) files=(dist/test/reliability/*.test.js dist/test/reliability/exclusive/*.test.js); shift ;;
  --package) files=(dist/test/package/*.test.js); shift ;;
esac
if [ $# -gt 0 ]; then files=("$@"); fi

# A test that stops or freezes the gateway breaks whatever another test does with it meanwhile: those files run on
# their own, one at a time, after the others (two files at a time) have finished.
shared=()
exclusive=()
for f in "${files[@]}"; do
  case "$f" in
    */reliability/exclusive/*) exclusive+=("$f") ;;
    *) shared+=("$f") ;;
  esac
done
rc=0
if [ ${#shared[@]} -gt 0 ]; then
  bash scripts/with-keyring.sh node --test --test-concurrency=2 "${shared[@]}" || rc=$?
fi
if [ ${#exclusive[@]} -gt 0 ]; then
  bash scripts/with-keyring.sh node --test --test-concurrency=1 "${exclusive[@]}" || rc=$?
fi
exit "$rc"
