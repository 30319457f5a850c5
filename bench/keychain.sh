#!/usr/bin/env bash
# Key discovery at scale: `sse3 verify` of many objects encrypted with a keychain key must list the keychain
# once, not once per object (or once per object in flight). Counts the Secret Service searches (D-Bus method
# SearchItems) the verify makes and times it.
#
#   bash bench/keychain.sh                 1,000 objects (BENCH_QUICK=1: 100)
#
# Knobs: BENCH_KEYCHAIN_OBJECTS, BENCH_KEYCHAIN_JOBS (verify --jobs, 8), SSE3_BENCH_PORT (8545) for the RGW it
# starts; with SSE3_RGW_DIR set (a running scripts/rgw.sh cluster) that one is used instead. Runs in a private
# D-Bus session with its own gnome-keyring (scripts/with-keyring.sh), so nothing else talks to the keyring.
# Prints one JSON line; exits 1 if the keychain was listed more than once.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
if [ "${SSE3_BENCH_IN_KEYRING:-}" != 1 ]; then
  SSE3_BENCH_IN_KEYRING=1 exec bash scripts/with-keyring.sh bash "$0" "$@"
fi

# shellcheck source=bench/knobs.sh
source bench/knobs.sh bench
knob count COUNT BENCH_KEYCHAIN_OBJECTS 100 1000
knob count JOBS  BENCH_KEYCHAIN_JOBS    8
knob count PORT  SSE3_BENCH_PORT        8545

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sse3-bench-kc.XXXXXX")
STARTED=
mon=
cleanup() {
  [ -z "$mon" ] || kill "$mon" 2>/dev/null || true
  [ -z "$STARTED" ] || bash scripts/rgw.sh stop "$STARTED" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -f dist/bundle/cli.js ] || npm run build >/dev/null
if [ -n "${SSE3_RGW_DIR:-}" ] && [ -f "$SSE3_RGW_DIR/env.sh" ]; then
  # shellcheck disable=SC1091
  source "$SSE3_RGW_DIR/env.sh"
else
  echo "bench: starting Ceph RGW on 127.0.0.1:$PORT" >&2
  STARTED=$WORK/rgw
  SSE3_RGW_PORT=$PORT bash scripts/rgw.sh start "$STARTED" >"$WORK/rgw.log" 2>&1 ||
    { tail -n 20 "$WORK/rgw.log" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$STARTED/env.sh"
fi
export AWS_ENDPOINT_URL AWS_CA_BUNDLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
export SSE3_HOME=$WORK/home AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
SSE3=(node bin/sse3.js -q)
NAME=bench-$RANDOM$RANDOM
BUCKET=sse3-bench-kc-$RANDOM$RANDOM

echo "bench: $COUNT objects under keychain:$NAME" >&2
"${SSE3[@]}" keygen "keychain:$NAME"
node -e '
const { S3Client, CreateBucketCommand } = require("@aws-sdk/client-s3");
const https = require("node:https"), fs = require("node:fs");
const c = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true, region: "us-east-1",
  requestHandler: { httpsAgent: new https.Agent({ ca: fs.readFileSync(process.env.AWS_CA_BUNDLE) }) } });
c.send(new CreateBucketCommand({ Bucket: process.argv[1] })).catch((e) => { console.error(e.message); process.exit(1); });
' "$BUCKET"
mkdir -p "$WORK/tree"
node -e 'const fs = require("fs"); for (let i = 0; i < +process.argv[2]; i++) fs.writeFileSync(`${process.argv[1]}/f${i}`, `object ${i}`);' \
  "$WORK/tree" "$COUNT"
"${SSE3[@]}" cp -r "$WORK/tree" "s3://$BUCKET/" --key "keychain:$NAME" --jobs 16

dbus-monitor --session "type='method_call',member='SearchItems'" "type='method_call',member='GetId'" >"$WORK/mon.log" 2>&1 &
mon=$!
for _ in $(seq 100); do grep -q NameAcquired "$WORK/mon.log" && break; sleep 0.1; done
t0=$(date +%s%N)
"${SSE3[@]}" verify "s3://$BUCKET" --jobs "$JOBS" --json >"$WORK/verify.json"
t1=$(date +%s%N)
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null
for _ in $(seq 100); do grep -q member=GetId "$WORK/mon.log" && break; sleep 0.1; done
kill "$mon"
mon=
listings=$(grep -c 'member=SearchItems' "$WORK/mon.log" || true)
ok=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).counts.ok' "$WORK/verify.json")
[ "$ok" = "$COUNT" ] || { echo "bench: verify found $ok of $COUNT objects OK" >&2; exit 1; }
awk -v n="$COUNT" -v j="$JOBS" -v l="$listings" -v a="$t0" -v b="$t1" \
  'BEGIN { printf "{\"objects\":%d,\"jobs\":%d,\"keychainListings\":%d,\"verifySeconds\":%.2f}\n", n, j, l, (b - a) / 1e9 }'
[ "$listings" = 1 ] || { echo "bench: the keychain was listed $listings times" >&2; exit 1; }
