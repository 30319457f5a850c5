import { type ManifestEntry, type ObjectLocation, prefixSuccessor } from './entry.js';
import type { SqliteDb } from './sqlite.js';
import { recordedVersionId } from '../s3/version.js';

// What manifest pull saw at its last pass (table pulled_versions), beside the versions the manifest records.

/** A scope of one pull: one bucket of one endpoint, under a key prefix ('' for all). */
export interface PullScope {
  endpoint: string;
  bucket: string;
  prefix: string;
}

/** What pull compares of a recorded version with the listing (and needs to keep the listed time in it). */
export type PullRecord = Pick<ManifestEntry, 'key' | 'versionId' | 'fingerprint' | 'size' | 'etag' | 'lastModified' | 'modifiedBefore'>;

/**
 * Keyed by key + NUL + version id: the recorded versions, and the stamp (ETag and last-modified time) of every
 * version pull listed, with whether it had an sse3-fp tag.
 */
export interface PullState {
  recorded: Map<string, PullRecord>;
  pulled: Map<string, { stamp: string; tagged: boolean }>;
}

/**
 * What manifest pull saw at its last pass over a scope. A version listed again with the same stamp is not read
 * again.
 */
export function pullState(db: SqliteDb, scope: PullScope): PullState {
  const end = prefixSuccessor(scope.prefix);
  const range = `endpoint = ? AND bucket = ? AND key >= ?${end !== undefined ? ' AND key < ?' : ''}`;
  const args = [scope.endpoint, scope.bucket, scope.prefix, ...(end !== undefined ? [end] : [])];
  const recorded = new Map(db.all<PullRecord>(`SELECT key, version_id AS versionId, fingerprint, size, etag,
    last_modified AS lastModified, modified_before AS modifiedBefore FROM objects WHERE ${range}`, ...args)
    .map((r) => [`${r.key}\0${r.versionId}`, r]));
  const pulled = new Map(db.all<{ key: string; version_id: string; stamp: string; tagged: number }>(
    `SELECT key, version_id, stamp, tagged FROM pulled_versions WHERE ${range}`, ...args)
    .map((r) => [`${r.key}\0${r.version_id}`, { stamp: r.stamp, tagged: r.tagged === 1 }]));
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
