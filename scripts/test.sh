#!/usr/bin/env bash
# npm test: unit tests, then end-to-end tests of the built binary against a private
# Ceph RGW (HTTPS on loopback) and a private gnome-keyring, both started and stopped here.
#   scripts/test.sh           everything but the packaging test
#   scripts/test.sh --unit          unit tests only (no servers, no Debian packages)
#   scripts/test.sh --reliability   the reliability suite (faults, crashes, bad input), then the tests that stop or
#                                   freeze the gateway (test/reliability/exclusive/), one file at a time
#   scripts/test.sh --package       the packaging test: npm pack, npm install -g of the tarball, the installed sse3
#   scripts/test.sh FILE...         only these built test files (e.g. dist/test/e2e/get.test.js)
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests' build has the fault points of the reliability tests (src/faults.ts); the shipped one does not.
if [ "${1:-}" = "--unit" ]; then
  SSE3_FAULT_HOOKS=1 npm run --silent build
  exec node --test dist/test/unit/*.test.js
fi

bash scripts/install-deps.sh
# Node 24 for the tests of what sse3 does under a Node that has a compile cache (this machine's may not).
SSE3_TEST_NODE24=$(bash scripts/install-node.sh 24.22.3)
export SSE3_TEST_NODE24
SSE3_FAULT_HOOKS=1 npm run --silent build

state=$(mktemp -d "${TMPDIR:-/tmp}/sse3-test.XXXXXX")
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
