import { Sse3Error } from '../../errors.js';
import type { Tuning } from '../context.js';

/**
 * How an object is cut for a transfer: the size of an upload's parts and of a download's ranges, and how many of them
 * are in flight at once. --part-size and --concurrency choose them; S3's limits bound them.
 */

export const MiB = 1024 * 1024;
/** Part and range size: large enough that per-request costs vanish, small enough to keep several in flight. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** Ranges in flight per downloaded object: parallel streams keep both the server's and the client's cores busy. */
export const DEFAULT_CONCURRENCY = 4;
/**
 * Parts in flight per uploaded (or streamed-copy) object. Each is a part buffer held from the read to the server's
 * answer (a download's ranges are written as they arrive and hold none), so every one costs a part's size of memory:
 * three keep the server as busy as four did on a 512 MiB put (the server's work per part is the bottleneck, not the
 * client's), and hold 24 MiB instead of 32.
 */
export const DEFAULT_UPLOAD_CONCURRENCY = 3;
/** S3's limits: at most 10,000 parts, each 5 MiB to 5 GiB (the last may be smaller). */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;

/** A size in bytes as exactly as it can be said in its largest whole binary unit: "5 MiB", "5632 KiB", "4097 B". */
export function exactSize(bytes: number): string {
  for (const [unit, n] of [['GiB', 1024 ** 3], ['MiB', MiB], ['KiB', 1024]] as const) if (bytes % n === 0 && bytes >= n) return `${bytes / n} ${unit}`;
  return `${bytes} B`;
}

/**
 * The part size for an upload of sizeHint bytes (undefined: unknown). A part size asked for must keep a known size
 * within S3's 10,000 parts, or the upload is refused before any request; without one, the default grows as needed.
 */
export function partSizeFor(sizeHint: number | undefined, wanted: number | undefined): number {
  const needed = sizeHint === undefined ? 0 : Math.ceil(Math.ceil(sizeHint / MAX_PARTS) / MiB) * MiB;
  if (wanted === undefined) {
    const size = Math.max(DEFAULT_PART_SIZE, needed);
    if (size > MAX_PART_SIZE) {
      throw new Sse3Error('USAGE', `${sizeHint} bytes is more than S3 can store in one object (10,000 parts of 5 GiB)`);
    }
    return size;
  }
  if (wanted < needed) {
    throw new Sse3Error('USAGE', `--part-size ${exactSize(wanted)} would cut ${sizeHint} bytes into ${Math.ceil(sizeHint! / wanted)} parts; ` +
      'S3 allows at most 10,000', `pass --part-size ${needed / MiB} or more, or leave it out and sse3 picks one`);
  }
  return wanted;
}

/** A download's range size: --part-size, else the default (a download has no part limit to grow it for). */
export const rangeSizeFor = (tuning: Tuning | undefined): number => tuning?.partSize ?? DEFAULT_PART_SIZE;

/** Ranges in flight for one downloaded object: --concurrency, else the default; at least one. */
export const inFlightFor = (tuning: Tuning | undefined): number => Math.max(1, tuning?.concurrency ?? DEFAULT_CONCURRENCY);

/** Parts in flight for one uploaded object (and part buffers it holds): --concurrency, else the default; at least one. */
export const partsInFlightFor = (tuning: Tuning | undefined): number => Math.max(1, tuning?.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY);

/** An object of `size` bytes cut into [start, end] pairs (inclusive) of `piece` bytes from `from` on; the last may be shorter. */
export function* piecesOf(size: number, piece: number, from = 0): Generator<[number, number]> {
  for (let start = from; start < size; start += piece) yield [start, Math.min(size, start + piece) - 1];
}
