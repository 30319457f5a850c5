import { createHash, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { describeS3Error, type ErrorContext, statusOf } from '../s3/errors.js';
import { withRetries } from '../s3/retry.js';
import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { Io, TransferEvents } from './context.js';
import type { SseCKey } from './key.js';
import { confirmsKey, mtimeFromMetadata, readSse3Tags, TAG_SHA256, unquoteEtag } from './ssec.js';
import { BufferPool } from './chunks.js';
import { localIoError, openDevice, writeAll } from './local.js';
import { removeStaleTempFiles, tempPathFor, trackTemp, untrackTemp } from './tempfiles.js';

/** Range size and how many ranges are fetched at once: parallel streams keep both server cores busy. */
const RANGE_BYTES = 4 * 1024 * 1024;
const PARALLEL_RANGES = 4;

/**
 * Where the plaintext goes. 'file': a temporary file renamed into place once verified. 'device': a character device
 * or FIFO, written as the data arrives. 'stream': a stream, written as the data arrives; `name` (e.g. "stdout") says
 * where the data went when a check fails afterwards — without one the stream is a sink and nothing was kept.
 */
export type DownloadTarget =
  | { kind: 'file'; path: string }
  | { kind: 'device'; path: string; what: string }
  | { kind: 'stream'; stream: Writable; name?: string };

/** What the manifest recorded for the object, if anything: checked against what comes back. */
export interface DownloadExpectation {
  /** Plaintext SHA-256 recorded at upload, and for which version. */
  sha256?: string;
  versionId?: string;
  /** Fingerprint recorded, for a precise wrong-key message. */
  fingerprint?: string;
  /** Plaintext size recorded at upload (for versionId). */
  size?: number;
  /** Source file mtime recorded for that version (whole ms). */
  mtimeMs?: number;
}

export interface DownloadRequest {
  io: Io;
  object: { bucket: string; key: string; versionId?: string };
  sseKey: SseCKey;
  expected?: DownloadExpectation;
  target: DownloadTarget;
  events?: TransferEvents;
  /** Give a written file the modification time recorded for the object (manifest, else its metadata), if any. */
  restoreMtime?: boolean;
}

/** Where the expected SHA-256 came from; 'none' when nothing recorded one (not written by sse3). */
export type ChecksumSource = 'manifest' | 'metadata' | 'tag' | 'none';

export interface DownloadResult {
  size: number;
  sha256: string;
  checkedAgainst: ChecksumSource;
  versionId: string;
  etag: string;
  /** Modification time of the uploaded file as recorded (whole ms), when the object has one. */
  mtimeMs?: number;
}

type GetOutput = import('@aws-sdk/client-s3').GetObjectCommandOutput;
type Expected = { sha256?: string; source: ChecksumSource };

/**
 * GET an SSE-C object and verify the plaintext against the SHA-256 recorded
 * at upload. A file target is written to a temporary file and renamed only
 * after every check passed.
 */
export async function downloadObject(req: DownloadRequest): Promise<DownloadResult> {
  const first = await openFirstRange(req);
  const size = Number(/\/(\d+)$/.exec(first.ContentRange ?? '')?.[1] ?? first.ContentLength ?? 0);
  let expected: Expected;
  try {
    // Both before a byte is written anywhere: data on stdout or in a FIFO cannot be taken back.
    checkRecordedSize(req, first, size);
    expected = await expectedChecksum(req, first);
  } catch (e) {
    (first.Body as Readable).destroy();
    throw e;
  }
  req.events?.onStart?.(size);
  const transfer = new RangeTransfer(req, first, size);
  const exp = req.expected ?? {};
  const mtimeMs = (exp.mtimeMs !== undefined && (!exp.versionId || !first.VersionId || exp.versionId === first.VersionId)
    ? exp.mtimeMs : undefined) ?? mtimeFromMetadata(first.Metadata);
  const { target } = req;
  if (target.kind === 'file') {
    return { ...(await writeFileAtomically(target.path, transfer, expected, req.restoreMtime ? mtimeMs : undefined)), mtimeMs };
  }
  if (target.kind === 'device') return { ...(await writeDevice(req, target, transfer, expected)), mtimeMs };
  const out = target.stream;
  const where = target.name ?? 'the output stream';
  // Wait until each chunk is flushed: its buffer is reused for a later range.
  await transfer.pump((chunk) => new Promise<void>((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(localIoError(err, 'writing', where)) : resolve()));
  }));
  return { ...transfer.verify(expected, target.name && `the data already went to ${target.name}`), mtimeMs };
}

const urlOf = (req: DownloadRequest) => formatS3Url(req.object);
const errorContext = (req: DownloadRequest): ErrorContext => ({ op: 'get', url: urlOf(req), sentFingerprint: req.sseKey.fingerprint,
  expectedFingerprint: req.expected?.fingerprint });

