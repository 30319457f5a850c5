#!/usr/bin/env bash
# Runs CMD against a real, private Secret Service (gnome-keyring on its own
# D-Bus session bus), so keychain code is tested for real on a headless box
# without touching the user's own keyrings.
#
#   scripts/with-keyring.sh CMD [ARGS...]
#
# Exits with CMD's status; on exit the keyring daemon, the bus and the temp
# folder are gone.
set -euo pipefail

self=${BASH_SOURCE[0]}

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

fail() {
  echo "with-keyring: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Outer half: create the bus. SSE3_KEYRING_SESSION marks that the bus we are
# on is the private one made here, not a desktop session we happen to inherit.
if [ "${SSE3_KEYRING_SESSION:-}" != 1 ]; then
  for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
    command -v "$tool" >/dev/null ||
      fail "$tool not found; install dbus, gnome-keyring and libsecret-tools (scripts/install-deps.sh)"
  done

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/sse3-keyring.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT

  # dbus-run-session passes its stdout/stderr to dbus-daemon and to anything
  # the bus activates; those must not hold the caller's pipes open. The
  # caller's stdout/stderr travel to the inner half on fds 3/4 instead
  # (dbus-daemon closes fds above 2).
  # dbus-run-session itself ignores HUP/INT/TERM: if it died from a signal it
  # would orphan the bus (dbus-daemon survives SIGHUP). Signals reach the
  # inner half instead (forwarded below, or sent to the whole process group),
  # which stops CMD and the keyring; dbus-run-session then stops the bus.
  # Background jobs get stdin from /dev/null unless told otherwise: <&0.
  SSE3_KEYRING_SESSION=1 SSE3_KEYRING_TMP=$tmp \
    env --ignore-signal=HUP,INT,TERM dbus-run-session -- \
    env --default-signal=HUP,INT,QUIT,TERM bash "$self" "$@" \
    <&0 3>&1 4>&2 >"$tmp/bus.log" 2>&1 &
  child=$!

  pending=
  sent=
  send_pending() {
    local inner
    inner=$(cat "$tmp/inner.pid" 2>/dev/null || true)
    if [[ $inner =~ ^[0-9]+$ ]]; then
      kill -TERM "$inner" 2>/dev/null || true
      sent=1
    fi
  }
  trap 'pending=1; send_pending' HUP INT TERM

  rc=0
  wait "$child" || rc=$?
  # A trapped signal interrupts wait; keep waiting for the real status.
  while kill -0 "$child" 2>/dev/null; do
    if [ -n "$pending" ] && [ -z "$sent" ]; then
      # Signal came before the inner half recorded its PID: retry shortly.
      sleep 0.1
      send_pending
      continue
    fi
    rc=0
    wait "$child" || rc=$?
  done
  if [ ! -e "$tmp/inner.started" ]; then
    last=$(grep -v 'Failed to set fd limit' "$tmp/bus.log" 2>/dev/null | tail -n 1 || true)
    fail "could not start a private D-Bus session${last:+: $last}"
  fi
  exit "$rc"
fi

# ---------------------------------------------------------------------------
# Inner half: runs on the private bus.
tmp=${SSE3_KEYRING_TMP:-}
own_tmp=
if [ -n "$tmp" ]; then
  exec 1>&3 2>&4 3>&- 4>&-
  touch "$tmp/inner.started"
  echo "$$" >"$tmp/inner.pid"
else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/sse3-keyring.XXXXXX")
  own_tmp=1
fi
# A nested call must build its own bus, not reuse (and --replace) this one; and its daemon must not find
# ours through GNOME_KEYRING_CONTROL either: --replace would tell ours to quit.
unset SSE3_KEYRING_SESSION SSE3_KEYRING_TMP GNOME_KEYRING_CONTROL

daemon_pid=
cmd_pid=
cleanup() {
  local i
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  [ -z "$own_tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

on_signal() {
  [ -z "$cmd_pid" ] || kill -TERM "$cmd_pid" 2>/dev/null || true
  [ -z "$cmd_pid" ] || wait "$cmd_pid" 2>/dev/null || true
  exit "$1"
}
trap 'on_signal 129' HUP
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

keyring_fail() {
  local last
  last=$(grep -v '^\s*$' "$tmp/daemon.log" 2>/dev/null | tail -n 1 || true)
  fail "could not bring up the gnome-keyring Secret Service: $1${last:+ (daemon said: $last)}"
}

# An empty data dir of our own: an existing login keyring with another
# password makes the daemon try a GUI prompt, and every call then fails.
mkdir -m 700 "$tmp/data" "$tmp/run"
(
  # Inherited fds (a CI runner's pipes) must not live on in the daemon.
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
  done
  # exec, not a pipeline, so that $! below is the daemon itself.
  XDG_DATA_HOME=$tmp/data XDG_RUNTIME_DIR=$tmp/run \
    exec gnome-keyring-daemon --foreground --replace --unlock --components=secrets \
    < <(printf '%s' sse3-test-keyring-password) >"$tmp/daemon.env" 2>"$tmp/daemon.log"
) &
daemon_pid=$!

# Wait until the daemon owns the Secret Service name. Calling secret-tool
# earlier would make the bus auto-start a second daemon on the user's keyrings.
ready=
for ((i = 0; i < 100; i++)); do
  kill -0 "$daemon_pid" 2>/dev/null || keyring_fail "gnome-keyring-daemon exited"
  if [ -s "$tmp/daemon.env" ] &&
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    ready=1
    break
  fi
  sleep 0.1
done
[ -n "$ready" ] || keyring_fail "org.freedesktop.secrets did not appear on the bus within 10 s"

# Its output is KEY=VALUE lines (GNOME_KEYRING_CONTROL=...); export them
# without eval'ing arbitrary text.
while IFS= read -r line; do
  [[ $line =~ ^([A-Z_][A-Z0-9_]*)=(.*)$ ]] && export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
done <"$tmp/daemon.env"

probe=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$probe" | secret-tool store --label='sse3 self-test' service sse3-selftest username probe \
  2>>"$tmp/daemon.log" || keyring_fail "secret-tool store failed"
got=$(secret-tool lookup service sse3-selftest username probe 2>>"$tmp/daemon.log") ||
  keyring_fail "secret-tool lookup failed"
[ "$got" = "$probe" ] || keyring_fail "secret-tool lookup returned a different value"
secret-tool clear service sse3-selftest username probe 2>>"$tmp/daemon.log" ||
  keyring_fail "secret-tool clear failed"

# Background + wait so a forwarded SIGTERM is handled while CMD runs.
rc=0
env --default-signal=INT,QUIT "$@" <&0 &
cmd_pid=$!
wait "$cmd_pid" || rc=$?
cmd_pid=
exit "$rc"
