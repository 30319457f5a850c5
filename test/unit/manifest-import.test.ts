// Records that enter the manifest from outside (an export, a .db backup) get one check, field by field; open journal
// entries of another manifest are never taken in; settling an upload writes only what that upload provably wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { SseCKey } from '../../src/keys/key.js';
import { settleOrphanUploads } from '../../src/core/transfer/orphans.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { readBackupRecords } from '../../src/manifest/backup-records.js';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, type ImportedRecords, parseManifestDocument } from '../../src/manifest/document.js';
import { type ManifestEntry, ManifestStore } from '../../src/manifest/store.js';
import { Sse3Error } from '../../src/errors.js';
import { networkError, S3Twin } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';

const dir = tempDir('sse3-import-test-');
let files = 0;
const tempFile = (name: string) => join(dir, `${files++}-${name}`);

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** Beyond Linux's largest pid (2^22): never a live process. */
const DEAD_PID = 2 ** 22 + 7;
const EP = 'https://127.0.0.1:8443';
const entry = (over: Partial<ManifestEntry> = {}): ManifestEntry => ({
  endpoint: EP, bucket: 'bucket', key: 'dir/file.txt', versionId: '', fingerprint: 'f'.repeat(20), size: 3, sha256: 'a'.repeat(64),
  etag: 'd41d8cd98f00b204e9800998ecf8427e', createdAt: '2026-11-27T00:00:00.000Z', mtimeMs: null, ...over,
});

/** A manifest holding every kind of record sse3 writes, open journal entries, and an alias. */
function fullManifest(file = ':memory:'): ManifestStore {
  const m = new ManifestStore(file);
  const doc = { ...entry(), bucket: 'versioned', key: 'doc' };
  m.record({ ...doc, versionId: 'v2-mid', fingerprint: '1'.repeat(20) });
  m.record({ ...doc, versionId: 'v3-newest', fingerprint: '2'.repeat(20), sha256: '', etag: '0123456789abcdef0123456789abcdef-3' });
  m.record({ ...doc, versionId: 'v1.oldest~adopted', fingerprint: '3'.repeat(20), createdAt: '2019-01-01T00:00:00.000Z' },
    { older: true });
  m.record(entry({ key: 'plain, no checksum', sha256: '', etag: '', mtimeMs: null }));
  m.record(entry({ key: 'from a file', mtimeMs: 1_650_000_000_789, size: 0 }));
  m.record(entry({ key: 'before 1970', mtimeMs: -86_400_000 }));
  m.record(entry({ key: 'mac/Icon\r' }));
  m.record(entry({ key: `ünïcödé/名前/😀 ${'x'.repeat(1000)}`.slice(0, 1000), size: Number.MAX_SAFE_INTEGER }));
  m.record(entry({ endpoint: 'https://s3.amazonaws.com', bucket: 'Legacy_Bucket.name', key: 'k' }));
  m.record(entry({ endpoint: 'https://minio.lan:9000/s3', key: 'k' }));
  m.addAlias('https://old-name.lan:9000', 'https://minio.lan:9000/s3');
  m.journalRotation({ endpoint: EP, bucket: 'bucket', key: 'dir/file.txt', oldVersion: '', oldFingerprint: 'f'.repeat(20),
    newFingerprint: 'e'.repeat(20), size: 3, sha256: '' });
  m.beginUpload({ endpoint: EP, bucket: 'bucket', key: 'up', uploadId: 'u1', fingerprint: 'f'.repeat(20), pid: DEAD_PID,
    startedAt: '2026-11-27T00:00:00.000Z', token: 'ab'.repeat(16) });
  return m;
}

const exportText = (m: ManifestStore) => JSON.stringify({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION,
  exportedAt: new Date().toISOString(), ...m.document() });

function importInto(records: ImportedRecords): ManifestStore {
  const m = new ManifestStore(':memory:');
  m.importRecords(records);
  return m;
}

