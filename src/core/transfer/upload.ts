import { createHash, randomBytes } from 'node:crypto';
import { describeS3Error, statusOf } from '../../s3/errors.js';
import { isUnanswered, withRetries } from '../../s3/retry.js';
import { formatS3Url } from '../../s3/url.js';
import { newEntry, type ManifestEntry } from '../../manifest/entry.js';
import { Sse3Error } from '../../errors.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { BoundedPool, BufferPool, fixedChunks } from './pools.js';
import { faultPoint } from '../../faults.js';
import { type FileStamp, OpenFile } from '../../local/files.js';
import type { ObjectRanges } from './ranges.js';
import { assertEncryptedWith, confirmsKey } from '../keyed.js';
import { META_UPLOAD, metadataFor, putTags, tagsFor, toTagging } from '../tags.js';

export const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;
export const DEFAULT_CONCURRENCY = 4;
/** S3's limits: at most 10,000 parts, each 5 MiB to 5 GiB (the last may be smaller). */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;

/** Where an upload goes and with which key. */
export interface UploadTarget {
  bucket: string;
  key: string;
  sseKey: SseCKey;
  contentType?: string;
  /** Modification time of the source file (whole ms), stored in the object's metadata and the manifest. */
  mtimeMs?: number;
}

/** What is uploaded: a local file (read once, in order, into part buffers), a stream, or another object's bytes. */
export type UploadSource =
  | { kind: 'file'; path: string; size: number; stamp: FileStamp }
  /** sizeHint, when known, grows the part size past S3's 10,000-part limit. */
  | { kind: 'stream'; body: AsyncIterable<Uint8Array>; sizeHint?: number }
  /** A copy: the source object's ranges, each fetched into a part buffer and sent as that part. */
  | { kind: 'ranges'; ranges: ObjectRanges };

export interface UploadRequest {
  io: Io;
  target: UploadTarget;
  source: UploadSource;
  tuning?: Tuning;
  events?: TransferEvents;
  /**
   * Called with the plaintext's SHA-256 and size just before the object is
   * committed (PutObject sent / multipart completed); throwing cancels the write.
   * Copies use it to check the source end to end before anything replaces the target.
   */
  beforeCommit?: (sha256: string, size: number) => void;
}

export interface UploadResult extends ManifestEntry {
  parts: number;
}

/**
 * The part size for an upload of sizeHint bytes (undefined: unknown). A part size asked for must keep a known size
 * within S3's 10,000 parts, or the upload is refused before any request; without one, the default grows as needed.
 */
export function partSizeFor(sizeHint: number | undefined, wanted: number | undefined): number {
  const mib = (n: number) => `${Math.ceil(n / MiB)} MiB`;
  const needed = sizeHint === undefined ? 0 : Math.ceil(Math.ceil(sizeHint / MAX_PARTS) / MiB) * MiB;
  if (wanted === undefined) {
    const size = Math.max(DEFAULT_PART_SIZE, needed);
    if (size > MAX_PART_SIZE) {
      throw new Sse3Error('USAGE', `${sizeHint} bytes is more than S3 can store in one object (10,000 parts of 5 GiB)`);
    }
    return size;
  }
  if (wanted < needed) {
    throw new Sse3Error('USAGE', `--part-size ${mib(wanted)} would cut ${sizeHint} bytes into ${Math.ceil(sizeHint! / wanted)} parts; ` +
      'S3 allows at most 10,000', `pass --part-size ${needed / MiB} or more, or leave it out and sse3 picks one`);
  }
  return wanted;
}

/**
 * Upload a stream encrypted with an SSE-C key: one PutObject when it fits in a
 * part, else a parallel multipart upload with the key headers on every request.
 * Only after the server confirmed the encrypted write is the manifest updated.
 */
