import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import { describeS3Error, type ErrorContext, statusOf } from '../../s3/errors.js';
import type { ObjectBody } from '../../s3/objects.js';
import { formatS3Url } from '../../s3/url.js';
import { Sse3Error } from '../../errors.js';
import type { Io, TransferEvents, Tuning } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { requireOurKey, unquoteEtag } from '../keyed.js';
import { mtimeFromMetadata, readSse3Tags, sse3Values } from '../tags.js';
import { type AnsweredSpan, answeredSpan, checkAnsweredVersion } from './answers.js';
import { BufferPool } from './pools.js';
import { faultPoint } from '../../faults.js';
import { type DeviceDestination, openDevice } from '../../local/destination.js';
import { localIoError, writeAll } from '../../local/files.js';
import { ObjectRanges, PARALLEL_RANGES, RANGE_BYTES, rangesAfter } from './ranges.js';
import { finishTempFile, openTempFile, removeStaleTempFiles, tempPathFor, trackTemp, untrackTemp } from './tempfiles.js';

/**
 * Where the plaintext goes. 'file': a temporary file renamed into place once verified. 'device': a character device
 * or FIFO, written as the data arrives. 'stream': a stream, written as the data arrives; `name` (e.g. "stdout") says
 * where the data went when a check fails afterwards — without one the stream is a sink and nothing was kept.
 */
export type DownloadTarget =
  | { kind: 'file'; path: string }
  | DeviceDestination
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
  /** partSize: the range size; concurrency: ranges in flight. */
  tuning?: Tuning;
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

type GetOutput = ObjectBody;
type Expected = { sha256?: string; source: ChecksumSource };

/**
 * GET an SSE-C object and verify the plaintext against the SHA-256 recorded at upload. A file target is written
 * range by range at each range's offset into a temporary file, renamed into place only after every check passed;
 * a device or stream is written in order as the data arrives.
 */
export async function downloadObject(req: DownloadRequest): Promise<DownloadResult> {
  const { first, span } = await openFirstRange(req);
  const { size } = span;
  let expected: Expected;
  try {
    // Both before a byte is written anywhere: data on stdout or in a FIFO cannot be taken back.
    checkRecordedSize(req, first, size);
    expected = await expectedChecksum(req, first);
  } catch (e) {
    first.Body.destroy();
    throw e;
  }
  req.events?.onStart?.(size);
  const ranges = new ObjectRanges(req.io, req.object, req.sseKey, first, span);
  const exp = req.expected ?? {};
  const mtimeMs = (exp.mtimeMs !== undefined && recordedVersionMatches(exp, first) ? exp.mtimeMs : undefined)
    ?? mtimeFromMetadata(first.Metadata);
  const verify = (got: Received, written?: string) => ({ ...verified(req, first, size, got, expected, written), mtimeMs });
  const { target } = req;
  if (target.kind === 'file') return writeFileAtomically(req, target.path, ranges, verify, req.restoreMtime ? mtimeMs : undefined);
  if (target.kind === 'device') return writeDevice(req, target, ranges, verify);
  const out = target.stream;
  const where = target.name ?? 'the output stream';
  // Wait until each chunk is flushed: its buffer is reused for a later range.
  const got = await transfer(req, ranges, (cancel) => inOrder(req, ranges, cancel, (chunk) => new Promise<void>((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(localIoError(err, 'writing', where)) : resolve()));
  })));
  return verify(got, target.name && `the data already went to ${target.name}`);
}

const urlOf = (req: DownloadRequest) => formatS3Url(req.object);
const errorContext = (req: DownloadRequest): ErrorContext => ({ op: 'get', url: urlOf(req), sentFingerprint: req.sseKey.fingerprint,
  expectedFingerprint: req.expected?.fingerprint });

