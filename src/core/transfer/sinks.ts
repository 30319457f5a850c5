import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import { describeS3Error, type ErrorContext } from '../../s3/errors.js';
import { Sse3Error } from '../../errors.js';
import { faultPoint } from '../../faults.js';
import { type DeviceDestination, openDevice } from '../../local/destination.js';
import { localIoError, writeAll } from '../../local/files.js';
import type { Io } from '../context.js';
import type { DownloadResult } from './download.js';
import type { Received } from './expectations.js';
import { BufferPool } from './pools.js';
import { piecesOf } from './partsize.js';
import { type PositionalWrite, writeAtOffsets } from './positional.js';
import { transfersOf } from './scope.js';
import { finishTempFile, type FileStampToSet, openTempFile, removeStaleTempFiles, tempPathFor, trackTemp, untrackTemp } from './tempfiles.js';

/**
 * Where a download's plaintext goes: a file through a temporary file renamed into place once verified, a device or
 * FIFO written as the data arrives, or a stream (stdout) written as the data arrives.
 */

/** A download being written: its ranges and how it is said when it fails. */
export interface SinkJob extends PositionalWrite {
  io: Io;
  url: string;
  errorContext: ErrorContext;
}

/** Checks what was received (size, SHA-256) and gives the result; `written` says where data already went. */
export type Verify = (got: Received, written?: string) => DownloadResult;

/** Into a temporary file beside the destination, renamed into place only once size and SHA-256 are verified. */
export async function toFile(job: SinkJob, dest: string, verify: Verify, stamp: FileStampToSet): Promise<DownloadResult> {
  await removeStaleTempFiles(dest, transfersOf(job.io).sweptFolders);
  const tmp = tempPathFor(dest);
  trackTemp(tmp);
  let handle: fs.FileHandle | undefined;
  try {
    // Read back by the hash as it is written: opened for both.
    handle = await openTempFile(tmp);
    const h = handle;
    const got = await transfer(job, (cancel) => writeAtOffsets(job, cancel, h, dest));
    await handle.sync();
    faultPoint('download-written');
    const result = verify(got);
    // What is renamed into place is exactly what was verified, not a byte more.
    const onDisk = (await handle.stat()).size;
    if (onDisk !== result.size) {
      throw new Sse3Error('INTEGRITY', `${job.url}: the file written holds ${onDisk} bytes where ${result.size} were verified; ` +
        'nothing was kept', 'try again');
    }
    // Set before the rename, so the file never appears under its name with another mode or time.
    await finishTempFile(handle, dest, stamp);
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, dest);
    return result;
  } catch (e) {
    job.ranges.destroy();
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    if (e instanceof Sse3Error || !(e as NodeJS.ErrnoException).code) throw e;
    throw localIoError(e, 'writing', dest);
  } finally {
    untrackTemp(tmp);
  }
}

/** Into a character device or FIFO as the data arrives: there is nothing to rename, and nothing to take back. */
export async function toDevice(job: SinkJob, dest: DeviceDestination, verify: Verify): Promise<DownloadResult> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await openDevice(dest, job.io.signal);
    const h = handle;
    const got = await transfer(job, (cancel) => inOrder(job, cancel,
      (chunk) => writeAll(h, chunk).catch((e) => { throw localIoError(e, 'writing', dest.path); })));
    return verify(got, `the data was already written to ${dest.path} (a ${dest.what})`);
  } catch (e) {
    job.ranges.destroy();
    throw e;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Into a stream as the data arrives, each chunk flushed before the next (its buffer is reused for a later range).
 * `name` (e.g. "stdout") says where the data went when a check fails afterwards; without one the stream is a sink
 * and nothing was kept.
 */
export async function toStream(job: SinkJob, out: { stream: Writable; name?: string }, verify: Verify): Promise<DownloadResult> {
  const where = out.name ?? 'the output stream';
  const got = await transfer(job, (cancel) => inOrder(job, cancel, (chunk) => new Promise<void>((resolve, reject) => {
    out.stream.write(chunk, (err) => (err ? reject(localIoError(err, 'writing', where)) : resolve()));
  })));
  return verify(got, out.name && `the data already went to ${out.name}`);
}

/**
 * Run the data transfer with one cancel signal for every range in flight (tripped by the caller's Ctrl-C or by the
 * first failure), and its failure said as sse3 says it.
 */
async function transfer(job: SinkJob, run: (cancel: AbortController) => Promise<Received>): Promise<Received> {
  const { signal } = job.io;
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(cancel);
  } catch (e) {
    cancel.abort();
    if (e instanceof Sse3Error) throw e;
    if (signal?.aborted) throw new Sse3Error('INTERRUPTED', `download of ${job.url} was interrupted`);
    throw describeS3Error(e, job.errorContext);
  } finally {
    cancel.abort();
    job.ranges.destroy();
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * In order, for a device or a stream: the first response streams straight through while the next ranges are
 * fetched into pooled buffers (ranges in flight plus the one being written, reused for the whole download).
 */
async function inOrder(job: SinkJob, cancel: AbortController, write: (chunk: Buffer) => Promise<void>): Promise<Received> {
  const { ranges } = job;
  const hash = createHash('sha256');
  let bytes = 0;
  const put = async (chunk: Buffer) => {
    hash.update(chunk);
    await write(chunk);
    bytes += chunk.length;
    job.events?.onBytes?.(chunk.length);
  };
  const pool = new BufferPool(job.rangeSize, job.inFlight + 1, transfersOf(job.io).budget);
  try {
    // Started now: the ranges after the first are fetched while the first response is written.
    const ahead = ranges.inOrder(piecesOf(ranges.size, job.rangeSize, ranges.firstLength), pool, job.inFlight, cancel.signal);
    if (ranges.firstLength > 0) {
      await ranges.stream(0, ranges.firstLength - 1, async (chunks) => { for (const c of chunks) await put(c); }, cancel.signal, 64 * 1024);
    }
    for await (const buf of ahead) {
      await put(buf);
      pool.give(buf);
    }
  } finally {
    // The buffers' bytes go back to the session's transfer budget, whether the download finished or failed.
    cancel.abort();
    pool.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