export async function uploadObject(req: UploadRequest): Promise<UploadResult> {
  const { source } = req;
  const known = source.kind === 'file' ? source.size : source.kind === 'ranges' ? source.ranges.size : source.sizeHint;
  const partSize = partSizeFor(known, req.tuning?.partSize);
  // A small object is held whole in a buffer of its own size; a large one in `concurrency` part buffers, each
  // sent as soon as it is full and reused for a later part.
  const pool = new BufferPool(source.kind !== 'stream' && known! <= partSize ? known! : partSize,
    source.kind === 'stream' ? concurrencyOf(req) + 1 : concurrencyOf(req));
  try {
    if (source.kind === 'file') {
      const file = await OpenFile.open(source);
      try {
        if (source.size > partSize) return await putMultipart(req, fileFeed(file, partSize, pool));
        const body = (await pool.take()).subarray(0, source.size);
        await file.read(body, 0);
        await file.assertUnchanged();
        return await putSingle(req, body, file);
      } finally {
        await file.close();
      }
    }
    if (source.kind === 'ranges') {
      const { ranges } = source;
      if (ranges.size > partSize) return await putMultipart(req, rangeFeed(ranges, partSize, pool, req.io.signal));
      const body = ranges.size ? await ranges.readInto(0, ranges.size - 1, await pool.take(), req.io.signal ?? new AbortController().signal)
        : Buffer.alloc(0);
      return await putSingle(req, body);
    }
    // The part filling and the look-ahead part that decides single vs multipart, then parts in flight.
    const chunks = fixedChunks(source.body, partSize, pool);
    const first = (await chunks.next()).value as Buffer;
    const second = first.length < partSize ? undefined : await chunks.next();
    if (!second || second.done) return await putSingle(req, first);
    return await putMultipart(req, bufferedFeed(chunks, [first, second.value], pool));
  } finally {
    pool.close();
  }
}

const concurrencyOf = (req: UploadRequest) => req.tuning?.concurrency ?? DEFAULT_CONCURRENCY;
const urlOf = (req: UploadRequest) => formatS3Url(req.target);
const location = (req: UploadRequest) => ({ endpoint: req.io.conn.endpoint, bucket: req.target.bucket, key: req.target.key });

/** One part to upload: a buffer, so a retry sends exactly the bytes that were hashed. */
interface Part {
  length: number;
  body: () => Buffer;
  /** Called once the part is uploaded or abandoned. */
  release: () => void;
}

/** Where a multipart upload's parts come from, and the plaintext SHA-256 of all of them. */
interface PartFeed {
  parts: AsyncIterable<Part>;
  digest: () => Promise<{ sha256: string; size: number }>;
}

function bufferedFeed(rest: AsyncGenerator<Buffer>, firstParts: Buffer[], pool: BufferPool): PartFeed {
  const hash = createHash('sha256');
  let size = 0;
  const take = (buf: Buffer): Part => {
    hash.update(buf);
    size += buf.length;
    return { length: buf.length, body: () => buf, release: () => pool.give(buf) };
  };
  return {
    parts: (async function* () {
      for (const buf of firstParts) yield take(buf);
      for await (const buf of rest) yield take(buf);
    })(),
    digest: async () => ({ sha256: hash.digest('hex'), size }),
  };
}

/**
 * Parts read from the file in order into pooled buffers, each hashed as it is read: the bytes hashed are exactly the
 * bytes sent (a retry sends the same buffer again). Memory: one part per request in flight plus the one being read.
 * The digest is asked for after the last part was sent, and only if the file is still unchanged.
 */
function fileFeed(file: OpenFile, partSize: number, pool: BufferPool): PartFeed {
  const hash = createHash('sha256');
  const size = file.stamp.size;
  return {
    parts: (async function* () {
      for (let start = 0; start < size; start += partSize) {
        const buf = (await pool.take()).subarray(0, Math.min(partSize, size - start));
        await file.read(buf, start);
        hash.update(buf);
        yield { length: buf.length, body: () => buf, release: () => pool.give(buf) };
      }
    })(),
    digest: async () => {
      await file.assertUnchanged();
      return { sha256: hash.digest('hex'), size };
    },
  };
}

/**
 * Parts fetched from another object's ranges into pooled buffers, as many at once as the pool has buffers, and
 * yielded in order so the SHA-256 runs over the bytes in order: each part is hashed before it is sent. A part's
 * buffer goes back to the pool once it is uploaded (or abandoned), and the next range is fetched into it.
 */
