import { Sse3Error } from '../errors.js';
import type { S3ClientLike } from './client.js';
import { describeS3Error, statusOf } from './errors.js';

/**
 * Why a write that carries an SSE-C key (PutObject, CreateMultipartUpload) failed, in words. A 403 may be AWS's block
 * on SSE-C (the default for new buckets since April 2026): the bucket's encryption configuration is read, and a bucket
 * that lists SSE-C in BlockedEncryptionTypes is named as the reason. Anything else is said as describeS3Error says it.
 */
export async function describeWriteFailure(client: S3ClientLike, target: { bucket: string; url: string }, e: unknown)
  : Promise<Sse3Error> {
  if (e instanceof Sse3Error) return e;
  if (statusOf(e) === 403 && await blocksSseC(client, target.bucket)) {
    return new Sse3Error('SSEC_BLOCKED',
      `bucket ${target.bucket} blocks SSE-C writes (its encryption configuration lists SSE-C in BlockedEncryptionTypes)`,
      'the bucket owner can allow SSE-C with put-bucket-encryption, removing SSE-C from BlockedEncryptionTypes', { cause: e });
  }
  return describeS3Error(e, { op: 'put', url: target.url });
}

/** Whether the bucket's encryption configuration blocks SSE-C; false when it cannot be read (not allowed, or not AWS). */
async function blocksSseC(client: S3ClientLike, bucket: string): Promise<boolean> {
  try {
    const { GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
    const enc = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    return (enc.ServerSideEncryptionConfiguration?.Rules ?? [])
      .some((r) => r.BlockedEncryptionTypes?.EncryptionType?.some((t) => String(t) === 'SSE-C'));
  } catch {
    return false;
  }
}
