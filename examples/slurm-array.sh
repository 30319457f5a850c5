#!/bin/bash
# Re-key every object of a bucket with a Slurm job array: array task I of N runs `--shard I/N` (I counted from the
# array's first index, so --array=1-4 works as well as 0-3). Each task has a home of its own (its manifest and
# rotation journal); the bucket's tags are the only shared record. A task that failed is finished by submitting its
# index again (sbatch --array=2 examples/slurm-array.sh): `--resume` settles what it journalled, then rotates the
# rest of its shard. Submit: BUCKET=my-bucket sbatch examples/slurm-array.sh
#SBATCH --job-name=sse3-rotate
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --output=sse3-rotate-%A_%a.log
set -euo pipefail
: "${BUCKET:?set BUCKET to the bucket to re-key}"
KEYS=${KEYS:-$HOME/sse3-keys}
export SSE3_HOME="${SSE3_SHARD_HOMES:-$HOME/.sse3-shards}/shard-$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN))"
exec sse3 rotate "s3://$BUCKET" --recursive --to "file:$KEYS/new.key" --key "file:$KEYS/old.key" \
  --shard "$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN))/$SLURM_ARRAY_TASK_COUNT" --resume --json
