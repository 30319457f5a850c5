import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Connection } from '../s3/client.js';
import { describeS3Error, statusOf } from '../s3/errors.js';
import { formatS3Url } from '../s3/url.js';
import type { ManifestEntry, ManifestStore } from '../manifest/store.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { BoundedPool, BufferPool, fixedChunks } from './chunks.js';
import { faultPoint } from './faults.js';
import { assertEncryptedWith, tagsFor, toTagging, unquoteEtag } from './ssec.js';

export const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;
export const DEFAULT_CONCURRENCY = 4;
const MAX_PARTS = 10_000;

export interface UploadRequest {
  conn: Connection;
  bucket: string;
  key: string;
  sseKey: SseCKey;
  /** A stream to upload (stdin, a GET being copied) ... */
  body?: AsyncIterable<Uint8Array>;
  /** ... or a local file: its parts are then streamed from disk, in parallel, without part buffers. */
  file?: { path: string; size: number; mtimeMs: number };
  /** Known size, if any: used to grow the part size past S3's 10,000-part limit. */
  sizeHint?: number;
  contentType?: string;
  partSize?: number;
  concurrency?: number;
  manifest: ManifestStore;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onWarning?: (message: string) => void;
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

/** Part size that keeps a known size within S3's 10,000 parts. */
export function partSizeFor(sizeHint: number | undefined, wanted: number): number {
  if (sizeHint === undefined) return wanted;
  const minimum = Math.ceil(sizeHint / MAX_PARTS);
  return Math.max(wanted, Math.ceil(minimum / MiB) * MiB);
}

/**
 * Upload a stream encrypted with an SSE-C key: one PutObject when it fits in a
 * part, else a parallel multipart upload with the key headers on every request.
 * Only after the server confirmed the encrypted write is the manifest updated.
 */
export async function uploadObject(req: UploadRequest): Promise<UploadResult> {
  const partSize = partSizeFor(req.file?.size ?? req.sizeHint, req.partSize ?? DEFAULT_PART_SIZE);
  if (req.file && req.file.size > partSize) return putMultipart(req, fileFeed(req.file, partSize));
  // A small file is read whole into a buffer of its own size, not into a part-sized one.
  if (req.file) return putSingle(req, await fs.readFile(req.file.path));
  // Parts in flight, the one filling, and the look-ahead part that decides single vs multipart.
  const pool = new BufferPool(partSize, (req.concurrency ?? DEFAULT_CONCURRENCY) + 2);
  const chunks = fixedChunks(req.body!, partSize, pool);
  const first = (await chunks.next()).value as Buffer;
  const second = first.length < partSize ? undefined : await chunks.next();
  if (!second || second.done) return putSingle(req, first);
  return putMultipart(req, bufferedFeed(chunks, [first, second.value], pool));
}

/** One part to upload: its bytes can be produced again for a retry. */
interface Part {
  length: number;
  body: () => Buffer | Readable;
  /** Called once the part is uploaded or abandoned. */
  release: () => void;
}

/** Where a multipart upload's parts come from, and the plaintext SHA-256 of all of them. */
interface PartFeed {
  parts: AsyncIterable<Part>;
  digest: () => Promise<{ sha256: string; size: number }>;
  /** Buffer bodies can be resent by the SDK's own retries; streams must be recreated, so sse3 retries those itself. */
  streamed: boolean;
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
    streamed: false,
    parts: (async function* () {
      for (const buf of firstParts) yield take(buf);
      for await (const buf of rest) yield take(buf);
    })(),
    digest: async () => ({ sha256: hash.digest('hex'), size }),
  };
}

/** Parts read straight from the file by range; a separate sequential pass hashes it. */
function fileFeed(file: { path: string; size: number; mtimeMs: number }, partSize: number): PartFeed {
  const hashing = (async () => {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file.path, { highWaterMark: MiB })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const st = await fs.stat(file.path);
    if (st.size !== file.size || st.mtimeMs !== file.mtimeMs || size !== file.size) {
      throw new Sse3Error('INTEGRITY', `${file.path} changed while it was being uploaded`, 'upload it again once it is complete');
    }
    return { sha256: hash.digest('hex'), size };
  })();
  hashing.catch(() => undefined); // awaited at the end; an early failure must not count as unhandled
  return {
    streamed: true,
    parts: (function* () {
      for (let start = 0; start < file.size; start += partSize) {
        const end = Math.min(file.size, start + partSize) - 1;
        yield { length: end - start + 1, body: () => createReadStream(file.path, { start, end, highWaterMark: 256 * 1024 }),
          release: () => undefined };
      }
    })() as unknown as AsyncIterable<Part>,
    digest: () => hashing,
  };
}

