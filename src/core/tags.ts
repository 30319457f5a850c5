import { describeS3Error, type ErrorContext, statusOf } from '../s3/errors.js';
import type { WriteOutput } from '../s3/objects.js';
import { isUnanswered } from '../s3/retry.js';
import { formatS3Url } from '../s3/url.js';
import { versionIdOf } from '../s3/version.js';
import { ExitCode, Sse3Error } from '../errors.js';
import type { Io } from './context.js';
import { type ObjectProps, propsMetadata } from './props.js';
import { shown } from './transfer/answers.js';

/**
 * What sse3 stores with an object besides its data — tags (readable without the key) and metadata (readable with
 * it) — the shape of each value, and the one policy for reading tags back.
 */

/** Object tags sse3 writes: readable without the key, so a lost manifest can be rebuilt. */
export const TAG_FINGERPRINT = 'sse3-fp';
export const TAG_SHA256 = 'sse3-sha256';

export type Tags = Record<string, string>;

/**
 * Object metadata (x-amz-meta-sse3-mtime) holding the modification time of the file an object was uploaded from, in
 * whole milliseconds since the epoch. Metadata of an SSE-C object is readable only with its key, so a listing never
 * shows it; sse3 keeps the same value in its manifest and reads this one back when it downloads the object.
 */
export const META_MTIME = 'sse3-mtime';

/**
 * Object metadata (x-amz-meta-sse3-upload) of a multipart upload: a random value that sse3 also journals with the
 * upload. A run killed between completing an upload and recording it leaves the object to the next run, which records
 * (and tags) it only when it carries the journalled value: the proof that it is the object that upload wrote, and not
 * one a journal entry merely names.
 */
export const META_UPLOAD = 'sse3-upload';

/**
 * Tag (sse3-upload) of a multipart object: the same random value as its META_UPLOAD metadata. Its tags are written
 * after the upload completes (Ceph RGW drops the tagging header of CreateMultipartUpload), so a writer that lost a race
 * may tag the object that won it; this tag says which upload a checksum tag is about (tagsAbout).
 */
export const TAG_UPLOAD = 'sse3-upload';

/**
 * The metadata sse3 stores with an object: the user's and the file's mode (props.ts), its tags (fingerprint, checksum)
 * and, for a file, its mtime.
 */
export const metadataFor = (tags: Tags, mtimeMs: number | undefined, props?: ObjectProps): Record<string, string> =>
  ({ ...propsMetadata(props), ...tags, ...(mtimeMs === undefined ? {} : { [META_MTIME]: String(mtimeMs) }) });

/** The mtime an object's metadata records, or undefined. */
export function mtimeFromMetadata(metadata: Record<string, string> | undefined): number | undefined {
  const text = metadata?.[META_MTIME];
  return text !== undefined && /^-?\d{1,15}$/.test(text) ? Number(text) : undefined;
}

export function tagsFor(fingerprint: string, sha256?: string, upload?: string): Tags {
  return { [TAG_FINGERPRINT]: fingerprint, ...(sha256 ? { [TAG_SHA256]: sha256 } : {}), ...(upload ? { [TAG_UPLOAD]: upload } : {}) };
}

/**
 * Whether an object's sse3 tags are about the stored data that opened with the key `fingerprint` (its metadata read
 * with that key): tags naming another key, or another multipart upload than the one whose metadata the object carries,
 * were left by a writer whose upload another one replaced, and their checksum says nothing about this data.
 */
export const tagsAbout = (tags: Sse3Tags, fingerprint: string | undefined, metadata: Record<string, string> | undefined): boolean =>
  (!tags.fingerprint || !fingerprint || tags.fingerprint === fingerprint)
  && (!tags.upload || tags.upload === metadata?.[META_UPLOAD]);

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

/**
 * Replace an object version's tags (no key needed: tags are not encrypted). Returns the server's clock at its answer:
 * Ceph counts a change of tags as a modification of an unversioned object (its LastModified moves), so a record of it
 * takes its time bound from this answer (core/recorded.ts).
 */
