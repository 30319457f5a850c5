import type { Connection } from '../s3/client.js';
import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';

/** Object tags sse3 writes: readable without the key, so a lost manifest can be rebuilt. */
export const TAG_FINGERPRINT = 'sse3-fp';
export const TAG_SHA256 = 'sse3-sha256';

export function tagsFor(fingerprint: string, sha256?: string): Record<string, string> {
  return sha256 ? { [TAG_FINGERPRINT]: fingerprint, [TAG_SHA256]: sha256 } : { [TAG_FINGERPRINT]: fingerprint };
}

/**
 * The plaintext SHA-256 an object's sse3-sha256 tag records (multipart uploads carry it only there),
 * or undefined when there is none or the tag cannot be read.
 */
export async function sha256FromTag(conn: Connection, bucket: string, key: string, versionId?: string,
  signal?: AbortSignal): Promise<string | undefined> {
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const t = await conn.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId || undefined }),
    { abortSignal: signal }).catch(() => undefined);
  return t?.TagSet?.find((tag) => tag.Key === TAG_SHA256)?.Value;
}

/** The x-amz-tagging header form: URL query encoding. */
export const toTagging = (tags: Record<string, string>): string => new URLSearchParams(tags).toString();

export const unquoteEtag = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

interface SseCResponse {
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
}

/**
 * Some servers accept SSE-C headers and silently store plaintext. A write
 * whose response does not confirm AES256 with our key's MD5 is removed again
 * and reported; it is never recorded as encrypted.
 */
export async function assertEncryptedWith(conn: Connection, bucket: string, key: string, versionId: string | undefined,
  resp: SseCResponse, sseKey: SseCKey): Promise<void> {
  const confirmed = resp.SSECustomerAlgorithm === 'AES256'
    && (resp.SSECustomerKeyMD5 === undefined || resp.SSECustomerKeyMD5 === sseKey.keyMd5);
  if (confirmed) return;
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const removed = await conn.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
    .then(() => true, () => false);
  throw new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption of ${formatS3Url({ bucket, key })}` +
    (resp.SSECustomerAlgorithm ? ` (it reports key MD5 ${resp.SSECustomerKeyMD5}, not ours)` : ' (no SSE-C algorithm in its response)') +
    (removed ? '; sse3 deleted what it wrote' : '; sse3 could NOT delete what it wrote: it may be stored unencrypted'),
    'use a server that implements SSE-C; nothing was recorded in the manifest');
}
