import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Connection } from '../s3/client.js';
import { describeS3Error, statusOf } from '../s3/errors.js';
import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { SseCKey } from './key.js';
import { sha256FromTag, TAG_SHA256, unquoteEtag } from './ssec.js';
import { BufferPool } from './chunks.js';
import { removeStaleTempFiles, tempPathFor, trackTemp, untrackTemp } from './tempfiles.js';

/** Range size and how many ranges are fetched at once: parallel streams keep both server cores busy. */
const RANGE_BYTES = 4 * 1024 * 1024;
const PARALLEL_RANGES = 4;

async function readAll(body: Readable, length: number, buf: Buffer): Promise<Buffer> {
  buf = buf.subarray(0, length);
  let at = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (at + chunk.length > length) throw new Sse3Error('INTEGRITY', 'the server sent more bytes than the range asked for');
    chunk.copy(buf, at);
    at += chunk.length;
  }
  if (at !== length) throw Object.assign(new Error(`range cut short: ${at} of ${length} bytes`), { code: 'ECONNRESET' });
  return buf;
}

/**
 * The object's bytes in order: the first response's body as it streams, then
 * the remaining ranges, fetched up to PARALLEL_RANGES at a time and yielded in
 * order, so memory stays bounded by the window whatever the object's size.
 */
async function* orderedRanges(first: Readable, firstLength: number, total: number,
  fetchRange: (start: number, end: number, into: Buffer) => Promise<Buffer>, cancel: AbortController): AsyncGenerator<Buffer> {
  // Ranges in flight plus the one being written: their buffers are reused for the whole download.
  const pool = new BufferPool(RANGE_BYTES, PARALLEL_RANGES + 1);
  const window: Array<Promise<Buffer>> = [];
  let next = firstLength;
  const launch = () => {
    if (next >= total) return;
    const start = next;
    next = Math.min(total, start + RANGE_BYTES);
    const p = pool.take().then((buf) => fetchRange(start, next - 1, buf));
    p.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
    window.push(p);
  };
  try {
    for (let i = 0; i < PARALLEL_RANGES; i++) launch();
    for await (const chunk of first as AsyncIterable<Buffer>) yield chunk;
    while (window.length) {
      const buf = await window.shift()!;
      launch();
      yield buf;
      pool.give(buf); // the consumer has written it by the time it asks for the next one
    }
  } finally {
    cancel.abort();
  }
}

export type DownloadTarget = { kind: 'file'; path: string } | { kind: 'stream'; stream: Writable };

export interface DownloadRequest {
  conn: Connection;
  bucket: string;
  key: string;
  versionId?: string;
  sseKey: SseCKey;
  /** Plaintext SHA-256 the manifest recorded, if any, and for which version. */
  expectedSha256?: string;
  expectedVersionId?: string;
  /** Fingerprint the manifest recorded, for a precise wrong-key message. */
  expectedFingerprint?: string;
  target: DownloadTarget;
  signal?: AbortSignal;
  onStart?: (size: number) => void;
  onBytes?: (n: number) => void;
}

/** Where the expected SHA-256 came from; 'none' when nothing recorded one (not written by sse3). */
export type ChecksumSource = 'manifest' | 'metadata' | 'tag' | 'none';

export interface DownloadResult {
  size: number;
  sha256: string;
  checkedAgainst: ChecksumSource;
  versionId: string;
  etag: string;
}

/**
 * GET an SSE-C object and verify the plaintext against the SHA-256 recorded
 * at upload. A file target is written to a temporary file and renamed only
 * after every check passed.
 */
