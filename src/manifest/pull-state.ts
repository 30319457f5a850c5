import { type ManifestEntry, type ObjectLocation, prefixSuccessor } from './entry.js';
import type { SqliteDb } from './sqlite.js';
import { recordedVersionId } from '../s3/version.js';

// What manifest pull saw at its last pass (table pulled_versions), beside the versions the manifest records. A pull
// asks for them one listed object at a time and keeps the versions it listed in a temporary table, never a whole
// bucket's rows in memory: its memory stays flat however many versions the bucket and the manifest hold.

/** A scope of one pull: one bucket of one endpoint, under a key prefix ('' for all). */
export interface PullScope {
  endpoint: string;
  bucket: string;
  prefix: string;
}

/** What pull compares of a recorded version with the listing (and needs to keep the listed time in it). */
export type PullRecord = Pick<ManifestEntry, 'key' | 'versionId' | 'fingerprint' | 'size' | 'etag' | 'lastModified' | 'modifiedBefore'>;

/**
 * What the manifest knows of one object, by version id: its recorded versions, and the stamp (ETag and last-modified
 * time) of every version of it pull listed, with whether it had an sse3-fp tag.
 */
export interface PullState {
  recorded: Map<string, PullRecord>;
  pulled: Map<string, { stamp: string; tagged: boolean }>;
}

/** A version, by key and version id as the manifest keeps it. */
export interface PulledVersion {
  key: string;
  versionId: string;
}

const THIS_OBJECT = 'endpoint = ? AND bucket = ? AND key = ?';

/** What manifest pull saw of one object at its last pass, beside its recorded versions. */
export function pullState(db: SqliteDb, loc: ObjectLocation): PullState {
  const args = [loc.endpoint, loc.bucket, loc.key];
  const recorded = new Map(db.all<PullRecord>(`SELECT key, version_id AS versionId, fingerprint, size, etag,
    last_modified AS lastModified, modified_before AS modifiedBefore FROM objects WHERE ${THIS_OBJECT}`, ...args)
    .map((r) => [r.versionId, r]));
  const pulled = new Map(db.all<{ version_id: string; stamp: string; tagged: number }>(
    `SELECT version_id, stamp, tagged FROM pulled_versions WHERE ${THIS_OBJECT}`, ...args)
    .map((r) => [r.version_id, { stamp: r.stamp, tagged: r.tagged === 1 }]));
  return { recorded, pulled };
}

/** A version manifest pull read the tags of: its stamp, and whether it had an sse3-fp tag. */
export function rememberPulled(db: SqliteDb, loc: ObjectLocation, versionId: string, stamp: string, tagged: boolean): void {
  db.run('INSERT OR REPLACE INTO pulled_versions (endpoint, bucket, key, version_id, stamp, tagged) VALUES (?, ?, ?, ?, ?, ?)',
    loc.endpoint, loc.bucket, loc.key, recordedVersionId(versionId), stamp, tagged ? 1 : 0);
}

export function forgetPulled(db: SqliteDb, loc: ObjectLocation, versionId: string): void {
  db.run('DELETE FROM pulled_versions WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?',
    loc.endpoint, loc.bucket, loc.key, recordedVersionId(versionId));
}

/** SQLite's page cache while a pull runs: its default (-2000, in KiB). */
const PULL_CACHE_SIZE = -2000;

/** Listed versions written to the temporary table at a time, in one transaction of the temporary database only. */
const LISTED_BATCH = 512;

/**
 * The versions one pull listed, kept in a temporary table of this connection (it spills to a temporary file, not to
 * memory): at the end, what the manifest held in scope before the pull began and the listing did not show is gone
 * from the server. Rows recorded while the pull ran (by it, or by another sse3 process) are never taken for gone.
 */
export class ListedVersions {
  readonly #db: SqliteDb;
  readonly #scope: PullScope;
  /** The manifest's place in the order of writes when the pull began (counters.seq). */
  readonly #startSeq: number;
  /** Writes the records still waiting (the store's write-behind queue): gone() must see every row. */
  readonly #flush: () => void;
  /** The connection's page cache setting before the pull (restored by close). */
  readonly #cacheSize: number;
  #waiting: PulledVersion[] = [];

  constructor(db: SqliteDb, scope: PullScope, flush: () => void) {
    this.#db = db;
    this.#scope = scope;
    this.#flush = flush;
    // One object's rows at a time, and appends: SQLite's own 2 MB of cache serve that as well as the 16 MB the
    // manifest keeps for listings, which a pull of a large bucket would otherwise fill with pages it never reads again.
    this.#cacheSize = db.pragmaValue('cache_size') as number;
    db.pragma(`cache_size = ${PULL_CACHE_SIZE}`);
    db.exec('CREATE TEMP TABLE IF NOT EXISTS pull_listed (key TEXT NOT NULL, version_id TEXT NOT NULL, PRIMARY KEY (key, version_id)) WITHOUT ROWID');
    db.run('DELETE FROM temp.pull_listed');
    this.#startSeq = db.value<number>("SELECT value FROM counters WHERE name = 'seq'") ?? 0;
  }

  add(key: string, versionId: string): void {
    this.#waiting.push({ key, versionId });
    if (this.#waiting.length >= LISTED_BATCH) this.#write();
  }

  #write(): void {
    const rows = this.#waiting;
    this.#waiting = [];
    if (!rows.length) return;
    // A deferred transaction that writes only the temporary database: no lock on the manifest itself.
    this.#db.exec('BEGIN');
    try {
      for (const r of rows) this.#db.run('INSERT OR IGNORE INTO temp.pull_listed (key, version_id) VALUES (?, ?)', r.key, r.versionId);
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  /** What was in scope before the pull and was not listed: recorded versions, and versions only pull had seen. */
  gone(): { recorded: PulledVersion[]; pulled: PulledVersion[] } {
    this.#flush();
    this.#write();
    const end = prefixSuccessor(this.#scope.prefix);
    const range = `endpoint = ? AND bucket = ? AND key >= ?${end !== undefined ? ' AND key < ?' : ''}`;
    const args = [this.#scope.endpoint, this.#scope.bucket, this.#scope.prefix, ...(end !== undefined ? [end] : [])];
    const unlisted = 'NOT EXISTS (SELECT 1 FROM temp.pull_listed l WHERE l.key = t.key AND l.version_id = t.version_id)';
    return {
      recorded: this.#db.all<PulledVersion>(`SELECT key, version_id AS versionId FROM objects t WHERE ${range} AND seq <= ? AND
        ${unlisted} ORDER BY key, version_id`, ...args, this.#startSeq),
      pulled: this.#db.all<PulledVersion>(`SELECT key, version_id AS versionId FROM pulled_versions t WHERE ${range} AND ${unlisted}
        ORDER BY key, version_id`, ...args),
    };
  }

  /** Empty the temporary table and give the connection its page cache back (the pull is over). */
  close(): void {
    this.#waiting = [];
    this.#db.run('DELETE FROM temp.pull_listed');
    this.#db.pragma(`cache_size = ${this.#cacheSize}`);
  }
}
