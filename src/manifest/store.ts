import Database from 'better-sqlite3';

import { damagedManifest, isDamage, listBackups, moveAside } from './backup.js';
import { createPrivateFile, prepareManifestFiles } from './files.js';
import { Sse3Error } from '../errors.js';
import type { ImportedRecords, ManifestDocument } from './document.js';
import { endpointIdentityOf } from '../s3/endpoint.js';
import type { FileStamp } from '../local/files.js';
import { type ManifestEntry, type ObjectLocation, prefixSuccessor } from './entry.js';

export { type ManifestEntry, newEntry, type ObjectLocation, prefixSuccessor } from './entry.js';

/** Scope of a listing: an endpoint, optionally one bucket and a key prefix. */
export interface ManifestScope {
  endpoint?: string;
  bucket?: string;
  prefix?: string;
}

/**
 * A rotation journalled before the object is touched: while it is pending,
 * both fingerprints that may open the object are on record.
 */
export interface RotationRecord extends ObjectLocation {
  id: number;
  oldVersion: string;
  oldFingerprint: string;
  newFingerprint: string;
  size: number;
  sha256: string;
  state: 'pending' | 'done' | 'abandoned';
  pid: number;
  startedAt: string;
}

/** A multipart upload sse3 started and has not yet completed or aborted. */
export interface PendingUpload extends ObjectLocation {
  uploadId: string;
  fingerprint: string;
  pid: number;
  startedAt: string;
  /** Set just before CompleteMultipartUpload: the upload may have become an object that still needs recording. */
  completing?: { sha256: string; size: number };
  /**
   * A random value also stored in the object's metadata (x-amz-meta-sse3-upload): an object holding it is the one
   * this upload wrote. Absent in uploads journalled before sse3 kept one.
   */
  token?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  endpoint    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  key         TEXT NOT NULL,
  version_id  TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  etag        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  mtime_ms    INTEGER,
  PRIMARY KEY (endpoint, bucket, key, version_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_fingerprint ON objects (fingerprint);
CREATE INDEX IF NOT EXISTS objects_latest ON objects (endpoint, bucket, key, seq);
CREATE INDEX IF NOT EXISTS objects_by_bucket_key ON objects (bucket, key);
CREATE TABLE IF NOT EXISTS uploads (
  endpoint    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  key         TEXT NOT NULL,
  upload_id   TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  sha256      TEXT,
  size        INTEGER,
  token       TEXT,
  PRIMARY KEY (endpoint, bucket, key, upload_id)
);
CREATE TABLE IF NOT EXISTS rotations (
  id            INTEGER PRIMARY KEY,
  endpoint      TEXT NOT NULL,
  bucket        TEXT NOT NULL,
  key           TEXT NOT NULL,
  old_version   TEXT NOT NULL,
  old_fp        TEXT NOT NULL,
  new_fp        TEXT NOT NULL,
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'done', 'abandoned')),
  pid           INTEGER NOT NULL,
  started_at    TEXT NOT NULL,
  settled_at    TEXT
);
CREATE INDEX IF NOT EXISTS rotations_open ON rotations (state);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS local_hashes (
  path      TEXT PRIMARY KEY,
  size      INTEGER NOT NULL,
  mtime_ms  REAL NOT NULL,
  ctime_ms  REAL NOT NULL,
  ino       INTEGER NOT NULL,
  sha256    TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS endpoint_aliases (alias TEXT PRIMARY KEY, endpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pulled_versions (
  endpoint   TEXT NOT NULL,
  bucket     TEXT NOT NULL,
  key        TEXT NOT NULL,
  version_id TEXT NOT NULL,
  stamp      TEXT NOT NULL,
  tagged     INTEGER NOT NULL,
  PRIMARY KEY (endpoint, bucket, key, version_id)
) WITHOUT ROWID;
`;

/** The SHA-256 of a local file as it was when hashed: reused only while the file at the path has the same stamp. */
export interface LocalHash extends FileStamp {
  path: string;
  sha256: string;
}

/** Version of the endpoint spelling rule (endpointIdentity) the rows of a manifest follow. */
const ENDPOINT_RULE = 1;

/** An endpoint declared to be another name of a server (sse3 manifest alias). */
export interface EndpointAlias {
  alias: string;
  endpoint: string;
}

/** What `manifest import` added. */
export interface ImportCounts {
  added: number;
  alreadyRecorded: number;
  aliases: number;
}

/** What merging one endpoint name into another did. */
export interface EndpointMerge {
  /** Object versions now recorded under the surviving name. */
  moved: number;
  /** Rows recorded under both names for the same object version: the older one was dropped. */
  replaced: number;
}

/** Which entries a listing takes: only each object's latest record, only those under one key. */
export interface ListOptions {
  latestOnly?: boolean;
  fingerprint?: string;
}

interface ObjectRow {
  endpoint: string; bucket: string; key: string; version_id: string; fingerprint: string;
  size: number; sha256: string; etag: string; created_at: string; mtime_ms: number | null; seq: number;
}

const sameObject = (a: ObjectRow, b: ObjectRow) => a.key === b.key && a.bucket === b.bucket && a.endpoint === b.endpoint;

const toEntry = (r: ObjectRow): ManifestEntry => ({
  endpoint: r.endpoint, bucket: r.bucket, key: r.key, versionId: r.version_id, fingerprint: r.fingerprint,
  size: r.size, sha256: r.sha256, etag: r.etag, createdAt: r.created_at, mtimeMs: r.mtime_ms,
});

/**
 * The local record of which key encrypted which object. SQLite in WAL mode with
 * a busy timeout, so many sse3 processes can write at once and a kill at any
 * moment leaves either the whole row or none. It never holds key material.
 */
export class ManifestStore {
  readonly #db!: Database.Database;

  /** A manifest that is not a sound SQLite database is reported as damaged (MANIFEST_DAMAGED), naming the way back. */
  constructor(file: string) {
    if (file !== ':memory:') prepareManifestFiles(file);
    try {
      this.#db = new Database(file);
      this.#db.pragma('busy_timeout = 15000');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(SCHEMA);
      // Manifests made before uploads carried their checksum and token, and before objects carried their file's mtime.
      const columns = (table: string) => (this.#db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>)
        .map((c) => c.name);
      if (!columns('uploads').includes('sha256')) this.#db.exec('ALTER TABLE uploads ADD COLUMN sha256 TEXT; ALTER TABLE uploads ADD COLUMN size INTEGER');
      if (!columns('uploads').includes('token')) this.#db.exec('ALTER TABLE uploads ADD COLUMN token TEXT');
      if (!columns('objects').includes('mtime_ms')) this.#db.exec('ALTER TABLE objects ADD COLUMN mtime_ms INTEGER');
      this.#normaliseEndpoints();
    } catch (e) {
      if (this.#db?.open) this.#db.close();
      throw isDamage(e) ? damagedManifest(file, e, listBackups(file)[0]?.path) : e;
    }
  }

  /** A consistent copy of the manifest at `path`, made with SQLite's online backup while others may write. */
  async backupTo(path: string): Promise<void> {
    this.flush();
    // SQLite would create it 0644; an existing file keeps its mode.
    createPrivateFile(path);
    await this.#db.backup(path);
  }

  /**
   * Rows written before endpoints were normalised (https://localhost:9443/ beside https://127.0.0.1:9443) are
   * moved to the one identity, once per manifest.
   */
  #normaliseEndpoints(): void {
    const ruleOf = this.#db.prepare("SELECT value FROM counters WHERE name = 'endpoint-rule'").pluck();
    if (ruleOf.get() === ENDPOINT_RULE) return;
    this.#db.transaction(() => {
      if (ruleOf.get() === ENDPOINT_RULE) return;
      const names = this.#db.prepare(`SELECT endpoint FROM objects UNION SELECT endpoint FROM uploads
        UNION SELECT endpoint FROM rotations UNION SELECT endpoint FROM endpoint_aliases`).pluck().all() as string[];
      for (const name of names) {
        const canonical = endpointIdentityOf(name);
        if (canonical !== undefined && canonical !== name) this.#merge(name, canonical);
      }
      this.#db.prepare(`INSERT INTO counters (name, value) VALUES ('endpoint-rule', ?)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(ENDPOINT_RULE);
    }).immediate();
  }

  /** Move every row of endpoint `from` to `to`; where both record the same object version, the later record wins. */
  #merge(from: string, to: string): EndpointMerge {
    // A row of the first endpoint whose twin (same object version) under the second one was recorded later.
    const dropOlderTwin = this.#db.prepare(`DELETE FROM objects WHERE endpoint = ? AND EXISTS (SELECT 1 FROM objects t
      WHERE t.endpoint = ? AND t.bucket = objects.bucket AND t.key = objects.key AND t.version_id = objects.version_id
      AND t.seq > objects.seq)`);
    const replaced = dropOlderTwin.run(from, to).changes + dropOlderTwin.run(to, from).changes;
    const moved = this.#db.prepare('UPDATE objects SET endpoint = ? WHERE endpoint = ?').run(to, from).changes;
    this.#db.prepare('UPDATE OR REPLACE uploads SET endpoint = ? WHERE endpoint = ?').run(to, from);
    this.#db.prepare('UPDATE rotations SET endpoint = ? WHERE endpoint = ?').run(to, from);
    this.#db.prepare('UPDATE endpoint_aliases SET endpoint = ? WHERE endpoint = ?').run(to, from);
    this.#db.prepare('DELETE FROM endpoint_aliases WHERE alias = ?').run(to);
    return { moved, replaced };
  }

  /**
   * Declare `alias` another name of the server `endpoint` (both manifest identities). Its rows are rewritten to
   * the surviving name in one transaction, so every query stays a plain equality; later runs through the alias
   * record and look up under the surviving name (resolveEndpoint).
   */
  addAlias(alias: string, endpoint: string): EndpointMerge & { endpoint: string } {
    this.flush();
    return this.#db.transaction(() => {
      const target = this.resolveEndpoint(endpoint);
      if (this.resolveEndpoint(alias) === target) return { endpoint: target, moved: 0, replaced: 0 };
      const merged = this.#merge(alias, target);
      this.#db.prepare('INSERT OR REPLACE INTO endpoint_aliases (alias, endpoint) VALUES (?, ?)').run(alias, target);
      return { endpoint: target, ...merged };
    }).immediate();
  }

  /** The name the manifest records a server under: the endpoint itself unless it was declared an alias. */
  resolveEndpoint(endpoint: string): string {
    return (this.#db.prepare('SELECT endpoint FROM endpoint_aliases WHERE alias = ?').pluck().get(endpoint) as string | undefined)
      ?? endpoint;
  }

  aliases(): EndpointAlias[] {
    return this.#db.prepare('SELECT alias, endpoint FROM endpoint_aliases ORDER BY endpoint, alias').all() as EndpointAlias[];
  }

  close(): void {
    try {
      this.flush();
    } finally {
      if (this.#onExit) process.off('exit', this.#onExit);
      this.#db.close();
    }
  }

  #queue: Array<{ entry: ManifestEntry; older: boolean }> = [];
  #defer?: { max: number; ms: number; timer?: NodeJS.Timeout };
  #onExit?: () => void;

  /**
   * From now on record() queues its rows and writes them `max` at a time in one transaction, or `ms` after the first
   * one waits, instead of one transaction per object (a batch of small objects spends most of its manifest time
   * committing). Every other call writes what waits first, so reads see every row recorded before them and a
   * settled rotation's row is on disk with it; close() and the process's exit write the rest. Only rows of objects
   * already written and confirmed are ever queued, so a kill can lose a few rows (recovered by sse3 manifest rebuild
   * from the objects' tags, or by settling their rotations) but never record an object that was not written.
   */
  deferRecords(max = 64, ms = 20): void {
    this.#defer = { max, ms };
    if (!this.#onExit) {
      this.#onExit = () => { try { this.flush(); } catch { /* the exit status already tells; the rows are recoverable */ } };
      process.on('exit', this.#onExit);
    }
  }

  /** Write the rows record() queued (deferRecords), in one transaction. A failure keeps them queued and is thrown. */
  flush(): void {
    if (this.#defer?.timer) {
      clearTimeout(this.#defer.timer);
      this.#defer.timer = undefined;
    }
    if (!this.#queue.length || !this.#db.open) return;
    const rows = this.#queue;
    this.#queue = [];
    try {
      this.#db.transaction(() => {
        for (const r of rows) this.#recordTx!(r.entry, r.older);
      }).immediate();
    } catch (e) {
      this.#queue = [...rows, ...this.#queue];
      throw e;
    }
  }

  /**
   * Record a confirmed encrypted write. seq orders writes across processes so
   * "latest" means the last one sse3 recorded, whatever the clocks say.
   */
  record(e: ManifestEntry, opts: { older?: boolean } = {}): void {
    // Prepared once per store: a sync or batch records thousands of objects, and preparing costs more than the insert.
    this.#recordTx ??= this.#db.transaction((entry: ManifestEntry, older: boolean) => {
      // An older version found later (adopt) goes below every version already recorded for the object, so
      // "latest" stays the one that is latest on the server.
      const below = older ? this.#statement('SELECT min(seq) FROM objects WHERE endpoint = ? AND bucket = ? AND key = ?', true)
        .get(entry.endpoint, entry.bucket, entry.key) as number | null : null;
      const seq = below !== null ? below - 1 : this.#nextSeq.get() as number;
      this.#insertObject.run(entry.endpoint, entry.bucket, entry.key, entry.versionId, entry.fingerprint, entry.size,
        entry.sha256, entry.etag, entry.createdAt, seq, entry.mtimeMs ?? null);
    });
    if (this.#defer && !this.#db.inTransaction) {
      this.#queue.push({ entry: e, older: Boolean(opts.older) });
      if (this.#queue.length >= this.#defer.max) this.flush();
      else {
        this.#defer.timer ??= setTimeout(() => {
          this.#defer!.timer = undefined;
          // A failure leaves the rows queued: the next call that writes, or close(), reports it.
          try { this.flush(); } catch { /* kept for the next flush */ }
        }, this.#defer.ms).unref();
      }
      return;
    }
    this.#recordTx.immediate(e, Boolean(opts.older));
  }

  #recordTx?: Database.Transaction<(entry: ManifestEntry, older: boolean) => void>;

  get #nextSeq(): Database.Statement {
    return this.#statement(`INSERT INTO counters (name, value) VALUES ('seq', 1)
      ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`, true);
  }

  get #insertObject(): Database.Statement {
    return this.#statement(`INSERT OR REPLACE INTO objects (endpoint, bucket, key, version_id, fingerprint, size, sha256, etag,
      created_at, seq, mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  readonly #statements = new Map<string, Database.Statement>();

  #statement(sql: string, pluck = false): Database.Statement {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      if (pluck) st.pluck();
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Forget an object version that was deleted; true when there was a row. */
  remove(loc: ObjectLocation, versionId: string): boolean {
    this.flush();
    return this.#statement('DELETE FROM objects WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?')
      .run(loc.endpoint, loc.bucket, loc.key, versionId).changes > 0;
  }

  /**
   * What manifest pull saw at its last pass over a scope, keyed by key + NUL + version id: the recorded versions,
   * and the stamp (ETag and last-modified time) of every version it listed, with whether it had an sse3-fp tag. A
   * version listed again with the same stamp is not read again.
   */
  pullState(scope: { endpoint: string; bucket: string; prefix: string }): { recorded: Set<string>; pulled: Map<string, { stamp: string; tagged: boolean }> } {
    const end = prefixSuccessor(scope.prefix);
    const range = `endpoint = ? AND bucket = ? AND key >= ?${end !== undefined ? ' AND key < ?' : ''}`;
    const args = [scope.endpoint, scope.bucket, scope.prefix, ...(end !== undefined ? [end] : [])];
    const recorded = new Set((this.#db.prepare(`SELECT key, version_id FROM objects WHERE ${range}`).all(...args) as
      Array<{ key: string; version_id: string }>).map((r) => `${r.key}\0${r.version_id}`));
    const pulled = new Map((this.#db.prepare(`SELECT key, version_id, stamp, tagged FROM pulled_versions WHERE ${range}`).all(...args) as
      Array<{ key: string; version_id: string; stamp: string; tagged: number }>)
      .map((r) => [`${r.key}\0${r.version_id}`, { stamp: r.stamp, tagged: r.tagged === 1 }]));
    return { recorded, pulled };
  }

  /** A version manifest pull read the tags of: its stamp, and whether it had an sse3-fp tag. */
  rememberPulled(loc: ObjectLocation, versionId: string, stamp: string, tagged: boolean): void {
    this.#statement('INSERT OR REPLACE INTO pulled_versions (endpoint, bucket, key, version_id, stamp, tagged) VALUES (?, ?, ?, ?, ?, ?)')
      .run(loc.endpoint, loc.bucket, loc.key, versionId, stamp, tagged ? 1 : 0);
  }

  forgetPulled(loc: ObjectLocation, versionId: string): void {
    this.#statement('DELETE FROM pulled_versions WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?')
      .run(loc.endpoint, loc.bucket, loc.key, versionId);
  }

  /** Record the plaintext SHA-256 of a recorded version (computed later, e.g. by adopt --hash), keeping its place. */
  setSha256(loc: ObjectLocation, versionId: string, sha256: string): void {
    this.flush();
    this.#db.prepare('UPDATE objects SET sha256 = ? WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?')
      .run(sha256, loc.endpoint, loc.bucket, loc.key, versionId);
  }

  /** The given version, or the latest one sse3 recorded for that object. */
  lookup(loc: ObjectLocation, versionId?: string): ManifestEntry | undefined {
    this.flush();
    const row = versionId !== undefined
      ? this.#db.prepare('SELECT * FROM objects WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?')
        .get(loc.endpoint, loc.bucket, loc.key, versionId)
      : this.#db.prepare('SELECT * FROM objects WHERE endpoint = ? AND bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1')
        .get(loc.endpoint, loc.bucket, loc.key);
    return row ? toEntry(row as ObjectRow) : undefined;
  }

  /** Every recorded version of one object, newest first. */
  versions(loc: ObjectLocation): ManifestEntry[] {
    this.flush();
    return (this.#db.prepare('SELECT * FROM objects WHERE endpoint = ? AND bucket = ? AND key = ? ORDER BY seq DESC')
      .all(loc.endpoint, loc.bucket, loc.key) as ObjectRow[]).map(toEntry);
  }

  /** Entries in scope (every version), ordered by object then newest first. */
  list(scope: ManifestScope = {}, opts: ListOptions = {}): ManifestEntry[] {
    return [...this.entries(scope, opts)];
  }

  /**
   * The entries of list(), in the same order, read a page at a time (keyset paging on the object, each page completed
   * with the rest of its last object's versions): a verify or rotation over a million records holds one page, and
   * the connection stays free between pages, so the same store can record while the caller works through them.
   */
  *entries(scope: ManifestScope = {}, opts: ListOptions = {}, pageSize = 1000): Generator<ManifestEntry> {
    // The primary key (endpoint, bucket, key, version) is walked in order: its leading columns fixed by the scope are
    // equalities, the page cursor a range over the others, so every page is one seek. Other filters carry a unary +
    // so that SQLite does not pick another index and sort each page's candidates instead.
    const where: string[] = [];
    const args: unknown[] = [];
    const columns = ['endpoint', 'bucket', 'key'] as const;
    let fixed = 0;
    if (scope.endpoint !== undefined) {
      where.push('endpoint = ?');
      args.push(scope.endpoint);
      fixed = 1;
    }
    if (scope.bucket !== undefined) {
      where.push(fixed ? 'bucket = ?' : '+bucket = ?');
      args.push(scope.bucket);
      if (fixed) fixed = 2;
    }
    if (scope.prefix) {
      const k = fixed === 2 ? 'key' : '+key';
      where.push(`${k} >= ?`);
      args.push(scope.prefix);
      const end = prefixSuccessor(scope.prefix);
      if (end !== undefined) { where.push(`${k} < ?`); args.push(end); }
    }
    if (opts.fingerprint !== undefined) { where.push('+fingerprint = ?'); args.push(opts.fingerprint); }
    if (opts.latestOnly) {
      where.push(`seq = (SELECT max(seq) FROM objects l WHERE l.endpoint = objects.endpoint AND l.bucket = objects.bucket
        AND l.key = objects.key)`);
    }
    const cond = where.join(' AND ') || '1';
    const moving = columns.slice(fixed);
    const cursor = moving.length === 1 ? `${moving[0]} > ?` : `(${moving.join(', ')}) > (${moving.map(() => '?').join(', ')})`;
    const firstPage = this.#db.prepare(`SELECT * FROM objects WHERE ${cond} ORDER BY endpoint, bucket, key LIMIT ?`);
    const nextPage = this.#db.prepare(`SELECT * FROM objects WHERE ${cond} AND ${cursor} ORDER BY endpoint, bucket, key LIMIT ?`);
    const rest = this.#db.prepare(`SELECT * FROM objects WHERE ${cond} AND endpoint = ? AND bucket = ? AND key = ?`);
    let after: unknown[] | undefined;
    for (;;) {
      this.flush();
      const rows = (after ? nextPage.all(...args, ...after, pageSize) : firstPage.all(...args, pageSize)) as ObjectRow[];
      if (!rows.length) return;
      const last = rows[rows.length - 1];
      const full = rows.length >= pageSize;
      if (full) {
        while (rows.length && sameObject(rows[rows.length - 1], last)) rows.pop();
        rows.push(...rest.all(...args, last.endpoint, last.bucket, last.key) as ObjectRow[]);
      }
      // Objects in the primary key's order; within one object, newest first.
      for (let i = 0; i < rows.length;) {
        let j = i + 1;
        while (j < rows.length && sameObject(rows[j], rows[i])) j++;
        const versions = rows.slice(i, j).sort((a, b) => b.seq - a.seq);
        for (const r of versions) yield toEntry(r);
        i = j;
      }
      if (!full) return;
      after = moving.map((c) => last[c]);
    }
  }

  /**
   * Versions recorded under a key that are not their object's latest record: how many, and of how many objects
   * (counted by SQLite, whatever the manifest's size).
   */
  olderVersions(endpoint: string, fingerprint: string): { versions: number; objects: number } {
    this.flush();
    return this.#db.prepare(`SELECT count(*) AS versions, count(DISTINCT json_array(bucket, key)) AS objects FROM objects o
      WHERE endpoint = ? AND fingerprint = ? AND seq < (SELECT max(seq) FROM objects l
      WHERE l.endpoint = o.endpoint AND l.bucket = o.bucket AND l.key = o.key)`).get(endpoint, fingerprint) as
      { versions: number; objects: number };
  }

  /**
   * A page of the latest recorded version of each object under a prefix, in key order (SQLite compares TEXT as UTF-8
   * bytes, S3's order): keys after `after` (or from the prefix on), at most `limit` objects. Paging lets a sync walk
   * a million records beside the listing without holding them, and without one query per object.
   */
  latestPage(scope: { endpoint: string; bucket: string; prefix: string }, after: string | undefined, limit: number): ManifestEntry[] {
    this.flush();
    const end = prefixSuccessor(scope.prefix);
    const rows = this.#statement(`SELECT * FROM objects WHERE endpoint = ? AND bucket = ? AND key ${after === undefined ? '>=' : '>'} ?
      ${end === undefined ? '' : 'AND key < ?'} ORDER BY key, seq DESC LIMIT ?`)
      .all(scope.endpoint, scope.bucket, after ?? scope.prefix, ...(end === undefined ? [] : [end]), limit) as ObjectRow[];
    const latest: ManifestEntry[] = [];
    for (const r of rows) if (latest.at(-1)?.key !== r.key) latest.push(toEntry(r));
    // The last key's older versions may not all be on this page; the next page starts after that key anyway.
    return latest;
  }

  /** A sync found the file unchanged except for its modification time: remember the new one for this version. */
  setMtime(loc: ObjectLocation, versionId: string, mtimeMs: number): void {
    this.flush();
    this.#statement('UPDATE objects SET mtime_ms = ? WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?')
      .run(mtimeMs, loc.endpoint, loc.bucket, loc.key, versionId);
  }

  rememberHash(h: LocalHash): void {
    this.#statement('INSERT OR REPLACE INTO local_hashes (path, size, mtime_ms, ctime_ms, ino, sha256) VALUES (?, ?, ?, ?, ?, ?)')
      .run(h.path, h.size, h.mtimeMs, h.ctimeMs, h.ino, h.sha256);
  }

  forgetHash(path: string): void {
    this.#statement('DELETE FROM local_hashes WHERE path = ?').run(path);
  }

  /** A page of remembered file hashes under a folder (dir ends in '/'), in path order, after `after` if given. */
  hashPage(dir: string, after: string | undefined, limit: number): LocalHash[] {
    const end = prefixSuccessor(dir);
    return (this.#statement(`SELECT path, size, mtime_ms AS mtimeMs, ctime_ms AS ctimeMs, ino, sha256 FROM local_hashes
      WHERE path ${after === undefined ? '>=' : '>'} ? ${end === undefined ? '' : 'AND path < ?'} ORDER BY path LIMIT ?`)
      .all(after ?? dir, ...(end === undefined ? [] : [end]), limit)) as LocalHash[];
  }

  /** How many recorded object versions each fingerprint still opens. */
  fingerprintUse(): Map<string, number> {
    this.flush();
    const rows = this.#db.prepare('SELECT fingerprint, count(*) AS n FROM objects GROUP BY fingerprint').all() as
      Array<{ fingerprint: string; n: number }>;
    return new Map(rows.map((r) => [r.fingerprint, r.n]));
  }

  journalRotation(r: Omit<RotationRecord, 'id' | 'state' | 'pid' | 'startedAt'>): number {
    this.flush();
    const info = this.#db.prepare(
      `INSERT INTO rotations (endpoint, bucket, key, old_version, old_fp, new_fp, size, sha256, state, pid, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`)
      .run(r.endpoint, r.bucket, r.key, r.oldVersion, r.oldFingerprint, r.newFingerprint, r.size, r.sha256, process.pid,
        new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  /**
   * Settle a journalled rotation. Rows still waiting to be written go in the same transaction first: a rotation
   * marked done always has its new version recorded.
   */
  settleRotation(id: number, state: 'done' | 'abandoned'): void {
    this.#db.transaction(() => {
      this.flush();
      this.#db.prepare(`UPDATE rotations SET state = ?, settled_at = ? WHERE id = ?`).run(state, new Date().toISOString(), id);
    }).immediate();
  }

  openRotations(endpoint?: string): RotationRecord[] {
    const rows = (endpoint === undefined
      ? this.#db.prepare(`SELECT * FROM rotations WHERE state = 'pending' ORDER BY id`).all()
      : this.#db.prepare(`SELECT * FROM rotations WHERE state = 'pending' AND endpoint = ? ORDER BY id`).all(endpoint)) as
      Array<Record<string, string | number>>;
    return rows.map((r) => ({
      id: Number(r.id), endpoint: String(r.endpoint), bucket: String(r.bucket), key: String(r.key),
      oldVersion: String(r.old_version), oldFingerprint: String(r.old_fp), newFingerprint: String(r.new_fp),
      size: Number(r.size), sha256: String(r.sha256), state: r.state as RotationRecord['state'], pid: Number(r.pid),
      startedAt: String(r.started_at),
    }));
  }

  /** Everything, for `manifest export`: every object version, open rotations and uploads, endpoint aliases. */
  document(): ManifestDocument {
    // An upload's token stays here: it is what proves an object this manifest's upload wrote.
    const pendingUploads = this.pendingUploads().map(({ token: _token, ...u }) => u);
    return { objects: this.list(), pendingRotations: this.openRotations(), pendingUploads, aliases: this.aliases() };
  }

  /**
   * Add the checked records of an export or a backup (parseManifestDocument, readBackupRecords), in one transaction.
   * The manifest's own records win: a version it already has is left as it is, and versions of an object it also
   * knows are added as older than those it has (its latest stays its latest). Within the file, the first record of
   * a version (its newest) is taken. Open rotations and uploads are never imported: see ImportedRecords.
   */
  importRecords(records: Omit<ImportedRecords, 'notImported'>): ImportCounts {
    this.flush();
    return this.#db.transaction(() => {
      const counts: ImportCounts = { added: 0, alreadyRecorded: 0, aliases: 0 };
      for (const a of records.aliases) {
        const target = this.resolveEndpoint(a.endpoint);
        if (this.resolveEndpoint(a.alias) !== target) { this.addAlias(a.alias, target); counts.aliases++; }
      }
      const has = this.#db.prepare('SELECT 1 FROM objects WHERE endpoint = ? AND bucket = ? AND key = ? AND version_id = ?').pluck();
      const oldest = this.#db.prepare('SELECT min(seq) FROM objects WHERE endpoint = ? AND bucket = ? AND key = ?').pluck();
      // Per object, newest first (the export's order): grouped so each object's versions keep their order.
      const groups = new Map<string, Map<string, ManifestEntry>>();
      for (const e of records.objects) {
        const entry = { ...e, endpoint: this.resolveEndpoint(e.endpoint) };
        const id = JSON.stringify([entry.endpoint, entry.bucket, entry.key]);
        const versions = groups.get(id) ?? new Map<string, ManifestEntry>();
        if (!versions.has(entry.versionId)) versions.set(entry.versionId, entry);
        groups.set(id, versions);
      }
      for (const group of groups.values()) {
        const versions = [...group.values()];
        const first = versions[0];
        let below = oldest.get(first.endpoint, first.bucket, first.key) as number | null;
        const fresh = versions.filter((v) => {
          const known = Boolean(has.get(v.endpoint, v.bucket, v.key, v.versionId));
          if (known) counts.alreadyRecorded++;
          return !known;
        });
        // Unknown object: oldest first with new sequence numbers. Known object: below its oldest record.
        const ordered = below === null ? [...fresh].reverse() : fresh;
        for (const v of ordered) {
          const seq = below === null ? this.#nextSeq.get() as number : --below;
          this.#insertObject.run(v.endpoint, v.bucket, v.key, v.versionId, v.fingerprint, v.size, v.sha256, v.etag, v.createdAt, seq,
            v.mtimeMs ?? null);
          counts.added++;
        }
      }
      return counts;
    }).immediate();
  }

  count(): number {
    this.flush();
    return this.#db.prepare('SELECT count(*) FROM objects').pluck().get() as number;
  }

  beginUpload(u: PendingUpload): void {
    this.flush();
    this.#db.prepare(
      `INSERT OR REPLACE INTO uploads (endpoint, bucket, key, upload_id, fingerprint, pid, started_at, token)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(u.endpoint, u.bucket, u.key, u.uploadId, u.fingerprint, u.pid, u.startedAt, u.token ?? null);
  }

  /** About to complete: from here on a crash may leave an object, which the next run records. */
  completingUpload(loc: ObjectLocation, uploadId: string, sha256: string, size: number): void {
    this.flush();
    this.#db.prepare('UPDATE uploads SET sha256 = ?, size = ? WHERE endpoint = ? AND bucket = ? AND key = ? AND upload_id = ?')
      .run(sha256, size, loc.endpoint, loc.bucket, loc.key, uploadId);
  }

  /** Record the finished object and forget its upload in one transaction. */
  recordUpload(e: ManifestEntry, uploadId: string): void {
    this.flush();
    this.#db.transaction(() => {
      this.record(e);
      this.endUpload(e, uploadId);
    }).immediate();
  }

  endUpload(loc: ObjectLocation, uploadId: string): void {
    this.flush();
    this.#db.prepare('DELETE FROM uploads WHERE endpoint = ? AND bucket = ? AND key = ? AND upload_id = ?')
      .run(loc.endpoint, loc.bucket, loc.key, uploadId);
  }

  pendingUploads(endpoint?: string): PendingUpload[] {
    const rows = (endpoint === undefined
      ? this.#db.prepare('SELECT * FROM uploads').all()
      : this.#db.prepare('SELECT * FROM uploads WHERE endpoint = ?').all(endpoint)) as Array<Record<string, string | number>>;
    return rows.map((r) => ({
      endpoint: String(r.endpoint), bucket: String(r.bucket), key: String(r.key), uploadId: String(r.upload_id),
      fingerprint: String(r.fingerprint), pid: Number(r.pid), startedAt: String(r.started_at),
      ...(r.sha256 ? { completing: { sha256: String(r.sha256), size: Number(r.size) } } : {}),
      ...(r.token ? { token: String(r.token) } : {}),
    }));
  }
}

