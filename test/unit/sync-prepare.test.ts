import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HomeManifest } from '../../src/core/session/home-manifest.js';
import { prepareSync, type SyncRequest } from '../../src/core/sync/prepare.js';
import { Sse3Error } from '../../src/errors.js';

/** A temporary folder with a folder, a file and a key file in it, removed when the test ends. */
function place(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-unit-prepare-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'photos'));
  writeFileSync(join(dir, 'file.txt'), 'x');
  writeFileSync(join(dir, 'k.key'), randomBytes(32), { mode: 0o600 });
  return { dir, key: `file:${join(dir, 'k.key')}` };
}

// A manifest in memory: these requests give a key, so none is opened.
const request = (over: Partial<SyncRequest> = {}): SyncRequest => ({ filters: [], tuning: {}, env: {}, manifest: new HomeManifest(':memory:'), ...over });
const usage = (message: RegExp) => (e: unknown) => e instanceof Sse3Error && e.code === 'USAGE' && message.test(e.message);

test('sync up: the local side must be a folder that exists; the key that encrypts is loaded before anything is sent', async (t) => {
  const { dir, key } = place(t);
  const up = await prepareSync(join(dir, 'photos'), 's3://bkt/photos', request({ key, delete: true }));
  assert.equal(up.kind, 'local');
  assert.ok(up.kind === 'local' && up.spec.direction === 'up' && up.spec.root === join(dir, 'photos') && up.spec.delete);
  assert.deepEqual(up.kind === 'local' && up.spec.scope, { bucket: 'bkt', prefix: 'photos/' });
  assert.ok(up.kind === 'local' && up.spec.putKeys?.for('photos/x').key, 'the key is loaded');
  await assert.rejects(prepareSync(join(dir, 'nope'), 's3://bkt/', request({ key })), usage(/nope is not a folder \(it does not exist\)$/));
  await assert.rejects(prepareSync(join(dir, 'file.txt'), 's3://bkt/', request({ key })), usage(/file\.txt is not a folder$/));
  await assert.rejects(prepareSync(join(dir, 'photos'), 's3://bkt/', request({ key, sourceKey: key })), usage(/--source-key is for s3 → s3/));
  await assert.rejects(prepareSync('a', 'b', request()), usage(/one side of sync must be an s3:\/\/ URL/));
});

test('sync down: into a folder, never made before a file is downloaded (sync makes it then); a file in the way is refused', async (t) => {
  const { dir, key } = place(t);
  const dryRun = await prepareSync('s3://bkt/x/', join(dir, 'new'), request({ dryRun: true }));
  assert.ok(dryRun.kind === 'local' && dryRun.spec.direction === 'down' && dryRun.spec.root === join(dir, 'new'));
  assert.equal(existsSync(join(dir, 'new')), false, 'a dry run makes no folder');
  await assert.rejects(prepareSync('s3://bkt/x/', join(dir, 'new'), request({ key: 'env:SSE3_UNIT_NO_SUCH_VAR' })),
    (e: unknown) => e instanceof Sse3Error && e.code === 'KEY_ENV');
  assert.equal(existsSync(join(dir, 'new')), false, 'a key that cannot be loaded leaves no folder behind');
  const down = await prepareSync('s3://bkt/x/', join(dir, 'new', 'deeper'), request({ key }));
  assert.equal(existsSync(join(dir, 'new')), false, 'nothing is made before the source is known to hold a file');
  assert.equal(down.readKeys?.length, 1, '--key opens the objects read');
  await assert.rejects(prepareSync('s3://bkt/', join(dir, 'file.txt'), request()), usage(/file\.txt exists and is not a folder/));
});

test('sync s3 → s3: prefixes of one bucket must not hold each other; --checksum is for local files', async () => {
  await assert.rejects(prepareSync('s3://bkt/a/', 's3://bkt/a/x/', request()), usage(/s3:\/\/bkt\/a\/ and s3:\/\/bkt\/a\/x\/ overlap/));
  await assert.rejects(prepareSync('s3://bkt/', 's3://bkt/x/', request()), usage(/overlap/));
  await assert.rejects(prepareSync('s3://bkt/a/', 's3://ckt/a/', request({ checksum: true })), usage(/--checksum compares local files/));
  const copy = await prepareSync('s3://bkt/a', 's3://bkt/ab', request({ filters: [{ exclude: '*.tmp' }] }));
  assert.ok(copy.kind === 'copy');
  assert.deepEqual([copy.spec.source, copy.spec.dest], [{ bucket: 'bkt', prefix: 'a/' }, { bucket: 'bkt', prefix: 'ab/' }], 'a/ and ab/ do not overlap');
  assert.equal(copy.spec.filter?.('x.tmp'), false);
  await assert.rejects(prepareSync('s3://bkt/a/', 's3://ckt/', request({ filters: [{ include: ' ' }] })), usage(/pattern is empty/));
});
