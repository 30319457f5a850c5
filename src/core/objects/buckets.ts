import { Sse3Error } from '../../errors.js';
import { describeS3Error, s3ErrorName, statusOf } from '../../s3/errors.js';
import type { Io } from '../context.js';

/**
 * Making and deleting buckets (mb, rb). A bucket name is shared by every user of a server (on AWS, by everyone), so
 * "it exists" comes in two kinds, told apart by a HEAD: yours (200), or someone else's (403).
 */

const url = (bucket: string) => `s3://${bucket}`;

/** Whose a bucket is, by a HEAD of it: 'yours' (it answers you), 'theirs' (it exists and refuses you), or 'none'. */
async function bucketOwner(io: Io, bucket: string): Promise<'yours' | 'theirs' | 'none'> {
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await io.conn.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: io.signal });
    return 'yours';
  } catch (e) {
    if (statusOf(e) === 404) return 'none';
    if (statusOf(e) === 403) return 'theirs';
    throw describeS3Error(e, { op: 'list', url: url(bucket) });
  }
}

const exists = (bucket: string, whose: 'yours' | 'theirs', cause?: unknown) => whose === 'yours'
  ? new Sse3Error('BUCKET_EXISTS', `bucket ${bucket} already exists, and it is yours`, `use it as it is: sse3 ls ${url(bucket)}`, { cause })
  : new Sse3Error('BUCKET_EXISTS', `bucket ${bucket} already exists and belongs to someone else (bucket names are shared by every ` +
    'user of the server)', 'choose another name', { cause });

/** Create a bucket in the connection's region; an existing one is an error that says whose it is. */
export async function makeBucket(io: Io, bucket: string): Promise<{ bucket: string; region: string }> {
  const whose = await bucketOwner(io, bucket);
  if (whose !== 'none') throw exists(bucket, whose);
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const { region } = io.conn;
  // us-east-1 is S3's default: naming it as a location constraint is refused by AWS.
  const where = region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } };
  try {
    await io.conn.client.send(new CreateBucketCommand({ Bucket: bucket, ...where }), { abortSignal: io.signal });
  } catch (e) {
    // Made by someone in between the HEAD and now.
    if (s3ErrorName(e) === 'BucketAlreadyOwnedByYou') throw exists(bucket, 'yours', e);
    if (s3ErrorName(e) === 'BucketAlreadyExists') {
      throw exists(bucket, (await bucketOwner(io, bucket).catch(() => undefined)) === 'yours' ? 'yours' : 'theirs', e);
    }
    if (s3ErrorName(e) === 'InvalidBucketName') {
      throw new Sse3Error('BAD_URL', `the server does not accept ${bucket} as a bucket name`,
        'S3 bucket names are 3 to 63 characters: lower-case letters, digits, dots and hyphens', { cause: e });
    }
    throw accessOr(e, bucket, 'create');
  }
  return { bucket, region };
}

/** A refusal to create or delete a bucket: access in words, else as describeS3Error says it. */
function accessOr(e: unknown, bucket: string, doing: 'create' | 'delete'): Sse3Error {
  if (statusOf(e) === 403 || s3ErrorName(e) === 'AccessDenied') {
    return new Sse3Error('ACCESS_DENIED', `access denied: you may not ${doing} bucket ${bucket}` +
      (doing === 'delete' ? ' (it belongs to someone else, or your credentials may not delete buckets)' : ''),
    'check the credentials\' permissions (--profile, AWS_ACCESS_KEY_ID)', { cause: e });
  }
  return describeS3Error(e, { op: doing === 'create' ? 'put' : 'delete', url: url(bucket) });
}

/**
 * After rb --force deleted every version it listed, how long a "not empty" answer is asked again: Ceph RGW counts a
 * bucket's objects from its index, which a busy gateway brings up to date a little after the deletes were answered.
 */
const EMPTIED_RETRY_MS = [250, 500, 1000, 2000];

/**
 * Delete a bucket that holds nothing, then the manifest's rows of it: every object they describe is gone with it
 * (rows of objects deleted outside sse3, which verify would report missing). Returns how many rows went. `emptied`:
 * sse3 has just deleted every version in it, so a "not empty" answer is asked again a few times before it is believed.
 */
export async function deleteBucket(io: Io, bucket: string, { emptied = false } = {}): Promise<{ bucket: string; forgotten: number }> {
  const { DeleteBucketCommand } = await import('@aws-sdk/client-s3');
  const send = () => io.conn.client.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: io.signal });
  try {
    const waits = emptied ? [...EMPTIED_RETRY_MS] : [];
    for (;;) {
      try {
        await send();
        break;
      } catch (e) {
        const wait = waits.shift();
        if (wait === undefined || s3ErrorName(e) !== 'BucketNotEmpty' || io.signal?.aborted) throw e;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  } catch (e) {
    if (s3ErrorName(e) === 'BucketNotEmpty') {
      throw new Sse3Error('BUCKET_NOT_EMPTY', `bucket ${bucket} is not empty: it holds objects or object versions`,
        `delete it with everything in it: sse3 rb ${url(bucket)} --force (see what is there: sse3 ls ${url(bucket)} --recursive --versions)`,
        { cause: e });
    }
    if (s3ErrorName(e) === 'NoSuchBucket' || statusOf(e) === 404) {
      throw new Sse3Error('NO_BUCKET', `bucket ${bucket} does not exist on ${io.conn.endpoint}`,
        'check the bucket name and the endpoint (--endpoint-url); sse3 ls lists your buckets', { cause: e });
    }
    throw accessOr(e, bucket, 'delete');
  }
  let forgotten = 0;
  for (const row of io.manifest.list({ endpoint: io.conn.endpoint, bucket })) {
    if (io.manifest.remove({ endpoint: io.conn.endpoint, bucket, key: row.key }, row.versionId)) forgotten++;
  }
  return { bucket, forgotten };
}
