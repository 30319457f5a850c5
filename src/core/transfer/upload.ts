import type { ManifestEntry } from '../../manifest/entry.js';
import type { ObjectProps } from '../props.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { type FileStamp, OpenFile } from '../../local/files.js';
import { fileFeed, rangeFeed, streamFeed } from './feeds.js';
import { putMultipart } from './multipart.js';
import { partSizeFor, partsInFlightFor } from './partsize.js';
import { assertKeyLength } from '../../s3/url.js';
import { BufferPool, fixedChunks } from './pools.js';
import { putSingle } from './putobject.js';
import type { ObjectRanges } from './ranges.js';
import { transfersOf } from './scope.js';
import { uploadUrl } from './outcome.js';
import { StorageClassRefused } from '../../s3/write-failure.js';

/** Where an upload goes and with which key. */
export interface UploadTarget {
  bucket: string;
  key: string;
  sseKey: SseCKey;
  /** Content type, headers, storage class, the user's metadata and the file's mode: stored with the object. */
  props?: ObjectProps;
  /** Modification time of the source file (whole ms), stored in the object's metadata and the manifest. */
  mtimeMs?: number;
  /**
   * Write only over the object with this ETag (unquoted): a rotation re-writes the version it read, never one another
   * writer put there meanwhile. Sent as If-Match with the PutObject and the CompleteMultipartUpload; a server that
   * finds another ETag answers 412 (CHANGED). Ceph RGW checks it on PutObject; RGW 16 ignores it on a multipart
   * completion, where the ranges read under the old key catch a re-key instead.
   */
  ifMatch?: string;
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
 * Upload a stream encrypted with an SSE-C key: one PutObject when it fits in a part (putobject.ts), else a parallel
 * multipart upload with the key headers on every request (multipart.ts). Only after the server confirmed the
 * encrypted write is the manifest updated.
 */
export async function uploadObject(req: UploadRequest): Promise<UploadResult> {
  const storageClass = req.target.props?.storageClass;
  const { limits } = req.io.conn;
  if (storageClass && limits.refusedStorageClasses?.has(storageClass)) throw new StorageClassRefused(storageClass, uploadUrl(req));
  try {
    return await upload(req);
  } catch (e) {
    if (e instanceof StorageClassRefused) (limits.refusedStorageClasses ??= new Set()).add(e.storageClass);
    throw e;
  }
}

async function upload(req: UploadRequest): Promise<UploadResult> {
  const { source } = req;
  assertKeyLength(req.target);
  const known = source.kind === 'file' ? source.size : source.kind === 'ranges' ? source.ranges.size : source.sizeHint;
  const partSize = partSizeFor(known, req.tuning?.partSize);
  // A small object is held whole in a buffer of its own size; a large one in `concurrency` part buffers, each
  // sent as soon as it is full and reused for a later part (a stream's one more: the look-ahead part).
  const concurrency = partsInFlightFor(req.tuning);
  const pool = new BufferPool(source.kind !== 'stream' && known! <= partSize ? known! : partSize,
    source.kind === 'stream' ? concurrency + 1 : concurrency, transfersOf(req.io).budget);
  try {
    if (source.kind === 'file') return await uploadFile(req, source, partSize, pool);
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
    return await putMultipart(req, streamFeed([first, second.value], chunks, pool));
  } finally {
    pool.close();
  }
}

/** A local file, opened once and checked unchanged: read whole into one buffer, or part by part. */
async function uploadFile(req: UploadRequest, source: Extract<UploadSource, { kind: 'file' }>, partSize: number, pool: BufferPool)
  : Promise<UploadResult> {
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
