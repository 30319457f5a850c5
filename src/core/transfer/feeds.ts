import { createHash } from 'node:crypto';
import type { OpenFile } from '../../local/files.js';
import type { BufferPool } from './pools.js';
import { piecesOf } from './partsize.js';
import type { ObjectRanges } from './ranges.js';

/**
 * Where a multipart upload's parts come from — a stream (stdin), a local file, another object's ranges — each part a
 * pooled buffer hashed as it is handed out, in order: the bytes hashed are exactly the bytes sent (a retry sends the
 * same buffer again). Memory: one part per request in flight plus the one being filled.
 */

/** One part to upload, in a buffer of the feed's pool. */
export interface Part {
  body: Buffer;
  /** Called once the part is uploaded or abandoned: its buffer goes back to the pool. */
  release: () => void;
}

export interface PartFeed {
  parts: AsyncIterable<Part>;
  /** The plaintext's SHA-256 and size, asked for once every part was handed out. */
  digest: () => Promise<{ sha256: string; size: number }>;
}

/** The running SHA-256 and size of the parts handed out so far. */
class PartHasher {
  readonly #hash = createHash('sha256');
  #size = 0;

  constructor(private readonly pool: BufferPool) {}

  part(buf: Buffer): Part {
    this.#hash.update(buf);
    this.#size += buf.length;
    return { body: buf, release: () => this.pool.give(buf) };
  }

  digest(): { sha256: string; size: number } {
    return { sha256: this.#hash.digest('hex'), size: this.#size };
  }
}

/** A stream's parts: those already filled (that told single from multipart), then the rest as they fill. */
export function streamFeed(filled: Buffer[], rest: AsyncIterable<Buffer>, pool: BufferPool): PartFeed {
  const hasher = new PartHasher(pool);
  return {
    parts: (async function* () {
      for (const buf of filled) yield hasher.part(buf);
      for await (const buf of rest) yield hasher.part(buf);
    })(),
    digest: async () => hasher.digest(),
  };
}

/** A file's parts, read in order. The digest is given only if the file is still unchanged after the last part was sent. */
export function fileFeed(file: OpenFile, partSize: number, pool: BufferPool): PartFeed {
  const hasher = new PartHasher(pool);
  return {
    parts: (async function* () {
      for (const [start, end] of piecesOf(file.stamp.size, partSize)) {
        const buf = (await pool.take()).subarray(0, end - start + 1);
        await file.read(buf, start);
        yield hasher.part(buf);
      }
    })(),
    digest: async () => {
      await file.assertUnchanged();
      return hasher.digest();
    },
  };
}

/**
 * Another object's ranges, as many fetched at once as the pool has buffers, handed out in order (so the SHA-256 runs
 * over the bytes in order). A part's buffer goes back to the pool once it is uploaded (or abandoned), and a later range
 * is fetched into it. The fetches stop when the feed is left or `outer` is aborted.
 */
export function rangeFeed(ranges: ObjectRanges, partSize: number, pool: BufferPool, outer?: AbortSignal): PartFeed {
  const hasher = new PartHasher(pool);
  return {
    parts: (async function* () {
      const cancel = new AbortController();
      const onAbort = () => cancel.abort();
      outer?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const buf of ranges.inOrder(piecesOf(ranges.size, partSize), pool, pool.max, cancel.signal)) yield hasher.part(buf);
      } finally {
        cancel.abort();
        outer?.removeEventListener('abort', onAbort);
      }
    })(),
    digest: async () => hasher.digest(),
  };
}