test('export → import and backup → import round-trip every record and alias; open journal entries are counted, not taken', async () => {
  const original = fullManifest();
  const backup = tempFile('backup.db');
  await original.backupTo(backup);
  const bytes = readFileSync(backup);
  for (const [how, records] of [['export', parseManifestDocument(exportText(original), 'export.json')],
    ['backup', readBackupRecords(bytes, backup)]] as const) {
    assert.deepEqual(records.notImported, { rotations: 1, uploads: 1 }, how);
    const copy = importInto(records);
    const { objects, aliases, pendingRotations, pendingUploads } = copy.document();
    assert.deepEqual(objects, original.document().objects, `${how}: every record, in order, with every field`);
    assert.deepEqual(aliases, original.aliases(), how);
    assert.deepEqual([pendingRotations, pendingUploads], [[], []], `${how}: no journal entry of another manifest`);
    assert.equal(copy.lookup({ endpoint: EP, bucket: 'versioned', key: 'doc' })?.versionId, 'v3-newest', `${how}: latest stays latest`);
    assert.deepEqual(copy.importRecords(records), { added: 0, alreadyRecorded: 10, aliases: 0 }, `${how}: twice adds nothing`);
  }
  assert.deepEqual(readFileSync(backup), bytes, 'the backup file is left as it was');
  // An export keeps its journal for the user to see, but never an upload's token (the proof of what it wrote).
  const exported = JSON.parse(exportText(original));
  assert.deepEqual(Object.keys(exported.pendingUploads[0]).sort(), ['bucket', 'endpoint', 'fingerprint', 'key', 'pid', 'startedAt',
    'uploadId']);
});

const good = entry({ bucket: 'bkt', key: 'k' });
const docWith = (objects: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ format: DOCUMENT_FORMAT, version: DOCUMENT_VERSION, objects, ...extra });
const refusal = (text: string): Sse3Error => {
  try {
    parseManifestDocument(text, 'f.json');
  } catch (e) {
    assert.ok(e instanceof Sse3Error);
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail('accepted');
};

test('every field of an imported record is checked; the first bad one is named, never its value', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['fingerprint', 'F'.repeat(20), /fingerprint \(20 lowercase hex/], ['fingerprint', 'f'.repeat(19), /fingerprint/],
    ['fingerprint', `\u001b[31m${'f'.repeat(15)}`, /fingerprint/], ['fingerprint', undefined, /fingerprint is missing/],
    ['sha256', 'a'.repeat(63), /SHA-256/], ['sha256', 'A'.repeat(64), /SHA-256/], ['sha256', 5, /SHA-256/],
    ['size', -5, /size \(a whole number/], ['size', 1.5, /size/], ['size', '5', /size/], ['size', 2 ** 53, /size/],
    ['bucket', 'a', /bucket name/], ['bucket', 'b/c', /bucket name/], ['bucket', 'x'.repeat(256), /bucket name/],
    ['key', '', /object key/], ['key', 'a\u0000b', /object key/],
    ['key', 'lone \ud800 surrogate', /object key/], ['key', 'é'.repeat(513), /object key/],
    ['versionId', 'v 1', /version id/], ['versionId', 'v\n', /version id/], ['versionId', 'vé', /version id/], ['versionId', null, /version id/],
    ['etag', '"quoted"', /ETag/], ['etag', 'a b', /ETag/],
    ['createdAt', 'yesterday', /date/], ['createdAt', '2026-02-31T00:00:00.000Z', /date/], ['createdAt', '2026-01-01', /date/],
    ['createdAt', 1700000000000, /date/],
    ['mtimeMs', 1.5, /modification time/], ['mtimeMs', '5', /modification time/], ['mtimeMs', 9e15, /modification time/],
    ['endpoint', 'http://127.0.0.1:8443', /https:\/\/ endpoint/], ['endpoint', 'not a url', /https:\/\/ endpoint/],
    ['endpoint', 'ftp://host', /https:\/\/ endpoint/], ['endpoint', 443, /https:\/\/ endpoint/],
  ];
  for (const [field, value, message] of bad) {
    const e = refusal(docWith([good, good, { ...good, [field]: value }]));
    const label = `${field} = ${JSON.stringify(value)}`;
    assert.match(e.message, new RegExp(`^f\\.json is not a valid sse3 manifest export: objects\\[2\\]\\.${field} `), label);
    assert.match(e.message, message, label);
    if (typeof value === 'string' && value.length > 2) assert.ok(!e.message.includes(value), `${label}: not echoed`);
    assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, label);
  }
  for (const [aliases, message] of [[[{ alias: 'http://x.test', endpoint: EP }], /aliases\[0\]\.alias is not an https/],
    [[{ alias: 'https://x.test', endpoint: 'http://y.test' }], /aliases\[0\]\.endpoint is not an https/],
    [[{ alias: 'https://x.test' }], /aliases\[0\]\.endpoint is missing/], [['https://x.test'], /aliases\[0\] is not a record/]] as const) {
    assert.match(refusal(docWith([good], { aliases })).message, message);
  }
  assert.match(refusal(docWith([good], { pendingUploads: {} })).message, /"pendingUploads" is not a list/);
  assert.match(refusal(docWith([null])).message, /objects\[0\] is not a record/);
});

