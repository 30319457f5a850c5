// keys rm's rules (core/keys/removal.ts) over a real manifest in memory, and the whole-bucket scans keys usage, rotate
// and rm make, kept as each bucket's latest scan (manifest/bucket-scans.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keyRemovalCheck, removalRefusal } from '../../src/core/keys/removal.js';
import { scanKeyUsage } from '../../src/core/scans/usage.js';
import { ExitCode } from '../../src/errors.js';
import { encodeKey } from '../../src/keys/encode.js';
import { parseImportedKey, SseCKey } from '../../src/keys/key.js';
import { newEntry } from '../../src/manifest/entry.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const FP = 'aaaaaaaaaaaaaaaaaaaa';
const EP = 'https://removal.example';

function recordUnder(m: ManifestStore, bucket: string, key: string, fingerprint = FP): void {
  m.record(newEntry({ endpoint: EP, bucket, key }, { versionId: 'null', fingerprint, size: 1, sha256: '0'.repeat(64), etag: '"e"' }));
}

test('keys rm: recorded objects refuse without --force; a whole-bucket scan that found the key refuses even with it', () => {
  const m = new ManifestStore(':memory:');
  try {
    assert.equal(removalRefusal(keyRemovalCheck(m, FP), false), undefined, 'a key nothing needs may go');
    recordUnder(m, 'photos', 'a');
    recordUnder(m, 'photos', 'b');
    recordUnder(m, 'docs', 'c');
    recordUnder(m, 'docs', 'd', 'bbbbbbbbbbbbbbbbbbbb');
    const recorded = removalRefusal(keyRemovalCheck(m, FP), false);
    assert.equal(recorded?.code, 'KEY_IN_USE');
    assert.equal(recorded?.exitCode, ExitCode.FAILED);
    assert.match(recorded!.message, /records 3 object version\(s\) under key a{20} \(in s3:\/\/docs, s3:\/\/photos\)/);
    assert.match(recorded!.hint!, new RegExp(`sse3 keys usage ${FP} s3://docs s3://photos --versions`));
    assert.equal(removalRefusal(keyRemovalCheck(m, FP), true), undefined, '--force goes past the records');

    const keys = new Map([[FP, { objects: 1, versions: 2 }]]);
    m.recordBucketScan({ endpoint: EP, bucket: 'photos', scannedAt: '2026-12-01T00:00:00.000Z', allVersions: true, scanned: 5,
      untagged: 0, unreadable: 0, keys });
    const scanned = removalRefusal(keyRemovalCheck(m, FP), true);
    assert.equal(scanned?.code, 'KEY_IN_USE');
    assert.match(scanned!.message, /latest whole-bucket scan .* s3:\/\/photos \(2 version\(s\), scanned 2026-12-01T00:00:00.000Z\).*not even with --force/);
    // The next scan of the bucket replaces it: found unused there now, the key may go with --force.
    m.recordBucketScan({ endpoint: EP, bucket: 'photos', scannedAt: '2026-12-02T00:00:00.000Z', allVersions: true, scanned: 5,
      untagged: 0, unreadable: 0, keys: new Map() });
    assert.deepEqual(m.scansFindingKey(FP), []);
    assert.equal(removalRefusal(keyRemovalCheck(m, FP), true), undefined);
  } finally {
    m.close();
  }
});

test('a scan of a whole bucket run to its end is kept as its latest scan; a prefix or an interrupted one is not', async () => {
  const key = new SseCKey(randomBytes(32), 'unit');
  const twin = new S3Twin({ endpoint: `https://scans-${Math.random()}` });
  twin.store('b/keep/one', { body: Buffer.from('1'), keyMd5: key.keyMd5, metadata: {}, tags: { 'sse3-fp': key.fingerprint } });
  twin.store('b/two', { body: Buffer.from('2'), keyMd5: key.keyMd5, metadata: {}, tags: { 'sse3-fp': key.fingerprint } });
  twin.store('c/other', { body: Buffer.from('3'), keyMd5: key.keyMd5, metadata: {}, tags: { 'sse3-fp': key.fingerprint } });
  const s = twinSession(twin.connection(), [key]);
  try {
    await scanKeyUsage(s, [{ bucket: 'c', prefix: 'other/' }], { jobs: 2 });
    assert.deepEqual(s.manifest.scansFindingKey(key.fingerprint), [], 'a prefix is not the whole bucket');
    await scanKeyUsage(s, [{ bucket: 'b', prefix: '' }], { jobs: 2 });
    assert.deepEqual(s.manifest.scansFindingKey(key.fingerprint).map((f) => [f.endpoint, f.bucket, f.objects, f.versions, f.allVersions]),
      [[s.conn.endpoint, 'b', 2, 2, false]]);
    const stop = new AbortController();
    stop.abort();
    twin.objects.delete('b/two');
    twin.objects.delete('b/keep/one');
    await assert.rejects(scanKeyUsage({ ...s, signal: stop.signal }, [{ bucket: 'b', prefix: '' }], { jobs: 2 }));
    assert.equal(s.manifest.scansFindingKey(key.fingerprint).length, 1, 'an interrupted scan leaves the last one as it was');
    await scanKeyUsage(s, [{ bucket: 'b', prefix: '' }], { jobs: 2 });
    assert.deepEqual(s.manifest.scansFindingKey(key.fingerprint), [], 'the bucket emptied: its latest scan finds the key unused');
  } finally {
    s.close();
  }
});

test('keys export forms: each is read back by keys import as the same key; text only for a key that is a text secret', () => {
  const key = new SseCKey(randomBytes(32), 'unit');
  for (const format of ['raw', 'base64', 'hex'] as const) {
    const back = parseImportedKey(encodeKey(key, format), 'exported');
    assert.equal(back.key.fingerprint, key.fingerprint, format);
  }
  const secret = new SseCKey(Buffer.from('32bytesOfTotallyRandomCharacters'), 'unit');
  assert.equal(encodeKey(secret, 'text').toString(), '32bytesOfTotallyRandomCharacters');
  assert.equal(parseImportedKey(encodeKey(secret, 'text'), 'exported').key.fingerprint, secret.fingerprint);
  const binary = new SseCKey(Buffer.alloc(32, 0xff), 'unit');
  assert.throws(() => encodeKey(binary, 'text'), /not a text secret/);
});