export async function putTags(io: Io, obj: ObjectVersionRef, tags: Tags): Promise<Date | undefined> {
  const { PutObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const answer = await io.conn.client.send(new PutObjectTaggingCommand({ Bucket: obj.bucket, Key: obj.key, VersionId: obj.versionId || undefined,
    Tagging: toTagSet(tags) }), { abortSignal: io.signal });
  return (answer as WriteOutput).ServerDate;
}

/**
 * Take back the sse3 tags an upload left on an object that another writer's upload replaced (best effort): only while
 * they still name that upload, so the winner's own tags, once written, stay. Other tags are kept.
 */
export async function withdrawUploadTags(io: Io, obj: ObjectVersionRef, upload: string): Promise<void> {
  const { DeleteObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  try {
    const { tags } = await getTagging(io, obj);
    if (tags[TAG_UPLOAD] !== upload) return;
    const kept = Object.fromEntries(Object.entries(tags).filter(([name]) => ![TAG_FINGERPRINT, TAG_SHA256, TAG_UPLOAD].includes(name)));
    if (Object.keys(kept).length > 0) await putTags(io, obj, kept);
    else await io.conn.client.send(new DeleteObjectTaggingCommand({ Bucket: obj.bucket, Key: obj.key, VersionId: obj.versionId || undefined }));
  } catch {
    // Left as they are: a download still trusts them only for the upload they name (tagsAbout).
  }
}

/** An object version's tags and the version they are of, as the server sent them (readObjectTags is the policy). */
async function getTagging(io: Io, obj: ObjectVersionRef): Promise<{ tags: Tags; versionId: string }> {
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const t = await io.conn.client.send(new GetObjectTaggingCommand({ Bucket: obj.bucket, Key: obj.key,
    VersionId: obj.versionId || undefined }), { abortSignal: io.signal });
  return { tags: Object.fromEntries((t.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])), versionId: versionIdOf(t.VersionId) };
}

/** What a tag read is for, so its failure can say what could not be read and during what. */
export interface TagRead {
  /** What the caller reads the tags for: "key fingerprint", "SHA-256". */
  what: string;
  op: ErrorContext['op'];
}

/** What an object's sse3 tags record; a field is undefined when its tag is absent (the object was not written by sse3). */
export interface Sse3Tags {
  fingerprint?: string;
  sha256?: string;
  /** The multipart upload the tags were written for (TAG_UPLOAD). */
  upload?: string;
}

/**
 * The one way sse3 reads an object's tags, with one error policy for every caller (get, cp, rotate, verify, adopt,
 * ls, sync, the key lookup, manifest rebuild, keys usage). An absent tag is "nothing recorded": the caller warns or
 * goes on without it. Tags that cannot be read are an error, never taken for "nothing recorded" — a checked
 * download must not quietly become an unchecked one: a missing object or bucket "does not exist" (exit 1), a server
 * that does not answer (after the retry policy of s3/retry.ts) exits 5, a refusal (access denied, a server error)
 * exits 1. Every tag of the version is returned (adopt keeps the object's own when it adds sse3's), with the version
 * they are of ('' when the server names none: an unversioned bucket).
 */
export async function readObjectTags(io: Io, obj: ObjectVersionRef, read: TagRead): Promise<{ tags: Tags; versionId: string }> {
  try {
    return await getTagging(io, obj);
  } catch (e) {
    throw tagReadError(e, obj, read);
  }
}

/** sse3's own tags (sse3-fp, sse3-sha256) of an object version, read under readObjectTags's policy, each checked for its shape. */
export async function readSse3Tags(io: Io, obj: ObjectVersionRef, read: TagRead): Promise<Sse3Tags> {
  return sse3Values((await readObjectTags(io, obj, read)).tags, obj, 'tag');
}

/** The shape of each value sse3 stores in tags and metadata: what the rest of sse3 may assume of a value it read back. */
const SHAPES = [
  { name: TAG_FINGERPRINT, field: 'fingerprint', shape: /^[0-9a-f]{20}$/, what: 'a key fingerprint (20 hex digits)' },
  { name: TAG_SHA256, field: 'sha256', shape: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' },
  { name: TAG_UPLOAD, field: 'upload', shape: /^[0-9a-f]{32}$/, what: 'an upload token (32 hex digits)' },
] as const;

/**
 * sse3's values (sse3-fp, sse3-sha256, sse3-upload) among an object's tags or metadata, each checked for its shape. Anyone who may
 * write to the bucket may write these: a value of another shape is an error naming the object (exit 4), and is never
 * shown, used as a fingerprint or compared as a checksum. An absent or empty value is "nothing recorded".
 */
export function sse3Values(values: Record<string, string> | undefined, obj: ObjectVersionRef, where: 'tag' | 'metadata'): Sse3Tags {
  const found: Sse3Tags = {};
  for (const { name, field, shape, what } of SHAPES) {
    const value = values?.[name];
    if (!value) continue;
    if (!shape.test(value)) {
      const url = formatS3Url(obj) + (obj.versionId ? ` (version ${shown(obj.versionId)})` : '');
      throw new Sse3Error('INTEGRITY', `${url}: its ${name} ${where} does not hold ${what}, so sse3 does not trust it`,
        where === 'tag' ? `something other than sse3 wrote that tag: check who writes to this bucket, then correct or remove the tag ` +
          '(aws s3api put-object-tagging / delete-object-tagging) and run sse3 adopt to record the object again'
          : 'something other than sse3 wrote this object with sse3\'s metadata: check who writes to this bucket; upload it again with sse3 put');
    }
    found[field] = value;
  }
  return found;
}

function tagReadError(e: unknown, obj: ObjectVersionRef, opts: TagRead): Sse3Error {
  const url = formatS3Url(obj);
  const err = describeS3Error(e, { op: opts.op, url });
  // A server that does not answer is the news itself (exit 5), whatever was being read.
  if (['INTERRUPTED', 'NO_BUCKET', 'UNREACHABLE', 'TLS'].includes(err.code)) return err;
  if (err.code === 'NO_OBJECT' || statusOf(e) === 404) return new Sse3Error('NO_OBJECT', `${url} does not exist`, undefined, { cause: e });
  const cannot = `the ${opts.what} recorded for ${url} (in its sse3 tags) could not be read`;
  if (err.code === 'ACCESS_DENIED') {
    return new Sse3Error('ACCESS_DENIED', `${cannot}: access denied`,
      'these credentials need s3:GetObjectTagging on the bucket; sse3 does not go on without what was recorded', { cause: e });
  }
  return new Sse3Error(err.code, `${cannot}: ${err.message}`, err.hint ?? 'try again',
    { cause: e, exitCode: isUnanswered(e) ? ExitCode.UNREACHABLE : ExitCode.FAILED });
}
