import type { FileStamp } from '../local/files.js';
import { prefixSuccessor } from './entry.js';
import type { SqliteDb } from './sqlite.js';

// sync's cache of local file checksums (table local_hashes). It records nothing about objects or keys: it only
// spares sync reading a file again to learn a SHA-256 it already computed. Losing it costs time, never correctness.

/** The SHA-256 of a local file as it was when hashed: reused only while the file at the path has the same stamp. */
export interface LocalHash extends FileStamp {
  path: string;
  sha256: string;
}

/** The local hash cache, kept in the manifest's database but apart from its records (never waits on its write queue). */
export class LocalHashCache {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  /** Remember a file's hash, replacing what was remembered for its path. */
  remember(h: LocalHash): void {
    this.#db.run('INSERT OR REPLACE INTO local_hashes (path, size, mtime_ms, ctime_ms, ino, sha256) VALUES (?, ?, ?, ?, ?, ?)',
      h.path, h.size, h.mtimeMs, h.ctimeMs, h.ino, h.sha256);
  }

  forget(path: string): void {
    this.#db.run('DELETE FROM local_hashes WHERE path = ?', path);
  }

  /** A page of remembered file hashes under a folder (dir ends in '/'), in path order, after `after` if given. */
  page(dir: string, after: string | undefined, limit: number): LocalHash[] {
    const end = prefixSuccessor(dir);
    return this.#db.all<LocalHash>(`SELECT path, size, mtime_ms AS mtimeMs, ctime_ms AS ctimeMs, ino, sha256 FROM local_hashes
      WHERE path ${after === undefined ? '>=' : '>'} ? ${end === undefined ? '' : 'AND path < ?'} ORDER BY path LIMIT ?`,
    after ?? dir, ...(end === undefined ? [] : [end]), limit);
  }
}
