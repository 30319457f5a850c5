import Database from 'better-sqlite3';

// The one module that talks to the SQLite driver: opening a database, preparing statements (each once per
// connection), transactions and copies. The rest of the manifest speaks SQL through SqliteDb, so a change
// of driver is a change of this file.

/** What a statement's parameters may be. */
export type SqlValue = string | number | bigint | null | Buffer;

export interface OpenOptions {
  /** Open for reading only (shell completion, a backup being imported). */
  readonly?: boolean;
  /** Fail when the file is not there instead of creating it. */
  fileMustExist?: boolean;
}

/** How each statement answers: rows as objects, the first column only, or rows with exact (BigInt) integers. */
type Shape = 'rows' | 'column' | 'exact';
const SHAPES: readonly Shape[] = ['rows', 'column', 'exact'];

/** One SQLite connection. Errors are the driver's own (with SQLite's code, e.g. SQLITE_NOTADB, in `code`). */
export class SqliteDb {
  readonly #db: Database.Database;
  /** Prepared statements by shape, then by SQL text: preparing costs more than running (a batch records thousands). */
  readonly #statements = new Map(SHAPES.map((shape) => [shape, new Map<string, Database.Statement>()]));

  constructor(file: string, opts: OpenOptions = {}) {
    this.#db = new Database(file, opts);
  }

  /** Run a PRAGMA that sets something (`busy_timeout = 15000`). */
  pragma(setting: string): void {
    this.#db.pragma(setting);
  }

  /** The single value a PRAGMA answers (`quick_check`). */
  pragmaValue(name: string): unknown {
    return this.#db.pragma(name, { simple: true });
  }

  /** Statements without parameters or results (the schema). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  #statement(sql: string, shape: Shape): Database.Statement {
    const prepared = this.#statements.get(shape)!;
    let st = prepared.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      if (shape === 'column') st.pluck();
      if (shape === 'exact') st.safeIntegers(true);
      prepared.set(sql, st);
    }
    return st;
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.#statement(sql, 'rows').get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.#statement(sql, 'rows').all(...params) as T[];
  }

  /** The first column of the first row. */
  value<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.#statement(sql, 'column').get(...params) as T | undefined;
  }

  /** The first column of every row. */
  values<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.#statement(sql, 'column').all(...params) as T[];
  }

  /** Rows as SQLite stores them: an integer is a BigInt, whatever its size. */
  exactRows(sql: string, ...params: SqlValue[]): Array<Record<string, unknown>> {
    return this.#statement(sql, 'exact').all(...params) as Array<Record<string, unknown>>;
  }

  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint } {
    return this.#statement(sql, 'rows').run(...params);
  }

  /**
   * `work` in one transaction that takes the write lock at its start (BEGIN IMMEDIATE: two writers never both read
   * and then wait on each other); inside a transaction already, a savepoint of it. A throw rolls back.
   */
  immediate<T>(work: () => T): T {
    return this.#db.transaction(work).immediate();
  }

  /** immediate() made once, for a path that runs thousands of times (recording one object after another). */
  immediateFunction<A extends unknown[]>(work: (...args: A) => void): (...args: A) => void {
    return this.#db.transaction(work).immediate;
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  /**
   * A consistent, compacted copy at `path` (an empty or absent file), made in one read transaction while others may
   * write (VACUUM INTO).
   */
  copyTo(path: string): void {
    this.#db.prepare('VACUUM INTO ?').run(path);
  }

  close(): void {
    this.#db.close();
  }
}
