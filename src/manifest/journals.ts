import type { ObjectLocation, PendingUpload, RotationRecord } from './entry.js';
import type { SqliteDb } from './sqlite.js';

// The journals: work on an object written down before it starts, so that whatever interrupts it, the next run can
// finish or undo it. Rotations (table rotations) and multipart uploads (table uploads).

/** What journalling a rotation takes: the rest (its id, state, process and start) is the journal's. */
export type RotationIntent = Omit<RotationRecord, 'id' | 'state' | 'pid' | 'startedAt'>;

/** Journal a rotation as pending, before the object is touched; returns its id. */
export function journalRotation(db: SqliteDb, r: RotationIntent): number {
  const info = db.run(`INSERT INTO rotations (endpoint, bucket, key, old_version, old_fp, new_fp, size, sha256, state, pid, started_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`, r.endpoint, r.bucket, r.key, r.oldVersion, r.oldFingerprint, r.newFingerprint,
  r.size, r.sha256, process.pid, new Date().toISOString());
  return Number(info.lastInsertRowid);
}

export function settleRotation(db: SqliteDb, id: number, state: 'done' | 'abandoned'): void {
  db.run('UPDATE rotations SET state = ?, settled_at = ? WHERE id = ?', state, new Date().toISOString(), id);
}

/** Rotations still pending (of one endpoint, or all), oldest first. */
export function openRotations(db: SqliteDb, endpoint?: string): RotationRecord[] {
  const rows = endpoint === undefined
    ? db.all<Record<string, string | number>>(`SELECT * FROM rotations WHERE state = 'pending' ORDER BY id`)
    : db.all<Record<string, string | number>>(`SELECT * FROM rotations WHERE state = 'pending' AND endpoint = ? ORDER BY id`, endpoint);
  return rows.map(rotationRecord);
}

const rotationRecord = (r: Record<string, string | number>): RotationRecord => ({
  id: Number(r.id), endpoint: String(r.endpoint), bucket: String(r.bucket), key: String(r.key),
  oldVersion: String(r.old_version), oldFingerprint: String(r.old_fp), newFingerprint: String(r.new_fp),
  size: Number(r.size), sha256: String(r.sha256), state: r.state as RotationRecord['state'], pid: Number(r.pid),
  startedAt: String(r.started_at),
});

/** Every rotation ever journalled of one object (any state), oldest first. */
export function rotationsOf(db: SqliteDb, loc: ObjectLocation): RotationRecord[] {
  return db.all<Record<string, string | number>>('SELECT * FROM rotations WHERE endpoint = ? AND bucket = ? AND key = ? ORDER BY id',
    loc.endpoint, loc.bucket, loc.key).map(rotationRecord);
}

/** One journalled rotation as it stands now (undefined: no such entry). */
export function rotation(db: SqliteDb, id: number): RotationRecord | undefined {
  const row = db.get<Record<string, string | number>>('SELECT * FROM rotations WHERE id = ?', id);
  return row && rotationRecord(row);
}

/** The id of the latest rotation journalled (0 when none is): rotations journalled later have larger ids. */
export function lastRotationId(db: SqliteDb): number {
  return Number(db.value<number>('SELECT MAX(id) FROM rotations') ?? 0);
}

/**
 * Journal a rotation unless another rotation of the same object stands in its way, as `conflict` judges the object's
 * entries: in one write transaction, so of two processes claiming one object the second always sees the first. The
 * entries it judged come back with the new id.
 */
export function claimRotation(db: SqliteDb, r: RotationIntent, conflict: (others: RotationRecord[]) => RotationRecord | undefined)
  : { id: number; others: RotationRecord[] } | { conflict: RotationRecord } {
  return db.immediate(() => {
    const others = rotationsOf(db, r);
    const found = conflict(others);
    return found ? { conflict: found } : { id: journalRotation(db, r), others };
  });
}

/** Journal a multipart upload before its first part is sent. */
export function beginUpload(db: SqliteDb, u: PendingUpload): void {
  db.run(`INSERT OR REPLACE INTO uploads (endpoint, bucket, key, upload_id, fingerprint, pid, started_at, token)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.endpoint, u.bucket, u.key, u.uploadId, u.fingerprint, u.pid, u.startedAt, u.token ?? null);
}

/** About to complete: from here on a crash may leave an object, which the next run records. */
export function completingUpload(db: SqliteDb, loc: ObjectLocation, uploadId: string, sha256: string, size: number): void {
  db.run('UPDATE uploads SET sha256 = ?, size = ? WHERE endpoint = ? AND bucket = ? AND key = ? AND upload_id = ?',
    sha256, size, loc.endpoint, loc.bucket, loc.key, uploadId);
}

export function endUpload(db: SqliteDb, loc: ObjectLocation, uploadId: string): void {
  db.run('DELETE FROM uploads WHERE endpoint = ? AND bucket = ? AND key = ? AND upload_id = ?', loc.endpoint, loc.bucket, loc.key, uploadId);
}

/** Uploads journalled and not yet ended (of one endpoint, or all). */
export function pendingUploads(db: SqliteDb, endpoint?: string): PendingUpload[] {
  const rows = endpoint === undefined
    ? db.all<Record<string, string | number>>('SELECT * FROM uploads')
    : db.all<Record<string, string | number>>('SELECT * FROM uploads WHERE endpoint = ?', endpoint);
  return rows.map((r) => ({
    endpoint: String(r.endpoint), bucket: String(r.bucket), key: String(r.key), uploadId: String(r.upload_id),
    fingerprint: String(r.fingerprint), pid: Number(r.pid), startedAt: String(r.started_at),
    ...(r.sha256 ? { completing: { sha256: String(r.sha256), size: Number(r.size) } } : {}),
    ...(r.token ? { token: String(r.token) } : {}),
  }));
}
