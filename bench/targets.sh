#!/usr/bin/env bash
# The start-up, memory and rotation targets, sse3 against aws-cli and rclone (and bare node) in one run, on a private
# Ceph RGW, every tool with the same SSE-C key. Shorter than bench/run.sh (no sync, no 1M-row manifest, no scale run):
# the run to repeat after a change to start-up, streaming or rotation.
#
#   npm run bench:targets                 ~15 min on 2 cores (the 100,000-object teams pass is most of it)
#   BENCH_QUICK=1 npm run bench:targets   32 MiB, 100 files, teams at 300 and 600 objects, 1 repetition
#
# Writes RESULTS_DIR/targets.md and targets.json (bench/results, or bench/work/results-quick in quick mode).
# Knobs: BENCH_REPS (2), BENCH_BIG_MIB (512), BENCH_SMALL_COUNT (1000), BENCH_SMALL_KIB (4), BENCH_GET_RUNS (20),
# BENCH_STARTUP_RUNS (30), BENCH_TEAMS_COUNTS ("20000 100000": keys usage and manifest pull in a fresh home at each
# count; two counts give the growth per object), BENCH_RESULTS_DIR, BENCH_KEEP=1, SSE3_BENCH_PORT (8553; teams uses
# the same RGW).
#
# Check `uptime` first and that nothing else of yours runs: the server shares the client's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
case "$ROOT" in *[[:space:]]*) echo "bench: the repository path must not contain whitespace" >&2; exit 2 ;; esac

# shellcheck source=bench/knobs.sh
source bench/knobs.sh bench
#    type   name         from                quick                    full
knob count  REPS         BENCH_REPS          1                        2
knob count  BIG_MIB      BENCH_BIG_MIB       32                       512
knob count  SMALL_COUNT  BENCH_SMALL_COUNT   100                      1000
knob count  SMALL_KIB    BENCH_SMALL_KIB     4
knob count  GET_RUNS     BENCH_GET_RUNS      5                        20
knob count  STARTUP_RUNS BENCH_STARTUP_RUNS  10                       30
knob counts TEAMS_COUNTS BENCH_TEAMS_COUNTS  "300 600"                "20000 100000"
knob text   RESULTS_DIR  BENCH_RESULTS_DIR   bench/work/results-quick bench/results
knob count  PORT         SSE3_BENCH_PORT     8553
knob count  STORE_BYTES  BENCH_STORE_BYTES   $((6 * 1024 * 1024 * 1024))

BENCH_NAME=targets
# shellcheck source=bench/lib.sh
source bench/lib.sh

node -e '
const os = require("os");
const [quick, reps, big, small, smallKiB, getRuns, startupRuns, teams, extraCa] = process.argv.slice(1);
console.log(JSON.stringify({ quick: quick === "1", reps: +reps, bigMiB: +big, smallCount: +small, smallKiB: +smallKiB,
  getRuns: +getRuns, startupRuns: +startupRuns, teamsCounts: teams.split(" ").filter(Boolean).map(Number),
  machineExtraCaCerts: extraCa, startedAt: new Date().toISOString(), loadAtStart: os.loadavg() }));
' "$QUICK" "$REPS" "$BIG_MIB" "$SMALL_COUNT" "$SMALL_KIB" "$GET_RUNS" "$STARTUP_RUNS" "$TEAMS_COUNTS" \
  "$MACHINE_EXTRA_CA_CERTS" >"$WORK/config.json"
say "scratch $WORK; load $(cut -d' ' -f1-3 /proc/loadavg); reps $REPS, big ${BIG_MIB} MiB, ${SMALL_COUNT} x ${SMALL_KIB} KiB, teams at $TEAMS_COUNTS"

# Start-up against a manifest that names a bucket (completion of buckets reads it).
MHOME=$WORK/mhome
mkdir -p "$MHOME"
node bench/manifest.mjs build "$MHOME/manifest.db" 1000 "https://127.0.0.1:$PORT" >/dev/null 2>>"$LOG" ||
  die "building the start-up manifest failed"
bench_startup "$WORK/hf-startup.json" "$MHOME"

bench_server
bench_get1k
bench_big
bench_small

for c in $TEAMS_COUNTS; do
  say "teams: keys usage and manifest pull over $c objects"
  BENCH_RGW_ENV=$RGW_DIR/env.sh BENCH_RESULTS_DIR=$WORK/teams-$c BENCH_TEAMS_COUNT=$c AWS_CA_BUNDLE=$CA \
    bash bench/teams.sh >>"$LOG" 2>&1 || die "bench/teams.sh at $c objects failed"
  collect_garbage
done

say "writing $RESULTS_DIR"
node bench/targets.mjs "$WORK" "$RESULTS_DIR" || die "report failed"
