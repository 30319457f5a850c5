# What the benchmarks share (sourced by bench/run.sh and bench/targets.sh from the repository's root, after BENCH_NAME,
# PORT, STORE_BYTES, REPS, BIG_MIB, SMALL_COUNT, SMALL_KIB and GET_RUNS are set): scratch space and log, the project's
# Node, the build, measurement helpers, the RGW with every tool given the same SSE-C key, and the scenarios both run.
#
# The measured processes run in the environment a user has: the machine's NODE_EXTRA_CA_CERTS (set here for npm, a
# large CA bundle every Node start parses) is unset once npm is done, and each tool is given the test CA explicitly
# (sse3 --ca-bundle, aws-cli --ca-bundle, rclone --ca-cert). Where that variable changes sse3's figure, the bench also
# measures sse3 with it set again (MACHINE_EXTRA_CA_CERTS) and prints both.
BUCKET=sse3-bench
TOOLS=(sse3 aws-cli rclone)

# ---------------------------------------------------------------------------------------------
# Scratch space, logging, cleanup

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sse3-bench-$BENCH_NAME.XXXXXX")
case "$WORK" in *[[:space:]]*) echo "bench: TMPDIR must not contain whitespace" >&2; rmdir "$WORK"; exit 2 ;; esac
LOG=$WORK/bench.log
RAW=$WORK/raw.ndjson
RGW_DIR=$WORK/rgw
RGW_STARTED=0
: >"$RAW"
mkdir -p bench/work

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  trap '' PIPE
  if [ "$RGW_STARTED" = 1 ]; then
    bash scripts/rgw.sh stop "$RGW_DIR" >>"$LOG" 2>&1 || echo "bench: stopping the RGW in $RGW_DIR failed" >&2
  fi
  cp -f "$LOG" bench/work/last-$BENCH_NAME.log 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: scratch kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  [ "$rc" -eq 0 ] || echo "bench: failed (exit $rc); full log in bench/work/last-$BENCH_NAME.log" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
die() {
  echo "bench: $*" | tee -a "$LOG" >&2
  echo "---- last lines of the log" >&2
  tail -n 25 "$LOG" >&2
  exit 1
}

# tiny_tree DIR COUNT NAME TEXT: COUNT tiny files in folders of 1,000 (DIR/d0000/NAME0000000 ...), each holding TEXT
# with %d replaced by the file's number.
tiny_tree() {
  node -e '
const fs = require("fs");
const [dir, count, name, text] = process.argv.slice(1);
for (let i = 0; i < +count; i++) {
  const sub = `${dir}/d${String(Math.floor(i / 1000)).padStart(4, "0")}`;
  if (i % 1000 === 0) fs.mkdirSync(sub, { recursive: true });
  fs.writeFileSync(`${sub}/${name}${String(i).padStart(7, "0")}`, text.replace("%d", String(i)));
}' "$@"
}

# ---------------------------------------------------------------------------------------------
# Tools

say "checking tools"
bash scripts/install-deps.sh >>"$LOG" 2>&1 || die "scripts/install-deps.sh failed"
missing=()
command -v rclone >/dev/null || missing+=(rclone)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  say "installing ${missing[*]}"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } \
    >>"$LOG" 2>&1 || die "apt-get install ${missing[*]} failed"
fi
# A pyenv or pip shim may shadow the Debian aws-cli on PATH; the benchmark means the packaged one.
AWS_BIN=/usr/bin/aws
[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli)"

if [ ! -d node_modules ]; then
  say "npm ci"
  npm ci >>"$LOG" 2>&1 || die "npm ci failed"
fi
say "npm run build"
npm run build >>"$LOG" 2>&1 || die "npm run build failed"
# shellcheck source=scripts/project-node.sh
source scripts/project-node.sh
MACHINE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-}
unset NODE_EXTRA_CA_CERTS

# ---------------------------------------------------------------------------------------------
# Measurement helpers

# Wall time from the same clock for every tool, at ns resolution (GNU time rounds to 10 ms).
now_ns() { date +%s%N; }

