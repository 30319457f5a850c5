// sync's per-path steps that are not transfers (src/core/sync/act.ts), against the S3 twin and a scratch folder:
// the record an unknown object's tags give, a local file's checksum and the hash cache, what a download may
// replace, and the two deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertReplaceable, deleteLocalFile, deleteObject, hashLocalFile, recordFromObjectTags, rememberWritten }
  from '../../src/core/sync/act.js';
import { SseCKey } from '../../src/keys/key.js';
import { stampOf } from '../../src/local/files.js';
import { newEntry } from '../../src/manifest/entry.js';
import type { Connection } from '../../src/s3/client.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const key = new SseCKey(randomBytes(32), 'k');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const LOC = { bucket: 'b', key: 'dir/f' };

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-act-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function twinWith(tags: Record<string, string>, versioned = true) {
  const twin = new S3Twin({ endpoint: `https://act-${Math.random()}`, versioned });
  twin.store('b/dir/f', { body: Buffer.from('twelve bytes'), keyMd5: key.keyMd5, metadata: {}, tags, versionId: versioned ? 'v3' : undefined });
  return twin;
}

test('an object another sse3 tagged is recorded from its tags (not in a dry run) and compared by its checksum', async () => {
  const tags = { 'sse3-fp': key.fingerprint, 'sse3-sha256': sha('twelve bytes') };
  const dry = twinSession(twinWith(tags).connection());
  const remote = { size: 12, etag: 'e' };
  const expected = { size: 12, etag: 'e', sha256: sha('twelve bytes'), from: 'tags', versionId: 'v3' };
  assert.deepEqual(await recordFromObjectTags(dry, LOC, remote, true), expected);
  assert.equal(dry.manifest.count(), 0, 'a dry run records nothing');
  const s = twinSession(twinWith(tags).connection());
  assert.deepEqual(await recordFromObjectTags(s, LOC, remote, false), expected);
  const row = s.manifest.lookup({ endpoint: s.conn.endpoint, ...LOC }, 'v3');
  assert.deepEqual([row?.fingerprint, row?.sha256, row?.size, row?.etag], [key.fingerprint, sha('twelve bytes'), 12, 'e']);
});

test('a tag without a checksum is recorded but compares as nothing; no sse3 tag is no record', async () => {
  const fpOnly = twinSession(twinWith({ 'sse3-fp': key.fingerprint }).connection());
  assert.equal(await recordFromObjectTags(fpOnly, LOC, { size: 12, etag: 'e' }, false), undefined);
  assert.equal(fpOnly.manifest.count(), 1);
  const none = twinSession(twinWith({ other: 'x' }).connection());
  assert.equal(await recordFromObjectTags(none, LOC, { size: 12, etag: 'e' }, false), undefined);
  assert.equal(none.manifest.count(), 0);
});

test('a local file\'s checksum is remembered under its stamp; a file that changed while it was read is not', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'f');
  writeFileSync(path, 'local bytes');
  const s = twinSession(new S3Twin().connection());
  const seen = { path, ...stampOf(statSync(path)) };
  const r = await hashLocalFile(s, seen, false);
  assert.deepEqual(r, { size: 11, mtimeMs: Math.round(seen.mtimeMs), sha256: sha('local bytes') });
  assert.deepEqual(s.manifest.localHashes.page(`${dir}/`, undefined, 10), [{ ...seen, sha256: sha('local bytes') }]);

  const dryRun = twinSession(new S3Twin().connection());
  await hashLocalFile(dryRun, seen, true);
  assert.deepEqual(dryRun.manifest.localHashes.page(`${dir}/`, undefined, 10), [], 'a dry run remembers nothing');

  // The walk saw another stamp than the file has after the read: its checksum matches nothing and is not remembered.
  const changed = twinSession(new S3Twin().connection());
  const stale = await hashLocalFile(changed, { ...seen, ctimeMs: seen.ctimeMs - 1 }, false);
  assert.equal(stale.sha256, 'changed while it was read');
  assert.deepEqual(changed.manifest.localHashes.page(`${dir}/`, undefined, 10), []);

  await assert.rejects(hashLocalFile(s, { ...seen, path: join(dir, 'gone') }, false),
    (e) => e instanceof Sse3Error && e.code === 'LOCAL_IO' && /cannot read .*gone: ENOENT/.test(e.message));
});

