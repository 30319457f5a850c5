#!/usr/bin/env bash
# sse3 against aws-cli and rclone on a private Ceph RGW, every tool with the same SSE-C key.
#
#   npm run bench                  full run (~15-25 min on 2 cores): writes bench/results/ and the
#                                  results table between the bench markers of README.md
#   BENCH_QUICK=1 npm run bench    32 MiB, 100 files, 10,000 manifest rows, sync of 500 files (+3 x 8 MiB)
#                                  and a no-change sync of 2,000, verify/rotate over 1,000 objects, 1 repetition; writes
#                                  bench/work/results-quick/ and leaves README.md alone
#   (both end with bench/adopt.sh: adopt and ls of a bucket aws-cli wrote, into RESULTS_DIR/adopt.md, and
#   bench/teams.sh: keys usage and manifest pull of a shared bucket, into RESULTS_DIR/teams.md)
#
# Knobs: BENCH_REPS (3), BENCH_BIG_MIB (512), BENCH_SMALL_COUNT (1000), BENCH_SMALL_KIB (4),
# BENCH_MANIFEST_ROWS (1000000), BENCH_GET_RUNS / BENCH_STARTUP_RUNS (hyperfine runs),
# BENCH_SYNC_FILES (10000 small files of BENCH_SMALL_KIB), BENCH_SYNC_LARGE (3) x BENCH_SYNC_LARGE_MIB (64),
# BENCH_SYNC_RSS_FILES (200000: the no-change sync whose peak RSS is measured; uploading them first takes a while),
# BENCH_RESULTS_DIR, BENCH_UPDATE_README (1 in full mode), BENCH_KEEP=1 (keep the scratch dir),
# SSE3_BENCH_PORT (8543), BENCH_STORE_BYTES (memstore size, 12 GiB),
# BENCH_SCALE_COUNT (100000 tiny objects that sse3 verify and rotate --fingerprint go over; sse3 cp -r writes and
# records them first, which takes most of that section's time).
#
# Every object a peer writes is checked to be SSE-C with our key and every download is compared
# by SHA-256 with its source; any mismatch stops the run, since a number from a misconfigured
# peer would be worthless.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
case "$ROOT" in *[[:space:]]*) echo "bench: the repository path must not contain whitespace" >&2; exit 2 ;; esac

# shellcheck source=bench/knobs.sh
source bench/knobs.sh bench
#    type   name           from                  quick                    full
knob count  REPS           BENCH_REPS            1                        3
knob count  BIG_MIB        BENCH_BIG_MIB         32                       512
knob count  SMALL_COUNT    BENCH_SMALL_COUNT     100                      1000
knob count  SMALL_KIB      BENCH_SMALL_KIB       4
knob count  ROWS           BENCH_MANIFEST_ROWS   10000                    1000000
knob count  GET_RUNS       BENCH_GET_RUNS        5                        15
knob count  STARTUP_RUNS   BENCH_STARTUP_RUNS    10                       30
knob text   RESULTS_DIR    BENCH_RESULTS_DIR     bench/work/results-quick bench/results
knob text   UPDATE_README  BENCH_UPDATE_README   0                        1
knob count  PORT           SSE3_BENCH_PORT       8543
knob count  STORE_BYTES    BENCH_STORE_BYTES     $((12 * 1024 * 1024 * 1024))
knob count  SYNC_FILES     BENCH_SYNC_FILES      500                      10000
knob count  SYNC_LARGE     BENCH_SYNC_LARGE      3
knob count  SYNC_LARGE_MIB BENCH_SYNC_LARGE_MIB  8                        64
knob count  SYNC_RSS_FILES BENCH_SYNC_RSS_FILES  2000                     200000
knob count  SCALE_COUNT    BENCH_SCALE_COUNT     1000                     100000

BENCH_NAME=run
# shellcheck source=bench/lib.sh
source bench/lib.sh

