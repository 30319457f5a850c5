import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { Io } from './context.js';
import type { SseCKey } from './key.js';

/** Object tags sse3 writes: readable without the key, so a lost manifest can be rebuilt. */
export const TAG_FINGERPRINT = 'sse3-fp';
export const TAG_SHA256 = 'sse3-sha256';

export type Tags = Record<string, string>;

export function tagsFor(fingerprint: string, sha256?: string): Tags {
  return sha256 ? { [TAG_FINGERPRINT]: fingerprint, [TAG_SHA256]: sha256 } : { [TAG_FINGERPRINT]: fingerprint };
}

/** The x-amz-tagging header form: URL query encoding. */
export const toTagging = (tags: Tags): string => new URLSearchParams(tags).toString();

/** The PutObjectTagging body form. */
export const toTagSet = (tags: Tags): { TagSet: Array<{ Key: string; Value: string }> } =>
  ({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });

export interface ObjectVersionRef {
  bucket: string;
  key: string;
  /** '' or undefined: the current version (unversioned buckets have no other). */
  versionId?: string;
}

/** Replace an object version's tags (no key needed: tags are not encrypted). */
export async function putTags(io: Io, obj: ObjectVersionRef, tags: Tags): Promise<void> {
  const { PutObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  await io.conn.client.send(new PutObjectTaggingCommand({ Bucket: obj.bucket, Key: obj.key, VersionId: obj.versionId || undefined,
    Tagging: toTagSet(tags) }), { abortSignal: io.signal });
}

/** An object version's tags as a record; SDK errors are thrown as they come, for the caller's policy. */
export async function readTags(io: Io, obj: ObjectVersionRef): Promise<Tags> {
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const t = await io.conn.client.send(new GetObjectTaggingCommand({ Bucket: obj.bucket, Key: obj.key,
    VersionId: obj.versionId || undefined }), { abortSignal: io.signal });
  return Object.fromEntries((t.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/**
 * The plaintext SHA-256 an object's sse3-sha256 tag records (multipart uploads carry it only there),
 * or undefined when there is none or the tag cannot be read.
 */
export async function sha256FromTag(io: Io, obj: ObjectVersionRef): Promise<string | undefined> {
  return (await readTags(io, obj).catch(() => undefined as Tags | undefined))?.[TAG_SHA256];
}

export const unquoteEtag = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** The SSE-C headers a response carries. */
export interface SseCResponse {
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
}

/**
 * What a response says about the key: 'ours' (AES256 with our key's MD5), 'other' (SSE-C, another key's MD5 or
 * none), 'plain' (no SSE-C at all: the server stored or served plaintext). The one place this is decided.
 */
export function keyEcho(resp: SseCResponse, key: SseCKey): 'ours' | 'other' | 'plain' {
  if (resp.SSECustomerAlgorithm !== 'AES256') return 'plain';
  return resp.SSECustomerKeyMD5 === key.keyMd5 ? 'ours' : 'other';
}

export const confirmsKey = (resp: SseCResponse, key: SseCKey): boolean => keyEcho(resp, key) === 'ours';

/**
 * Some servers accept SSE-C headers and silently store plaintext. A write
 * whose response does not confirm AES256 with our key's MD5 is removed again
 * and reported; it is never recorded as encrypted.
 */
export async function assertEncryptedWith(io: Io, obj: ObjectVersionRef, resp: SseCResponse, sseKey: SseCKey): Promise<void> {
  if (confirmsKey(resp, sseKey)) return;
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const removed = await io.conn.client.send(new DeleteObjectCommand({ Bucket: obj.bucket, Key: obj.key,
    VersionId: obj.versionId || undefined })).then(() => true, () => false);
  throw new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption of ${formatS3Url(obj)}` +
    (resp.SSECustomerAlgorithm ? ` (it reports key MD5 ${resp.SSECustomerKeyMD5 ?? 'none'}, not ours)` : ' (no SSE-C algorithm in its response)') +
    (removed ? '; sse3 deleted what it wrote' : '; sse3 could NOT delete what it wrote: it may be stored unencrypted'),
    'use a server that implements SSE-C; nothing was recorded in the manifest');
}