# run_timed SCENARIO TOOL REP CMD...: wall (ns clock), user, sys and peak RSS of one run.
run_timed() {
  local scen=$1 tool=$2 rep=$3 t0 t1 rc=0 e u s m
  shift 3
  echo "+ [$scen/$tool/$rep] $*" >>"$LOG"
  t0=$(now_ns)
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.out" "$@" >>"$LOG" 2>&1 || rc=$?
  t1=$(now_ns)
  [ "$rc" -eq 0 ] || die "$tool failed in $scen (rep $rep, exit $rc): $*"
  read -r e u s m < <(tail -n 1 "$WORK/time.out")
  printf '{"scenario":"%s","tool":"%s","rep":%d,"wall":%s,"user":%s,"sys":%s,"maxrssKiB":%s}\n' \
    "$scen" "$tool" "$rep" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')" \
    "$u" "$s" "$m" >>"$RAW"
  awk -v a="$t0" -v b="$t1" -v t="$tool" -v sc="$scen" -v u="$u" -v s="$s" -v m="$m" \
    'BEGIN { printf "    %-14s %-8s %7.2f s wall  %6.2f s cpu  %5.0f MiB\n", sc, t, (b - a) / 1e9, u + s, m / 1024 }' >&2
}

s3check() { NODE_EXTRA_CA_CERTS=$CA node bench/s3check.mjs "$@" >>"$LOG" 2>&1; }

# verify_prefix PREFIX KEYFILE COUNT SIZE|- WHAT [SAMPLE]
verify_prefix() {
  s3check verify "$BUCKET" "$1" "$2" "$3" "$4" ${6:-} || die "$5: objects under s3://$BUCKET/$1 are not what was asked (see log)"
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Digest of a whole tree: relative paths and contents.
tree_digest() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

same_file() { # FILE EXPECTED_SHA WHAT
  local got
  got=$(sha_of "$1")
  [ "$got" = "$2" ] || die "$3: downloaded bytes differ from the source (sha256 $got, expected $2)"
}

# Deleted RGW objects stay in the pool until garbage collection; memstore is RAM, so collect now.
collect_garbage() {
  timeout 120 radosgw-admin -c "$RGW_DIR/ceph.conf" gc process --include-all >>"$LOG" 2>&1 || die "radosgw-admin gc process failed"
  local used
  used=$(timeout 10 ceph -c "$RGW_DIR/ceph.conf" daemon osd.0 perf dump 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).osd.stat_bytes_used)}catch{console.log(-1)}})')
  echo "store used after gc: $used bytes" >>"$LOG"
  printf '{"storeUsedBytes":%s}\n' "${used:--1}" >>"$WORK/store.ndjson"
}

