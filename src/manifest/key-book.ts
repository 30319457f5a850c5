import type { SqliteDb } from './sqlite.js';

// What the home remembers about keys, beside the object records: the default key of a bucket or prefix (keys default),
// and the references each key was used from (file:PATH, env:VAR, keychain:NAME — never a key), with when it was last
// used. Fingerprints name keys here as everywhere in the manifest.

/** A default key: the key at `ref` (fingerprint `fingerprint` when it was set) encrypts writes under bucket/prefix. */
export interface KeyDefault {
  endpoint: string;
  bucket: string;
  /** '' for the whole bucket, else ends in '/'. */
  prefix: string;
  ref: string;
  fingerprint: string;
  setAt: string;
}

/** A reference a key was found at: `lastUsed` is null for one only seen (a default set, never written with yet). */
export interface KeyRefRecord {
  fingerprint: string;
  ref: string;
  seenAt: string;
  lastUsed: string | null;
}

export const KEY_BOOK_TABLES = `
CREATE TABLE IF NOT EXISTS key_defaults (
  endpoint    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  ref         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  set_at      TEXT NOT NULL,
  PRIMARY KEY (endpoint, bucket, prefix)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_refs (
  fingerprint TEXT NOT NULL,
  ref         TEXT NOT NULL,
  seen_at     TEXT NOT NULL,
  last_used   TEXT,
  PRIMARY KEY (fingerprint, ref)
) WITHOUT ROWID;
`;

const DEFAULT_COLUMNS = 'endpoint, bucket, prefix, ref, fingerprint, set_at AS setAt';

/** Set (or replace) the default of one scope; true when it replaced another. */
export function setDefault(db: SqliteDb, d: KeyDefault): boolean {
  return db.immediate(() => {
    const replaced = db.run('DELETE FROM key_defaults WHERE endpoint = ? AND bucket = ? AND prefix = ?', d.endpoint, d.bucket, d.prefix).changes > 0;
    db.run('INSERT INTO key_defaults (endpoint, bucket, prefix, ref, fingerprint, set_at) VALUES (?, ?, ?, ?, ?, ?)',
      d.endpoint, d.bucket, d.prefix, d.ref, d.fingerprint, d.setAt);
    return replaced;
  });
}

/** Remove the default of exactly this scope: the one removed, if there was one. */
export function unsetDefault(db: SqliteDb, endpoint: string, bucket: string, prefix: string): KeyDefault | undefined {
  return db.immediate(() => {
    const old = db.get<KeyDefault>(`SELECT ${DEFAULT_COLUMNS} FROM key_defaults WHERE endpoint = ? AND bucket = ? AND prefix = ?`,
      endpoint, bucket, prefix);
    if (old) db.run('DELETE FROM key_defaults WHERE endpoint = ? AND bucket = ? AND prefix = ?', endpoint, bucket, prefix);
    return old;
  });
}

/** Every default (of one endpoint, or all), by endpoint, bucket and prefix. */
export function listDefaults(db: SqliteDb, endpoint?: string): KeyDefault[] {
  return endpoint === undefined
    ? db.all<KeyDefault>(`SELECT ${DEFAULT_COLUMNS} FROM key_defaults ORDER BY endpoint, bucket, prefix`)
    : db.all<KeyDefault>(`SELECT ${DEFAULT_COLUMNS} FROM key_defaults WHERE endpoint = ? ORDER BY bucket, prefix`, endpoint);
}

/** The defaults of one bucket on one endpoint, longest prefix first (the first whose prefix a key starts with wins). */
export function bucketDefaults(db: SqliteDb, endpoint: string, bucket: string): KeyDefault[] {
  return db.all<KeyDefault>(`SELECT ${DEFAULT_COLUMNS} FROM key_defaults WHERE endpoint = ? AND bucket = ?
    ORDER BY length(prefix) DESC, prefix`, endpoint, bucket);
}

/** The defaults a key (by fingerprint) serves, on every endpoint. */
export function defaultsOf(db: SqliteDb, fingerprint: string): KeyDefault[] {
  return db.all<KeyDefault>(`SELECT ${DEFAULT_COLUMNS} FROM key_defaults WHERE fingerprint = ? ORDER BY endpoint, bucket, prefix`, fingerprint);
}

/** Remember references keys were found at; `used` ones get `at` as their last use too. One transaction. */
export function rememberRefs(db: SqliteDb, refs: Array<{ fingerprint: string; ref: string; used: boolean }>, at: string): void {
  if (!refs.length) return;
  db.immediate(() => {
    for (const r of refs) {
      db.run(`INSERT INTO key_refs (fingerprint, ref, seen_at, last_used) VALUES (?, ?, ?, ?)
        ON CONFLICT (fingerprint, ref) DO UPDATE SET seen_at = excluded.seen_at,
          last_used = coalesce(excluded.last_used, key_refs.last_used)`, r.fingerprint, r.ref, at, r.used ? at : null);
    }
  });
}

/** The references remembered for one key (or every key), the most recently used first. */
export function keyRefs(db: SqliteDb, fingerprint?: string): KeyRefRecord[] {
  const order = 'ORDER BY coalesce(last_used, seen_at) DESC, ref';
  const columns = 'fingerprint, ref, seen_at AS seenAt, last_used AS lastUsed';
  return fingerprint === undefined ? db.all<KeyRefRecord>(`SELECT ${columns} FROM key_refs ${order}`)
    : db.all<KeyRefRecord>(`SELECT ${columns} FROM key_refs WHERE fingerprint = ? ${order}`, fingerprint);
}