function getRange(req: DownloadRequest, range: string | undefined, opts: { pin?: { VersionId?: string; IfMatch?: string };
  signal?: AbortSignal; retries?: boolean } = {}): Promise<GetOutput> {
  return req.io.conn.objects.getObject({
    Bucket: req.object.bucket, Key: req.object.key, VersionId: req.object.versionId, Range: range, ...opts.pin, ...req.sseKey.sseC(),
  }, { abortSignal: opts.signal ?? req.io.signal, retries: opts.retries });
}

/**
 * The first range tells the size and the version; the rest of a large object is then fetched in parallel. Before a
 * byte of it is read, the answer must be about the version asked for, under our key, and carry exactly the bytes
 * asked for: the hash and the size check cover those bytes, and nothing else may reach the destination.
 */
async function openFirstRange(req: DownloadRequest): Promise<{ first: GetOutput; span: AnsweredSpan }> {
  let asked: { start: number; end?: number } = { start: 0, end: rangeBytes(req) - 1 };
  let resp;
  try {
    resp = await getRange(req, `bytes=0-${asked.end}`).catch((e) => {
      if (statusOf(e) !== 416) throw e;
      asked = { start: 0 }; // an empty object has no byte 0
      return getRange(req, undefined);
    });
  } catch (e) {
    throw describeS3Error(e, errorContext(req));
  }
  try {
    checkAnsweredVersion(req.object.versionId, resp, req.object);
    // A server may answer an unencrypted object with 200 despite the SSE-C headers (Ceph RGW does).
    requireOurKey(resp, req.sseKey, req.object);
    return { first: resp, span: answeredSpan(resp, asked, urlOf(req)) };
  } catch (e) {
    resp.Body.destroy();
    throw e;
  }
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
  const metadata = sse3Values(first.Metadata, { ...req.object, versionId: first.VersionId }, 'metadata');
  if (metadata.sha256) return { sha256: metadata.sha256, source: 'metadata' };
  const { sha256 } = await readSse3Tags(req.io, { ...req.object, versionId: first.VersionId }, { what: 'SHA-256', op: 'get' });
  return { sha256, source: sha256 ? 'tag' : 'none' };
}


const rangeBytes = (req: DownloadRequest) => req.tuning?.partSize ?? RANGE_BYTES;
const parallel = (req: DownloadRequest) => Math.max(1, req.tuning?.concurrency ?? PARALLEL_RANGES);

/** What a transfer handed out: its size and SHA-256, computed over the bytes in order. */
interface Received {
  bytes: number;
  sha256: string;
}

/**
 * Run the data transfer with one cancel signal for every range in flight (tripped by the caller's Ctrl-C or by the
 * first failure), and its failure said as sse3 says it.
 */
