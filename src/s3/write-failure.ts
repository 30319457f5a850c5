import { Sse3Error } from '../errors.js';
import type { S3ClientLike } from './client.js';
import { blocksSseC, readBucketEncryption } from './bucket-encryption.js';
import { describeS3Error, type ErrorContext, s3ErrorName, statusOf } from './errors.js';

/**
 * Why a write that carries an SSE-C key (PutObject, CreateMultipartUpload, CopyObject) failed, in words. A 403 may be
 * AWS's block on SSE-C (the default for new buckets since April 2026): the bucket's encryption configuration is read,
 * and a bucket that lists SSE-C in BlockedEncryptionTypes is named as the reason, with the sse3 command that lifts it.
 * A write that named a storage class the server refused says so (storageClassRefused). Anything else is said as
 * describeS3Error says it for `fallback` (a put of the target by default).
 */
export async function describeWriteFailure(client: S3ClientLike, target: { bucket: string; url: string; storageClass?: string },
  e: unknown, fallback: ErrorContext = { op: 'put', url: target.url }): Promise<Sse3Error> {
  if (e instanceof Sse3Error) return e;
  const refused = storageClassRefused(e, target.storageClass, target.url);
  if (refused) return refused;
  if (statusOf(e) === 403 && await bucketBlocksSseC(client, target.bucket)) return sseCBlocked(target.bucket, e);
  return describeS3Error(e, fallback);
}

/** The refusal of an SSE-C write by a bucket that blocks SSE-C, with the command that lifts the block. */
export function sseCBlocked(bucket: string, cause?: unknown): Sse3Error {
  return new Sse3Error('SSEC_BLOCKED',
    `bucket ${bucket} blocks SSE-C writes (its encryption configuration lists SSE-C in BlockedEncryptionTypes)`,
    `the bucket's owner can allow them, keeping its default encryption: sse3 bucket sse-c s3://${bucket} --allow`, { cause });
}

/** A storage class the server refused: later writes of the same run that name it fail at once, before sending anything. */
export class StorageClassRefused extends Sse3Error {
  constructor(readonly storageClass: string, url: string, answer?: string, cause?: unknown) {
    super('USAGE', `the server does not offer storage class ${storageClass}${answer ? ` (it answered ${answer})` : ''}; nothing was ` +
      `stored at ${url}`, 'leave out --storage-class, or name one the server offers: AWS has STANDARD, STANDARD_IA, ONEZONE_IA, ' +
      'INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, REDUCED_REDUNDANCY; Ceph RGW those its placement targets define ' +
      '(only STANDARD unless its operator added others)', { cause });
  }
}

/**
 * A write naming a storage class other than the default, refused for it: AWS answers 400 InvalidStorageClass, Ceph RGW
 * 400 InvalidArgument with no message (the class is the one argument of such a write it can refuse so).
 */
export function storageClassRefused(e: unknown, storageClass: string | undefined, url: string): Sse3Error | undefined {
  if (!storageClass || storageClass === 'STANDARD') return undefined;
  const name = s3ErrorName(e);
  if (name !== 'InvalidStorageClass' && !(statusOf(e) === 400 && name === 'InvalidArgument')) return undefined;
  return new StorageClassRefused(storageClass, url, `HTTP 400 ${name}`, e);
}

/** Whether the bucket's encryption configuration blocks SSE-C; false when it cannot be read (not allowed, or not AWS). */
async function bucketBlocksSseC(client: S3ClientLike, bucket: string): Promise<boolean> {
  try {
    const enc = await readBucketEncryption(client, bucket);
    return enc.kind === 'rules' && blocksSseC(enc.rules);
  } catch {
    return false;
  }
}