const url = (req: UploadRequest) => formatS3Url({ bucket: req.bucket, key: req.key });

async function putSingle(req: UploadRequest, body: Buffer): Promise<UploadResult> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const sha256 = createHash('sha256').update(body).digest('hex');
  req.beforeCommit?.(sha256, body.length);
  const tags = tagsFor(req.sseKey.fingerprint, sha256);
  let resp;
  try {
    resp = await req.conn.client.send(new PutObjectCommand({
      Bucket: req.bucket, Key: req.key, Body: body, ContentLength: body.length,
      ContentType: req.contentType ?? 'application/octet-stream',
      Metadata: tags, Tagging: toTagging(tags),
      ...req.sseKey.sseC(),
    }), { abortSignal: req.signal });
  } catch (e) {
    throw await explainWriteFailure(req, e);
  }
  await assertEncryptedWith(req.conn, req.bucket, req.key, resp.VersionId, resp, req.sseKey);
  req.onBytes?.(body.length);
  return record(req, { versionId: resp.VersionId, size: body.length, sha256, etag: resp.ETag, parts: 1 });
}

async function putMultipart(req: UploadRequest, feed: PartFeed): Promise<UploadResult> {
  const s3 = await import('@aws-sdk/client-s3');
  const { client } = req.conn;
  const ssec = req.sseKey.sseC();
  const target = { Bucket: req.bucket, Key: req.key };
  const initialTags = { 'sse3-fp': req.sseKey.fingerprint };

  let uploadId: string;
  try {
    const created = await client.send(new s3.CreateMultipartUploadCommand({
      ...target, ContentType: req.contentType ?? 'application/octet-stream',
      Metadata: initialTags, Tagging: toTagging(initialTags), ...ssec,
    }), { abortSignal: req.signal });
    uploadId = created.UploadId!;
    if (created.SSECustomerAlgorithm !== 'AES256') {
      await client.send(new s3.AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => undefined);
      throw notEncrypted(req, 'CreateMultipartUpload');
    }
  } catch (e) {
    throw await explainWriteFailure(req, e);
  }

  const location = { endpoint: req.conn.endpoint, bucket: req.bucket, key: req.key };
  req.manifest.beginUpload({ ...location, uploadId, fingerprint: req.sseKey.fingerprint, pid: process.pid,
    startedAt: new Date().toISOString() });
  // Parts in flight are cancelled together when one fails or the caller aborts.
  const cancel = new AbortController();
  const onOuterAbort = () => cancel.abort();
  req.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const etags: string[] = [];
  let completed = false;
  const inFlight = new BoundedPool(req.concurrency ?? DEFAULT_CONCURRENCY);
  const sendPart = async (part: Part, partNumber: number) => {
    const command = () => new s3.UploadPartCommand({
      ...target, UploadId: uploadId, PartNumber: partNumber, Body: part.body(), ContentLength: part.length, ...ssec,
    });
    if (!feed.streamed) return client.send(command(), { abortSignal: cancel.signal });
    for (let attempt = 1; ; attempt++) {
      try {
        return await req.conn.singleAttemptClient.send(command(), { abortSignal: cancel.signal });
      } catch (e) {
        const status = statusOf(e) ?? 0;
        if (cancel.signal.aborted || attempt >= 4 || (status >= 400 && status < 500)) throw e;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  };

  try {
    for await (const part of feed.parts) {
      const partNumber = etags.push('');
      await inFlight.add(async () => {
        let r;
        try {
          r = await sendPart(part, partNumber);
        } finally {
          part.release();
        }
        if (r.SSECustomerAlgorithm !== 'AES256') throw notEncrypted(req, `UploadPart ${partNumber}`);
        etags[partNumber - 1] = r.ETag!;
        req.onBytes?.(part.length);
        if (partNumber === 2) faultPoint('after-part-2');
      });
    }
    await inFlight.drain();
    const { sha256, size } = await feed.digest();
    req.beforeCommit?.(sha256, size);
    req.manifest.completingUpload(location, uploadId, sha256, size);
    faultPoint('before-complete');
    const done = await client.send(new s3.CompleteMultipartUploadCommand({
      ...target, UploadId: uploadId, ...ssec,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }), { abortSignal: cancel.signal });
    // Some servers (Ceph RGW) return no ETag from Complete; HEAD with the key also proves the stored object is encrypted.
    const head = await client.send(new s3.HeadObjectCommand({ ...target, VersionId: done.VersionId, ...ssec }))
      .catch((e) => {
        const status = statusOf(e);
        if (status !== 400 && status !== 403) throw e;
        // Unversioned, the key now holds another writer's object (under another key): ours was replaced at once.
        completed = true;
        throw new Sse3Error('S3', `${url(req)} was replaced by another writer as this upload completed; sse3 recorded nothing`,
          'upload again if this version should win; writers to one key should not race');
      });
    await assertEncryptedWith(req.conn, req.bucket, req.key, done.VersionId, head, req.sseKey);
    faultPoint('after-complete');
    try {
      const tags = tagsFor(req.sseKey.fingerprint, sha256);
      await client.send(new s3.PutObjectTaggingCommand({
        ...target, VersionId: done.VersionId,
        Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      }));
    } catch (e) {
      req.onWarning?.(`could not tag ${url(req)} with its checksum (${statusOf(e) ?? ''} ${(e as Error).name}); ` +
        'the manifest still records it');
    }
    return record(req, { versionId: done.VersionId, size, sha256, etag: head.ETag ?? done.ETag, parts: etags.length }, uploadId);
  } catch (e) {
    cancel.abort();
    await inFlight.settle();
    if (completed) {
      req.manifest.endUpload(location, uploadId);
    } else {
      await client.send(new s3.AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).then(
        () => req.manifest.endUpload(location, uploadId),
        // Kept in the manifest: the next sse3 run against this server aborts it, or records it if it did complete.
        () => req.onWarning?.(`multipart upload ${uploadId} could not be aborted now; the next sse3 run will settle it`),
      );
    }
    if (e instanceof Sse3Error) throw e;
    if (req.signal?.aborted) throw new Sse3Error('INTERRUPTED', `upload of ${url(req)} was interrupted`);
    throw describeS3Error(e, { op: 'put', url: url(req) });
  } finally {
    req.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function record(req: UploadRequest, r: { versionId?: string; size: number; sha256: string; etag?: string; parts: number },
  uploadId?: string): UploadResult {
  const entry: ManifestEntry = {
    endpoint: req.conn.endpoint, bucket: req.bucket, key: req.key, versionId: r.versionId ?? '',
    fingerprint: req.sseKey.fingerprint, size: r.size, sha256: r.sha256, etag: unquoteEtag(r.etag),
    createdAt: new Date().toISOString(),
  };
  if (uploadId) req.manifest.recordUpload(entry, uploadId);
  else req.manifest.record(entry);
  return { ...entry, parts: r.parts };
}

function notEncrypted(req: UploadRequest, step: string): Sse3Error {
  return new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption for ${step} of ${url(req)}: it may store plaintext`,
    'use a server that supports SSE-C; nothing was recorded in the manifest');
}

/** A 403 on write may be AWS's block on SSE-C (default for new buckets since April 2026): say so. */
async function explainWriteFailure(req: UploadRequest, e: unknown): Promise<Sse3Error> {
  if (statusOf(e) === 403) {
    try {
      const { GetBucketEncryptionCommand } = await import('@aws-sdk/client-s3');
      const enc = await req.conn.client.send(new GetBucketEncryptionCommand({ Bucket: req.bucket }));
      const blocked = (enc.ServerSideEncryptionConfiguration?.Rules ?? [])
        .some((r) => r.BlockedEncryptionTypes?.EncryptionType?.some((t) => String(t) === 'SSE-C'));
      if (blocked) {
        return new Sse3Error('SSEC_BLOCKED',
          `bucket ${req.bucket} blocks SSE-C writes (its encryption configuration lists SSE-C in BlockedEncryptionTypes)`,
          'the bucket owner can allow SSE-C with put-bucket-encryption, removing SSE-C from BlockedEncryptionTypes',
          { cause: e });
      }
    } catch {
      // Not allowed to read the configuration, or not AWS: fall through to the plain message.
    }
  }
  return describeS3Error(e, { op: 'put', url: url(req) });
}
