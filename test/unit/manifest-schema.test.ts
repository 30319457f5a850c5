import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestStore, openManifestReplacingDamaged } from '../../src/manifest/store.js';
import { SqliteDb } from '../../src/manifest/sqlite.js';

const here = 'https://127.0.0.1:8443';

test('a manifest made before uploads carried a checksum and a token gains the columns and keeps its uploads', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-schema-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'old.db');
  // The uploads table as the first sse3 made it.
  const db = new SqliteDb(file);
  db.exec(`CREATE TABLE uploads (endpoint TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, upload_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL, PRIMARY KEY (endpoint, bucket, key, upload_id))`);
  db.run('INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?)', here, 'b', 'k', 'u1', 'f'.repeat(20), 7, '2026-01-01T00:00:00.000Z');
  db.close();

  const m = new ManifestStore(file);
  assert.deepEqual(m.pendingUploads(), [{ endpoint: here, bucket: 'b', key: 'k', uploadId: 'u1', fingerprint: 'f'.repeat(20), pid: 7,
    startedAt: '2026-01-01T00:00:00.000Z' }]);
  m.completingUpload({ endpoint: here, bucket: 'b', key: 'k' }, 'u1', 'c'.repeat(64), 5);
  m.beginUpload({ endpoint: here, bucket: 'b', key: 'k2', uploadId: 'u2', fingerprint: 'f'.repeat(20), pid: 7, startedAt: 'then', token: 'tk' });
  m.close();
  // Opened again: nothing to migrate, nothing lost.
  const again = new ManifestStore(file);
  const byId = new Map(again.pendingUploads().map((u) => [u.uploadId, u]));
  assert.deepEqual(byId.get('u1')?.completing, { sha256: 'c'.repeat(64), size: 5 });
  assert.equal(byId.get('u2')?.token, 'tk');
  again.close();
});

test('a manifest that is not a database is reported damaged and left as it was; replacing it moves it aside, never deletes it',
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-schema-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'manifest.db');
    const garbage = Buffer.from('this is not SQLite '.repeat(300));
    writeFileSync(file, garbage);
    assert.throws(() => new ManifestStore(file), (e: Error & { code?: string; hint?: string }) =>
      e.code === 'MANIFEST_DAMAGED' && e.message.includes(file) && /sse3 manifest rebuild/.test(e.hint ?? ''));
    assert.deepEqual(readFileSync(file), garbage);

    const { manifest, movedAside } = openManifestReplacingDamaged(file);
    assert.equal(manifest.count(), 0);
    manifest.close();
    assert.deepEqual(readFileSync(movedAside!), garbage);
  });
