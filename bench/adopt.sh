#!/usr/bin/env bash
# sse3 adopt (and ls) on a bucket aws-cli wrote with the SSE-C guide's two key styles: requests per object and time.
#
#   bash bench/adopt.sh                 1,000 objects, 2 repetitions, own RGW on port SSE3_BENCH_PORT+1 (8544)
#   BENCH_QUICK=1 bash bench/adopt.sh   100 objects, 1 repetition
#   npm run bench                       runs it too, on the benchmark's RGW (bench/run.sh passes BENCH_RGW_ENV)
#
# Knobs: BENCH_ADOPT_COUNT, BENCH_ADOPT_REPS, BENCH_ADOPT_JOBS (8), BENCH_RESULTS_DIR, BENCH_RGW_ENV (env.sh of a
# running RGW to use instead of starting one).
#
# Each repetition gets a fresh bucket: half its objects written by `aws s3 cp --recursive --sse-c-key $secret` (a
# 32-character text secret), half with `--sse-c-key fileb://sse-c.key` (openssl rand 32). The secret and the raw
# key are brought in with `sse3 keys import`; a third, unrelated key is passed with --key, so adopt has three
# candidates. Requests are counted from sse3's own log of them (SSE3_REQUEST_LOG: every request it sends, retries included).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
# shellcheck source=bench/knobs.sh
source bench/knobs.sh bench/adopt
#    type  name        from                quick                    full
knob count COUNT       BENCH_ADOPT_COUNT   100                      1000
knob count REPS        BENCH_ADOPT_REPS    1                        2
knob count JOBS        BENCH_ADOPT_JOBS    8
knob text  RESULTS_DIR BENCH_RESULTS_DIR   bench/work/results-quick bench/results
knob count PORT        SSE3_BENCH_PORT     8543
PORT=$((PORT + 1))
AWS_BIN=/usr/bin/aws
[ -x "$AWS_BIN" ] || { echo "bench/adopt: $AWS_BIN not found (Debian package awscli)" >&2; exit 1; }

NAME=adopt
# shellcheck source=bench/side.sh
source bench/side.sh
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
AWS=("$AWS_BIN" --endpoint-url "$AWS_ENDPOINT_URL" --ca-bundle "$AWS_CA_BUNDLE")
SSE3=(node bin/sse3.js)

