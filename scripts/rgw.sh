#!/usr/bin/env bash
# Throwaway single-node Ceph RGW (HTTPS on loopback) for end-to-end SSE-C tests.
#
#   scripts/rgw.sh start DIR   fresh cluster in DIR; writes DIR/env.sh
#   scripts/rgw.sh stop DIR    stops exactly the daemons recorded in DIR/pids
#   scripts/rgw.sh gateway-pid DIR      prints the PID of the cluster's radosgw
#   scripts/rgw.sh restart-gateway DIR  stops radosgw (even a SIGSTOPped one) and starts it
#                                       again on the same port; records and prints its new PID
#
# Env: SSE3_RGW_PORT (default 8443), SSE3_RGW_STORE_BYTES (default 8 GiB),
#      SSE3_RGW_TIMEOUT seconds (default 60).
# Everything (config, keyrings, data, logs, sockets) lives in DIR so several
# clusters can coexist and nothing touches /etc/ceph, /var/lib/ceph or systemd.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|gateway-pid|restart-gateway DIR" >&2
  exit 2
}

[ $# -eq 2 ] && [ -n "$2" ] || usage
cmd=$1
case "$cmd" in start | stop | gateway-pid | restart-gateway) ;; *) usage ;; esac
# ceph.conf values and the beast frontend line are whitespace-separated.
case "$2" in *[[:space:]]*) echo "rgw.sh: DIR must not contain whitespace: '$2'" >&2; exit 2 ;; esac
if [ "$cmd" = stop ] && [ ! -d "$2" ]; then exit 0; fi
case "$cmd" in
  gateway-pid | restart-gateway)
    # Only a cluster this script started: never create or adopt anything else.
    [ -e "$2/.sse3-rgw" ] && [ -f "$2/pids" ] || { echo "rgw.sh: no running cluster in $2" >&2; exit 1; }
    ;;
esac
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)
case "$DIR" in
  / | /root | /home | /tmp | /var | /usr | /etc | "$HOME") echo "rgw.sh: refusing to use $DIR as the cluster directory" >&2; exit 2 ;;
esac

CONF=$DIR/ceph.conf
PIDS=$DIR/pids
MARKER=$DIR/.sse3-rgw
PORT=${SSE3_RGW_PORT:-8443}
STORE_BYTES=${SSE3_RGW_STORE_BYTES:-$((8 * 1024 * 1024 * 1024))}
TIMEOUT=${SSE3_RGW_TIMEOUT:-60}
ACCESS_KEY=sse3test
SECRET_KEY=sse3testsecretkey0123456789abcdefABCDEF

# A PID in the file may have been reused by an unrelated process after a
# reboot or crash; only signal processes that were started with our config.
ours() {
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] || return 1
  # Zombies still answer kill -0 but are already dead.
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$CONF"
}

stop_cluster() {
  [ -f "$PIDS" ] || return 0
  local pids=() pid i
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" && pids=("$pid" "${pids[@]}")
  done <"$PIDS"
  # One at a time in reverse start order: an OSD whose mon is already gone
  # waits 5 s to report its shutdown, and radosgw stalls on a dead OSD.
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    while ours "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  done
  for pid in "${pids[@]}"; do
    if ours "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do ours "$pid" || break; sleep 0.1; done
    fi
  done
  rm -f "$PIDS"
}

# True if something listens on TCP port $1 on any local address (v4 or v6).
# Read /proc so this works without iproute2/net-tools.
port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

free_port() {
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); done
  echo "$p"
}

# Daemons must not keep the caller's stdout/stderr (or any other inherited
# fd, e.g. a CI runner's pipe) open, or whoever waits for EOF hangs.
spawn() {
  local log=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
    exec "$@" </dev/null >>"$log" 2>&1
  ) &
  echo $! >>"$PIDS"
}