function rangeFeed(ranges: ObjectRanges, partSize: number, pool: BufferPool, outer?: AbortSignal): PartFeed {
  const hash = createHash('sha256');
  const cancel = new AbortController();
  return {
    parts: (async function* () {
      const onAbort = () => cancel.abort();
      outer?.addEventListener('abort', onAbort, { once: true });
      const window: Array<Promise<Buffer>> = [];
      let next = 0;
      const launch = () => {
        if (next >= ranges.size) return;
        const start = next;
        next = Math.min(ranges.size, start + partSize);
        const p = pool.take().then((buf) => ranges.readInto(start, next - 1, buf, cancel.signal));
        p.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
        window.push(p);
      };
      try {
        for (let i = 0; i < pool.max; i++) launch();
        while (window.length) {
          const buf = await window.shift()!;
          hash.update(buf);
          launch();
          yield { length: buf.length, body: () => buf, release: () => pool.give(buf) };
        }
      } finally {
        cancel.abort();
        outer?.removeEventListener('abort', onAbort);
      }
    })(),
    digest: async () => ({ sha256: hash.digest('hex'), size: ranges.size }),
  };
}

/** One PutObject. A file's body is checked against the file once more after it was sent; a changed file's object is deleted. */
async function putSingle(req: UploadRequest, body: Buffer, file?: OpenFile): Promise<UploadResult> {
  const { target } = req;
  const sha256 = createHash('sha256').update(body).digest('hex');
  req.beforeCommit?.(sha256, body.length);
  const tags = tagsFor(target.sseKey.fingerprint, sha256);
  let resp;
  try {
    resp = await req.io.conn.objects.putObject({
      Bucket: target.bucket, Key: target.key, Body: body, ContentLength: body.length,
      ContentType: target.contentType ?? 'application/octet-stream',
      Metadata: metadataFor(tags, target.mtimeMs), Tagging: toTagging(tags),
      ...target.sseKey.sseC(),
    }, { abortSignal: req.io.signal });
  } catch (e) {
    throw await explainWriteFailure(req, e);
  }
  await assertEncryptedWith(req.io, { ...target, versionId: resp.VersionId }, resp, target.sseKey);
  faultPoint('put-sent');
  if (file) await file.assertUnchanged().catch((e) => removeWritten(req, resp.VersionId, e));
  faultPoint('after-put');
  req.events?.onBytes?.(body.length);
  return record(req, { versionId: resp.VersionId, size: body.length, sha256, etag: resp.ETag, parts: 1 });
}

/** Delete the version just written, then throw why; if it cannot be deleted, say so instead of "nothing was stored". */
async function removeWritten(req: UploadRequest, versionId: string | undefined, why: Sse3Error): Promise<never> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const removed = await req.io.conn.client.send(new DeleteObjectCommand({ Bucket: req.target.bucket, Key: req.target.key,
    VersionId: versionId })).then(() => true, () => false);
  if (removed) throw why;
  throw new Sse3Error(why.code, why.message.replace(/; nothing was stored$/, `; sse3 could not delete what it stored at ${urlOf(req)}` +
    (versionId ? ` (version ${versionId})` : '')), 'delete that object (nothing was recorded in the manifest), then upload again');
}

/**
 * A multipart upload in explicit phases. 'parts': created and journalled, parts going up; a failure aborts it.
 * 'completing': CompleteMultipartUpload sent, its outcome unknown until it answers; a failure still tries to
 * abort (which fails if it did complete, and then the journal keeps it for the next run to record).
 * 'committed': the server made the object; nothing is aborted any more.
 */
type Phase = 'parts' | 'completing' | 'committed';

interface OpenUpload {
  uploadId: string;
  phase: Phase;
  /** Cancels every part in flight at once, when one fails or the caller aborts. */
  cancel: AbortController;
}

