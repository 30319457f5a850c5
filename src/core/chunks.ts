/**
 * A fixed set of equal buffers handed out and returned, so a long transfer
 * reuses the same memory instead of allocating a part buffer per part and
 * waiting for the garbage collector to give it back.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: Array<(b: Buffer) => void> = [];
  #created = 0;

  constructor(readonly size: number, readonly max: number) {}

  async take(): Promise<Buffer> {
    const free = this.#free.pop();
    if (free) return free;
    if (this.#created < this.max) {
      this.#created++;
      return Buffer.allocUnsafe(this.size);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Return a buffer (or a view of one) taken from this pool. */
  give(buf: Buffer): void {
    const whole = buf.length === this.size ? buf : Buffer.from(buf.buffer, buf.byteOffset, this.size);
    const waiter = this.#waiting.shift();
    if (waiter) waiter(whole);
    else this.#free.push(whole);
  }
}

/**
 * Cut a byte stream into buffers of exactly `size` bytes (the last may be
 * shorter; an empty stream yields one empty buffer). With a pool, buffers come
 * from it and the consumer gives each back once its request is done.
 */
export async function* fixedChunks(source: AsyncIterable<Uint8Array>, size: number, pool?: BufferPool): AsyncGenerator<Buffer> {
  const fresh = () => (pool ? pool.take() : Promise.resolve(Buffer.allocUnsafe(size)));
  let buf = await fresh();
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
        buf = await fresh();
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
