import { Sse3Error } from '../../errors.js';
import { blocksSseC, type EncryptionRule, readBucketEncryption, rulesAllowingSseC, writeBucketEncryption } from '../../s3/bucket-encryption.js';
import type { Io } from '../context.js';

/**
 * Whether a bucket lets SSE-C writes through (sse3 bucket sse-c). Since April 2026 AWS blocks them on new buckets
 * unless the bucket's encryption configuration allows them (BlockedEncryptionTypes); servers without that block (Ceph
 * RGW answers an empty configuration) say so by their answer.
 *
 * - 'blocked': a rule lists SSE-C among the blocked encryption types;
 * - 'allowed': the configuration has rules, and none blocks SSE-C;
 * - 'no-configuration': no rules at all (404 ServerSideEncryptionConfigurationNotFoundError, or an empty configuration);
 * - 'unsupported': the server does not implement GetBucketEncryption (`answer` says how it answered).
 */
export interface BucketSseC {
  bucket: string;
  state: 'blocked' | 'allowed' | 'no-configuration' | 'unsupported';
  rules: EncryptionRule[];
  answer?: string;
}

/** What the bucket's encryption configuration says of SSE-C writes (GetBucketEncryption). */
export async function bucketSseC(io: Io, bucket: string): Promise<BucketSseC> {
  const found = await readBucketEncryption(io.conn.client, bucket, io.signal);
  if (found.kind === 'unsupported') return { bucket, state: 'unsupported', rules: [], answer: found.answer };
  const rules = found.kind === 'rules' ? found.rules : [];
  if (!rules.length) return { bucket, state: 'no-configuration', rules };
  return { bucket, state: blocksSseC(rules) ? 'blocked' : 'allowed', rules };
}

/**
 * Lift a bucket's block on SSE-C writes: the configuration read (`found`, blocked) written back with SSE-C taken out of
 * BlockedEncryptionTypes and each rule's default encryption exactly as it was (PutBucketEncryption replaces the whole
 * configuration), then read again to show what the server now holds. Another change made between the read and the
 * write is replaced: the API has no condition to make the write depend on the read.
 */
export async function allowSseC(io: Io, found: BucketSseC): Promise<BucketSseC> {
  if (found.state !== 'blocked') throw new Error(`allowSseC: bucket ${found.bucket} is ${found.state}, not blocked`);
  await writeBucketEncryption(io.conn.client, found.bucket, rulesAllowingSseC(found.rules), io.signal);
  const now = await bucketSseC(io, found.bucket);
  if (now.state === 'blocked') {
    throw new Sse3Error('S3', `bucket ${found.bucket} still blocks SSE-C writes after its encryption configuration was updated ` +
      '(the server kept SSE-C in BlockedEncryptionTypes)', `see what it holds: sse3 bucket sse-c s3://${found.bucket}`);
  }
  return now;
}