/** Open the manifest; a damaged one is moved aside first (never deleted) and a new, empty one made in its place. */
export function openManifestReplacingDamaged(file: string): { manifest: ManifestStore; movedAside?: string } {
  try {
    return { manifest: new ManifestStore(file) };
  } catch (e) {
    if (!(e instanceof Sse3Error && e.code === 'MANIFEST_DAMAGED')) throw e;
    const movedAside = moveAside(file);
    return { manifest: new ManifestStore(file), movedAside };
  }
}

/**
 * s3:// paths for shell completion, one level at a time (buckets, then
 * "folders" and objects under a prefix). Opens the manifest read-only and walks
 * the (bucket, key) index with one seek per answer, so it stays fast however
 * many objects are recorded.
 */
export function completeObjectPaths(file: string, word: string, limit = 200): string[] {
  return withReadonly(file, (db) => {
    const rest = word.startsWith('s3://') ? word.slice(5) : '';
    const slash = rest.indexOf('/');
    const out: string[] = [];
    if (slash === -1) {
      const next = db.prepare('SELECT bucket FROM objects WHERE bucket > ? ORDER BY bucket LIMIT 1').pluck();
      let b = db.prepare('SELECT bucket FROM objects WHERE bucket >= ? ORDER BY bucket LIMIT 1').pluck().get(rest) as string | undefined;
      while (b !== undefined && b.startsWith(rest) && out.length < limit) {
        out.push(`s3://${b}/`);
        b = next.get(b) as string | undefined;
      }
      return out;
    }
    const bucket = rest.slice(0, slash);
    const prefix = rest.slice(slash + 1);
    const first = db.prepare('SELECT key FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT 1').pluck();
    const after = db.prepare('SELECT key FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT 1').pluck();
    let key = first.get(bucket, prefix) as string | undefined;
    while (key !== undefined && key.startsWith(prefix) && out.length < limit) {
      const sub = key.indexOf('/', prefix.length);
      if (sub === -1) {
        out.push(`s3://${bucket}/${key}`);
        key = after.get(bucket, key) as string | undefined;
      } else {
        const folder = key.slice(0, sub + 1);
        out.push(`s3://${bucket}/${folder}`);
        const end = prefixSuccessor(folder);
        key = end === undefined ? undefined : first.get(bucket, end) as string | undefined;
      }
    }
    return out;
  });
}

/** Fingerprints recorded in the manifest that start with `word`, one index seek each (shell completion). */
export function completeFingerprints(file: string, word: string, limit = 200): string[] {
  return withReadonly(file, (db) => {
    const next = db.prepare('SELECT fingerprint FROM objects WHERE fingerprint > ? ORDER BY fingerprint LIMIT 1').pluck();
    const out: string[] = [];
    let fp = db.prepare('SELECT fingerprint FROM objects WHERE fingerprint >= ? ORDER BY fingerprint LIMIT 1').pluck().get(word) as
      string | undefined;
    while (fp !== undefined && fp.startsWith(word) && out.length < limit) {
      out.push(fp);
      fp = next.get(fp) as string | undefined;
    }
    return out;
  });
}

/** Completion reads the manifest read-only and answers nothing (never an error) when it cannot. */
function withReadonly(file: string, answer: (db: Database.Database) => string[]): string[] {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    db.pragma('busy_timeout = 1000');
    return answer(db);
  } catch {
    return [];
  } finally {
    db.close();
  }
}