async function putMultipart(req: UploadRequest, feed: PartFeed): Promise<UploadResult> {
  const upload = await createUpload(req);
  const onOuterAbort = () => upload.cancel.abort();
  req.io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const inFlight = new BoundedPool(concurrencyOf(req));
  try {
    const etags = await sendParts(req, upload, feed, inFlight);
    const { sha256, size } = await feed.digest();
    const done = await completeUpload(req, upload, etags, sha256, size);
    await tagAfterComplete(req, done.versionId, sha256);
    return record(req, { versionId: done.versionId, size, sha256, etag: done.etag, parts: etags.length }, upload.uploadId);
  } catch (e) {
    upload.cancel.abort();
    await inFlight.settle();
    await settleFailedUpload(req, upload, e);
    if (e instanceof Sse3Error) throw e;
    if (req.io.signal?.aborted) throw new Sse3Error('INTERRUPTED', `upload of ${urlOf(req)} was interrupted`);
    throw describeS3Error(e, { op: 'put', url: urlOf(req) });
  } finally {
    req.io.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** CreateMultipartUpload with the key, confirmed, and journalled so a killed sse3's upload is settled by the next run. */
async function createUpload(req: UploadRequest): Promise<OpenUpload> {
  const s3 = await import('@aws-sdk/client-s3');
  const { target, io } = req;
  const tags = tagsFor(target.sseKey.fingerprint);
  const token = randomBytes(16).toString('hex');
  let uploadId: string;
  try {
    const created = await io.conn.client.send(new s3.CreateMultipartUploadCommand({
      Bucket: target.bucket, Key: target.key, ContentType: target.contentType ?? 'application/octet-stream',
      Metadata: { ...metadataFor(tags, target.mtimeMs), [META_UPLOAD]: token }, Tagging: toTagging(tags), ...target.sseKey.sseC(),
    }), { abortSignal: io.signal });
    uploadId = created.UploadId!;
    if (!confirmsKey(created, target.sseKey)) {
      await io.conn.client.send(new s3.AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }))
        .catch(() => undefined);
      throw notEncrypted(req, 'CreateMultipartUpload');
    }
  } catch (e) {
    throw await explainWriteFailure(req, e);
  }
  io.manifest.beginUpload({ ...location(req), uploadId, fingerprint: target.sseKey.fingerprint, pid: process.pid,
    startedAt: new Date().toISOString(), token });
  return { uploadId, phase: 'parts', cancel: new AbortController() };
}

/** Every part, at most `concurrency` at once, each confirmed to carry our key; returns the ETags in part order. */
async function sendParts(req: UploadRequest, upload: OpenUpload, feed: PartFeed, inFlight: BoundedPool): Promise<string[]> {
  const { target, io } = req;
  const etags: string[] = [];
  for await (const part of feed.parts) {
    const partNumber = etags.push('');
    if (partNumber > MAX_PARTS) {
      part.release();
      throw new Sse3Error('USAGE', `the data needs more than ${MAX_PARTS} parts at this part size, S3's limit; nothing was stored`,
        'pass a larger --part-size');
    }
    await inFlight.add(async () => {
      let r;
      try {
        // Retried under the one policy, every attempt sending the same buffer (bounded by --timeout each).
        r = await withRetries(() => io.conn.objects.uploadPart({
          Bucket: target.bucket, Key: target.key, UploadId: upload.uploadId, PartNumber: partNumber, Body: part.body(),
          ContentLength: part.length, ...target.sseKey.sseC(),
        }, { abortSignal: upload.cancel.signal, retries: false }), upload.cancel.signal);
      } finally {
        part.release();
      }
      if (!confirmsKey(r, target.sseKey)) throw notEncrypted(req, `UploadPart ${partNumber}`);
      etags[partNumber - 1] = r.ETag!;
      req.events?.onBytes?.(part.length);
      if (partNumber === 2) faultPoint('after-part-2');
    });
  }
  await inFlight.drain();
  return etags;
}

/**
 * Check the whole plaintext, journal its checksum, complete, and prove with a HEAD that the stored object opens
 * with our key (some servers, Ceph RGW among them, return no ETag from Complete).
 */
async function completeUpload(req: UploadRequest, upload: OpenUpload, etags: string[], sha256: string, size: number)
  : Promise<{ versionId?: string; etag?: string }> {
  const s3 = await import('@aws-sdk/client-s3');
  const { target, io } = req;
  const object = { Bucket: target.bucket, Key: target.key };
  req.beforeCommit?.(sha256, size);
  io.manifest.completingUpload(location(req), upload.uploadId, sha256, size);
  faultPoint('before-complete');
  upload.phase = 'completing';
  const done = await io.conn.client.send(new s3.CompleteMultipartUploadCommand({
    ...object, UploadId: upload.uploadId, ...target.sseKey.sseC(),
    MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
  }), { abortSignal: upload.cancel.signal });
  upload.phase = 'committed';
  let head;
  try {
    head = await io.conn.objects.headObject({ ...object, VersionId: done.VersionId, ...target.sseKey.sseC() });
  } catch (e) {
    const status = statusOf(e);
    if (status !== 400 && status !== 403) throw e;
    // Unversioned, the key now holds another writer's object (under another key): ours was replaced at once.
    throw new Sse3Error('S3', `${urlOf(req)} was replaced by another writer as this upload completed; sse3 recorded nothing`,
      'upload again if this version should win; writers to one key should not race');
  }
  await assertEncryptedWith(io, { ...target, versionId: done.VersionId }, head, target.sseKey);
  faultPoint('after-complete');
  return { versionId: done.VersionId, etag: head.ETag ?? done.ETag };
}

