import { describeS3Error, statusOf } from '../../s3/errors.js';
import { formatS3Url } from '../../s3/url.js';
import type { Io } from '../context.js';
import { unquoteEtag } from '../keyed.js';
import type { ObjectVersionRef } from '../tags.js';
import { type ObjectProps, propsOf } from '../props.js';

// Kept apart from head.ts (which records what it finds, and so loads the manifest): a scan that only classifies
// objects, such as keys usage, loads nothing of the manifest through it.

/** What a HEAD without any key says about an object version: plain (with its details), or SSE-C. */
export type KeylessState =
  | { state: 'plain'; size: number; etag: string; versionId: string; props: ObjectProps }
  | { state: 'sse-c'; status: number };

/**
 * Classify an object version without sending a key: a server answers a keyless HEAD of an SSE-C object with 400
 * (Ceph, AWS) or 403 (AWS), and of anything else with 200. A missing object is NO_OBJECT.
 */
export async function headWithoutKey(io: Io, obj: ObjectVersionRef): Promise<KeylessState> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const h = await io.conn.client.send(new HeadObjectCommand({ Bucket: obj.bucket, Key: obj.key, VersionId: obj.versionId || undefined }),
      { abortSignal: io.signal });
    if (h.SSECustomerAlgorithm) return { state: 'sse-c', status: 200 };
    return { state: 'plain', size: h.ContentLength ?? 0, etag: unquoteEtag(h.ETag), versionId: h.VersionId ?? '', props: propsOf(h) };
  } catch (e) {
    const status = statusOf(e);
    if (status === 400 || status === 403) return { state: 'sse-c', status };
    throw describeS3Error(e, { op: 'head', url: formatS3Url(obj) });
  }
}
