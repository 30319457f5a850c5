#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need (local Ceph RGW,
# Secret Service keychain, aws-cli for cross-checks). Safe to run repeatedly:
# it only touches apt when something is missing.
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd radosgw ceph-common gnome-keyring dbus libsecret-tools awscli openssl tmux zsh fish bash-completion man-db)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root (e.g. sudo $0)" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Recommends are not needed: mon, OSD, radosgw, the keyring daemon and
# secret-tool all run from the Depends closure, and skipping them avoids
# ceph-mgr/mds and a GTK stack.
# The package lists may be stale or absent on a fresh machine.
if ! { apt-get update &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install-deps: apt-get failed installing: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
