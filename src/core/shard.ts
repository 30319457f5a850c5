import { createHash } from 'node:crypto';
import { Sse3Error } from '../errors.js';

/**
 * `--shard I/N`: one of N workers that together cover a bucket-wide command (rotate, verify, adopt, keys usage,
 * manifest rebuild and pull), each on its own machine and home, with nothing shared but the bucket. I counts from 0
 * (Kubernetes' JOB_COMPLETION_INDEX, `--array=0-(N-1)` in Slurm).
 *
 * The rule: an object version belongs to shard `first 48 bits of SHA-256(UTF-8 key) mod N`.
 * - Exactly one shard: the value is a function of the key alone, one integer in 0..N-1, the same in every process
 *   and on every machine (SHA-256 of the same bytes); no boundary to agree on, so no first pass and no shared state.
 * - All versions of a key in the same shard (only the key is hashed), so one worker rotates, journals and resumes
 *   every version of an object, and two workers never race on one object.
 * - Each worker's share is ~1/N of the objects whatever the key names look like (dates, counters, one prefix).
 * The cost: every worker lists the whole scope (one request per 1,000 versions: at 10 million objects, N x 10,000
 * listing requests in all, 10,000 per worker) and keeps only its own. Key ranges would split the listing itself
 * (~10,000 requests in all, plus one per worker) but need boundaries every worker agrees on: from the key space
 * alone they are correct but can put every object in one shard (keys that share a leading character), and from the
 * bucket's contents they need a first pass whose answer changes as objects are written — two workers that saw
 * different contents would skip or double objects. Listing is also cheap next to the work: a worker re-keying
 * 10 million / N objects makes 2 requests per object, against 10,000 listing requests.
 */
export interface Shard {
  index: number;
  count: number;
}

/** Workers at most: far more than any job runs, small enough that the modulo below stays unbiased. */
export const MAX_SHARDS = 1_000_000;

const SHARD_TEXT = /^(\d{1,7})\/(\d{1,7})$/;

/** "I/N" as typed: I in 0..N-1. Anything else is a usage error naming the form. */
export function parseShard(text: string): Shard {
  const m = SHARD_TEXT.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new Sse3Error('USAGE', `--shard takes I/N: N workers (1 to ${MAX_SHARDS}), I from 0 to N-1`,
      'e.g. --shard 0/4 ... --shard 3/4 (Kubernetes: --shard $JOB_COMPLETION_INDEX/4)');
  }
  return { index, count };
}

export const formatShard = (shard: Shard): string => `${shard.index}/${shard.count}`;

/** The shard a key belongs to among `count` (see the rule above). */
export function shardOfKey(key: string, count: number): number {
  return createHash('sha256').update(key, 'utf8').digest().readUIntBE(0, 6) % count;
}

/** Whether a key is this worker's: always, without a shard. */
export const inShard = (shard: Shard | undefined, key: string): boolean => shard === undefined || shardOfKey(key, shard.count) === shard.index;
