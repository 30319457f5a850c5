// S3's "null" version in the manifest: a row names one version, "null" included, in the database, after a manifest of
// an older sse3 is opened, and through export and import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { sameVersion } from '../../src/core/recorded.js';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, parseManifestDocument } from '../../src/manifest/document.js';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';
import { tempDir } from '../support/tempdir.js';

const EP = 'https://127.0.0.1:8443';
const LOC = { endpoint: EP, bucket: 'bucket', key: 'o' };
const FP_A = 'a'.repeat(20);
const FP_B = 'b'.repeat(20);

/** A manifest holding the null version (under A) and a later version v2 (under B) of one object. */
function twoVersions(file = ':memory:'): ManifestStore {
  const m = new ManifestStore(file);
  m.record(newEntry(LOC, { versionId: '', fingerprint: FP_A, size: 1 }));
  m.record(newEntry(LOC, { versionId: 'v2', fingerprint: FP_B, size: 2 }));
  return m;
}

test('a write answered without a version id is recorded as the version S3 names "null", apart from the current one', () => {
  const m = twoVersions();
  assert.deepEqual(m.versions(LOC).map((v) => [v.versionId, v.fingerprint]), [['v2', FP_B], ['null', FP_A]]);
  assert.equal(m.lookup(LOC, 'null')?.fingerprint, FP_A);
  assert.equal(m.lookup(LOC)?.fingerprint, FP_B, 'the latest record is v2');
  // An older version under A: what rotation and keys usage count.
  assert.deepEqual(m.olderVersions(EP, FP_A), { versions: 1, objects: 1 });
  assert.equal(m.remove(LOC, 'null'), true);
  assert.deepEqual(m.versions(LOC).map((v) => v.versionId), ['v2']);
  m.close();
});

test('a manifest of an older sse3 (the null version kept as \'\') is brought up to date when opened', () => {
  const file = join(tempDir('sse3-null-version-'), 'manifest.db');
  twoVersions(file).close();
  const raw = new Database(file);
  raw.prepare("UPDATE objects SET version_id = '' WHERE version_id = 'null'").run();
  raw.prepare("INSERT INTO pulled_versions (endpoint, bucket, key, version_id, stamp, tagged) VALUES (?, 'bucket', 'o', '', 's', 1)").run(EP);
  raw.prepare("DELETE FROM counters WHERE name = 'null-version-rule'").run();
  raw.close();
  const m = new ManifestStore(file);
  assert.deepEqual(m.versions(LOC).map((v) => [v.versionId, v.fingerprint]), [['v2', FP_B], ['null', FP_A]]);
  assert.deepEqual([...m.pullState({ endpoint: EP, bucket: 'bucket', key: 'o' }).pulled.keys()], ['null']);
  m.close();
});

test('export and import keep "null" as the version it names; an older export\'s \'\' is imported as "null"', () => {
  const original = twoVersions();
  const text = JSON.stringify({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION, exportedAt: new Date().toISOString(),
    ...original.document() });
  original.close();
  assert.deepEqual(JSON.parse(text).objects.map((o: { versionId: string }) => o.versionId), ['v2', 'null']);
  for (const exported of [text, text.replace('"versionId":"null"', '"versionId":""')]) {
    const copy = new ManifestStore(':memory:');
    copy.importRecords(parseManifestDocument(exported, 'export.json'));
    assert.deepEqual(copy.versions(LOC).map((v) => [v.versionId, v.fingerprint]), [['v2', FP_B], ['null', FP_A]]);
    copy.close();
  }
});

test('a listed "null" version is the recorded one only while its time says so: every unversioned write replaces it', () => {
  const t1 = new Date('2026-12-01T10:00:00.000Z');
  const t2 = new Date('2026-12-01T11:00:00.000Z');
  const record = { versionId: 'null', size: 5, etag: 'e', lastModified: t1.toISOString(), modifiedBefore: null };
  assert.deepEqual(sameVersion(record, { versionId: 'null', size: 5, etag: 'e', lastModified: t1 }), { same: true });
  assert.deepEqual(sameVersion(record, { versionId: 'null', size: 5, etag: 'e', lastModified: t2 }), { same: false, why: 'changed' },
    'overwritten in place, same size and ETag (Ceph keeps a re-encrypted object\'s ETag)');
  assert.deepEqual(sameVersion({ ...record, versionId: 'v1' }, { versionId: 'null', size: 5, etag: 'e', lastModified: t1 }),
    { same: false, why: 'changed' });
  assert.deepEqual(sameVersion({ ...record, versionId: 'v1' }, { versionId: 'v1', size: 5, etag: 'e', lastModified: t2 }),
    { same: true, pin: t2.toISOString() }, 'a version id that names one write never changes');
});