# Tools in a different order every repetition, so none always runs first on a warm server.
order_for() { # REP
  local i n=${#TOOLS[@]} out=()
  for ((i = 0; i < n; i++)); do out+=("${TOOLS[$(((i + $1 - 1) % n))]}"); done
  echo "${out[@]}"
}

hf() { # JSON_OUT RUNS WARMUP [hyperfine args...]
  local out=$1 runs=$2 warmup=$3
  shift 3
  echo "+ hyperfine $*" >>"$LOG"
  hyperfine -N --style basic --runs "$runs" --warmup "$warmup" --export-json "$out" "$@" >>"$LOG" 2>&1 ||
    die "hyperfine failed: $*"
}

# ---------------------------------------------------------------------------------------------
# Start-up: bare node, --version, --help and completions, whole processes in one hyperfine run (no server needed).
# bench_startup JSON_OUT HOME [PREFIX_LINE]: HOME's manifest names a bucket "bucket" (and, for PREFIX_LINE, a full page
# of keys under it). With the machine's NODE_EXTRA_CA_CERTS, node -e 0 and --version are measured again with it set.
bench_startup() {
  local out=$1 home=$2 prefix_line=${3:-} answer n version extra=()
  if [ -n "$prefix_line" ]; then
    answer=$(SSE3_HOME=$home node bin/sse3.js __complete bash "$prefix_line") || die "completion of '$prefix_line' failed"
    n=$(printf '%s\n' "$answer" | grep -c '^s3://bucket/some/prefix/' || true)
    [ "$n" -ge 100 ] || die "completion of '$prefix_line' gave $n candidates under the prefix, expected a full page"
    extra+=(-n 'complete: prefix' "node bin/sse3.js __complete bash '$prefix_line'")
  fi
  answer=$(SSE3_HOME=$home node bin/sse3.js __complete bash 'sse3 get s3://') || die "bucket completion failed"
  grep -q '^s3://bucket/' <<<"$answer" || die "bucket completion does not offer s3://bucket/: $answer"
  answer=$(node bin/sse3.js __complete bash 'sse3 g') || die "command completion failed"
  grep -q '^get' <<<"$answer" || die "command completion of 'sse3 g' does not offer get: $answer"
  version=$(node bin/sse3.js --version) || die "sse3 --version failed"
  [ "$version" = "$(node -p 'require("./package.json").version')" ] || die "sse3 --version printed '$version'"
  node bin/sse3.js --help | grep -q '^Usage: sse3' || die "sse3 --help does not print usage"
  if [ -n "$MACHINE_EXTRA_CA_CERTS" ]; then
    extra+=(-n 'node -e 0 (machine NODE_EXTRA_CA_CERTS)' "env NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA_CERTS node -e 0"
      -n 'sse3 --version (machine NODE_EXTRA_CA_CERTS)' "env NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA_CERTS node bin/sse3.js --version")
  fi
  say "start-up and completion ($STARTUP_RUNS runs each)"
  SSE3_HOME=$home hf "$out" "$STARTUP_RUNS" 3 \
    -n 'node -e 0' 'node -e 0' \
    -n 'sse3 --version' 'node bin/sse3.js --version' \
    -n 'sse3 --help' 'node bin/sse3.js --help' \
    -n 'complete: commands' "node bin/sse3.js __complete bash 'sse3 g'" \
    -n 'complete: buckets' "node bin/sse3.js __complete bash 'sse3 get s3://'" \
    "${extra[@]}"
}

# ---------------------------------------------------------------------------------------------
# Server, keys, peers

bench_server() {
  say "starting Ceph RGW on 127.0.0.1:$PORT"
  RGW_STARTED=1
  SSE3_RGW_PORT=$PORT SSE3_RGW_STORE_BYTES=$STORE_BYTES bash scripts/rgw.sh start "$RGW_DIR" >>"$LOG" 2>&1 ||
    die "could not start the RGW (is port $PORT free? set SSE3_BENCH_PORT)"
  # shellcheck disable=SC1091
  source "$RGW_DIR/env.sh"
  EP=$AWS_ENDPOINT_URL
  CA=$AWS_CA_BUNDLE
  # Each tool gets endpoint and CA explicitly; rclone's SDK chokes on AWS_CA_BUNDLE with its own transport.
  unset AWS_CA_BUNDLE
  export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required

  export SSE3_HOME=$WORK/home
  KEYS=$WORK/keys
  mkdir -p "$KEYS"
  K1=$KEYS/k1.bin
  K2=$KEYS/k2.bin
  node bin/sse3.js keygen "file:$K1" >>"$LOG" 2>&1 || die "sse3 keygen failed"
  node bin/sse3.js keygen "file:$K2" >>"$LOG" 2>&1 || die "sse3 keygen failed"
  K1_B64=$(base64 -w0 "$K1")

  export RCLONE_CONFIG=/dev/null
  export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Ceph RCLONE_CONFIG_BENCH_ENDPOINT=$EP \
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
    RCLONE_CONFIG_BENCH_REGION=$AWS_REGION

  SSE3=(node bin/sse3.js --endpoint-url "$EP" --ca-bundle "$CA" -q)
  AWS=("$AWS_BIN" --endpoint-url "$EP" --ca-bundle "$CA")
  AWS_SSEC=(--sse-c AES256 --sse-c-key "fileb://$K1" --only-show-errors)
  RCLONE=(rclone --ca-cert "$CA" --s3-no-check-bucket --ignore-times
    --s3-sse-customer-algorithm AES256 --s3-sse-customer-key-base64 "$K1_B64")
  # rclone sync with its defaults (no --ignore-times: it must be free to skip what it finds unchanged).
  RCLONE_SYNC=(rclone --ca-cert "$CA" --s3-no-check-bucket --s3-sse-customer-algorithm AES256 --s3-sse-customer-key-base64 "$K1_B64")

  "${AWS[@]}" s3 mb "s3://$BUCKET" >>"$LOG" 2>&1 || die "could not create bucket $BUCKET"
}

# put_cmd TOOL SRC S3KEY / get_cmd TOOL S3KEY DST: one file, the same key for everyone.
put_cmd() {
  case $1 in
    sse3) echo "${SSE3[*]} put $2 s3://$BUCKET/$3 --key file:$K1" ;;
    aws-cli) echo "${AWS[*]} s3 cp $2 s3://$BUCKET/$3 ${AWS_SSEC[*]}" ;;
    rclone) echo "${RCLONE[*]} copyto $2 bench:$BUCKET/$3" ;;
  esac
}
get_cmd() {
  case $1 in
    sse3) echo "${SSE3[*]} get s3://$BUCKET/$2 $3 --key file:$K1" ;;
    aws-cli) echo "${AWS[*]} s3 cp s3://$BUCKET/$2 $3 ${AWS_SSEC[*]}" ;;
    rclone) echo "${RCLONE[*]} copyto bench:$BUCKET/$2 $3" ;;
  esac
}
# Recursive: a local folder up to a prefix, and a prefix down to a folder.
up_cmd() {
  case $1 in
    sse3) echo "${SSE3[*]} cp --recursive $2/ s3://$BUCKET/$3/ --key file:$K1" ;;
    aws-cli) echo "${AWS[*]} s3 cp --recursive $2/ s3://$BUCKET/$3/ ${AWS_SSEC[*]}" ;;
    rclone) echo "${RCLONE[*]} copy $2 bench:$BUCKET/$3" ;;
  esac
}
down_cmd() {
  case $1 in
    # cp's --key names the destination's key; the source's is --source-key.
    sse3) echo "${SSE3[*]} cp --recursive s3://$BUCKET/$2/ $3/ --source-key file:$K1" ;;
    aws-cli) echo "${AWS[*]} s3 cp --recursive s3://$BUCKET/$2/ $3/ ${AWS_SSEC[*]}" ;;
    rclone) echo "${RCLONE[*]} copy bench:$BUCKET/$2 $3" ;;
  esac
}
# sync_cmd TOOL DIR PREFIX: make s3://BUCKET/PREFIX/ the same as DIR, each tool with its default change detection.
sync_cmd() {
  case $1 in
    sse3) echo "${SSE3[*]} sync $2 s3://$BUCKET/$3/ --key file:$K1" ;;
    aws-cli) echo "${AWS[*]} s3 sync $2 s3://$BUCKET/$3/ ${AWS_SSEC[*]}" ;;
    rclone) echo "${RCLONE_SYNC[*]} sync $2 bench:$BUCKET/$3" ;;
  esac
}
# Paths and the base64 key contain no whitespace (checked above), so word splitting is safe.
run_cmd() { # SCEN TOOL REP CMDLINE
  local -
  set -f
  # shellcheck disable=SC2086
  run_timed "$1" "$2" "$3" $4
}