test('what an import accepts: endpoints in the manifest\'s identity, absent optional fields, the limits themselves', () => {
  const r = parseManifestDocument(docWith([
    { ...good, endpoint: 'https://LocalHost:8443/', sha256: null, mtimeMs: undefined, extra: 'left out' },
    { ...good, key: 'é'.repeat(512), endpoint: 'https://s3.example.com:443', versionId: 'null', size: 0 },
    // Names local files and S3 keys have, which sync uploads as they are: control characters are data.
    { ...good, key: 'photos/Icon\r' }, { ...good, key: 'tab\there/new\nline\u007f' }, { ...good, key: 'a\u001b[31mb\u009b2J' },
  ], { aliases: [{ alias: 'https://Old.Example.com./', endpoint: 'https://[::1]:8443' }] }), 'f.json');
  assert.deepEqual(r.objects[0], { ...good, endpoint: 'https://127.0.0.1:8443', sha256: '', mtimeMs: null, lastModified: null,
    modifiedBefore: null });
  assert.equal(r.objects[1].endpoint, 'https://s3.example.com');
  assert.equal(r.objects[1].versionId, 'null', 'S3\'s "null" version is kept as the version it names');
  assert.equal(r.objects[4].key, 'a\u001b[31mb\u009b2J');
  assert.deepEqual(r.aliases, [{ alias: 'https://old.example.com', endpoint: 'https://127.0.0.1:8443' }]);
  // Exports of older sse3 versions list open rotations and uploads in their own shapes: counted, never checked or taken.
  const legacy = parseManifestDocument(docWith([good], { pendingRotations: [{ anything: 1 }, {}], pendingUploads: [{}] }), 'f.json');
  assert.deepEqual(legacy.notImported, { rotations: 2, uploads: 1 });
});

test('one version given twice (two spellings of one server) is imported once, its first (newest) record winning', () => {
  const r = parseManifestDocument(docWith([{ ...good, endpoint: 'https://localhost:8443', fingerprint: '1'.repeat(20) },
    { ...good, endpoint: 'https://127.0.0.1:8443/', fingerprint: '2'.repeat(20) }]), 'f.json');
  const m = importInto(r);
  assert.deepEqual(m.list().map((e) => [e.endpoint, e.fingerprint]), [[EP, '1'.repeat(20)]]);
});

/** A backup made by the store itself, then changed with SQL as a crafted file would be. */
async function tamperedBackup(sql: string): Promise<{ file: string; bytes: Buffer }> {
  const m = new ManifestStore(':memory:');
  m.record(entry({ key: 'a' }));
  m.record(entry({ key: 'b' }));
  const file = tempFile('tampered.db');
  await m.backupTo(file);
  m.close();
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return { file, bytes: readFileSync(file) };
}

test('a .db backup is read row by row through the same checks: bad values, wrong types, views and damage are refused', async () => {
  const cases: Array<[string, RegExp]> = [
    ["UPDATE objects SET fingerprint = char(27) || '[2J' WHERE key = 'b'", /objects\[1\]\.fingerprint is not a valid fingerprint/],
    ["UPDATE objects SET size = -5 WHERE key = 'b'", /objects\[1\]\.size is not a valid size/],
    ["UPDATE objects SET size = 'five' WHERE key = 'b'", /objects\[1\]\.size is not a valid size/],
    [`UPDATE objects SET size = ${2n ** 60n} WHERE key = 'b'`, /objects\[1\]\.size is not a valid size/],
    ["UPDATE objects SET fingerprint = CAST('ffffffffffffffffffff' AS BLOB) WHERE key = 'b'", /objects\[1\]\.fingerprint/],
    ["UPDATE objects SET endpoint = 'http://127.0.0.1:8443' WHERE key = 'a'", /objects\[0\]\.endpoint is not an https/],
    ["UPDATE objects SET created_at = 'now' WHERE key = 'b'", /objects\[1\]\.createdAt is not a valid date/],
    ["INSERT INTO endpoint_aliases VALUES ('http://evil.test', 'https://127.0.0.1:8443')", /aliases\[0\]\.alias is not an https/],
    ['CREATE TABLE o2 AS SELECT * FROM objects; DROP TABLE objects; CREATE VIEW objects AS SELECT * FROM o2',
      /objects is not a table/],
    ['ALTER TABLE objects DROP COLUMN etag', /objects has no column etag/],
    ['DROP TABLE objects', /it has no table objects/],
  ];
  for (const [sql, message] of cases) {
    const { file, bytes } = await tamperedBackup(sql);
    assert.throws(() => readBackupRecords(bytes, file), (e) => e instanceof Sse3Error && e.exitCode === 2 &&
      e.message.startsWith(`${file} is not a sound sse3 manifest backup: `) && message.test(e.message) &&
      !/[\u0000-\u001f]/.test(e.message), sql);
  }
  const garbage = Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(4096)]);
  assert.throws(() => readBackupRecords(garbage, 'g.db'), /g\.db is not a sound sse3 manifest backup: /);
});