fail() {
  echo "rgw.sh: $*" >&2
  local f
  for f in "$DIR"/log/*; do
    [ -s "$f" ] || continue
    echo "---- tail of $f" >&2
    tail -n 15 "$f" >&2
  done
  exit 1
}

# Wait for a command with a deadline, so a stuck cluster (e.g. OSD never up)
# fails the run instead of hanging it.
remaining() {
  local left=$((DEADLINE - $(date +%s)))
  [ "$left" -gt 0 ] || left=1
  echo "$left"
}

write_conf() {
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = false
# single node: one replica is all there is
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
# default 1 s propose interval makes every map change (and start-up) slow
paxos propose interval = 0.1
paxos min wait = 0.01
mon data avail crit = 1
mon data avail warn = 2

[mon]
mon data = $DIR/mon/\$cluster-\$id
# the mon's defaults (2 GiB target, 512 MiB rocksdb cache) are for real clusters
mon memory target = 134217728
rocksdb cache size = 33554432

[osd]
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
# Memstore keeps data in RAM (~1.5x). Once the OSD is full, writes stall
# (each radosgw attempt then fails after the op timeout below): size this for
# the test data.
memstore device bytes = $STORE_BYTES
osd op num shards = 2
osd op num threads per shard = 1
osd crush update on start = true

[client]
# A client that asks before the OSD is up only re-polls the osdmap on its
# tick (default 5 s); a fast tick turns a sporadic +5 s start-up into ~0.
objecter tick interval = 0.2

[client.rgw.a]
rgw data = $DIR/rgw
# tcp_nodelay: without it beast's small writes wait for the client's delayed ACK, and every request (even an
# anonymous listing) took 40 ms more on loopback than the server needs (3-5 ms with it).
rgw frontends = beast ssl_endpoint=127.0.0.1:$PORT ssl_certificate=$DIR/tls/server.pem ssl_private_key=$DIR/tls/server.key tcp_nodelay=1
rgw thread pool size = 32
# A full OSD pauses writes forever; with a timeout radosgw answers 408
# instead of leaving the client hanging silently.
rados osd op timeout = 10
rgw dynamic resharding = false
rgw enable usage log = false
EOF
}

make_tls() {
  local t=$DIR/tls
  mkdir -p "$t"
  # A separate CA: some TLS stacks reject a self-signed CA used as the leaf.
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$t/ca.key" -out "$DIR/ca.pem" -days 30 -subj "/CN=sse3 test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$t/server.key" -out "$t/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" >"$t/server.ext"
  openssl x509 -req -in "$t/server.csr" -CA "$DIR/ca.pem" -CAkey "$t/ca.key" -CAserial "$t/ca.srl" -CAcreateserial \
    -out "$t/server.pem" -days 30 -extfile "$t/server.ext" 2>/dev/null
}

# Any HTTP answer over TLS verified against our CA means radosgw is serving.
wait_https() {
  local py
  py=$(command -v /usr/bin/python3 python3 | head -n 1)
  timeout "$(remaining)" "$py" - "$PORT" "$DIR/ca.pem" "$DEADLINE" <<'EOF' 2>/dev/null
import http.client, ssl, sys, time
port, ca, deadline = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
while time.time() < deadline:
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=ctx)
        c.request("GET", "/")
        if c.getresponse().status:
            sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
EOF
}

start_cluster() {
  local t0 t1
  t0=$(date +%s%N)
  DEADLINE=$(($(date +%s) + TIMEOUT))

  stop_cluster
  # A half-started cluster (error, Ctrl-C) must not leave daemons behind.
  # (EXIT alone does not fire when a signal such as SIGPIPE from a closed
  # output pipe kills bash, hence the explicit signal traps.)
  trap 'rc=$?; trap "" PIPE; [ "$rc" -eq 0 ] || stop_cluster; exit "$rc"' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 141' PIPE
  trap 'exit 143' TERM
  if [ -n "$(ls -A "$DIR")" ] && [ ! -e "$MARKER" ]; then
    echo "rgw.sh: $DIR is not empty and was not created by rgw.sh; refusing to wipe it" >&2
    exit 1
  fi
  if port_in_use "$PORT"; then
    echo "rgw.sh: port $PORT is already in use; set SSE3_RGW_PORT to a free port" >&2
    exit 1
  fi
  find "$DIR" -mindepth 1 -delete
  touch "$MARKER"
  mkdir -p "$DIR"/{mon,osd/ceph-0,run,log,crash,rgw}

  FSID=$(cat /proc/sys/kernel/random/uuid)
  MON_PORT=$(free_port 3300)
  [ "$MON_PORT" != "$PORT" ] || MON_PORT=$(free_port $((PORT + 1)))
  write_conf
  make_tls &
  local tls_pid=$!

  # One keyring for every entity: mon --mkfs imports them all into the auth
  # database, which saves a round of `ceph auth` calls after start-up.
  local kr=$DIR/keyring
  ceph-authtool "$kr" --create-keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n osd.0 \
    --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.rgw.a \
    --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null

  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$kr" \
    >"$DIR/log/mkfs-mon.log" 2>&1 || fail "ceph-mon --mkfs failed"
  spawn "$DIR/log/mon.a.out" ceph-mon -c "$CONF" -i a -f

  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" --no-mon-config \
    >"$DIR/log/mkfs-osd.log" 2>&1 || fail "ceph-osd --mkfs failed"
  timeout "$(remaining)" ceph -c "$CONF" osd new "$osd_uuid" 0 \
    >"$DIR/log/osd-new.log" 2>&1 || fail "could not register the OSD with the monitor"
  spawn "$DIR/log/osd.0.out" ceph-osd -c "$CONF" -i 0 -f

  wait "$tls_pid" || fail "TLS certificate generation failed"
  spawn "$DIR/log/rgw.a.out" radosgw -c "$CONF" -n client.rgw.a -f

  timeout "$(remaining)" radosgw-admin -c "$CONF" user create --uid sse3test \
    --display-name "sse3 test" --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" \
    >"$DIR/log/user-create.log" 2>&1 || fail "radosgw-admin user create failed or timed out"

  wait_https || fail "radosgw did not answer on https://127.0.0.1:$PORT within ${TIMEOUT}s"

  cat >"$DIR/env.sh" <<EOF
# Generated by scripts/rgw.sh for the cluster in $DIR
export AWS_ENDPOINT_URL=$(printf '%q' "https://127.0.0.1:$PORT")
export AWS_CA_BUNDLE=$(printf '%q' "$DIR/ca.pem")
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required
export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export SSE3_RGW_DIR=$(printf '%q' "$DIR")
EOF

  trap - EXIT HUP INT PIPE TERM
  t1=$(date +%s%N)
  printf 'rgw ready at https://127.0.0.1:%s in %d.%01ds (source %s/env.sh)\n' \
    "$PORT" $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 100000000 % 10)) "$DIR"
}

# The recorded PID whose process is this cluster's radosgw (not a reused PID).
gateway_pid() {
  local pid
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = radosgw ] && { echo "$pid"; return 0; }
  done <"$PIDS"
  return 1
}

# For fault-injection tests: the gateway alone goes down and comes back while
# the mon and OSD (and so every stored object and multipart upload) stay up.
restart_gateway() {
  local old pid i keep=()
  if old=$(gateway_pid); then
    # A stopped process only acts on TERM once continued.
    kill -CONT "$old" 2>/dev/null || true
    kill -TERM "$old" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do ours "$old" || break; sleep 0.1; done
    if ours "$old"; then
      kill -KILL "$old" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do ours "$old" || break; sleep 0.1; done
    fi
    ! ours "$old" || fail "radosgw $old did not stop"
  fi
  # Keep the other daemons' lines, in their start order; drop every gateway
  # line, dead or alive, so stop still finds exactly what runs.
  while read -r pid; do
    [[ $pid =~ ^[0-9]+$ ]] && ours "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != radosgw ] && keep+=("$pid")
  done <"$PIDS"
  printf '%s\n' "${keep[@]}" >"$PIDS.new" && mv "$PIDS.new" "$PIDS"
  PORT=$(sed -n 's/.*ssl_endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CONF")
  [ -n "$PORT" ] || fail "no gateway port in $CONF"
  DEADLINE=$(($(date +%s) + TIMEOUT))
  spawn "$DIR/log/rgw.a.out" radosgw -c "$CONF" -n client.rgw.a -f
  wait_https || fail "radosgw did not answer on https://127.0.0.1:$PORT within ${TIMEOUT}s after a restart"
  gateway_pid
}

case "$cmd" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  gateway-pid) gateway_pid || { echo "rgw.sh: radosgw of $DIR is not running" >&2; exit 1; } ;;
  restart-gateway) restart_gateway ;;
  *) usage ;;
esac