export async function downloadObject(req: DownloadRequest): Promise<DownloadResult> {
  const s3 = await import('@aws-sdk/client-s3');
  const url = formatS3Url({ bucket: req.bucket, key: req.key });
  const errCtx = { op: 'get' as const, url, sentFingerprint: req.sseKey.fingerprint, expectedFingerprint: req.expectedFingerprint };
  const get = (range?: string, pin?: { VersionId?: string; IfMatch?: string }, signal = req.signal, client = req.conn.client) =>
    client.send(new s3.GetObjectCommand({
      Bucket: req.bucket, Key: req.key, VersionId: req.versionId, Range: range, ...pin, ...req.sseKey.sseC(),
    }), { abortSignal: signal });
  let resp;
  try {
    // The first range tells the size; the rest of a large object is then fetched in parallel.
    resp = await get(`bytes=0-${RANGE_BYTES - 1}`).catch((e) => {
      if (statusOf(e) === 416) return get(); // an empty object has no byte 0
      throw e;
    });
  } catch (e) {
    throw describeS3Error(e, errCtx);
  }
  const body = resp.Body as Readable;
  // A server may answer an unencrypted object with 200 despite the SSE-C headers (Ceph RGW does).
  if (resp.SSECustomerAlgorithm !== 'AES256') {
    body.destroy();
    throw new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C (the server reports no customer key)`,
      'sse3 only reads SSE-C objects; read it with a plain S3 client');
  }

  let expected: { sha256?: string; source: ChecksumSource } | Promise<{ sha256?: string; source: ChecksumSource }>;
  const recordedVersionMatches = !req.expectedVersionId || !resp.VersionId || req.expectedVersionId === resp.VersionId;
  if (req.expectedSha256 && recordedVersionMatches) expected = { sha256: req.expectedSha256, source: 'manifest' };
  else if (resp.Metadata?.[TAG_SHA256]) expected = { sha256: resp.Metadata[TAG_SHA256], source: 'metadata' };
  else {
    // Multipart uploads carry their checksum in a tag (known only after the upload); fetch it alongside the body.
    expected = sha256FromTag(req.conn, req.bucket, req.key, resp.VersionId)
      .then((sha256) => ({ sha256, source: sha256 ? 'tag' as const : 'none' as const }));
  }

  const size = Number(/\/(\d+)$/.exec(resp.ContentRange ?? '')?.[1] ?? resp.ContentLength ?? 0);
  req.onStart?.(size);
  // Every later range must come from the very same object version.
  const pin = resp.VersionId ? { VersionId: resp.VersionId } : { IfMatch: resp.ETag };
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const data = orderedRanges(body, resp.ContentLength ?? 0, size, async (start, end, into) => {
    for (let attempt = 1; ; attempt++) {
      try {
        // Retried here, once per attempt, and not again inside the SDK: a frozen server costs 3 timeouts, not 12.
        const r = await get(`bytes=${start}-${end}`, pin, cancel.signal, req.conn.singleAttemptClient);
        if (r.SSECustomerAlgorithm !== 'AES256' || r.SSECustomerKeyMD5 !== req.sseKey.keyMd5) {
          throw new Sse3Error('NOT_ENCRYPTED', `${url} changed during the download (a range came back without our key)`, 'try again');
        }
        return await readAll(r.Body as Readable, end - start + 1, into);
      } catch (e) {
        const status = statusOf(e) ?? 0;
        if (e instanceof Sse3Error || cancel.signal.aborted || attempt >= 3 || (status >= 400 && status < 500)) throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }, cancel);
  const hash = createHash('sha256');
  let received = 0;

  const check = async () => {
    const exp = await expected;
    if (received !== size) {
      throw new Sse3Error('INTEGRITY', `${url}: received ${received} bytes, the server announced ${size}`, 'try again');
    }
    const sha256 = hash.digest('hex');
    if (exp.sha256 && exp.sha256 !== sha256) {
      throw new Sse3Error('INTEGRITY', `${url}: SHA-256 of the decrypted data does not match the one recorded at upload (${exp.source})`,
        'the object was changed or corrupted after sse3 wrote it; nothing was written locally');
    }
    return { size, sha256, checkedAgainst: exp.sha256 ? exp.source : 'none' as ChecksumSource,
      versionId: resp.VersionId ?? '', etag: unquoteEtag(resp.ETag) };
  };

  const pump = async (write: (chunk: Buffer) => Promise<void>) => {
    try {
      for await (const chunk of data) {
        hash.update(chunk);
        await write(chunk);
        received += chunk.length;
        req.onBytes?.(chunk.length);
      }
    } catch (e) {
      cancel.abort();
      if (e instanceof Sse3Error) throw e;
      if (req.signal?.aborted) throw new Sse3Error('INTERRUPTED', `download of ${url} was interrupted`);
      throw describeS3Error(e, errCtx);
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  };

  if (req.target.kind === 'stream') {
    const out = req.target.stream;
    // Wait until each chunk is flushed: its buffer is reused for a later range.
    await pump((chunk) => new Promise<void>((resolve, reject) => {
      out.write(chunk, (err) => (err ? reject(err) : resolve()));
    }));
    return check();
  }

  const dest = req.target.path;
  await removeStaleTempFiles(dest);
  const tmp = tempPathFor(dest);
  trackTemp(tmp);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o666);
    const h = handle;
    await pump(async (chunk) => { await h.write(chunk); });
    await handle.sync();
    await handle.close();
    handle = undefined;
    const result = await check();
    await fs.rename(tmp, dest);
    return result;
  } catch (e) {
    body.destroy();
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    if (e instanceof Sse3Error) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new Sse3Error('LOCAL_IO', `cannot write ${dest}: ${code}`, undefined, { cause: e });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}
