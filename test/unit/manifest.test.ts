import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { type ManifestEntry, ManifestStore } from '../../src/manifest/store.js';
import { endpointIdentityOf } from '../../src/s3/endpoint.js';
import { tempDir } from '../support/tempdir.js';

const loc = { endpoint: 'https://127.0.0.1:8443', bucket: 'b', key: 'dir/file.txt' };
const entry = (over: Partial<ManifestEntry>): ManifestEntry => ({
  ...loc, versionId: '', fingerprint: 'f'.repeat(20), size: 3, sha256: 'a'.repeat(64), etag: 'etag',
  createdAt: '2026-11-27T00:00:00.000Z', ...over,
});

test('record and look up by object; latest write wins; versions are kept apart', () => {
  const m = new ManifestStore(':memory:');
  assert.equal(m.lookup(loc), undefined);
  m.record(entry({ versionId: 'v1', fingerprint: 'one' }));
  m.record(entry({ versionId: 'v2', fingerprint: 'two' }));
  assert.equal(m.lookup(loc)?.fingerprint, 'two');
  assert.equal(m.lookup(loc, 'v1')?.fingerprint, 'one');
  assert.equal(m.lookup(loc, 'v3'), undefined);
  assert.deepEqual(m.versions(loc).map((e) => e.versionId), ['v2', 'v1']);
  assert.equal(m.lookup({ ...loc, endpoint: 'https://other' }), undefined);
  // Overwriting an unversioned object replaces its row.
  m.record(entry({ key: 'plain', fingerprint: 'x' }));
  m.record(entry({ key: 'plain', fingerprint: 'y' }));
  assert.equal(m.lookup({ ...loc, key: 'plain' })?.fingerprint, 'y');
  assert.equal(m.count(), 3);
});

test('pending multipart uploads are recorded until ended', () => {
  const m = new ManifestStore(':memory:');
  m.beginUpload({ ...loc, uploadId: 'u1', fingerprint: 'f', pid: 1, startedAt: 'now' });
  m.beginUpload({ ...loc, uploadId: 'u2', fingerprint: 'f', pid: 1, startedAt: 'now' });
  m.endUpload(loc, 'u1');
  assert.deepEqual(m.pendingUploads().map((u) => u.uploadId), ['u2']);
  assert.deepEqual(m.pendingUploads('https://elsewhere'), []);
});

