#!/bin/bash
# Re-key every object of a bucket from several machines with GNU parallel over ssh: job I of WORKERS runs
# `--shard I/WORKERS` on one of HOSTS, with a home of its own there. Each host needs sse3, the keys in ~/sse3-keys and
# S3 credentials (~/.aws or the environment). Run it again to finish a job that failed: each job's `--resume`
# settles what it journalled on its host, then rotates the rest of its shard (parallel may pick another host: a job
# that lands elsewhere finds nothing journalled and rotates what is left of its shard all the same).
#   BUCKET=my-bucket HOSTS=host1,host2,host3,host4 bash examples/parallel-ssh.sh
set -euo pipefail
: "${BUCKET:?set BUCKET to the bucket to re-key}"
export BUCKET WORKERS=${WORKERS:-4}
HOSTS=${HOSTS:-host1,host2,host3,host4}
# What each job runs on its host; parallel puts the job's shard index (0 to WORKERS-1) in place of {}.
WORKER='SSE3_HOME=$HOME/.sse3-shards/{} sse3 rotate "s3://$BUCKET" --recursive --to "file:$HOME/sse3-keys/new.key" --key "file:$HOME/sse3-keys/old.key" --shard {}/$WORKERS --resume --json'
seq 0 $((WORKERS - 1)) | parallel --sshlogin "$HOSTS" --env BUCKET --env WORKERS --jobs 1 --tag --line-buffer "$WORKER"
