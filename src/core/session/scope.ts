import { Sse3Error } from '../../errors.js';
import type { ManifestEntry } from '../../manifest/store.js';
import { type ListedObject, listObjects, listObjectVersions } from '../../s3/list.js';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url, parseS3Url } from '../../s3/url.js';
import type { Io } from '../context.js';

/**
 * What a batch works on. One rule everywhere: `s3://b` is the whole bucket, and `s3://b/x` and `s3://b/x/` both
 * mean the folder `x/` — never `x-old/` or `x2/` beside it.
 */
export interface Scope {
  bucket: string;
  /** '' for the whole bucket, else ends in '/'. */
  prefix: string;
}

export function parseScope(text: string): Scope {
  const loc = parseS3Url(text);
  return { bucket: loc.bucket, prefix: loc.key === '' || loc.key.endsWith('/') ? loc.key : `${loc.key}/` };
}

export const formatScope = (scope: Scope): string => formatS3Url({ bucket: scope.bucket, key: scope.prefix });

/** The key of an object relative to its scope: what a copy or sync puts under another folder. */
export function relativeKey(scope: Scope, key: string): string {
  if (!key.startsWith(scope.prefix)) throw new Sse3Error('S3', `${key} is not under ${formatScope(scope)}`);
  return key.slice(scope.prefix.length);
}

/**
 * An empty object whose key ends in "/": the folder a console or `aws s3api put-object --key x/` made, not data. An
 * object whose key ends in "/" with content is data like any other (it may be SSE-C encrypted and need a key), and
 * every scan counts it; get, head and rm name it with --exact.
 */
const isFolderMarker = (o: ListedObject) => o.key.endsWith('/') && o.size === 0;

/** The current version of every object in scope, in key order; folder markers (empty "x/" objects) are not objects. */
export async function* listScope(io: Io, scope: Scope): AsyncGenerator<ListedObject> {
  for await (const o of listObjects(io.conn, scope.bucket, scope.prefix, io.signal)) if (!isFolderMarker(o)) yield o;
}

/** Every version of every object in scope, newest first per key; folder markers left out as listScope does. */
export async function* listScopeVersions(io: Io, scope: Scope): AsyncGenerator<ListedObject> {
  for await (const v of listObjectVersions(io.conn, scope.bucket, scope.prefix, io.signal)) if (!isFolderMarker(v)) yield v;
}

/** Manifest entries in scope for this endpoint (every version unless latestOnly), read from the manifest a page at a time. */
export function manifestInScope(io: Io, scope: Scope | undefined, opts: { latestOnly?: boolean; fingerprint?: string } = {})
  : Iterable<ManifestEntry> {
  return io.manifest.entries({ endpoint: io.conn.endpoint, bucket: scope?.bucket, prefix: scope?.prefix }, opts);
}

/**
 * Does the scope's bucket exist on the server? Asked when a scope has nothing in it, to tell an empty scope
 * (fine) from a wrong bucket name (an error). A 403 means it exists (the name is taken, maybe not by us).
 */
export async function assertBucketExists(io: Io, scope: Scope): Promise<void> {
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await io.conn.client.send(new HeadBucketCommand({ Bucket: scope.bucket }), { abortSignal: io.signal });
  } catch (e) {
    if (statusOf(e) === 403) return;
    if (statusOf(e) === 404) {
      throw new Sse3Error('NO_BUCKET', `bucket ${scope.bucket} does not exist on ${io.conn.endpoint}`,
        'check the bucket name and the endpoint (--endpoint-url)', { cause: e });
    }
    throw describeS3Error(e, { op: 'list', url: formatScope(scope) });
  }
}