test('the manifest holds no key material: no table of its schema has a column for it', () => {
  const dir = tempDir('sse3-manifest-');
  const file = join(dir, 'm.db');
  const m = new ManifestStore(file);
  m.record(entry({}));
  const row = m.lookup(loc)!;
  assert.deepEqual(Object.keys(row).sort(),
    ['bucket', 'createdAt', 'endpoint', 'etag', 'fingerprint', 'key', 'lastModified', 'modifiedBefore', 'mtimeMs', 'sha256', 'size',
      'versionId']);
  m.close();

  // The schema as SQLite sees it: every table and view, and each one's columns from PRAGMA table_xinfo
  // (table_info plus hidden and generated columns). A new table or column must be added here knowingly.
  const db = new Database(file, { readOnly: true });
  const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
    ORDER BY name`).all() as Array<{ name: string }>).map((t) => t.name);
  const schema = Object.fromEntries(tables.map((t) =>
    [t, (db.prepare(`PRAGMA table_xinfo("${t}")`).all() as { name: string }[]).map((c) => c.name)]));
  db.close();
  assert.deepEqual(schema, {
    bucket_scan_fingerprints: ['endpoint', 'bucket', 'fingerprint', 'objects', 'versions'],
    bucket_scans: ['endpoint', 'bucket', 'scanned_at', 'all_versions', 'scanned', 'untagged', 'unreadable'],
    counters: ['name', 'value'],
    endpoint_aliases: ['alias', 'endpoint'],
    // A reference says where a key lives (file:PATH, env:VAR, keychain:NAME), never what it is.
    key_defaults: ['endpoint', 'bucket', 'prefix', 'ref', 'fingerprint', 'set_at'],
    key_refs: ['fingerprint', 'ref', 'seen_at', 'last_used'],
    local_hashes: ['path', 'size', 'mtime_ms', 'ctime_ms', 'ino', 'sha256'],
    objects: ['endpoint', 'bucket', 'key', 'version_id', 'fingerprint', 'size', 'sha256', 'etag', 'created_at', 'seq', 'mtime_ms',
      'last_modified', 'modified_before'],
    pulled_versions: ['endpoint', 'bucket', 'key', 'version_id', 'stamp', 'tagged'],
    rotations: ['id', 'endpoint', 'bucket', 'key', 'old_version', 'old_fp', 'new_fp', 'size', 'sha256', 'state', 'pid',
      'started_at', 'settled_at'],
    uploads: ['endpoint', 'bucket', 'key', 'upload_id', 'fingerprint', 'pid', 'started_at', 'sha256', 'size', 'token'],
  });
  // `key` is the object's name in its bucket; nothing else may be named after a key, secret or key MD5.
  for (const [table, columns] of Object.entries(schema)) {
    for (const c of columns) assert.ok(c === 'key' || !/key|secret|md5|material/i.test(c), `${table}.${c}`);
  }
});

test('8 processes writing 150 rows each at once lose nothing', async () => {
  const dir = tempDir('sse3-manifest-');
  const file = join(dir, 'manifest.db');
  new ManifestStore(file).close();
  const writer = new URL('../fixtures/manifest-writer.js', import.meta.url).pathname;
  const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, [writer, file, String(i), '150'], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', resolve);
  })));
  assert.deepEqual(codes, Array(8).fill(0));
  const m = new ManifestStore(file);
  assert.equal(m.count(), 1200);
  assert.equal(m.lookup({ ...loc, key: 'w7/o149' })?.fingerprint, 'fp7');
  m.close();
});

test('a manifest made before mtimes were kept gains the column and keeps its rows', () => {
  const dir = tempDir('sse3-manifest-');
  const file = join(dir, 'old.db');
  // The objects table as sse3 created it before this column existed.
  const db = new Database(file);
  db.exec(`CREATE TABLE objects (endpoint TEXT NOT NULL, bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, etag TEXT NOT NULL, created_at TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (endpoint, bucket, key, version_id)) WITHOUT ROWID`);
  db.prepare(`INSERT INTO objects VALUES (?, ?, ?, '', 'fp', 3, ?, 'etag', 'then', 1)`).run(loc.endpoint, loc.bucket, loc.key, 'a'.repeat(64));
  db.close();
  const m = new ManifestStore(file);
  assert.equal(m.lookup(loc)?.mtimeMs, null, 'old rows have no mtime');
  m.setMtime(loc, '', 1234);
  assert.equal(m.lookup(loc)?.mtimeMs, 1234);
  m.record(entry({ key: 'new', mtimeMs: 99 }));
  assert.equal(m.lookup({ ...loc, key: 'new' })?.mtimeMs, 99);
  m.close();
});

test('latestPage: the latest version of each object under a prefix, in S3 key order, page by page', () => {
  const m = new ManifestStore(':memory:');
  const keys = ['p/a', 'p/a-b', 'p/a/b', 'p/\uFFFD', 'p/\u{1F600}', 'p-x', 'p0', 'q/p/x'];
  for (const key of keys) m.record(entry({ key, versionId: 'v1', fingerprint: 'old' }));
  m.record(entry({ key: 'p/a/b', versionId: 'v2', fingerprint: 'new' }));
  const scope = { endpoint: loc.endpoint, bucket: 'b', prefix: 'p/' };
  const seen: string[] = [];
  let after: string | undefined;
  for (let page = m.latestPage(scope, after, 2); page.length; page = m.latestPage(scope, after, 2)) {
    seen.push(...page.map((e) => `${e.key}=${e.fingerprint}`));
    after = page.at(-1)!.key;
  }
  assert.deepEqual(seen, ['p/a=old', 'p/a-b=old', 'p/a/b=new', 'p/\uFFFD=old', 'p/\u{1F600}=old']);
});

test('remembered file hashes: by folder, in path order, replaced and forgotten', () => {
  const m = new ManifestStore(':memory:');
  const h = (path: string, sha256 = 'x') => ({ path, size: 1, mtimeMs: 1.5, ctimeMs: 2.25, ino: 7, sha256 });
  for (const p of ['/d/b', '/d/a/x', '/d-other/a', '/d/a-b', '/e']) m.localHashes.remember(h(p));
  m.localHashes.remember(h('/d/b', 'y'));
  assert.deepEqual(m.localHashes.page('/d/', undefined, 10).map((r) => [r.path, r.sha256]), [['/d/a-b', 'x'], ['/d/a/x', 'x'], ['/d/b', 'y']]);
  assert.deepEqual(m.localHashes.page('/d/', '/d/a-b', 1).map((r) => r.path), ['/d/a/x']);
  assert.deepEqual(m.localHashes.page('/d/', undefined, 1)[0], h('/d/a-b'));
  m.localHashes.forget('/d/b');
  assert.deepEqual(m.localHashes.page('/d/', '/d/a/x', 10), []);
});

test('an older version recorded later stays below the latest; remove and setSha256 touch one row and keep the order', () => {
  const m = new ManifestStore(':memory:');
  m.record(entry({ versionId: 'v3', fingerprint: 'three' }));
  m.record(entry({ versionId: 'v1', fingerprint: 'one' }), { older: true });
  m.record(entry({ versionId: 'v2', fingerprint: 'two' }), { older: true });
  assert.equal(m.lookup(loc)?.fingerprint, 'three', 'adopting older versions does not change the latest');
  // Without rows for the object, older has nothing to go below: a normal record.
  m.record(entry({ key: 'new', versionId: 'a', fingerprint: 'a' }), { older: true });
  assert.equal(m.lookup({ ...loc, key: 'new' })?.fingerprint, 'a');

  m.setSha256(loc, 'v1', 'b'.repeat(64));
  assert.equal(m.lookup(loc, 'v1')?.sha256, 'b'.repeat(64));
  assert.equal(m.lookup(loc)?.fingerprint, 'three', 'recording a checksum does not make a version the latest');
  assert.equal(m.remove(loc, 'v3'), true);
  assert.equal(m.remove(loc, 'v3'), false);
  assert.deepEqual(m.versions(loc).map((e) => e.versionId).sort(), ['v1', 'v2']);
  assert.equal(m.count(), 3);
});

test('endpoint identity: default port, case, trailing dot and slash, localhost and [::1] are one server', () => {
  const same = ['https://LocalHost:8443/', 'https://127.0.0.1:8443', 'https://[::1]:8443//', 'https://localhost.:8443'];
  assert.deepEqual([...new Set(same.map((u) => endpointIdentityOf(u)))], ['https://127.0.0.1:8443']);
  assert.equal(endpointIdentityOf('https://S3.Example.com:443/'), 'https://s3.example.com');
  assert.equal(endpointIdentityOf('https://s3.example.com/base/'), 'https://s3.example.com/base');
  assert.notEqual(endpointIdentityOf('https://127.0.0.1:8443'), endpointIdentityOf('https://127.0.0.1:9443'));
  assert.notEqual(endpointIdentityOf('https://127.0.0.2:8443'), endpointIdentityOf('https://127.0.0.1:8443'));
});

test('old spellings are merged on open (the later record of a version wins); aliases chain to one surviving name', () => {
  const file = join(tempDir('sse3-unit-'), 'manifest.db');
  const m = new ManifestStore(file);
  m.record(entry({ endpoint: 'https://localhost:8443/', key: 'k', fingerprint: 'a'.repeat(20) }));
  m.record(entry({ endpoint: 'https://127.0.0.1:8443', key: 'k', fingerprint: 'b'.repeat(20) }));
  m.record(entry({ endpoint: 'https://LOCALHOST:8443', key: 'only-old', fingerprint: 'c'.repeat(20) }));
  m.close();
  const db = new Database(file);
  db.prepare("DELETE FROM counters WHERE name = 'endpoint-rule'").run();
  db.close();
  const n = new ManifestStore(file);
  const here = { endpoint: 'https://127.0.0.1:8443', bucket: 'b' };
  assert.deepEqual(n.list().map((e) => [e.endpoint, e.key, e.fingerprint]),
    [['https://127.0.0.1:8443', 'k', 'b'.repeat(20)], ['https://127.0.0.1:8443', 'only-old', 'c'.repeat(20)]]);

  const a = 'https://a.test';
  const b = 'https://b.test';
  n.record(entry({ endpoint: a, key: 'x' }));
  assert.deepEqual(n.addAlias(a, b), { endpoint: b, moved: 1, replaced: 0 });
  assert.deepEqual(n.addAlias(b, here.endpoint), { endpoint: here.endpoint, moved: 1, replaced: 0 });
  assert.equal(n.resolveEndpoint(a), here.endpoint, 'an alias of an alias ends at the surviving name');
  assert.equal(n.resolveEndpoint(b), here.endpoint);
  assert.deepEqual(n.addAlias(a, here.endpoint), { endpoint: here.endpoint, moved: 0, replaced: 0 });
  assert.equal(n.lookup({ ...here, key: 'x' })?.key, 'x');
  assert.deepEqual(n.aliases(), [{ alias: a, endpoint: here.endpoint }, { alias: b, endpoint: here.endpoint }]);
  n.close();
});