test('a backup of an older manifest (no mtime column, no alias table) still imports; open journal rows are only counted', async () => {
  const { file, bytes } = await tamperedBackup(`ALTER TABLE objects DROP COLUMN mtime_ms; DROP TABLE endpoint_aliases;
    INSERT INTO rotations (endpoint, bucket, key, old_version, old_fp, new_fp, size, sha256, state, pid, started_at)
      VALUES ('x', 'y', 'z', '', 'not checked', 'not checked', -1, '', 'pending', 1, 'then'),
             ('x', 'y', 'z', '', 'a', 'b', 0, '', 'done', 1, 'then');
    INSERT INTO uploads (endpoint, bucket, key, upload_id, fingerprint, pid, started_at) VALUES ('x', 'y', 'z', 'u', 'f', 1, 'then')`);
  const r = readBackupRecords(bytes, file);
  assert.deepEqual(r.objects.map((e) => [e.key, e.mtimeMs]), [['a', null], ['b', null]]);
  assert.deepEqual([r.aliases, r.notImported], [[], { rotations: 1, uploads: 1 }]);
});

// Settling an upload a killed sse3 left: only an object that carries the upload's own token is recorded and tagged.
const key = new SseCKey(randomBytes(32), 'test');
const findKey = async (fp: string) => (fp === key.fingerprint ? key : undefined);
const LOC = { endpoint: 'https://twin', bucket: 'b', key: 'doc' };

test('an upload whose answers were lost after it completed is recorded and tagged by the next run', async () => {
  const manifest = new ManifestStore(':memory:');
  const data = randomBytes(5000);
  // The HEAD that confirms the completed upload gets no answer: the object exists, unrecorded, its upload journalled.
  let heads = 0;
  const lossy = new S3Twin({ errorFor: (op) => (op === 'HeadObject' && heads++ === 0 ? networkError() : undefined) });
  await assert.rejects(uploadObject({ io: { conn: lossy.connection(), manifest }, target: { bucket: 'b', key: 'doc', sseKey: key },
    source: { kind: 'stream', body: (await import('node:stream')).Readable.from([data]) }, tuning: { partSize: 1024 } }));
  assert.equal(manifest.count(), 0);
  assert.equal(manifest.pendingUploads().length, 1);

  assert.equal(await settleOrphanUploads({ conn: lossy.connection(), manifest }, findKey, assert.fail), 1);
  assert.deepEqual(manifest.pendingUploads(), []);
  const row = manifest.lookup(LOC)!;
  assert.deepEqual([row.fingerprint, row.sha256, row.size], [key.fingerprint, sha(data), data.length]);
  const stored = lossy.objects.get('b/doc')!;
  assert.deepEqual(stored.tags, { 'sse3-fp': key.fingerprint, 'sse3-sha256': sha(data), 'sse3-upload': stored.metadata['sse3-upload'] });
});

test('a journalled upload naming an object it did not write neither rewrites its tags nor replaces its row', async () => {
  for (const token of [undefined, 'cd'.repeat(16)]) {
    const twin = new S3Twin();
    const manifest = new ManifestStore(':memory:');
    const data = randomBytes(700);
    const ownTags = { 'sse3-fp': key.fingerprint, 'sse3-sha256': sha(data), owner: 'me' };
    twin.store('b/doc', { body: data, keyMd5: key.keyMd5, metadata: { 'sse3-upload': 'ab'.repeat(16) }, tags: { ...ownTags } });
    manifest.record(entry({ ...LOC, fingerprint: key.fingerprint, size: data.length, sha256: sha(data) }));
    const rowBefore = manifest.lookup(LOC);
    // Right key, right size, dead process, completed: all a journal entry written by someone else can get right.
    manifest.beginUpload({ ...LOC, uploadId: 'crafted', fingerprint: key.fingerprint, pid: DEAD_PID, startedAt: 'then', token });
    manifest.completingUpload(LOC, 'crafted', 'f'.repeat(64), data.length);

    await settleOrphanUploads({ conn: twin.connection(), manifest }, findKey, assert.fail);
    const label = token ? 'another token' : 'no token';
    assert.deepEqual(twin.objects.get('b/doc')!.tags, ownTags, `${label}: tags untouched`);
    assert.ok(!twin.requests.some((q) => q.op === 'PutObjectTagging'), label);
    assert.deepEqual(manifest.lookup(LOC), rowBefore, `${label}: row untouched`);
    assert.deepEqual(manifest.pendingUploads(), [], `${label}: the entry is settled, not retried forever`);
  }
});
