import type { SqliteDb } from './sqlite.js';

// What the latest scan of a whole bucket's sse3-fp tags found (tables bucket_scans and bucket_scan_fingerprints): which keys
// its objects need, whoever wrote them. keys rm reads it: a key the latest whole-bucket scan found in use is never
// removed, even with --force. One scan per bucket is kept, the latest, replacing the one before.

export const BUCKET_SCAN_TABLES = `
CREATE TABLE IF NOT EXISTS bucket_scans (
  endpoint     TEXT NOT NULL,
  bucket       TEXT NOT NULL,
  scanned_at   TEXT NOT NULL,
  all_versions INTEGER NOT NULL,
  scanned      INTEGER NOT NULL,
  untagged     INTEGER NOT NULL,
  unreadable   INTEGER NOT NULL,
  PRIMARY KEY (endpoint, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_scan_fingerprints (
  endpoint    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  objects     INTEGER NOT NULL,
  versions    INTEGER NOT NULL,
  PRIMARY KEY (endpoint, bucket, fingerprint)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bucket_scan_fingerprints_by_fp ON bucket_scan_fingerprints (fingerprint);
`;

/** One finished scan of every object (or, with allVersions, every version) of a bucket. */
export interface BucketScan {
  endpoint: string;
  bucket: string;
  /** When the scan ended (ISO 8601). */
  scannedAt: string;
  /** Older versions were scanned too (keys usage --versions, and the scans of rotate and rm). */
  allVersions: boolean;
  scanned: number;
  /** Versions whose key the scan could not tell (no sse3-fp tag on an SSE-C object; tags that could not be read). */
  untagged: number;
  unreadable: number;
  /** Per fingerprint: current versions and versions that need the key. */
  keys: Map<string, { objects: number; versions: number }>;
}

/** A bucket whose latest whole-bucket scan found objects that need a key. */
export interface ScanFinding {
  endpoint: string;
  bucket: string;
  scannedAt: string;
  allVersions: boolean;
  objects: number;
  versions: number;
}

/** Keep a finished whole-bucket scan as that bucket's latest, in one transaction. */
export function recordBucketScan(db: SqliteDb, scan: BucketScan): void {
  db.immediate(() => {
    db.run('DELETE FROM bucket_scan_fingerprints WHERE endpoint = ? AND bucket = ?', scan.endpoint, scan.bucket);
    db.run(`INSERT OR REPLACE INTO bucket_scans (endpoint, bucket, scanned_at, all_versions, scanned, untagged, unreadable)
      VALUES (?, ?, ?, ?, ?, ?, ?)`, scan.endpoint, scan.bucket, scan.scannedAt, scan.allVersions ? 1 : 0, scan.scanned,
    scan.untagged, scan.unreadable);
    for (const [fingerprint, use] of scan.keys) {
      db.run('INSERT INTO bucket_scan_fingerprints (endpoint, bucket, fingerprint, objects, versions) VALUES (?, ?, ?, ?, ?)',
        scan.endpoint, scan.bucket, fingerprint, use.objects, use.versions);
    }
  });
}

/** The buckets whose latest whole-bucket scan found versions that need the key, by endpoint and bucket. */
export function scansFindingKey(db: SqliteDb, fingerprint: string): ScanFinding[] {
  return db.all<Omit<ScanFinding, 'allVersions'> & { allVersions: number }>(`SELECT s.endpoint, s.bucket, s.scanned_at AS scannedAt,
    s.all_versions AS allVersions, k.objects, k.versions FROM bucket_scan_fingerprints k
    JOIN bucket_scans s ON s.endpoint = k.endpoint AND s.bucket = k.bucket
    WHERE k.fingerprint = ? AND k.versions > 0 ORDER BY s.endpoint, s.bucket`, fingerprint)
    .map((r) => ({ ...r, allVersions: r.allVersions === 1 }));
}
