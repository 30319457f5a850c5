import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeTargets } from '../../src/core/objects/remove.js';
import { Sse3Error } from '../../src/errors.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { S3Twin } from '../support/s3-twin.js';

/** A twin holding `keys` in bucket bkt (a versioned one holds two versions of each), and rm's targets in it. */
function bucket(keys: string[], opts: { versioned?: boolean } = {}) {
  const twin = new S3Twin({ versioned: opts.versioned });
  for (const key of keys) {
    for (const v of opts.versioned ? ['1', '2'] : ['']) {
      // A key ending in "/" is an empty folder marker here, as a console makes one.
      twin.store(`bkt/${key}`, { body: Buffer.from(key.endsWith('/') ? '' : key), metadata: {}, tags: {}, versionId: v ? `${key}-v${v}` : undefined });
    }
  }
  const io = { conn: twin.connection(), manifest: new ManifestStore(':memory:') };
  const ops = () => twin.requests.splice(0).map((r) => r.op);
  return { twin, ops, targets: (target: string, req: Parameters<typeof removeTargets>[2] = {}) => removeTargets(io, target, req) };
}

const refused = (code: string, message: RegExp, hint: RegExp) => (e: unknown) =>
  e instanceof Sse3Error && e.code === code && message.test(e.message) && hint.test(e.hint ?? '');

test('rm of one object: a keyless HEAD makes sure it is there; a missing one "does not exist", with where to look', async () => {
  const { targets, ops } = bucket(['docs/a.txt']);
  assert.deepEqual(await targets('s3://bkt/docs/a.txt'), [{ bucket: 'bkt', key: 'docs/a.txt', versionId: '' }]);
  assert.deepEqual(ops(), ['HeadObject']);
  await assert.rejects(targets('s3://bkt/docs/typo.txt'), refused('NO_OBJECT', /^s3:\/\/bkt\/docs\/typo\.txt does not exist$/, /sse3 ls s3:\/\/bkt\/docs\//));
  await assert.rejects(targets('s3://bkt/docs/a.txt', { versionId: 'v9' }), refused('NO_OBJECT', /docs\/a\.txt has no version v9$/, /sse3 ls s3:\/\/bkt\/docs\/a\.txt --versions/));
});

test('rm of a folder needs --recursive, which takes the current version of everything under it but folder markers', async () => {
  const { targets, ops } = bucket(['docs/', 'docs/a.txt', 'docs/sub/b.txt', 'docs-old/c.txt', 'top.txt']);
  for (const folder of ['s3://bkt/docs/', 's3://bkt']) {
    await assert.rejects(targets(folder), refused('USAGE', /names a folder, not an object/, /--recursive/));
  }
  assert.deepEqual(ops(), [], 'refused before any request');
  const under = await targets('s3://bkt/docs', { recursive: true });
  assert.deepEqual(under.map((t) => [t.key, t.versionId]), [['docs/a.txt', ''], ['docs/sub/b.txt', '']], 'docs-old/ is not under docs/');
  assert.deepEqual((await targets('s3://bkt', { recursive: true })).map((t) => t.key), ['docs-old/c.txt', 'docs/a.txt', 'docs/sub/b.txt', 'top.txt']);
});

test('rm --all-versions takes every version of the object (never of a neighbour), or of everything under the prefix', async () => {
  const { targets } = bucket(['a.txt', 'a.txt.bak', 'dir/b.txt'], { versioned: true });
  assert.deepEqual((await targets('s3://bkt/a.txt', { allVersions: true })).map((t) => t.versionId), ['a.txt-v2', 'a.txt-v1']);
  const all = await targets('s3://bkt/dir/', { allVersions: true, recursive: true });
  assert.deepEqual(all.map((t) => `${t.key} ${t.versionId}`), ['dir/b.txt dir/b.txt-v2', 'dir/b.txt dir/b.txt-v1']);
  await assert.rejects(targets('s3://bkt/gone.txt', { allVersions: true }),
    refused('NO_OBJECT', /gone\.txt does not exist \(no version of it either\)/, /sse3 ls s3:\/\/bkt\/gone\.txt --versions/));
});