async function transfer(req: DownloadRequest, ranges: ObjectRanges, run: (cancel: AbortController) => Promise<Received>)
  : Promise<Received> {
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  req.io.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(cancel);
  } catch (e) {
    cancel.abort();
    if (e instanceof Sse3Error) throw e;
    if (req.io.signal?.aborted) throw new Sse3Error('INTERRUPTED', `download of ${urlOf(req)} was interrupted`);
    throw describeS3Error(e, errorContext(req));
  } finally {
    cancel.abort();
    ranges.destroy();
    req.io.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * In order, for a device or a stream: the first response streams straight through while the next ranges are
 * fetched into pooled buffers (ranges in flight plus the one being written, reused for the whole download).
 */
async function inOrder(req: DownloadRequest, ranges: ObjectRanges, cancel: AbortController, write: (chunk: Buffer) => Promise<void>)
  : Promise<Received> {
  const hash = createHash('sha256');
  let bytes = 0;
  const put = async (chunk: Buffer) => {
    hash.update(chunk);
    await write(chunk);
    bytes += chunk.length;
    req.events?.onBytes?.(chunk.length);
  };
  const size = rangeBytes(req);
  const pool = new BufferPool(size, parallel(req) + 1);
  const rest = rangesAfter(ranges.firstLength, ranges.size, size);
  const window: Array<Promise<Buffer>> = [];
  const launch = () => {
    const next = rest.next();
    if (next.done) return;
    const [start, end] = next.value;
    const p = pool.take().then((buf) => ranges.readInto(start, end, buf, cancel.signal));
    p.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
    window.push(p);
  };
  try {
    for (let i = 0; i < parallel(req); i++) launch();
    if (ranges.firstLength > 0) {
      await ranges.stream(0, ranges.firstLength - 1, async (chunks) => { for (const c of chunks) await put(c); }, cancel.signal, 64 * 1024);
    }
    while (window.length) {
      const buf = await window.shift()!;
      launch();
      await put(buf);
      pool.give(buf);
    }
  } finally {
    // The buffers' bytes go back to the process's transfer budget, whether the download finished or failed.
    cancel.abort();
    pool.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Bytes the hash reads back at a time. */
const HASH_READ = 1024 * 1024;

/**
 * At offsets, for a file: every range is written where it belongs as its data arrives, up to `concurrency` ranges at
 * once, each range's chunks handed to the file as they came (no copy into a range buffer). The SHA-256 still runs in
 * order, over what the file holds: it reads back each stretch once everything before it is written. Memory stays
 * flat whatever the object's size — a batch per range in flight and one read buffer.
 */
async function atOffsets(req: DownloadRequest, ranges: ObjectRanges, cancel: AbortController, file: fs.FileHandle, path: string)
  : Promise<Received> {
  const list: Array<[number, number]> = ranges.firstLength > 0 ? [[0, ranges.firstLength - 1]] : [];
  list.push(...rangesAfter(ranges.firstLength, ranges.size, rangeBytes(req)));
  const written = list.map(() => 0);
  let wake: (() => void) | undefined;
  const notify = () => { wake?.(); wake = undefined; };
  let failed = false;

  let next = 0;
  const worker = async () => {
    while (next < list.length && !cancel.signal.aborted) {
      const i = next++;
      const [start, end] = list[i];
      await ranges.stream(start, end, async (chunks, offset) => {
        // A failed write is the local disk's problem, said as such ("no space left on device while writing DEST").
        const n = await writevAll(file, chunks, offset).catch((e) => { throw localIoError(e, 'writing', path); });
        written[i] = offset + n - start;
        req.events?.onBytes?.(n);
        notify();
      }, cancel.signal);
    }
  };
  const hash = createHash('sha256');
  let hashed = 0;
  let range = 0;
  const hasher = async () => {
    const buf = Buffer.allocUnsafe(Math.min(HASH_READ, Math.max(1, ranges.size)));
    while (hashed < ranges.size) {
      while (range < list.length && written[range] === list[range][1] - list[range][0] + 1) range++;
      const frontier = range < list.length ? list[range][0] + written[range] : ranges.size;
      if (frontier <= hashed) {
        if (failed || cancel.signal.aborted) return;
        await new Promise<void>((resolve) => { wake = resolve; });
        continue;
      }
      const n = Math.min(buf.length, frontier - hashed);
      const { bytesRead } = await file.read(buf, 0, n, hashed).catch((e) => { throw localIoError(e, 'reading', path); });
      if (bytesRead !== n) throw new Sse3Error('LOCAL_IO', `${bytesRead} of ${n} bytes could be read back from the file being written`);
      hash.update(buf.subarray(0, n));
      hashed += n;
    }
  };
  // The first failure (of a range or of the hash) stops everything; every worker has stopped before it is thrown.
  let failure: { error: unknown } | undefined;
  const stop = (error: unknown) => {
    failure ??= { error };
    failed = true;
    cancel.abort();
    notify();
  };
  const hashing = hasher().catch(stop);
  await Promise.all(Array.from({ length: Math.min(parallel(req), Math.max(1, list.length)) }, () => worker().catch(stop)));
  failed = true; // nothing more will be written: the hash has all it will get
  notify();
  await hashing;
  if (failure) throw failure.error;
  return { bytes: hashed, sha256: hash.digest('hex') };
}

/** Write chunks at position, however the system splits the write; returns the byte count. */
async function writevAll(file: fs.FileHandle, chunks: Buffer[], position: number): Promise<number> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await file.writev(chunks, position);
  if (bytesWritten < total) await writeAll(file, Buffer.concat(chunks).subarray(bytesWritten), position + bytesWritten);
  return total;
}

/**
 * Size and SHA-256 of what was handed out, against what was announced and recorded. `written` says where the data
 * already went when it could not be held back until now (stdout, a FIFO); otherwise nothing was kept.
 */
function verified(req: DownloadRequest, first: GetOutput, size: number, got: Received, exp: Expected, written?: string)
  : DownloadResult {
  const url = urlOf(req);
  const already = written ? `; ${written}` : '';
  if (got.bytes !== size) {
    throw new Sse3Error('INTEGRITY', `${url}: received ${got.bytes} bytes, the server announced ${size}${already}`,
      written ? 'discard what was written, and try again' : 'try again; nothing was written locally');
  }
  if (exp.sha256 && exp.sha256 !== got.sha256) {
    throw new Sse3Error('INTEGRITY',
      `${url}: SHA-256 of the decrypted data does not match the one recorded at upload (${exp.source})${already}`,
      written ? 'the object was changed or corrupted after sse3 wrote it; discard what was written'
        : 'the object was changed or corrupted after sse3 wrote it; nothing was written locally');
  }
  return { size, sha256: got.sha256, checkedAgainst: exp.sha256 ? exp.source : 'none',
    versionId: first.VersionId ?? '', etag: unquoteEtag(first.ETag) };
}

/** Into a temporary file beside the destination, renamed into place only once size and SHA-256 are verified. */
async function writeFileAtomically(req: DownloadRequest, dest: string, ranges: ObjectRanges,
  verify: (got: Received) => DownloadResult, mtimeMs?: number): Promise<DownloadResult> {
  await removeStaleTempFiles(dest);
  const tmp = tempPathFor(dest);
  trackTemp(tmp);
  let handle: fs.FileHandle | undefined;
  try {
    // Read back by the hash as it is written: opened for both.
    handle = await openTempFile(tmp);
    const h = handle;
    const got = await transfer(req, ranges, (cancel) => atOffsets(req, ranges, cancel, h, dest));
    await handle.sync();
    faultPoint('download-written');
    const result = verify(got);
    // What is renamed into place is exactly what was verified, not a byte more.
    const onDisk = (await handle.stat()).size;
    if (onDisk !== result.size) {
      throw new Sse3Error('INTEGRITY', `${urlOf(req)}: the file written holds ${onDisk} bytes where ${result.size} were verified; ` +
        'nothing was kept', 'try again');
    }
    // Set before the rename, so the file never appears under its name with another mode or time.
    await finishTempFile(handle, dest, mtimeMs);
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, dest);
    return result;
  } catch (e) {
    ranges.destroy();
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    if (e instanceof Sse3Error || !(e as NodeJS.ErrnoException).code) throw e;
    throw localIoError(e, 'writing', dest);
  } finally {
    untrackTemp(tmp);
  }
}

/** Into a character device or FIFO as the data arrives: there is nothing to rename, and nothing to take back. */
async function writeDevice(req: DownloadRequest, dest: DeviceDestination, ranges: ObjectRanges,
  verify: (got: Received, written?: string) => DownloadResult): Promise<DownloadResult> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await openDevice(dest, req.io.signal);
    const h = handle;
    const got = await transfer(req, ranges, (cancel) => inOrder(req, ranges, cancel,
      (chunk) => writeAll(h, chunk).catch((e) => { throw localIoError(e, 'writing', dest.path); })));
    return verify(got, `the data was already written to ${dest.path} (a ${dest.what})`);
  } catch (e) {
    ranges.destroy();
    throw e;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
