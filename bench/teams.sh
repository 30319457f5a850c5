#!/usr/bin/env bash
# Shared buckets: sse3 keys usage and sse3 manifest pull over N objects — time, requests and peak RSS.
#
#   bash bench/teams.sh                 10,000 objects, own RGW on port SSE3_BENCH_PORT+2 (8545)
#   BENCH_QUICK=1 bash bench/teams.sh   300 objects
#
# Knobs: BENCH_TEAMS_COUNT, BENCH_TEAMS_CHANGED (10), BENCH_TEAMS_JOBS (16), BENCH_RESULTS_DIR, BENCH_RGW_ENV (env.sh
# of a running RGW to use instead of starting one).
#
# One home writes N small objects with sse3 cp --recursive (setup, not measured). Another home then runs keys usage
# (all keys, then one fingerprint), a first manifest pull (every tag read), and — after the first home rotated
# CHANGED objects — a second pull, which should read about CHANGED tags. Requests come from SSE3_REQUEST_LOG.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=bench/knobs.sh
source bench/knobs.sh bench/teams
#    type  name        from                 quick                    full
knob count COUNT       BENCH_TEAMS_COUNT    300                      10000
knob count CHANGED     BENCH_TEAMS_CHANGED  10
knob count JOBS        BENCH_TEAMS_JOBS     16
knob text  RESULTS_DIR BENCH_RESULTS_DIR    bench/work/results-quick bench/results
knob count PORT        SSE3_BENCH_PORT      8543
PORT=$((PORT + 2))
[ "$CHANGED" -le "$COUNT" ] || { echo "bench/teams: BENCH_TEAMS_CHANGED must not exceed the count" >&2; exit 2; }

NAME=teams
# shellcheck source=bench/side.sh
source bench/side.sh
SSE3=(node bin/sse3.js)
WRITER=$WORK/writer
READER=$WORK/reader
mkdir -p "$WRITER/keys" "$READER/keys" "$WORK/src"
for k in k1 k2; do SSE3_HOME=$WRITER "${SSE3[@]}" keygen "file:$WRITER/keys/$k.key" -q; cp "$WRITER/keys/$k.key" "$READER/keys/"; done
FP1=$(SSE3_HOME=$WRITER "${SSE3[@]}" keys list --json | node -e '
let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => {
  console.log(JSON.parse(s).keys.find((k) => k.ref.endsWith("/k1.key")).fingerprint); });')
node -e '
const fs = require("fs"), crypto = require("crypto");
const [dir, count] = process.argv.slice(1);
for (let n = 0; n < +count; n++) fs.writeFileSync(`${dir}/f${String(n).padStart(6, "0")}`, crypto.randomBytes(512));
' "$WORK/src" "$COUNT"
BUCKET=sse3-bench-teams-$(date +%s)
node -e '
const { S3Client, CreateBucketCommand } = require("@aws-sdk/client-s3"); const { Agent } = require("https"); const fs = require("fs");
new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, region: "us-east-1", forcePathStyle: true,
  requestHandler: { httpsAgent: new Agent({ ca: fs.readFileSync(process.env.AWS_CA_BUNDLE) }) } })
  .send(new CreateBucketCommand({ Bucket: process.argv[1] })).catch((e) => { console.error(e); process.exit(1); });
' "$BUCKET" >>"$LOG" 2>&1 || die "could not create $BUCKET"
say "setup: the writer puts $COUNT objects under k1"
SSE3_HOME=$WRITER "${SSE3[@]}" cp "$WORK/src" "s3://$BUCKET/" --recursive --key "file:$WRITER/keys/k1.key" --jobs "$JOBS" -q \
  >>"$LOG" 2>&1 || die "setup upload failed"

# timed NAME CMD...: wall, peak RSS and request counts of one sse3 run by the reader.
timed() {
  local name=$1 t0 t1 rc=0
  shift
  rm -f "$WORK/requests.log"
  echo "+ $*" >>"$LOG"
  t0=$(date +%s%N)
  SSE3_HOME=$READER SSE3_REQUEST_LOG=$WORK/requests.log /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/stdout" 2>>"$LOG" || rc=$?
  t1=$(date +%s%N)
  [ "$rc" -eq 0 ] || die "exit $rc: $*"
  node -e '
const fs = require("fs");
const [out, what, t0, t1, rss, counts] = process.argv.slice(1);
fs.appendFileSync(out, JSON.stringify({ what, wall: (t1 - t0) / 1e9, maxrssKiB: +fs.readFileSync(rss, "utf8").trim().split("\n").pop(),
  requests: (fs.existsSync(counts) ? fs.readFileSync(counts, "utf8") : "").split("\n").filter(Boolean)
    .reduce((n, op) => ({ ...n, [op]: (n[op] ?? 0) + 1 }), {}) }) + "\n");
' "$WORK/runs.ndjson" "$name" "$t0" "$t1" "$WORK/rss" "$WORK/requests.log"
}

say "keys usage (all keys), keys usage FP, first manifest pull"
timed "keys usage s3://B" "${SSE3[@]}" keys usage "s3://$BUCKET" --json --jobs "$JOBS"
timed "keys usage FP s3://B" "${SSE3[@]}" keys usage "$FP1" "s3://$BUCKET" --json --jobs "$JOBS"
timed "manifest pull (first)" "${SSE3[@]}" manifest pull "s3://$BUCKET" --json --jobs "$JOBS"
say "the writer rotates $CHANGED objects; the reader pulls again"
for ((n = 0; n < CHANGED; n++)); do
  SSE3_HOME=$WRITER "${SSE3[@]}" rotate "s3://$BUCKET/$(printf 'f%06d' $((n * COUNT / CHANGED)))" --to "file:$WRITER/keys/k2.key" -q \
    >>"$LOG" 2>&1 || die "rotate failed"
done
timed "manifest pull ($CHANGED changed)" "${SSE3[@]}" manifest pull "s3://$BUCKET" --json --jobs "$JOBS"
grep -Eq "\"read\": ?$CHANGED," "$WORK/stdout" || die "the second pull did not read exactly $CHANGED tags: $(cat "$WORK/stdout")"

mkdir -p "$RESULTS_DIR"
node - "$WORK/runs.ndjson" "$RESULTS_DIR" "$COUNT" "$JOBS" <<'EOF' || die "report failed"
const fs = require('fs'), os = require('os'), path = require('path');
const [runsFile, outDir, count, jobs] = process.argv.slice(2);
const rows = fs.readFileSync(runsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
fs.writeFileSync(path.join(outDir, 'teams.json'), JSON.stringify({ count: +count, jobs: +jobs, date: new Date().toISOString(),
  cores: os.cpus().length, loadAvg: os.loadavg(), rows }, null, 2) + '\n');
const ops = (o) => Object.entries(o).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ');
const md = [`${count} objects, --jobs ${jobs}; ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`, '',
  '| run | wall | peak RSS | requests by operation |', '| --- | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.what} | ${r.wall.toFixed(2)} s | ${(r.maxrssKiB / 1024).toFixed(0)} MiB | ${ops(r.requests)} |`)].join('\n');
fs.writeFileSync(path.join(outDir, 'teams.md'), md + '\n');
console.log(md);
EOF
say "wrote $RESULTS_DIR/teams.json and teams.md"