plain() { # CMDLINE: untimed
  local -
  set -f
  echo "+ $1" >>"$LOG"
  # shellcheck disable=SC2086
  $1 >>"$LOG" 2>&1
}

# ---------------------------------------------------------------------------------------------
# 1. A 1 KiB get: start-up dominated
bench_get1k() {
  say "1 KiB get ($GET_RUNS runs per tool)"
  head -c 1024 /dev/urandom >"$WORK/tiny.bin"
  TINY_SHA=$(sha_of "$WORK/tiny.bin")
  mkdir -p "$WORK/out"
  for t in "${TOOLS[@]}"; do
    plain "$(put_cmd "$t" "$WORK/tiny.bin" "tiny/$t.bin")" || die "$t could not upload the 1 KiB object"
  done
  verify_prefix tiny/ "$K1" 3 1024 "1 KiB puts"
  hf_args=()
  for t in "${TOOLS[@]}"; do
    out=$WORK/out/tiny-$t.bin
    plain "$(get_cmd "$t" "tiny/$t.bin" "$out")" || die "$t could not download the 1 KiB object"
    same_file "$out" "$TINY_SHA" "$t 1 KiB get"
    hf_args+=(-n "$t" "$(get_cmd "$t" "tiny/$t.bin" "$out")")
  done
  # The floor: a Node.js process that does one signed SSE-C GET and nothing else (bench/floor-get.mjs).
  local floor=(node bench/floor-get.mjs "$EP" "$BUCKET" tiny/sse3.bin "$K1" "$CA" "$WORK/out/tiny-floor.bin")
  "${floor[@]}" 2>>"$LOG" || die "the node floor could not download the 1 KiB object"
  same_file "$WORK/out/tiny-floor.bin" "$TINY_SHA" "node floor 1 KiB get"
  hf_args+=(-n 'node floor (one signed GET)' "${floor[*]}")
  [ -z "$MACHINE_EXTRA_CA_CERTS" ] ||
    hf_args+=(-n 'sse3 (machine NODE_EXTRA_CA_CERTS)' "env NODE_EXTRA_CA_CERTS=$MACHINE_EXTRA_CA_CERTS $(get_cmd sse3 tiny/sse3.bin "$WORK/out/tiny-sse3.bin")")
  hf "$WORK/hf-get1k.json" "$GET_RUNS" 2 "${hf_args[@]}"
  for t in "${TOOLS[@]}"; do same_file "$WORK/out/tiny-$t.bin" "$TINY_SHA" "$t 1 KiB get (after timing)"; done
  s3check rm "$BUCKET" tiny/ || die "cleanup of tiny/ failed"
}

