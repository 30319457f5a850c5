# Sourced by test.sh and demo.sh: start a throwaway Ceph RGW in $1, stop it (and remove $1)
# when the calling script exits, and point AWS settings at it, away from the user's own.
start_private_rgw() {
  local state=$1
  # shellcheck disable=SC2064
  trap "bash scripts/rgw.sh stop '$state/rgw' >/dev/null 2>&1 || true; rm -rf '$state'" EXIT
  bash scripts/rgw.sh start "$state/rgw"
  set -a
  # shellcheck disable=SC1091
  source "$state/rgw/env.sh"
  set +a
  export AWS_CONFIG_FILE="$state/aws-config" AWS_SHARED_CREDENTIALS_FILE="$state/aws-credentials"
  unset SSE3_KEY SSE3_HOME AWS_PROFILE
}
