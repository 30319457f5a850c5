import { existsSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

// The one module that talks to the SQLite driver, Node's own node:sqlite: opening a database, preparing statements
// (each once per connection), transactions and copies. The rest of the manifest speaks SQL through SqliteDb, so a
// change of driver is a change of this file.

/** What a statement's parameters may be (a number is bound as SQLite's REAL, a bigint as INTEGER). */
export type SqlValue = string | number | bigint | null | Buffer;

export interface OpenOptions {
  /** Open for reading only (shell completion, a backup being imported). */
  readonly?: boolean;
  /** Fail when the file is not there instead of creating it. */
  fileMustExist?: boolean;
}

/** SQLite's primary result codes that say a file is not (or no longer) a sound database. */
export const SQLITE_CORRUPT = 11;
export const SQLITE_NOTADB = 26;
/** Another connection holds the lock SQLite needs (also when it answers at once, without waiting). */
export const SQLITE_BUSY = 5;
const SQLITE_CANTOPEN = 14;

/** SQLite's primary result code of a driver error (its `errcode`, which may be an extended code), if it has one. */
export function sqliteResultCode(e: unknown): number | undefined {
  const code = (e as { errcode?: unknown })?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

/** An error shaped as the driver's own, for a failure found outside SQLite (a file that must exist, a failed check). */
export function sqliteError(message: string, resultCode: number): Error {
  return Object.assign(new Error(message), { code: 'ERR_SQLITE_ERROR', errcode: resultCode });
}

/** The warning Node 22 prints when node:sqlite first loads; Node 24 no longer calls the module experimental. */
const EXPERIMENTAL_SQLITE = /^SQLite is an experimental feature/;

/**
 * `load` with that one warning dropped: it speaks of Node's API, not of anything a user of sse3 can act on. Every
 * other warning, emitted meanwhile or later, goes out as Node would send it.
 */
export function withoutSqliteWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = typeof warning === 'string' ? type : warning.name;
    const message = typeof warning === 'string' ? warning : warning.message;
    if (name === 'ExperimentalWarning' && EXPERIMENTAL_SQLITE.test(message)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

let driver: typeof import('node:sqlite') | undefined;
/** node:sqlite, loaded the first time a database is opened (a command that never opens one never loads it). */
function sqlite(): typeof import('node:sqlite') {
  driver ??= withoutSqliteWarning(() => process.getBuiltinModule('node:sqlite'));
  return driver;
}

/** The page cache of a copy (copyTo), in KiB as SQLite takes a negative cache_size: enough for the b-tree's path. */
const COPY_CACHE_SIZE = -512;

/** How each statement answers: rows as objects, the first column only, or rows with exact (BigInt) integers. */
type Shape = 'rows' | 'column' | 'exact';
const SHAPES: readonly Shape[] = ['rows', 'column', 'exact'];

/**
 * The first column of a row: a row's columns are its properties, in the order of the SELECT (but for names that read as
 * array indexes, which JavaScript puts first: no query of sse3's names a column so).
 */
function firstColumn(row: Record<string, unknown> | undefined): unknown {
  if (row === undefined) return undefined;
  for (const name in row) return row[name];
  return undefined;
}

/** A blob as a Buffer (node:sqlite answers a Uint8Array), without copying it. */
const blobAsBuffer = (v: unknown): unknown => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);

/**
 * One SQLite connection. Errors are the driver's own: SQLite's result code in `errcode` (sqliteResultCode reads it).
 * Rows are plain objects (node:sqlite's have no prototype, which callers comparing or spreading them need not know).
 */
export class SqliteDb {
  readonly #db: DatabaseSync;
  /** Prepared statements by shape, then by SQL text: preparing costs more than running (a batch records thousands). */
  readonly #statements = new Map(SHAPES.map((shape) => [shape, new Map<string, StatementSync>()]));
  /** Transactions and savepoints of immediate() open now: 0 outside a transaction. */
  #depth = 0;
  #open = true;

  constructor(file: string, opts: OpenOptions = {}) {
    // Read-only, SQLite itself never creates the file; otherwise it would.
    if (opts.fileMustExist && !opts.readonly && file !== ':memory:' && !existsSync(file)) {
      throw sqliteError(`unable to open database file: ${file} does not exist`, SQLITE_CANTOPEN);
    }
    this.#db = new (sqlite().DatabaseSync)(file, { readOnly: opts.readonly === true });
  }

  /** Run a PRAGMA that sets something (`busy_timeout = 15000`). */
  pragma(setting: string): void {
    this.#db.exec(`PRAGMA ${setting}`);
  }

  /** The single value a PRAGMA answers (`quick_check`). */
  pragmaValue(name: string): unknown {
    return firstColumn(this.#db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined);
  }

  /** Statements without parameters or results (the schema). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  #statement(sql: string, shape: Shape): StatementSync {
    const prepared = this.#statements.get(shape)!;
    let st = prepared.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      if (shape === 'exact') st.setReadBigInts(true);
      prepared.set(sql, st);
    }
    return st;
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    const row = this.#statement(sql, 'rows').get(...params);
    return (row === undefined ? undefined : { ...row }) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.#statement(sql, 'rows').all(...params).map((row) => ({ ...row })) as T[];
  }

  /** The first column of the first row. */
  value<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return firstColumn(this.#statement(sql, 'column').get(...params) as Record<string, unknown> | undefined) as T | undefined;
  }

  /** The first column of every row. */
  values<T>(sql: string, ...params: SqlValue[]): T[] {
    return (this.#statement(sql, 'column').all(...params) as Array<Record<string, unknown>>).map(firstColumn) as T[];
  }

  /** Rows as SQLite stores them: an integer is a BigInt, whatever its size; a blob is a Buffer. */
  exactRows(sql: string, ...params: SqlValue[]): Array<Record<string, unknown>> {
    return this.#statement(sql, 'exact').all(...params).map((row) => {
      const plain: Record<string, unknown> = {};
      for (const name in row) plain[name] = blobAsBuffer(row[name]);
      return plain;
    });
  }

  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint } {
    const { changes, lastInsertRowid } = this.#statement(sql, 'rows').run(...params);
    return { changes: Number(changes), lastInsertRowid };
  }

  /**
   * `work` in one transaction that takes the write lock at its start (BEGIN IMMEDIATE: two writers never both read
   * and then wait on each other); inside a transaction already, a savepoint of it. A throw rolls back.
   */
  immediate<T>(work: () => T): T {
    const savepoint = this.#depth > 0 ? `sse3_${this.#depth}` : undefined;
    this.#db.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN IMMEDIATE');
    this.#depth++;
    try {
      const result = work();
      this.#db.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
      return result;
    } catch (e) {
      this.#undo(savepoint);
      throw e;
    } finally {
      this.#depth--;
    }
  }

  /** Roll back what immediate() began. SQLite may have rolled the whole transaction back itself (a full disk): then done. */
  #undo(savepoint: string | undefined): void {
    try {
      this.#db.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
    } catch {
      // No transaction left to roll back: the error that got here is the one to report.
    }
  }

  /** immediate() made once, for a path that runs thousands of times (recording one object after another). */
  immediateFunction<A extends unknown[]>(work: (...args: A) => void): (...args: A) => void {
    return (...args: A) => this.immediate(() => work(...args));
  }

  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /**
   * A consistent, compacted copy at `path` (an empty or absent file), made in one read transaction while others may
   * write (VACUUM INTO: synchronous, and there on every Node sse3 runs on; node:sqlite's backup() is asynchronous and
   * missing from Node 22.13).
   * The copy reads each page once, and SQLite gives the copy's pages a cache the size of this connection's: with the
   * manifest's 16 MB setting, a manifest of 100,000 rows (over 50 MB) filled 32 MB of memory with pages never read again.
   * It runs with COPY_CACHE_SIZE instead, and the connection gets its own setting back.
   */
  copyTo(path: string): void {
    const cacheSize = this.pragmaValue('cache_size') as number;
    this.pragma(`cache_size = ${COPY_CACHE_SIZE}`);
    try {
      this.#statement('VACUUM INTO ?', 'rows').run(path);
    } finally {
      this.pragma(`cache_size = ${cacheSize}`);
    }
  }

  close(): void {
    this.#db.close();
    this.#open = false;
  }
}
