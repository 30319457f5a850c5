# Shared set-up of the side benchmarks (bench/adopt.sh, bench/teams.sh): sourced after NAME and PORT are set.
# Gives WORK (scratch, removed at exit), LOG (copied to bench/work/last-NAME.log), say, die, a built CLI, and the
# RGW environment: the one of BENCH_RGW_ENV (a running RGW, e.g. the main benchmark's) or a private RGW on PORT.
[ -x /usr/bin/time ] || { echo "bench/$NAME: /usr/bin/time not found (Debian package time)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sse3-bench-$NAME.XXXXXX")
LOG=$WORK/$NAME.log
RGW_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ "$RGW_STARTED" = 0 ] || bash scripts/rgw.sh stop "$WORK/rgw" >>"$LOG" 2>&1 || true
  mkdir -p bench/work && cp -f "$LOG" "bench/work/last-$NAME.log" 2>/dev/null || true
  rm -rf "$WORK"
  [ "$rc" -eq 0 ] || echo "bench/$NAME: failed (exit $rc); log in bench/work/last-$NAME.log" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
die() { echo "bench/$NAME: $*" | tee -a "$LOG" >&2; tail -n 20 "$LOG" >&2; exit 1; }

[ -f dist/bundle/cli.js ] || npm run build >>"$LOG" 2>&1 || die "npm run build failed"
# The project's Node, and the environment a user has: no NODE_EXTRA_CA_CERTS (set on test machines for npm); the RGW's
# CA reaches sse3 through AWS_CA_BUNDLE.
# shellcheck source=scripts/project-node.sh
source scripts/project-node.sh
unset NODE_EXTRA_CA_CERTS
if [ -n "${BENCH_RGW_ENV:-}" ]; then
  # shellcheck disable=SC1090
  source "$BENCH_RGW_ENV"
else
  say "starting Ceph RGW on 127.0.0.1:$PORT"
  RGW_STARTED=1
  SSE3_RGW_PORT=$PORT bash scripts/rgw.sh start "$WORK/rgw" >>"$LOG" 2>&1 || die "could not start the RGW (port $PORT busy?)"
  # shellcheck disable=SC1091
  source "$WORK/rgw/env.sh"
fi
export AWS_ENDPOINT_URL AWS_CA_BUNDLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
