/**
 * Bytes of transfer buffers that may be held at once, shared by every transfer of a session (TransferScope): with many
 * large objects in flight, each gets fewer buffers (never fewer than one) instead of the process growing without
 * bound. A single transfer with the default part size and concurrency fits well inside it.
 */
export class MemoryBudget {
  #used = 0;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  /** Take bytes if they fit now (or if nothing is held at all: one buffer larger than the budget still goes). */
  tryAcquire(bytes: number): boolean {
    if (this.#waiting.length || (this.#used + bytes > this.limit && this.#used > 0)) return false;
    this.#used += bytes;
    return true;
  }

  /** Wait, first come first served, until bytes fit. */
  async acquire(bytes: number): Promise<void> {
    if (this.tryAcquire(bytes)) return;
    await new Promise<void>((grant) => this.#waiting.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.#used -= bytes;
    while (this.#waiting.length) {
      const next = this.#waiting[0];
      if (this.#used + next.bytes > this.limit && this.#used > 0) break;
      this.#waiting.shift();
      this.#used += next.bytes;
      next.grant();
    }
  }
}

/**
 * A fixed set of equal buffers handed out and returned, so a long transfer reuses the same memory instead of
 * allocating a buffer per part and waiting for the garbage collector to give it back. Buffers count against the
 * session's budget: a pool always gets its first one (waiting its turn), more only while the budget has room;
 * otherwise take() waits for one of its own to come back. close() hands the budget back.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: Array<(b: Buffer) => void> = [];
  #created = 0;
  #closed = false;

  constructor(readonly size: number, readonly max: number, private readonly budget: MemoryBudget) {}

  async take(): Promise<Buffer> {
    const free = this.#free.pop();
    if (free) return free;
    if (this.#created === 0) {
      this.#created++;
      await this.budget.acquire(this.size);
      return Buffer.allocUnsafe(this.size);
    }
    if (this.#created < this.max && this.budget.tryAcquire(this.size)) {
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

  /** The transfer is over: its buffers' bytes go back to the budget (the buffers themselves to the collector). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.budget.release(this.#created * this.size);
    this.#free.length = 0;
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
