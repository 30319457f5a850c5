import { endpointIdentityOf } from '../s3/endpoint.js';
import { NULL_VERSION_ID } from '../s3/version.js';
import { mergeEndpoint } from './aliases.js';
import { BUCKET_SCAN_TABLES } from './bucket-scans.js';
import { KEY_BOOK_TABLES } from './key-book.js';
import type { ManifestEntry } from './entry.js';
import { SQLITE_CORRUPT, SqliteDb, sqliteError } from './sqlite.js';

// The manifest's tables, how an object record maps onto its row, and the migrations that bring a manifest made by an
// older sse3 up to date when it is opened.

const TABLES = `
CREATE TABLE IF NOT EXISTS objects (
  endpoint    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  key         TEXT NOT NULL,
  version_id  TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  etag        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  mtime_ms    INTEGER,
  last_modified   TEXT,
  modified_before TEXT,
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
CREATE INDEX IF NOT EXISTS rotations_by_object ON rotations (endpoint, bucket, key);
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

/** Columns added after their table was first made: manifests (and backups) older than them lack them. */
const ADDED_COLUMNS: ReadonlyArray<{ table: string; columns: string[]; add: string }> = [
  // Uploads carry their checksum and token, objects their file's mtime.
  { table: 'uploads', columns: ['sha256', 'size'], add: 'ALTER TABLE uploads ADD COLUMN sha256 TEXT; ALTER TABLE uploads ADD COLUMN size INTEGER' },
  { table: 'uploads', columns: ['token'], add: 'ALTER TABLE uploads ADD COLUMN token TEXT' },
  { table: 'objects', columns: ['mtime_ms'], add: 'ALTER TABLE objects ADD COLUMN mtime_ms INTEGER' },
  // What a listing must show for the record to be of the listed version (core/recorded.ts).
  { table: 'objects', columns: ['last_modified', 'modified_before'],
    add: 'ALTER TABLE objects ADD COLUMN last_modified TEXT; ALTER TABLE objects ADD COLUMN modified_before TEXT' },
];

/** The column each field of an object record is stored in, in the record's field order. */
export const OBJECT_COLUMNS = {
  endpoint: 'endpoint', bucket: 'bucket', key: 'key', versionId: 'version_id', fingerprint: 'fingerprint', size: 'size',
  sha256: 'sha256', etag: 'etag', createdAt: 'created_at', mtimeMs: 'mtime_ms', lastModified: 'last_modified',
  modifiedBefore: 'modified_before',
} as const satisfies Record<keyof ManifestEntry, string>;

/** Whether `column` of `table` is one an older manifest may lack. */
export const addedLater = (table: string, column: string): boolean =>
  ADDED_COLUMNS.some((a) => a.table === table && a.columns.includes(column));

/**
 * The SELECT list that reads an objects row as a ManifestEntry (`version_id AS versionId`, …). `column` gives what
 * stands for a column: by default the column itself, `NULL` for one a backup's table lacks.
 */
export function entryColumns(column: (name: string) => string = (name) => name): string {
  return Object.entries(OBJECT_COLUMNS).map(([field, name]) => `${column(name)} AS ${field}`).join(', ');
}

export const ENTRY_COLUMNS = entryColumns();

/** Version of the endpoint spelling rule (endpointIdentity) the rows of a manifest follow. */
const ENDPOINT_RULE = 1;

/**
 * The manifest's connection: checked whole (checkWhole), it waits up to 15 s for another writer, runs in WAL mode
 * (readers never block the writer, and a kill at any moment leaves either the whole transaction or none), and finds
 * its tables made and brought up to date. SQLite's own error is thrown (a damaged file: SQLITE_NOTADB or SQLITE_CORRUPT).
 */
export function openManifestDb(file: string): SqliteDb {
  const db = new SqliteDb(file);
  try {
    db.pragma('busy_timeout = 15000');
    checkWhole(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // 16 MB of pages kept between the statements of a command (SQLite's default keeps 2 MB): the pages of a large
    // listing and the indexes it walks are read once.
    db.pragma('cache_size = -16000');
    db.exec(TABLES);
    db.exec(BUCKET_SCAN_TABLES);
    db.exec(KEY_BOOK_TABLES);
    for (const { table, columns, add } of ADDED_COLUMNS) {
      const present = db.all<{ name: string }>(`PRAGMA table_info(${table})`).map((c) => c.name);
      if (!present.includes(columns[0])) db.exec(add);
    }
    normaliseEndpoints(db);
    nameNullVersions(db);
    return db;
  } catch (e) {
    if (db.isOpen) db.close();
    throw e;
  }
}

/** Version of the rule for rows of versions the server named no id for (recorded as S3's "null"). */
const NULL_VERSION_RULE = 1;

/**
 * Manifests before this rule kept S3's "null" version as '' (and took it for the current version): such rows are
 * renamed "null", the version they were written or listed as, once per manifest. A version is recorded once, so no
 * object has both rows.
 */
function nameNullVersions(db: SqliteDb): void {
  const rule = () => db.value<number>("SELECT value FROM counters WHERE name = 'null-version-rule'");
  if (rule() === NULL_VERSION_RULE) return;
  db.immediate(() => {
    if (rule() === NULL_VERSION_RULE) return;
    for (const table of ['objects', 'pulled_versions']) {
      db.run(`UPDATE OR REPLACE ${table} SET version_id = '${NULL_VERSION_ID}' WHERE version_id = ''`);
    }
    db.run(`INSERT INTO counters (name, value) VALUES ('null-version-rule', ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value`, NULL_VERSION_RULE);
  });
}

/**
 * Every page of the file checked before anything is read or written: damage anywhere in it (the header, a table, an
 * index, the free list) is found when a command starts, not halfway through it, or never when no query happens to read
 * the damaged page. SQLite's quick_check reads every page once (about 6 ms at 10,000 records, 60 ms at 100,000); a
 * failure is thrown as SQLite's own SQLITE_CORRUPT, which the store reports as a damaged manifest.
 */
function checkWhole(db: SqliteDb): void {
  const verdict = db.pragmaValue('quick_check');
  if (verdict === 'ok') return;
  throw sqliteError(`SQLite's quick_check finds it damaged: ${String(verdict).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')}`,
    SQLITE_CORRUPT);
}

/**
 * Rows written before endpoints were normalised (https://localhost:9443/ beside https://127.0.0.1:9443) are
 * moved to the one identity, once per manifest.
 */
function normaliseEndpoints(db: SqliteDb): void {
  const rule = () => db.value<number>("SELECT value FROM counters WHERE name = 'endpoint-rule'");
  if (rule() === ENDPOINT_RULE) return;
  db.immediate(() => {
    if (rule() === ENDPOINT_RULE) return;
    const names = db.values<string>(`SELECT endpoint FROM objects UNION SELECT endpoint FROM uploads
      UNION SELECT endpoint FROM rotations UNION SELECT endpoint FROM endpoint_aliases`);
    for (const name of names) {
      const canonical = endpointIdentityOf(name);
      if (canonical !== undefined && canonical !== name) mergeEndpoint(db, name, canonical);
    }
    db.run(`INSERT INTO counters (name, value) VALUES ('endpoint-rule', ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value`, ENDPOINT_RULE);
  });
}