node -e '
const os = require("os");
const [quick, reps, big, small, smallKiB, rows, getRuns, startupRuns, port, syncFiles, syncLarge, syncLargeMiB, syncRssFiles,
  scaleCount] = process.argv.slice(1);
console.log(JSON.stringify({ quick: quick === "1", reps: +reps, bigMiB: +big, smallCount: +small, smallKiB: +smallKiB,
  manifestRows: +rows, getRuns: +getRuns, startupRuns: +startupRuns, port: +port, syncFiles: +syncFiles, syncLarge: +syncLarge,
  syncLargeMiB: +syncLargeMiB, syncRssFiles: +syncRssFiles, scaleCount: +scaleCount, startedAt: new Date().toISOString(), loadAtStart: os.loadavg() }));
' "$QUICK" "$REPS" "$BIG_MIB" "$SMALL_COUNT" "$SMALL_KIB" "$ROWS" "$GET_RUNS" "$STARTUP_RUNS" "$PORT" \
  "$SYNC_FILES" "$SYNC_LARGE" "$SYNC_LARGE_MIB" "$SYNC_RSS_FILES" "$SCALE_COUNT" >"$WORK/config.json"

say "scratch $WORK; reps $REPS, big ${BIG_MIB} MiB, ${SMALL_COUNT} x ${SMALL_KIB} KiB, ${ROWS} manifest rows"

# ---------------------------------------------------------------------------------------------
# 5 + 6. Manifest at scale, start-up and completion (no server needed)

MHOME=$WORK/mhome
mkdir -p "$MHOME"
MANIFEST_ENDPOINT="https://127.0.0.1:$PORT"
say "manifest: building $ROWS entries"
node bench/manifest.mjs build "$MHOME/manifest.db" "$ROWS" "$MANIFEST_ENDPOINT" >"$WORK/manifest-build.json" 2>>"$LOG" ||
  die "building the manifest failed"
say "manifest: timing add and lookup through ManifestStore"
node bench/manifest.mjs measure "$MHOME/manifest.db" "$ROWS" "$MANIFEST_ENDPOINT" "$([ "$QUICK" = 1 ] && echo 500 || echo 2000)" \
  >"$WORK/manifest-measure.json" 2>>"$LOG" || die "timing the manifest failed"

bench_startup "$WORK/hf-startup.json" "$MHOME" "sse3 get s3://bucket/some/prefix/"

bench_server
bench_get1k
bench_big
bench_small

# ---------------------------------------------------------------------------------------------
# 3b. verify and rotate --fingerprint at scale (sse3 only): SCALE_COUNT tiny real objects, written and recorded by
#     sse3 cp -r into a manifest of their own; then every one HEADed by verify and rotated by rotate --fingerprint.
#     objects/s and peak RSS are what the rows report.

say "scale: $SCALE_COUNT tiny objects; cp -r, verify, rotate --fingerprint, verify"
tiny_tree "$WORK/scale" "$SCALE_COUNT" o $'object %d\n' || die "could not create the scale tree"
SCALE_HOME=$WORK/scale-home
mkdir -p "$SCALE_HOME"
K3=$KEYS/k3.bin
node bin/sse3.js keygen "file:$K3" >>"$LOG" 2>&1 || die "sse3 keygen failed"
run_cmd scale_fill sse3 1 "env SSE3_HOME=$SCALE_HOME ${SSE3[*]} cp --recursive $WORK/scale/ s3://$BUCKET/scale/ --key file:$K3"
rm -rf "$WORK/scale"
SSE3_HOME=$SCALE_HOME node bin/sse3.js manifest list --json >"$WORK/scale-rows.ndjson" || die "sse3 manifest list failed"
scale_fp=$(head -n 1 "$WORK/scale-rows.ndjson" | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).fingerprint));') ||
  die "could not read the scale objects' fingerprint"
rows=$(tail -n 1 "$WORK/scale-rows.ndjson" | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).summary.entries));') ||
  die "could not read the summary of sse3 manifest list"
