import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { pullFromTags } from '../../src/core/scans/pull.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { networkError, S3Error, S3Twin } from '../support/s3-twin.js';

const fp1 = '1'.repeat(20);
const fp2 = '2'.repeat(20);
const scope = { bucket: 'b', prefix: '' };

/** A versioned twin listing two versions a page (so one object's versions straddle pages), and an empty manifest. */
function setup() {
  const twin = new S3Twin({ versioned: true, endpoint: 'https://pull-twin', pageSize: 2 });
  const manifest = new ManifestStore(':memory:');
  const io = { conn: twin.connection(), manifest };
  /** A version written by another client, tagged with its key's fingerprint when it has one. */
  const put = (key: string, versionId: string, fp?: string) => twin.store(`b/${key}`,
    { body: Buffer.from(key), metadata: {}, tags: fp ? { 'sse3-fp': fp } : {}, versionId, etag: `"etag-${versionId}"` });
  const remove = (key: string, versionId: string) => io.conn.client.send(new DeleteObjectCommand({ Bucket: 'b', Key: key, VersionId: versionId }));
  const tagReads = () => twin.requests.splice(0).filter((r) => r.op === 'GetObjectTagging').map((r) => `${r.input.Key}@${r.input.VersionId}`).sort();
  const at = (key: string) => ({ endpoint: io.conn.endpoint, bucket: 'b', key });
  return { twin, manifest, io, put, remove, tagReads, at };
}

test('pull records tagged versions (the latest one last), then reads only versions that are new or changed, and forgets versions gone',
  async () => {
    const { twin, manifest, io, put, remove, tagReads, at } = setup();
    put('a', 'v1', fp1);
    put('a', 'v2', fp2);
    put('b', 'v3');
    put('c', 'v4', fp1);

    const first = await pullFromTags(io, scope, { jobs: 3 });
    assert.deepEqual({ ...first, removed: first.removed.length },
      { listed: 4, unchanged: 0, read: 4, recorded: 3, untagged: 1, denied: 0, removed: 0 });
    assert.equal(manifest.lookup(at('a'))?.versionId, 'v2', 'the version listed first (the newest) is the latest recorded');
    assert.deepEqual(manifest.versions(at('a')).map((e) => [e.versionId, e.fingerprint]), [['v2', fp2], ['v1', fp1]]);
    assert.equal(manifest.lookup(at('b')), undefined, 'an untagged version is not recorded');
    assert.deepEqual(tagReads(), ['a@v1', 'a@v2', 'b@v3', 'c@v4']);

    const again = await pullFromTags(io, scope, { jobs: 3 });
    assert.deepEqual([again.listed, again.unchanged, again.read], [4, 4, 0]);
    assert.deepEqual(tagReads(), [], 'nothing changed: no tag is read, the untagged version neither');

    await remove('a', 'v1');
    await remove('b', 'v3');
    put('b', 'v6', fp1);
    put('c', 'v5', fp2);
    // Re-encrypted in place under another key: same version id, another ETag.
    Object.assign(twin.history.get('b/c')!.find((o) => o.versionId === 'v4')!, { etag: '"etag-v4-again"', tags: { 'sse3-fp': fp2 } });

    const third = await pullFromTags(io, scope, { jobs: 3 });
    assert.deepEqual([third.listed, third.unchanged, third.read, third.recorded, third.untagged], [4, 1, 3, 3, 0]);
    assert.deepEqual(tagReads(), ['b@v6', 'c@v4', 'c@v5']);
    assert.deepEqual(third.removed, [{ url: 's3://b/a', versionId: 'v1' }]);
    assert.deepEqual(manifest.versions(at('a')).map((e) => e.versionId), ['v2']);
    assert.equal(manifest.lookup(at('c'), 'v4')?.fingerprint, fp2);
    assert.equal(manifest.lookup(at('c'))?.versionId, 'v5');
    const seen = ['a', 'b', 'c'].flatMap((key) => [...manifest.pullState(at(key)).pulled.keys()].map((v) => `${key}@${v}`));
    assert.deepEqual(seen.sort(), ['a@v2', 'b@v6', 'c@v4', 'c@v5'], 'what pull saw of b@v3 is forgotten');
  });

test('pull reads again a version whose record was removed, and one whose tags could not be read (counted as denied)', async () => {
  const { twin, manifest, io, put, tagReads, at } = setup();
  put('a', 'v1', fp1);
  put('d', 'v2', fp1);
  twin.opts.errorFor = (op, input) => (op === 'GetObjectTagging' && input.Key === 'd' ? new S3Error('AccessDenied', 403) : undefined);
  const denied = await pullFromTags(io, scope, { jobs: 2 });
  assert.deepEqual([denied.recorded, denied.denied], [1, 1]);
  assert.equal(denied.firstDenial?.code, 'ACCESS_DENIED');
  assert.equal(manifest.lookup(at('d')), undefined);
  tagReads();

  twin.opts.errorFor = undefined;
  const next = await pullFromTags(io, scope, { jobs: 2 });
  assert.deepEqual([next.unchanged, next.read, next.recorded, next.denied], [1, 1, 1, 0]);
  assert.deepEqual(tagReads(), ['d@v2']);

  manifest.remove(at('a'), 'v1');
  const restored = await pullFromTags(io, scope, { jobs: 2 });
  assert.deepEqual([restored.unchanged, restored.read, restored.recorded], [1, 1, 1]);
  assert.deepEqual(tagReads(), ['a@v1']);
  assert.equal(manifest.lookup(at('a'))?.fingerprint, fp1);
});

test('a pull stopped by a server that does not answer throws (exit 5) and removes no record', async () => {
  const { twin, manifest, io, put, remove, at } = setup();
  put('a', 'v1', fp1);
  put('z', 'v2', fp1);
  await pullFromTags(io, scope, { jobs: 2 });
  await remove('z', 'v2');
  // a changed: its tags are read, and the server stops answering.
  Object.assign(twin.history.get('b/a')![0], { etag: '"etag-v1-again"' });
  twin.opts.errorFor = (op) => (op === 'GetObjectTagging' ? networkError() : undefined);
  await assert.rejects(pullFromTags(io, scope, { jobs: 2 }), (e) => e instanceof Sse3Error && e.exitCode === ExitCode.UNREACHABLE);
  assert.equal(manifest.lookup(at('z'))?.versionId, 'v2', 'a pass that did not finish says nothing of what is gone');
  assert.equal(manifest.count(), 2);
});