async function getRange(req: DownloadRequest, range: string | undefined, opts: { pin?: { VersionId?: string; IfMatch?: string };
  signal?: AbortSignal; client?: Io['conn']['client'] } = {}): Promise<GetOutput> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  return (opts.client ?? req.io.conn.client).send(new GetObjectCommand({
    Bucket: req.object.bucket, Key: req.object.key, VersionId: req.object.versionId, Range: range, ...opts.pin, ...req.sseKey.sseC(),
  }), { abortSignal: opts.signal ?? req.io.signal });
}

/** The first range tells the size and the version; the rest of a large object is then fetched in parallel. */
async function openFirstRange(req: DownloadRequest): Promise<GetOutput> {
  let resp;
  try {
    resp = await getRange(req, `bytes=0-${RANGE_BYTES - 1}`).catch((e) => {
      if (statusOf(e) === 416) return getRange(req, undefined); // an empty object has no byte 0
      throw e;
    });
  } catch (e) {
    throw describeS3Error(e, errorContext(req));
  }
  // A server may answer an unencrypted object with 200 despite the SSE-C headers (Ceph RGW does).
  if (resp.SSECustomerAlgorithm !== 'AES256') {
    (resp.Body as Readable).destroy();
    throw new Sse3Error('NOT_ENCRYPTED', `${urlOf(req)} is not encrypted with SSE-C (the server reports no customer key)`,
      'sse3 only reads SSE-C objects; read it with a plain S3 client');
  }
  return resp;
}

const recordedVersionMatches = (exp: DownloadExpectation, first: GetOutput) =>
  !exp.versionId || !first.VersionId || exp.versionId === first.VersionId;

/** A size that differs from the one recorded at upload is a changed object: said before anything is written. */
function checkRecordedSize(req: DownloadRequest, first: GetOutput, size: number): void {
  const exp = req.expected ?? {};
  if (exp.size === undefined || !recordedVersionMatches(exp, first) || exp.size === size) return;
  throw new Sse3Error('INTEGRITY', `${urlOf(req)} is ${size} bytes on the server, but ${exp.size} bytes were recorded at upload`,
    'the object was changed or truncated after sse3 wrote it; nothing was written (sse3 verify --deep checks the rest)');
}

/**
 * The recorded checksum: the manifest's (for this version), else the object's metadata, else its tag (multipart
 * uploads carry it only there). A tag that cannot be read fails the download: it is never taken for "none recorded".
 */
async function expectedChecksum(req: DownloadRequest, first: GetOutput): Promise<Expected> {
  const exp = req.expected ?? {};
  if (exp.sha256 && recordedVersionMatches(exp, first)) return { sha256: exp.sha256, source: 'manifest' };
  if (first.Metadata?.[TAG_SHA256]) return { sha256: first.Metadata[TAG_SHA256], source: 'metadata' };
  const { sha256 } = await readSse3Tags(req.io, { ...req.object, versionId: first.VersionId }, { what: 'SHA-256', op: 'get' });
  return { sha256, source: sha256 ? 'tag' : 'none' };
}

/**
 * The object's bytes in order: the first response's body as it streams, then the remaining ranges, fetched up to
 * PARALLEL_RANGES at a time from the very same version and yielded in order, so memory stays bounded by the
 * window whatever the object's size. Hashes what it hands out.
 */
class RangeTransfer {
  readonly #hash: Hash = createHash('sha256');
  #received = 0;
  readonly #cancel = new AbortController();

  constructor(private readonly req: DownloadRequest, private readonly first: GetOutput, readonly size: number) {}

  destroy(): void {
    (this.first.Body as Readable).destroy();
  }