# The guide's keys: a 32-character text secret and 32 raw bytes; a third key that opens nothing here.
SECRET=$(head -c 24 /dev/urandom | base64 | tr '+/' 'xy')
KEYS=$WORK/keys
mkdir -p "$KEYS"
head -c 32 /dev/urandom >"$KEYS/sse-c.key"
head -c 32 /dev/urandom >"$KEYS/unrelated.key"
chmod 600 "$KEYS"/*.key

say "$COUNT objects x $REPS repetition(s), 3 candidate keys, --jobs $JOBS"
for i in 0 1; do
  mkdir -p "$WORK/src$i"
  node -e '
const fs = require("fs"), crypto = require("crypto");
const [dir, from, count] = process.argv.slice(1);
for (let n = +from; n < +count; n += 2) fs.writeFileSync(`${dir}/f${String(n).padStart(5, "0")}`, crypto.randomBytes(4096));
' "$WORK/src$i" "$i" "$COUNT"
done

# timed OUT_JSON CMD...: wall (ns clock) and peak RSS of one sse3 run, its request counts, its last stdout line.
timed() {
  local out=$1 t0 t1 rc=0
  shift
  rm -f "$WORK/requests.log"
  echo "+ $*" >>"$LOG"
  t0=$(date +%s%N)
  SSE3_REQUEST_LOG=$WORK/requests.log /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/stdout" 2>>"$LOG" || rc=$?
  t1=$(date +%s%N)
  [ "$rc" -eq 0 ] || die "exit $rc: $*"
  node -e '
const fs = require("fs");
const [out, t0, t1, rss, counts, stdout] = process.argv.slice(1);
const lines = fs.readFileSync(stdout, "utf8").trim().split("\n");
fs.writeFileSync(out, JSON.stringify({ wall: (t1 - t0) / 1e9, maxrssKiB: +fs.readFileSync(rss, "utf8").trim().split("\n").pop(),
  requests: (fs.existsSync(counts) ? fs.readFileSync(counts, "utf8") : "").split("\n").filter(Boolean)
    .reduce((n, op) => ({ ...n, [op]: (n[op] ?? 0) + 1 }), {}), lines: lines.length, last: lines.at(-1) }) + "\n");
' "$out" "$t0" "$t1" "$WORK/rss" "$WORK/requests.log" "$WORK/stdout"
}

for ((rep = 1; rep <= REPS; rep++)); do
  BUCKET=sse3-bench-adopt-$rep-$(date +%s)
  HOME_DIR=$WORK/home$rep
  "${AWS[@]}" s3 mb "s3://$BUCKET" >>"$LOG" 2>&1 || die "could not create $BUCKET"
  say "rep $rep: aws-cli writes $COUNT objects"
  "${AWS[@]}" s3 cp --recursive "$WORK/src0/" "s3://$BUCKET/" --sse-c AES256 --sse-c-key "$SECRET" --only-show-errors >>"$LOG" 2>&1 ||
    die "aws s3 cp (text secret) failed"
  "${AWS[@]}" s3 cp --recursive "$WORK/src1/" "s3://$BUCKET/" --sse-c AES256 --sse-c-key "fileb://$KEYS/sse-c.key" --only-show-errors \
    >>"$LOG" 2>&1 || die "aws s3 cp (raw key) failed"
  export SSE3_HOME=$HOME_DIR
  printf '%s\n' "$SECRET" | "${SSE3[@]}" keys import "file:$HOME_DIR/keys/guide.key" --from - -q || die "keys import (text) failed"
  "${SSE3[@]}" keys import "file:$HOME_DIR/keys/raw.key" --from "$KEYS/sse-c.key" -q || die "keys import (raw) failed"

  say "rep $rep: sse3 ls --recursive before adopt (every object unknown)"
  timed "$WORK/ls-unknown-$rep.json" "${SSE3[@]}" ls "s3://$BUCKET" --recursive --json --jobs "$JOBS"
  say "rep $rep: sse3 adopt"
  timed "$WORK/adopt-$rep.json" "${SSE3[@]}" adopt "s3://$BUCKET" --key "file:$KEYS/unrelated.key" --json --jobs "$JOBS"
  grep -q "\"adopted\":$COUNT," "$WORK/stdout" || die "adopt did not adopt all $COUNT objects: $(tail -n 1 "$WORK/stdout")"
  say "rep $rep: sse3 adopt again (all known)"
  timed "$WORK/rerun-$rep.json" "${SSE3[@]}" adopt "s3://$BUCKET" --key "file:$KEYS/unrelated.key" --json --jobs "$JOBS"
  grep -q "\"known\":$COUNT," "$WORK/stdout" || die "the rerun did not find all $COUNT objects known"
  say "rep $rep: sse3 ls --recursive after adopt (the manifest answers)"
  timed "$WORK/ls-known-$rep.json" "${SSE3[@]}" ls "s3://$BUCKET" --recursive --json --jobs "$JOBS"
  "${SSE3[@]}" verify "s3://$BUCKET" -q || die "verify after adopt failed"
done
unset SSE3_HOME

mkdir -p "$RESULTS_DIR"
node - "$WORK" "$RESULTS_DIR" "$COUNT" "$REPS" "$JOBS" <<'EOF' || die "report failed"
const fs = require('fs'), os = require('os'), path = require('path');
const [work, outDir, count, reps, jobs] = process.argv.slice(2);
const load = (name) => Array.from({ length: +reps }, (_, i) => JSON.parse(fs.readFileSync(path.join(work, `${name}-${i + 1}.json`), 'utf8')));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const runs = { 'adopt (3 candidate keys)': load('adopt'), 'adopt again (all known)': load('rerun'),
  'ls -r, objects unknown': load('ls-unknown'), 'ls -r after adopt': load('ls-known') };
const rows = Object.entries(runs).map(([what, rs]) => {
  const total = (r) => Object.values(r.requests).reduce((a, b) => a + b, 0);
  const byOp = {};
  for (const r of rs) for (const [op, n] of Object.entries(r.requests)) byOp[op] = (byOp[op] ?? 0) + n / rs.length;
  return { what, wall: median(rs.map((r) => r.wall)), maxrssMiB: Math.max(...rs.map((r) => r.maxrssKiB)) / 1024,
    requests: median(rs.map(total)), perObject: median(rs.map(total)) / +count, byOp };
});
const results = { count: +count, reps: +reps, jobs: +jobs, date: new Date().toISOString(), cores: os.cpus().length,
  loadAvg: os.loadavg(), rows };
fs.writeFileSync(path.join(outDir, 'adopt.json'), JSON.stringify(results, null, 2) + '\n');
const ops = (o) => Object.entries(o).map(([k, v]) => `${k.replace(/Command$/, '')} ${Math.round(v)}`).join(', ');
const md = [`${count} objects written by aws-cli (half with a text secret, half with a raw key file), 3 candidate keys, --jobs ${jobs};`,
  `medians of ${reps} repetition(s), ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`, '',
  '| run | wall | requests | per object | peak RSS | requests by operation |', '| --- | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.what} | ${r.wall.toFixed(2)} s | ${Math.round(r.requests)} | ${r.perObject.toFixed(2)} | ${r.maxrssMiB.toFixed(0)} MiB | ${ops(r.byOp)} |`)].join('\n');
fs.writeFileSync(path.join(outDir, 'adopt.md'), md + '\n');
console.log(md);
EOF
say "wrote $RESULTS_DIR/adopt.json and adopt.md"
