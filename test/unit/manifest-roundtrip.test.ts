// Export → import (and backup → import) round-trips every state the manifest can hold: states made at random, from a
// seed, through the store's own API — objects with and without checksums, versions, file times, odd keys, aliases,
// open rotations of both kinds (a plain object's has no old fingerprint) and open uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBackupRecords } from '../../src/manifest/backup-records.js';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, parseManifestDocument } from '../../src/manifest/document.js';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';
import { tempDir } from '../support/tempdir.js';

const dir = tempDir('sse3-roundtrip-test-');

/** mulberry32: a small seeded generator, so a failing state can be made again from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
  const chance = (p: number) => next() < p;
  return { next, int, pick, hex, chance };
}
type Random = ReturnType<typeof random>;

/** What a file name or S3 key may hold: any text, control characters (ESC, C1, CR, tab, newline) and emoji included. */
const KEY_PIECES = ['photos/', 'a', 'Z', ' ', '..', '.', '/', '//', '\t', '\n', '\r', '\u001b[31m', '\u0085', '\u009b2J', '\u007f',
  '\u0001', 'é', 'ß', '名前', '😀', '\u200b', '%2F', '?', '#', '&', '"', "'", '\\', '*', 'Icon\r', '\u{10ffff}', '\ufeff'];

function objectKey(r: Random): string {
  if (r.chance(0.05)) return `${'k'.repeat(1020)}/end`.slice(0, 1024);
  if (r.chance(0.05)) return '😀'.repeat(256);
  let key = '';
  for (let i = 1 + r.int(8); i > 0; i--) key += r.pick(KEY_PIECES);
  return key;
}

const ENDPOINTS = ['https://127.0.0.1:8443', 'https://s3.amazonaws.com', 'https://minio.lan:9000/s3', 'https://s3.eu-west-1.amazonaws.com',
  'https://storage.example.com/path/to/s3', 'https://[2001:db8::1]:9000', 'https://xn--bcher-kva.example'];
const BUCKETS = ['bk', 'bucket', 'Legacy_Bucket.name', 'photos-2026', '0123456789', `b${'x'.repeat(62)}`];
/** Times a file or an object may have: before 1970, today, far ahead, the edges of what JavaScript dates hold. */
const MTIMES = [null, undefined, 0, -1, -86_400_000, 1_700_000_000_123, 253_402_300_799_999, 8.64e15, -8.64e15, 1e17, -1e17,
  2 ** 53 + 2, Number.MAX_SAFE_INTEGER];
const DATES = ['2026-11-27T10:00:00.000Z', '1970-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z',
  '2024-02-29T12:34:56.789Z'];

function versionId(r: Random): string {
  return r.pick(['', '', r.hex(32), `3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo${r.int(10)}`,
    `v${r.int(1000)}.${r.hex(4)}~_-`]);
}

/** A manifest in a random state, built as sse3 builds it: records, versions found later, aliases, open journals. */
function randomState(seed: number, file: string): ManifestStore {
  const r = random(seed);
  const m = new ManifestStore(file);
  const objects = 1 + r.int(12);
  for (let o = 0; o < objects; o++) {
    const loc = { endpoint: r.pick(ENDPOINTS).replace('[2001:db8::1]', '[2001:db8::1]'), bucket: r.pick(BUCKETS), key: objectKey(r) };
    for (let v = 1 + r.int(3); v > 0; v--) {
      m.record(newEntry(loc, {
        versionId: versionId(r), fingerprint: r.hex(20), size: r.pick([0, 1, r.int(1e9), 5 * 1024 ** 4, Number.MAX_SAFE_INTEGER]),
        sha256: r.chance(0.6) ? r.hex(64) : undefined, etag: r.pick(['', r.hex(32), `${r.hex(32)}-${1 + r.int(10000)}`, `"${r.hex(32)}"`, `W/"${r.hex(8)}"`, 'a b', 'é']),
        createdAt: r.pick(DATES), mtimeMs: r.pick(MTIMES),
        // What a listing showed of the version, or (a version sse3 wrote) a bound of it.
        lastModified: r.pick([null, undefined, ...DATES]), modifiedBefore: r.pick([null, undefined, ...DATES]),
      }), { older: r.chance(0.2) });
      if (r.chance(0.1)) m.setMtime(loc, '', r.pick(MTIMES) ?? 0);
      if (r.chance(0.1)) m.setSha256(loc, '', r.hex(64), { modifiedBefore: r.pick([null, ...DATES]) });
    }
  }
  for (let a = r.int(3); a > 0; a--) m.addAlias(r.pick(ENDPOINTS), r.pick(ENDPOINTS));
  for (let j = r.int(3); j > 0; j--) {
    // adopt --encrypt-plain journals a plain object's encryption with no old fingerprint.
    m.journalRotation({ endpoint: r.pick(ENDPOINTS), bucket: r.pick(BUCKETS), key: objectKey(r), oldVersion: versionId(r),
      oldFingerprint: r.chance(0.5) ? '' : r.hex(20), newFingerprint: r.hex(20), size: r.int(1e6), sha256: r.chance(0.5) ? r.hex(64) : '' });
  }
  for (let u = r.int(3); u > 0; u--) {
    const upload = { endpoint: r.pick(ENDPOINTS), bucket: r.pick(BUCKETS), key: objectKey(r), uploadId: `${r.hex(8)}~${r.hex(24)}`,
      fingerprint: r.hex(20), pid: 1 + r.int(4_000_000), startedAt: r.pick(DATES), token: r.chance(0.8) ? r.hex(32) : undefined };
    m.beginUpload(upload);
    if (r.chance(0.5)) m.completingUpload(upload, upload.uploadId, r.hex(64), r.int(1e9));
  }
  return m;
}

const exportText = (m: ManifestStore) => JSON.stringify({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION,
  exportedAt: new Date().toISOString(), ...m.document() }, null, 2);

test('export → import and backup → import round-trip every state the manifest can hold (150 random states)', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const original = randomState(seed, ':memory:');
    const state = original.document();
    const backup = join(dir, `backup-${seed}.db`);
    original.backupTo(backup);
    const sources = {
      export: () => parseManifestDocument(exportText(original), 'export.json'),
      backup: () => readBackupRecords(readFileSync(backup), backup),
    };
    for (const [how, read] of Object.entries(sources)) {
      const where = `seed ${seed}, ${how}`;
      const records = read();
      assert.deepEqual(records.notImported, { rotations: state.pendingRotations.length, uploads: state.pendingUploads.length },
        `${where}: open journal entries are counted, not taken`);
      const copy = new ManifestStore(':memory:');
      copy.importRecords(records);
      assert.deepEqual(copy.document().objects, state.objects, `${where}: every record, in order, with every field`);
      assert.deepEqual(copy.aliases(), state.aliases, where);
      assert.equal(exportText(copy).length > 0, true);
      assert.deepEqual(copy.importRecords(records).added, 0, `${where}: importing twice adds nothing`);
      assert.deepEqual(original.importRecords(records).added, 0, `${where}: into the manifest it came from: nothing new`);
      copy.close();
    }
    original.close();
  }
});
