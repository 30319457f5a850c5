import type { ManifestEntry } from './entry.js';
import { type SqliteDb, SQLITE_BUSY, sqliteResultCode } from './sqlite.js';

/** How many groups of rows may wait while SQLite answers busy before the error is the command's. */
const BUSY_QUEUE_LIMIT = 8;

// The write-behind queue of object records: many rows in one transaction instead of one transaction per object.

/** Writes one object record; called inside a transaction. */
type WriteRecord = (entry: ManifestEntry, older: boolean) => void;

/** A write that waits, and the object it concerns (so a read of another object need not write it first). */
interface Queued {
  bucket: string;
  key: string;
  write: () => void;
}

/** Bucket and key of an object: the endpoint is left out, as one server may be recorded under several spellings. */
const objectKey = (o: { bucket: string; key: string }) => `${o.bucket}\0${o.key}`;

/**
 * Until `start`, every record is written at once in its own transaction. From then on records are queued and written
 * `max` at a time in one transaction, or `ms` after the first one waits (a batch of small objects spends most of its
 * manifest time committing); `flush` writes what waits, and the process's exit writes the rest. Only rows of objects
 * already written and confirmed are ever queued, so a kill can lose a few rows (recovered by sse3 manifest rebuild
 * from the objects' tags, or by settling their rotations) but never record an object that was not written.
 */
export class WriteBehind {
  readonly #db: SqliteDb;
  readonly #write: WriteRecord;
  /** One record in its own transaction (or a savepoint of the one under way). */
  readonly #writeNow: WriteRecord;
  #queue: Queued[] = [];
  /** The objects (objectKey) a queued write concerns. */
  #waiting = new Set<string>();
  #defer?: { max: number; ms: number; timer?: NodeJS.Timeout };
  #onExit?: () => void;

  constructor(db: SqliteDb, write: WriteRecord) {
    this.#db = db;
    this.#write = write;
    this.#writeNow = db.immediateFunction(write);
  }

  start(max: number, ms: number): void {
    this.#defer = { max, ms };
    if (!this.#onExit) {
      this.#onExit = () => { try { this.flush(); } catch { /* the exit status already tells; the rows are recoverable */ } };
      process.on('exit', this.#onExit);
    }
  }

  /** Queue a record, or write it now: before start, or inside a transaction (which it then joins). */
  add(entry: ManifestEntry, older: boolean): void {
    this.#enqueue({ bucket: entry.bucket, key: entry.key, write: () => this.#write(entry, older) }, () => this.#writeNow(entry, older));
  }

  /**
   * Queue another write of an object's records (a rotation's settlement), written after the records queued before it,
   * in the same transaction; or write it now, as add() would.
   */
  addWork(obj: { bucket: string; key: string }, write: () => void): void {
    this.#enqueue({ bucket: obj.bucket, key: obj.key, write }, () => this.#db.immediate(write));
  }

  /** Whether a write of this object waits: a read of its rows must flush first. */
  holds(obj: { bucket: string; key: string }): boolean {
    return this.#waiting.has(objectKey(obj));
  }

  #enqueue(q: Queued, now: () => void): void {
    if (!this.#defer || this.#db.inTransaction) {
      now();
      return;
    }
    this.#queue.push(q);
    this.#waiting.add(objectKey(q));
    if (this.#queue.length >= this.#defer.max) this.#flushUnlessBusy();
    else this.#flushLater();
  }

  /** The queue is written `ms` after its first row waits (a failure leaves the rows queued for the next flush). */
  #flushLater(): void {
    this.#defer!.timer ??= setTimeout(() => {
      this.#defer!.timer = undefined;
      try { this.flush(); } catch { /* kept for the next flush */ }
    }, this.#defer!.ms).unref();
  }

  /**
   * A full queue's flush. Another sse3 process's write can make SQLite answer "busy" at once, without waiting (a read
   * snapshot of this connection that a concurrent writer made stale): the rows stay queued — they are written by the
   * next flush, Ctrl-C or exit — unless the queue has grown to BUSY_QUEUE_LIMIT groups, when the error is thrown.
   */
  #flushUnlessBusy(): void {
    try {
      this.flush();
    } catch (e) {
      if (sqliteResultCode(e) !== SQLITE_BUSY || this.#queue.length >= this.#defer!.max * BUSY_QUEUE_LIMIT) throw e;
      this.#flushLater();
    }
  }

  /** Write the queued records in one transaction. A failure keeps them queued and is thrown. */
  flush(): void {
    if (this.#defer?.timer) {
      clearTimeout(this.#defer.timer);
      this.#defer.timer = undefined;
    }
    if (!this.#queue.length || !this.#db.isOpen) return;
    const rows = this.#queue;
    this.#queue = [];
    try {
      this.#db.immediate(() => {
        for (const r of rows) r.write();
      });
      this.#waiting.clear();
    } catch (e) {
      this.#queue = [...rows, ...this.#queue];
      throw e;
    }
  }

  /** No more writes at the process's exit: the store is closing (after a last flush). */
  stop(): void {
    if (this.#onExit) process.off('exit', this.#onExit);
  }
}
