import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type ManifestEntry, ManifestStore } from '../../src/manifest/store.js';
import { tempDir } from '../support/tempdir.js';
import { waitFor } from '../support/wait.js';

const entry = (over: Partial<ManifestEntry>): ManifestEntry => ({
  endpoint: 'https://a', bucket: 'b', key: 'k', versionId: '', fingerprint: 'fp1', size: 3, sha256: 'a'.repeat(64), etag: 'e',
  createdAt: '2026-11-27T00:00:00.000Z', mtimeMs: null, ...over,
});
const id = (e: ManifestEntry) => `${e.endpoint} ${e.bucket}/${e.key}@${e.versionId}`;

/** Objects with several versions (recorded out of key order), across endpoints and buckets, with keys S3 sorts by byte. */
function filled(): ManifestStore {
  const m = new ManifestStore(':memory:');
  const keys = ['x/b', 'x/a', 'x-y', 'x/é', 'X', 'x/c', 'y/a'];
  for (const key of keys) {
    for (const v of ['v2', 'v1', 'v3']) m.record(entry({ key, versionId: `${key}-${v}`, fingerprint: v === 'v3' ? 'fp2' : 'fp1' }));
  }
  m.record(entry({ bucket: 'a', key: 'z', versionId: 'only' }));
  m.record(entry({ endpoint: 'https://0', key: 'x/a', versionId: 'other-endpoint' }));
  return m;
}

test('entries() gives what a single query gives, in the same order, whatever the page size (objects split across pages)', () => {
  const m = filled();
  // Objects in (endpoint, bucket, key) byte order, each object's versions newest first.
  const expected = ['https://0 b/x/a@other-endpoint', 'https://a a/z@only',
    ...['X', 'x-y', 'x/a', 'x/b', 'x/c', 'x/é', 'y/a'].flatMap((k) => ['v3', 'v1', 'v2'].map((v) => `https://a b/${k}@${k}-${v}`))];
  for (const size of [1, 2, 3, 4, 5, 7, 1000]) {
    assert.deepEqual([...m.entries({}, {}, size)].map(id), expected, `page size ${size}`);
  }
  assert.deepEqual(m.list().map(id), expected);
  const scoped = [...m.entries({ endpoint: 'https://a', bucket: 'b', prefix: 'x/' }, {}, 2)].map(id);
  assert.deepEqual(scoped, expected.filter((e) => e.startsWith('https://a b/x/')));
  // Latest version per object under a key: its latest record decides, not the key's own rows.
  assert.deepEqual([...m.entries({ endpoint: 'https://a' }, { latestOnly: true, fingerprint: 'fp2' }, 2)].map(id),
    ['X', 'x-y', 'x/a', 'x/b', 'x/c', 'x/é', 'y/a'].map((k) => `https://a b/${k}@${k}-v3`));
  assert.deepEqual([...m.entries({ endpoint: 'https://a' }, { latestOnly: true, fingerprint: 'fp1' }, 2)].map(id), ['https://a a/z@only']);
  assert.deepEqual(m.olderVersions('https://a', 'fp1'), { versions: 14, objects: 7 });
  assert.deepEqual(m.olderVersions('https://a', 'fp2'), { versions: 0, objects: 0 });
});

test('entries() leaves the connection free between pages: the same store records while a caller works through them', () => {
  const m = filled();
  const seen: string[] = [];
  for (const e of m.entries({ endpoint: 'https://a', bucket: 'b' }, { latestOnly: true }, 2)) {
    seen.push(e.key);
    // A rotation writes the object's new version while the listing goes on; it is not listed again.
    m.record(entry({ key: e.key, versionId: `${e.key}-v4`, fingerprint: 'fp3' }));
  }
  assert.deepEqual(seen, ['X', 'x-y', 'x/a', 'x/b', 'x/c', 'x/é', 'y/a']);
});

test('deferred records: written in one group, visible to this store at once, to others after a flush, a settle or close', () => {
  const file = join(tempDir('sse3-defer-'), 'm.db');
  const m = new ManifestStore(file);
  const other = new ManifestStore(file);
  m.deferRecords(4, 60_000);
  m.record(entry({ key: 'a' }));
  m.record(entry({ key: 'b' }));
  assert.equal(other.count(), 0, 'not written yet');
  assert.equal(m.lookup({ endpoint: 'https://a', bucket: 'b', key: 'a' })?.key, 'a', 'this store reads its own rows');
  assert.equal(other.count(), 2, 'a read writes what waits first');
  m.record(entry({ key: 'c' }));
  m.record(entry({ key: 'd' }));
  m.record(entry({ key: 'e' }));
  m.record(entry({ key: 'f' }));
  assert.equal(other.count(), 6, 'the fourth waiting row writes the group');
  // A settled rotation's new row is on disk with it: the journal never says done for a row that is missing.
  const id = m.journalRotation({ endpoint: 'https://a', bucket: 'b', key: 'g', oldVersion: '', oldFingerprint: 'fp1',
    newFingerprint: 'fp2', size: 3, sha256: '' });
  m.record(entry({ key: 'g', fingerprint: 'fp2' }));
  assert.equal(other.lookup({ endpoint: 'https://a', bucket: 'b', key: 'g' }), undefined);
  m.settleRotation(id, 'done');
  assert.equal(other.lookup({ endpoint: 'https://a', bucket: 'b', key: 'g' })?.fingerprint, 'fp2');
  m.record(entry({ key: 'h' }));
  m.close();
  assert.equal(other.count(), 8, 'close writes the rest');
  other.close();
});

test('deferred records are written after a few milliseconds when no more come', async () => {
  const file = join(tempDir('sse3-defer-'), 'm.db');
  const m = new ManifestStore(file);
  const other = new ManifestStore(file);
  m.deferRecords(64, 5);
  m.record(entry({ key: 'a' }));
  await waitFor('the deferred row in the file, seen by another connection', () => other.count() > 0, 5_000, 5);
  assert.equal(other.count(), 1);
  m.close();
  other.close();
});
