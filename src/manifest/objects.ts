import type { ManifestEntry, ObjectLocation } from './entry.js';
import { ENTRY_COLUMNS } from './schema.js';
import type { SqliteDb } from './sqlite.js';
import { recordedVersionId } from '../s3/version.js';

// The objects table, one object version at a time: recording a version in its place among the object's others,
// changing or forgetting one, and the queries about one object or one key. Walks over many objects are object-pages.ts.

const THIS_OBJECT = 'endpoint = ? AND bucket = ? AND key = ?';
const THIS_VERSION = `${THIS_OBJECT} AND version_id = ?`;
const at = (loc: ObjectLocation) => [loc.endpoint, loc.bucket, loc.key];
// A row names one version: what a server answered without a version id is S3's "null" one (s3/version.ts).
const version = (loc: ObjectLocation, versionId: string) => [...at(loc), recordedVersionId(versionId)];

// Made once: each is run per object, thousands of times in a batch.
const SQL = {
  nextSeq: `INSERT INTO counters (name, value) VALUES ('seq', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
  oldestSeq: `SELECT min(seq) FROM objects WHERE ${THIS_OBJECT}`,
  insert: `INSERT OR REPLACE INTO objects (endpoint, bucket, key, version_id, fingerprint, size, sha256, etag, created_at, seq,
    mtime_ms, last_modified, modified_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  has: `SELECT 1 FROM objects WHERE ${THIS_VERSION}`,
  remove: `DELETE FROM objects WHERE ${THIS_VERSION}`,
  setSha256: `UPDATE objects SET sha256 = ? WHERE ${THIS_VERSION}`,
  retagged: `UPDATE objects SET last_modified = NULL, modified_before = ? WHERE ${THIS_VERSION}`,
  // Only while the row is still the one that was compared with the listing (another process may have replaced it).
  pin: `UPDATE objects SET last_modified = ?, modified_before = NULL WHERE ${THIS_VERSION} AND fingerprint = ? AND size = ?
    AND etag = ?`,
  setMtime: `UPDATE objects SET mtime_ms = ? WHERE ${THIS_VERSION}`,
  version: `SELECT ${ENTRY_COLUMNS} FROM objects WHERE ${THIS_VERSION}`,
  latest: `SELECT ${ENTRY_COLUMNS} FROM objects WHERE ${THIS_OBJECT} ORDER BY seq DESC LIMIT 1`,
  versions: `SELECT ${ENTRY_COLUMNS} FROM objects WHERE ${THIS_OBJECT} ORDER BY seq DESC`,
};

/**
 * The next place in the order of writes. seq orders writes across processes, so "latest" means the last version sse3
 * recorded, whatever the clocks say.
 */
export function nextSeq(db: SqliteDb): number {
  return db.value<number>(SQL.nextSeq)!;
}

/** The place of the object's earliest recorded version; null when none is recorded. */
export function oldestSeq(db: SqliteDb, loc: ObjectLocation): number | null {
  return db.value<number | null>(SQL.oldestSeq, ...at(loc)) ?? null;
}

/** Write a version's row at place `seq`; a row already there for the version is replaced. */
export function insertObject(db: SqliteDb, e: ManifestEntry, seq: number): void {
  db.run(SQL.insert, e.endpoint, e.bucket, e.key, recordedVersionId(e.versionId), e.fingerprint, e.size, e.sha256, e.etag, e.createdAt, seq,
    e.mtimeMs ?? null, e.lastModified ?? null, e.modifiedBefore ?? null);
}

/**
 * Record a confirmed encrypted write as its object's latest version; or, `older` (a version found later, by adopt),
 * below every version already recorded for the object, so "latest" stays the one that is latest on the server.
 */
export function writeObject(db: SqliteDb, entry: ManifestEntry, older: boolean): void {
  const below = older ? oldestSeq(db, entry) : null;
  insertObject(db, entry, below !== null ? below - 1 : nextSeq(db));
}

export function hasVersion(db: SqliteDb, loc: ObjectLocation, versionId: string): boolean {
  return db.value(SQL.has, ...version(loc, versionId)) !== undefined;
}

/** Forget an object version that was deleted; true when there was a row. */
export function removeObject(db: SqliteDb, loc: ObjectLocation, versionId: string): boolean {
  return db.run(SQL.remove, ...version(loc, versionId)).changes > 0;
}

/**
 * Record the plaintext SHA-256 of a recorded version (computed later, e.g. by adopt --hash), keeping its place. When its
 * tags were written with it (`retagged`), which on some servers (Ceph) changes the object's LastModified, the
 * version's time is known only as before the tagging's answer (`modifiedBefore`).
 */
export function setSha256(db: SqliteDb, loc: ObjectLocation, versionId: string, sha256: string,
  retagged?: { modifiedBefore: string | null }): void {
  db.run(SQL.setSha256, sha256, ...version(loc, versionId));
  if (retagged) db.run(SQL.retagged, retagged.modifiedBefore, ...version(loc, versionId));
}

/** Which record a listing confirmed: its version, and what it said of it then. */
export type ListedRecord = Pick<ManifestEntry, 'endpoint' | 'bucket' | 'key' | 'versionId' | 'fingerprint' | 'size' | 'etag'>;

/** A listing showed the recorded version (core/recorded.ts): keep the LastModified it showed, exactly. */
export function pinListed(db: SqliteDb, e: ListedRecord, lastModified: string): void {
  db.run(SQL.pin, lastModified, ...version(e, e.versionId), e.fingerprint, e.size, e.etag);
}

/** A sync found the file unchanged except for its modification time: remember the new one for this version. */
export function setMtime(db: SqliteDb, loc: ObjectLocation, versionId: string, mtimeMs: number | null): void {
  db.run(SQL.setMtime, mtimeMs, ...version(loc, versionId));
}

/** The given version, or the latest one sse3 recorded for that object. */
export function lookup(db: SqliteDb, loc: ObjectLocation, versionId?: string): ManifestEntry | undefined {
  return versionId !== undefined
    ? db.get<ManifestEntry>(SQL.version, ...version(loc, versionId))
    : db.get<ManifestEntry>(SQL.latest, ...at(loc));
}

/** Every recorded version of one object, newest first. */
export function versions(db: SqliteDb, loc: ObjectLocation): ManifestEntry[] {
  return db.all<ManifestEntry>(SQL.versions, ...at(loc));
}

export function countObjects(db: SqliteDb): number {
  return db.value<number>('SELECT count(*) FROM objects')!;
}

/** How many recorded object versions each fingerprint still opens. */
export function fingerprintUse(db: SqliteDb): Map<string, number> {
  const rows = db.all<{ fingerprint: string; n: number }>('SELECT fingerprint, count(*) AS n FROM objects GROUP BY fingerprint');
  return new Map(rows.map((r) => [r.fingerprint, r.n]));
}

export function recordedBucketsOf(db: SqliteDb, fingerprint: string): Array<{ endpoint: string; bucket: string; versions: number }> {
  return db.all('SELECT endpoint, bucket, count(*) AS versions FROM objects WHERE fingerprint = ? GROUP BY endpoint, bucket ' +
    'ORDER BY endpoint, bucket', fingerprint);
}

/**
 * Versions recorded under a key that are not their object's latest record: how many, and of how many objects
 * (counted by SQLite, whatever the manifest's size).
 */
export function olderVersions(db: SqliteDb, endpoint: string, fingerprint: string): { versions: number; objects: number } {
  return db.get<{ versions: number; objects: number }>(`SELECT count(*) AS versions, count(DISTINCT json_array(bucket, key)) AS objects
    FROM objects o WHERE endpoint = ? AND fingerprint = ? AND seq < (SELECT max(seq) FROM objects l
    WHERE l.endpoint = o.endpoint AND l.bucket = o.bucket AND l.key = o.key)`, endpoint, fingerprint)!;
}