# ---------------------------------------------------------------------------------------------
# 2 + 4. A big file: put, get, and sse3 rotate
bench_big() {
  say "${BIG_MIB} MiB file: put, get, rotate ($REPS reps)"
  head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
  BIG_SHA=$(sha_of "$WORK/big.bin")
  BIG_BYTES=$((BIG_MIB * 1024 * 1024))
  for ((rep = 1; rep <= REPS; rep++)); do
    read -r -a order <<<"$(order_for "$rep")"
    for t in "${order[@]}"; do
      run_cmd big_put "$t" "$rep" "$(put_cmd "$t" "$WORK/big.bin" "big/$t.bin")"
      verify_prefix "big/$t.bin" "$K1" 1 "$BIG_BYTES" "$t ${BIG_MIB} MiB put"
    done
    for t in "${order[@]}"; do
      out=$WORK/out/big-$t.bin
      rm -f "$out"
      run_cmd big_get "$t" "$rep" "$(get_cmd "$t" "big/$t.bin" "$out")"
      same_file "$out" "$BIG_SHA" "$t ${BIG_MIB} MiB get"
      rm -f "$out"
    done
    run_cmd big_rotate sse3 "$rep" "${SSE3[*]} rotate s3://$BUCKET/big/sse3.bin --from file:$K1 --to file:$K2"
    verify_prefix big/sse3.bin "$K2" 1 "$BIG_BYTES" "sse3 rotate of the ${BIG_MIB} MiB object"
    plain "${SSE3[*]} get s3://$BUCKET/big/sse3.bin $WORK/out/big-rotated.bin --key file:$K2" || die "get after rotate failed"
    same_file "$WORK/out/big-rotated.bin" "$BIG_SHA" "${BIG_MIB} MiB object after rotate"
    rm -f "$WORK/out/big-rotated.bin"
    s3check rm "$BUCKET" big/ || die "cleanup of big/ failed"
    collect_garbage
  done
  rm -f "$WORK/big.bin"
}

# ---------------------------------------------------------------------------------------------
# 3 + 4. Many small files up and down, and sse3 rotate --recursive
bench_small() {
  say "$SMALL_COUNT files of $SMALL_KIB KiB: up, down, rotate --recursive ($REPS reps)"
  node -e '
  const fs = require("fs"), crypto = require("crypto");
  const [dir, count, kib] = process.argv.slice(1);
  for (let i = 0; i < +count; i++) {
    const sub = `${dir}/d${String(i % 10).padStart(2, "0")}`;
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(`${sub}/f${String(i).padStart(5, "0")}.bin`, crypto.randomBytes(+kib * 1024));
  }' "$WORK/small" "$SMALL_COUNT" "$SMALL_KIB" || die "could not create the small files"
  SMALL_DIGEST=$(tree_digest "$WORK/small")
  for ((rep = 1; rep <= REPS; rep++)); do
    read -r -a order <<<"$(order_for "$rep")"
    for t in "${order[@]}"; do
      run_cmd small_up "$t" "$rep" "$(up_cmd "$t" "$WORK/small" "small/$t")"
      verify_prefix "small/$t/" "$K1" "$SMALL_COUNT" $((SMALL_KIB * 1024)) "$t recursive upload"
    done
    for t in "${order[@]}"; do
      down=$WORK/down-$t
      rm -rf "$down"
      mkdir -p "$down"
      run_cmd small_down "$t" "$rep" "$(down_cmd "$t" "small/$t" "$down")"
      got=$(tree_digest "$down")
      [ "$got" = "$SMALL_DIGEST" ] || die "$t recursive download: the tree differs from the source"
      rm -rf "$down"
    done
    run_cmd small_rotate sse3 "$rep" "${SSE3[*]} rotate s3://$BUCKET/small/sse3/ --recursive --from file:$K1 --to file:$K2"
    verify_prefix small/sse3/ "$K2" "$SMALL_COUNT" $((SMALL_KIB * 1024)) "sse3 rotate --recursive"
    s3check rm "$BUCKET" small/ || die "cleanup of small/ failed"
    collect_garbage
  done

}