rm -f "$WORK/scale-rows.ndjson"
[ "$rows" = "$SCALE_COUNT" ] || die "the scale manifest records $rows entries, expected $SCALE_COUNT"
run_cmd scale_verify sse3 1 "env SSE3_HOME=$SCALE_HOME ${SSE3[*]} verify s3://$BUCKET/scale/ --key file:$K3"
run_cmd scale_rotate sse3 1 "env SSE3_HOME=$SCALE_HOME ${SSE3[*]} rotate --fingerprint $scale_fp --from file:$K3 --to file:$K2"
verify_prefix scale/ "$K2" "$SCALE_COUNT" - "sse3 rotate --fingerprint at scale" 200
run_cmd scale_verify_after sse3 1 "env SSE3_HOME=$SCALE_HOME ${SSE3[*]} verify s3://$BUCKET/scale/ --key file:$K2"
s3check rm "$BUCKET" scale/ || die "cleanup of scale/ failed"
collect_garbage

# ---------------------------------------------------------------------------------------------
# 7. sync: a first sync, a no-change sync and a sync after 1 % of the files changed, every tool
#    to its own prefix; then sse3 alone: peak RSS of a no-change sync of many files.

SYNC_BYTES=$((SYNC_FILES * SMALL_KIB * 1024 + SYNC_LARGE * SYNC_LARGE_MIB * 1024 * 1024))
SYNC_COUNT=$((SYNC_FILES + SYNC_LARGE))
say "sync: $SYNC_FILES x $SMALL_KIB KiB + $SYNC_LARGE x $SYNC_LARGE_MIB MiB; first, no change, 1 % changed ($REPS reps)"
node -e '
const fs = require("fs"), crypto = require("crypto");
const [dir, count, kib, large, largeMiB] = process.argv.slice(1);
for (let i = 0; i < +count; i++) {
  const sub = `${dir}/d${String(i % 100).padStart(3, "0")}`;
  fs.mkdirSync(sub, { recursive: true });
  fs.writeFileSync(`${sub}/f${String(i).padStart(6, "0")}.bin`, crypto.randomBytes(+kib * 1024));
}
fs.mkdirSync(`${dir}/large`, { recursive: true });
for (let i = 0; i < +large; i++) {
  const fd = fs.openSync(`${dir}/large/l${i}.bin`, "w");
  for (let m = 0; m < +largeMiB; m++) fs.writeSync(fd, crypto.randomBytes(1024 * 1024));
  fs.closeSync(fd);
}' "$WORK/sync" "$SYNC_FILES" "$SMALL_KIB" "$SYNC_LARGE" "$SYNC_LARGE_MIB" || die "could not create the sync tree"
# 1 % of the small files (at least one), the same ones for every tool: same size, new bytes, a new mtime.
(cd "$WORK/sync" && find . -path ./large -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
  awk -v n="$SYNC_FILES" 'NR % (n < 100 ? n : 100) == 0') >"$WORK/sync-changed.txt"
