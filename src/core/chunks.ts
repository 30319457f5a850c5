/**
 * Cut a byte stream into buffers of exactly `size` bytes (the last may be
 * shorter; an empty stream yields one empty buffer). Each buffer is freshly
 * allocated so it can be handed to a request while the next one fills.
 */
export async function* fixedChunks(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafe(size);
  let filled = 0;
  let yielded = false;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - filled, piece.length - offset);
      buf.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buf;
        yielded = true;
        buf = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0 || !yielded) yield buf.subarray(0, filled);
}

/** Run tasks with at most `limit` in flight; the first failure stops new starts and is rethrown. */
export class BoundedPool {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Waits for a free slot, then starts task. Throws the first failure seen so far. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.error;
    const p: Promise<void> = task()
      .catch((error) => { this.#failure ??= { error }; })
      .finally(() => { this.#running.delete(p); });
    this.#running.add(p);
  }

  /** Waits for everything started; throws the first failure. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.error;
  }

  /** Waits for everything started, ignoring failures (used before cleanup). */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
  }
}
