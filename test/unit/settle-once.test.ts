// Orphaned multipart uploads (a killed sse3's) are settled once per command: when its session opens, with every key
// the command holds, and not again when rotate, verify or adopt settle journalled rotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sessionOver } from '../../src/core/session/session.js';
import { settleRotations } from '../../src/core/rotation/settle.js';
import { rotateContext } from '../../src/core/rotation/targets.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { S3Twin } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';

const DEAD_PID = 2 ** 22 + 7;
const key = new SseCKey(randomBytes(32), 'only-given-to-this-command');

/** A private SSE3_HOME whose manifest journals two uploads of a dead sse3: one never completed, one completed. */
function homeWithOrphans(endpoint: string): string {
  const home = tempDir('sse3-unit-settle-');
  process.env.SSE3_HOME = home;
  const manifest = new ManifestStore(join(home, 'manifest.db'));
  const at = (k: string) => ({ endpoint, bucket: 'b', key: k });
  manifest.beginUpload({ ...at('unfinished'), uploadId: 'u1', fingerprint: key.fingerprint, pid: DEAD_PID, startedAt: 'then' });
  manifest.beginUpload({ ...at('done'), uploadId: 'u2', fingerprint: key.fingerprint, pid: DEAD_PID, startedAt: 'then', token: 'ab'.repeat(16) });
  manifest.completingUpload(at('done'), 'u2', 'c'.repeat(64), 4);
  manifest.close();
  return home;
}

test('the session settles orphaned uploads when it opens, with the command\'s keys; settling rotations does not again', async (t) => {
  const twin = new S3Twin({ endpoint: `https://settle-${Math.random()}` });
  twin.uploads.set('u1', { key: 'b/unfinished', parts: new Map(), tags: {}, metadata: {} });
  twin.store('b/done', { body: Buffer.from('done'), keyMd5: key.keyMd5, metadata: { 'sse3-upload': 'ab'.repeat(16) }, tags: {} });
  const home = homeWithOrphans(twin.connection().endpoint);

  const s = await sessionOver(twin.connection(), { signal: new AbortController().signal, out: { warn: assert.fail } },
    { held: [key] });
  // Closing the session writes a backup into the home: close it before the home is removed.
  t.after(() => { s.close(); rmSync(home, { recursive: true, force: true }); });
  const aborts = () => twin.requests.filter((q) => q.op === 'AbortMultipartUpload').length;
  assert.equal(aborts(), 2, 'each orphan asked about once');
  assert.equal(twin.uploads.size, 0, 'the unfinished upload is aborted');
  assert.deepEqual(s.manifest.pendingUploads(), []);
  assert.equal(s.manifest.lookup({ endpoint: s.conn.endpoint, bucket: 'b', key: 'done' })?.fingerprint, key.fingerprint,
    'the completed upload is recorded with a key only this command holds');

  twin.requests.length = 0;
  await settleRotations(rotateContext(s, {}, {}, [key]));
  assert.deepEqual(twin.requests.map((q) => q.op), [], 'no second settling in the same command');
});

test('settling rotations leaves orphaned uploads alone', async () => {
  const twin = new S3Twin({ endpoint: `https://settle-${Math.random()}` });
  const manifest = new ManifestStore(':memory:');
  manifest.beginUpload({ endpoint: twin.connection().endpoint, bucket: 'b', key: 'k', uploadId: 'u', fingerprint: key.fingerprint,
    pid: DEAD_PID, startedAt: 'then' });
  await settleRotations({ io: { conn: twin.connection(), manifest }, findKey: async () => key });
  assert.deepEqual(twin.requests, []);
  assert.equal(manifest.pendingUploads().length, 1);
});