[ -s "$WORK/sync-changed.txt" ] || die "no files picked for the 1 % change"
state_of() { NODE_EXTRA_CA_CERTS=$CA node bench/s3check.mjs state "$BUCKET" "$1" 2>>"$LOG" || die "listing s3://$BUCKET/$1 failed"; }
for ((rep = 1; rep <= REPS; rep++)); do
  read -r -a order <<<"$(order_for "$rep")"
  s3check rm "$BUCKET" sync/ || die "cleanup of sync/ failed"
  for t in "${order[@]}"; do
    run_cmd sync_first "$t" "$rep" "$(sync_cmd "$t" "$WORK/sync" "sync/$t")"
    verify_prefix "sync/$t/" "$K1" "$SYNC_COUNT" - "$t first sync" 200
  done
  sleep 1 # so that a rewrite in the no-change sync would show in LastModified
  for t in "${order[@]}"; do
    before=$(state_of "sync/$t/")
    if [ "$t" = sse3 ]; then
      reqlog=$WORK/sync-requests-$rep.log
      rm -f "$reqlog"
      run_cmd sync_nochange "$t" "$rep" "env SSE3_REQUEST_LOG=$reqlog $(sync_cmd "$t" "$WORK/sync" "sync/$t")"
      total=$(wc -l <"$reqlog" 2>/dev/null || echo 0)
      listing=$(grep -c '^ListObjectsV2Command$' "$reqlog" 2>/dev/null || true)
    else
      run_cmd sync_nochange "$t" "$rep" "$(sync_cmd "$t" "$WORK/sync" "sync/$t")"
      total=-1 listing=-1
    fi
    after=$(state_of "sync/$t/")
    printf '{"rep":%d,"tool":"%s","files":%d,"requests":%s,"listRequests":%s,"rewrote":%s}\n' "$rep" "$t" "$SYNC_COUNT" \
      "$total" "${listing:-0}" "$([ "$before" = "$after" ] && echo false || echo true)" >>"$WORK/sync.ndjson"
  done
  while read -r rel; do head -c $((SMALL_KIB * 1024)) /dev/urandom >"$WORK/sync/$rel"; done <"$WORK/sync-changed.txt"
  for t in "${order[@]}"; do
    run_cmd sync_changed "$t" "$rep" "$(sync_cmd "$t" "$WORK/sync" "sync/$t")"
    NODE_EXTRA_CA_CERTS=$CA node bench/s3check.mjs compare "$BUCKET" "sync/$t/" "$K1" "$WORK/sync" "$WORK/sync-changed.txt" \
      >>"$LOG" 2>&1 || die "$t did not upload every changed file (see log)"
  done
  s3check rm "$BUCKET" sync/ || die "cleanup of sync/ failed"
  collect_garbage
done
rm -rf "$WORK/sync"

say "sync: peak RSS of a no-change sync of $SYNC_RSS_FILES files (sse3; uploading them first)"
tiny_tree "$WORK/many" "$SYNC_RSS_FILES" f '%d' || die "could not create the many-files tree"
plain "${SSE3[*]} sync $WORK/many s3://$BUCKET/many/ --key file:$K1 --jobs 32" || die "sse3 could not upload the many-files tree"
reqlog=$WORK/sync-rss-requests.log
run_cmd sync_rss sse3 1 "env SSE3_REQUEST_LOG=$reqlog $(sync_cmd sse3 "$WORK/many" many)"
printf '{"rss":true,"files":%d,"requests":%s,"listRequests":%s}\n' "$SYNC_RSS_FILES" "$(wc -l <"$reqlog")" \
  "$(grep -c '^ListObjectsV2Command$' "$reqlog" || true)" >>"$WORK/sync.ndjson"
rm -rf "$WORK/many"
s3check rm "$BUCKET" many/ || die "cleanup of many/ failed"
collect_garbage

# 8. adopt and ls on a bucket aws-cli wrote (bench/adopt.sh, on this RGW)

say "adopt: aws-cli-written bucket, 3 candidate keys"
BENCH_RGW_ENV=$RGW_DIR/env.sh BENCH_RESULTS_DIR=$RESULTS_DIR BENCH_QUICK=$QUICK bash bench/adopt.sh >>"$LOG" 2>&1 ||
  die "bench/adopt.sh failed"

# 9. keys usage and manifest pull over a shared bucket (bench/teams.sh, on this RGW)

say "teams: keys usage and manifest pull"
BENCH_RGW_ENV=$RGW_DIR/env.sh BENCH_RESULTS_DIR=$RESULTS_DIR BENCH_QUICK=$QUICK bash bench/teams.sh >>"$LOG" 2>&1 ||
  die "bench/teams.sh failed"

# ---------------------------------------------------------------------------------------------
# Report

say "writing $RESULTS_DIR"
AWS_BIN=$AWS_BIN node bench/report.mjs "$WORK" "$RESULTS_DIR" "$UPDATE_README" || die "report failed"