test('a downloaded file is remembered under its final stamp', async (t) => {
  const dir = scratch(t);
  const path = join(dir, 'written');
  writeFileSync(path, 'downloaded');
  const s = twinSession(new S3Twin().connection());
  await rememberWritten(s, path, sha('downloaded'));
  assert.deepEqual(s.manifest.localHashes.page(`${dir}/`, undefined, 10), [{ path, ...stampOf(statSync(path)), sha256: sha('downloaded') }]);
});

test('a download replaces only a regular file (or nothing); a delete removes only a regular file and its remembered checksum', async (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'file'), 'x');
  mkdirSync(join(dir, 'folder'));
  symlinkSync(join(dir, 'file'), join(dir, 'link'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  await assertReplaceable(join(dir, 'file'));
  await assertReplaceable(join(dir, 'not-there'));
  for (const name of ['folder', 'link', 'fifo']) {
    await assert.rejects(assertReplaceable(join(dir, name)), (e) => e instanceof Sse3Error && /is not a regular file; not replaced/.test(e.message));
  }

  const s = twinSession(new S3Twin().connection());
  await rememberWritten(s, join(dir, 'file'), sha('x'));
  await deleteLocalFile(s, join(dir, 'file'));
  assert.ok(!existsSync(join(dir, 'file')));
  assert.deepEqual(s.manifest.localHashes.page(`${dir}/`, undefined, 10), []);
  await deleteLocalFile(s, join(dir, 'file'));
  for (const name of ['link', 'fifo', 'folder']) {
    await assert.rejects(deleteLocalFile(s, join(dir, name)), (e) => e instanceof Sse3Error && /is not a regular file; not deleted/.test(e.message));
    assert.ok(lstatSync(join(dir, name), { throwIfNoEntry: false }), `${name} kept`);
  }
});

test('deleting an object removes its row; where the bucket keeps versions (a delete marker) the rows stay, with a warning', async () => {
  const twin = twinWith({}, false);
  const s = twinSession(twin.connection());
  const at = { endpoint: s.conn.endpoint, ...LOC };
  s.manifest.record(newEntry(at, { fingerprint: key.fingerprint, size: 12 }));
  const warnings: string[] = [];
  await deleteObject(s, LOC, { onWarning: (m) => warnings.push(m) });
  assert.equal(twin.objects.has('b/dir/f'), false);
  assert.equal(s.manifest.lookup(at), undefined);
  assert.deepEqual(warnings, []);

  // A server that answers with a delete marker: every version is still there, so is every row.
  const conn = twinWith({}).connection();
  const marking: Connection = { ...conn, client: Object.assign(Object.create(Object.getPrototypeOf(conn.client)), {
    send: async (cmd: { constructor: { name: string } }) => (cmd.constructor.name === 'DeleteObjectCommand'
      ? { DeleteMarker: true, VersionId: 'marker-1' } : conn.client.send(cmd as never)) }) };
  const kept = twinSession(marking);
  kept.manifest.record(newEntry({ endpoint: kept.conn.endpoint, ...LOC }, { versionId: 'v3', fingerprint: key.fingerprint, size: 12 }));
  const said: string[] = [];
  await deleteObject(kept, LOC, { onWarning: (m) => said.push(m) });
  assert.equal(kept.manifest.count(), 1);
  assert.deepEqual(said, ['s3://b/dir/f: the bucket keeps versions; its older versions stay recorded']);
});