  async pump(write: (chunk: Buffer) => Promise<void>): Promise<void> {
    const { req } = this;
    const onAbort = () => this.#cancel.abort();
    req.io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of this.#chunks()) {
        this.#hash.update(chunk);
        await write(chunk);
        this.#received += chunk.length;
        req.events?.onBytes?.(chunk.length);
      }
    } catch (e) {
      this.#cancel.abort();
      if (e instanceof Sse3Error) throw e;
      if (req.io.signal?.aborted) throw new Sse3Error('INTERRUPTED', `download of ${urlOf(req)} was interrupted`);
      throw describeS3Error(e, errorContext(req));
    } finally {
      req.io.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Size and SHA-256 of what was handed out, against what was announced and recorded. `written` says where the
   * data already went when it could not be held back until now (stdout, a FIFO); otherwise nothing was kept.
   */
  verify(exp: Expected, written?: string): DownloadResult {
    const url = urlOf(this.req);
    const already = written ? `; ${written}` : '';
    if (this.#received !== this.size) {
      throw new Sse3Error('INTEGRITY', `${url}: received ${this.#received} bytes, the server announced ${this.size}${already}`,
        written ? 'discard what was written, and try again' : 'try again; nothing was written locally');
    }
    const sha256 = this.#hash.digest('hex');
    if (exp.sha256 && exp.sha256 !== sha256) {
      throw new Sse3Error('INTEGRITY',
        `${url}: SHA-256 of the decrypted data does not match the one recorded at upload (${exp.source})${already}`,
        written ? 'the object was changed or corrupted after sse3 wrote it; discard what was written'
          : 'the object was changed or corrupted after sse3 wrote it; nothing was written locally');
    }
    return { size: this.size, sha256, checkedAgainst: exp.sha256 ? exp.source : 'none',
      versionId: this.first.VersionId ?? '', etag: unquoteEtag(this.first.ETag) };
  }

  async *#chunks(): AsyncGenerator<Buffer> {
    // Ranges in flight plus the one being written: their buffers are reused for the whole download.
    const pool = new BufferPool(RANGE_BYTES, PARALLEL_RANGES + 1);
    const window: Array<Promise<Buffer>> = [];
    let next = this.first.ContentLength ?? 0;
    const launch = () => {
      if (next >= this.size) return;
      const start = next;
      next = Math.min(this.size, start + RANGE_BYTES);
      const end = next - 1;
      const p = pool.take().then((buf) => this.#fetchRange(start, end, buf));
      p.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
      window.push(p);
    };
    try {
      for (let i = 0; i < PARALLEL_RANGES; i++) launch();
      for await (const chunk of this.first.Body as AsyncIterable<Buffer>) yield chunk;
      while (window.length) {
        const buf = await window.shift()!;
        launch();
        yield buf;
        pool.give(buf); // the consumer has written it by the time it asks for the next one
      }
    } finally {
      this.#cancel.abort();
    }
  }

  /** One range into a pooled buffer, from the same version as the first response, under the one retry policy. */
  #fetchRange(start: number, end: number, into: Buffer): Promise<Buffer> {
    const { req, first } = this;
    const url = urlOf(req);
    const pin = first.VersionId ? { VersionId: first.VersionId } : { IfMatch: first.ETag };
    return withRetries(async () => {
      const r = await getRange(req, `bytes=${start}-${end}`, { pin, signal: this.#cancel.signal, client: req.io.conn.singleAttemptClient });
      if (!confirmsKey(r, req.sseKey)) {
        (r.Body as Readable).destroy();
        throw new Sse3Error('NOT_ENCRYPTED', `${url} changed during the download (a range came back without our key)`, 'try again');
      }
      return readAll(r.Body as Readable, end - start + 1, into, url);
    }, this.#cancel.signal);
  }
}

/** Read a range's body into buf; a body that ends early is a cut-short transfer (retried), never a short file. */
async function readAll(body: Readable, length: number, buf: Buffer, url: string): Promise<Buffer> {
  buf = buf.subarray(0, length);
  let at = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (at + chunk.length > length) throw new Sse3Error('INTEGRITY', `${url}: the server sent more bytes than the range asked for`);
    chunk.copy(buf, at);
    at += chunk.length;
  }
  if (at !== length) {
    throw new Sse3Error('CUT_SHORT', `the server cut the transfer of ${url} short (${at} of ${length} bytes of a range)`,
      'try again; if it keeps happening, the server or a proxy is closing connections');
  }
  return buf;
}

/** Into a temporary file beside the destination, renamed into place only once size and SHA-256 are verified. */
async function writeFileAtomically(dest: string, transfer: RangeTransfer, expected: Expected, mtimeMs?: number)
  : Promise<DownloadResult> {
  await removeStaleTempFiles(dest);
  const tmp = tempPathFor(dest);
  trackTemp(tmp);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', 0o666);
    const h = handle;
    // A failed write is the local disk's problem, said as such ("no space left on device while writing DEST").
    await transfer.pump((chunk) => writeAll(h, chunk).catch((e) => { throw localIoError(e, 'writing', dest); }));
    await handle.sync();
    await handle.close();
    handle = undefined;
    const result = transfer.verify(expected);
    // Set before the rename, so the file never appears under its name with another time.
    if (mtimeMs !== undefined) await fs.utimes(tmp, new Date(), mtimeMs / 1000);
    await fs.rename(tmp, dest);
    return result;
  } catch (e) {
    transfer.destroy();
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    if (e instanceof Sse3Error || !(e as NodeJS.ErrnoException).code) throw e;
    throw localIoError(e, 'writing', dest);
  } finally {
    untrackTemp(tmp);
  }
}

/** Into a character device or FIFO as the data arrives: there is nothing to rename, and nothing to take back. */
async function writeDevice(req: DownloadRequest, dest: { path: string; what: string }, transfer: RangeTransfer, expected: Expected)
  : Promise<DownloadResult> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await openDevice(dest.path, req.io.signal);
    const h = handle;
    await transfer.pump((chunk) => writeAll(h, chunk).catch((e) => { throw localIoError(e, 'writing', dest.path); }));
    return transfer.verify(expected, `the data was already written to ${dest.path} (a ${dest.what})`);
  } catch (e) {
    transfer.destroy();
    throw e;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
