import { createHash } from 'node:crypto';
import type { promises as fs } from 'node:fs';
import { Sse3Error } from '../../errors.js';
import { localIoError, writeAll } from '../../local/files.js';
import type { TransferEvents } from '../context.js';
import type { Received } from './expectations.js';
import { piecesOf } from './partsize.js';
import type { ObjectRanges } from './ranges.js';

/** Bytes the hash reads back at a time. */
const HASH_READ = 1024 * 1024;

/** How a file is written at offsets: the ranges, their size and how many at once. */
export interface PositionalWrite {
  ranges: ObjectRanges;
  rangeSize: number;
  inFlight: number;
  events?: TransferEvents;
}

/**
 * At offsets, for a file: every range is written where it belongs as its data arrives, up to `inFlight` ranges at
 * once, each range's chunks handed to the file as they came (no copy into a range buffer). The SHA-256 still runs in
 * order, over what the file holds: it reads back each stretch once everything before it is written. Memory stays
 * flat whatever the object's size — a batch per range in flight and one read buffer. The first failure (of a range
 * or of the hash) stops everything; every writer has stopped before it is thrown.
 */
export async function writeAtOffsets(w: PositionalWrite, cancel: AbortController, file: fs.FileHandle, path: string): Promise<Received> {
  const { ranges } = w;
  const list: Array<[number, number]> = ranges.firstLength > 0 ? [[0, ranges.firstLength - 1]] : [];
  list.push(...piecesOf(ranges.size, w.rangeSize, ranges.firstLength));
  const progress = new WrittenFrontier(list);
  let next = 0;
  const writer = async () => {
    while (next < list.length && !cancel.signal.aborted) {
      const i = next++;
      const [start, end] = list[i];
      await ranges.stream(start, end, async (chunks, offset) => {
        // A failed write is the local disk's problem, said as such ("no space left on device while writing DEST").
        const n = await writevAll(file, chunks, offset).catch((e) => { throw localIoError(e, 'writing', path); });
        progress.wrote(i, offset + n - start);
        w.events?.onBytes?.(n);
      }, cancel.signal);
    }
  };
  let failure: { error: unknown } | undefined;
  const stop = (error: unknown) => {
    failure ??= { error };
    cancel.abort();
    progress.end();
  };
  const hashing = hashInOrder(file, path, ranges.size, progress, cancel.signal).catch((e) => { stop(e); return undefined; });
  await Promise.all(Array.from({ length: Math.min(w.inFlight, Math.max(1, list.length)) }, () => writer().catch(stop)));
  progress.end(); // nothing more will be written: the hash has all it will get
  const received = await hashing;
  if (failure) throw failure.error;
  return received!;
}

/** How far the file is written without a gap from byte 0, as the ranges' writers report it; wakes the hash as it grows. */
class WrittenFrontier {
  readonly #written: number[];
  #complete = 0;
  #ended = false;
  #wake?: () => void;

  constructor(private readonly list: Array<[number, number]>) {
    this.#written = list.map(() => 0);
  }

  /** Range i has `bytes` bytes written from its start. */
  wrote(i: number, bytes: number): void {
    this.#written[i] = bytes;
    this.#notify();
  }

  /** No more will be written (finished, or stopped by a failure). */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The first byte not yet written (everything before it is). */
  get frontier(): number {
    const { list } = this;
    while (this.#complete < list.length && this.#written[this.#complete] === list[this.#complete][1] - list[this.#complete][0] + 1) {
      this.#complete++;
    }
    return this.#complete < list.length ? list[this.#complete][0] + this.#written[this.#complete] : Infinity;
  }

  /** Resolves at the next report (or at once when ended). */
  changed(): Promise<void> {
    return this.#ended ? Promise.resolve() : new Promise<void>((resolve) => { this.#wake = resolve; });
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }
}

/** The in-order hasher: reads the file back up to the written frontier, until `size` bytes are hashed or the writing ends. */
async function hashInOrder(file: fs.FileHandle, path: string, size: number, progress: WrittenFrontier, signal: AbortSignal)
  : Promise<Received> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(HASH_READ, Math.max(1, size)));
  let hashed = 0;
  while (hashed < size) {
    const frontier = Math.min(size, progress.frontier);
    if (frontier <= hashed) {
      if (progress.ended || signal.aborted) break;
      await progress.changed();
      continue;
    }
    const n = Math.min(buf.length, frontier - hashed);
    const { bytesRead } = await file.read(buf, 0, n, hashed).catch((e) => { throw localIoError(e, 'reading', path); });
    if (bytesRead !== n) throw new Sse3Error('LOCAL_IO', `${bytesRead} of ${n} bytes could be read back from the file being written`);
    hash.update(buf.subarray(0, n));
    hashed += n;
  }
  return { bytes: hashed, sha256: hash.digest('hex') };
}

/** Write chunks at position, however the system splits the write; returns the byte count. */
async function writevAll(file: fs.FileHandle, chunks: Buffer[], position: number): Promise<number> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await file.writev(chunks, position);
  if (bytesWritten < total) await writeAll(file, Buffer.concat(chunks).subarray(bytesWritten), position + bytesWritten);
  return total;
}