/** Multipart objects get their checksum tag only now: Ceph RGW drops the tagging header of CreateMultipartUpload. */
async function tagAfterComplete(req: UploadRequest, versionId: string | undefined, sha256: string): Promise<void> {
  try {
    await putTags(req.io, { ...req.target, versionId }, tagsFor(req.target.sseKey.fingerprint, sha256));
  } catch (e) {
    req.events?.onWarning?.(`could not tag ${urlOf(req)} with its checksum (${statusOf(e) ?? ''} ${(e as Error).name}); ` +
      'the manifest still records it');
  }
}

/**
 * After a failure: an upload that may still become (or hold) parts is aborted — one attempt — and forgotten. If
 * it cannot be aborted now it stays journalled, and the next sse3 run against this server aborts it, or records
 * the object if it had completed. A server that just failed to answer is not asked again: that would only add
 * another timeout before the user hears of it.
 */
async function settleFailedUpload(req: UploadRequest, upload: OpenUpload, error: unknown): Promise<void> {
  const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
  const loc = location(req);
  if (upload.phase === 'committed') {
    // sse3's own verdicts (replaced by another writer, not encrypted and deleted) are final; a lost answer is not.
    if (error instanceof Sse3Error) req.io.manifest.endUpload(loc, upload.uploadId);
    return;
  }
  if (!req.io.signal?.aborted && isUnanswered(error)) {
    req.events?.onWarning?.(`the server is not answering; the next sse3 run against it will abort multipart upload ${upload.uploadId}`);
    return;
  }
  await req.io.conn.singleAttemptClient.send(new AbortMultipartUploadCommand({ Bucket: req.target.bucket, Key: req.target.key,
    UploadId: upload.uploadId })).then(
    () => req.io.manifest.endUpload(loc, upload.uploadId),
    () => req.events?.onWarning?.(`multipart upload ${upload.uploadId} could not be aborted now; the next sse3 run will settle it`),
  );
}

function record(req: UploadRequest, r: { versionId?: string; size: number; sha256: string; etag?: string; parts: number },
  uploadId?: string): UploadResult {
  const entry = newEntry(location(req), { versionId: r.versionId, fingerprint: req.target.sseKey.fingerprint, size: r.size,
    sha256: r.sha256, etag: r.etag, mtimeMs: req.target.mtimeMs });
  if (uploadId) req.io.manifest.recordUpload(entry, uploadId);
  else req.io.manifest.record(entry);
  return { ...entry, parts: r.parts };
}

function notEncrypted(req: UploadRequest, step: string): Sse3Error {
  return new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption with sse3's key for ${step} of ${urlOf(req)}: it may store plaintext`,
    'use a server that supports SSE-C; nothing was recorded in the manifest');
}

/** A 403 on write may be AWS's block on SSE-C (default for new buckets since April 2026): say so. */
async function explainWriteFailure(req: UploadRequest, e: unknown): Promise<Sse3Error> {
  if (e instanceof Sse3Error) return e;
  if (statusOf(e) === 403) {
    try {
      const { GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
      const enc = await req.io.conn.client.send(new GetBucketEncryptionCommand({ Bucket: req.target.bucket }));
      const blocked = (enc.ServerSideEncryptionConfiguration?.Rules ?? [])
        .some((r) => r.BlockedEncryptionTypes?.EncryptionType?.some((t) => String(t) === 'SSE-C'));
      if (blocked) {
        return new Sse3Error('SSEC_BLOCKED',
          `bucket ${req.target.bucket} blocks SSE-C writes (its encryption configuration lists SSE-C in BlockedEncryptionTypes)`,
          'the bucket owner can allow SSE-C with put-bucket-encryption, removing SSE-C from BlockedEncryptionTypes',
          { cause: e });
      }
    } catch {
      // Not allowed to read the configuration, or not AWS: fall through to the plain message.
    }
  }
  return describeS3Error(e, { op: 'put', url: urlOf(req) });
}
