import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ScannedVersion, scanKeyUsage, usesOf } from '../../src/core/scans/usage.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { networkError, S3Error, S3Twin, type TwinOptions } from '../support/s3-twin.js';

const fp1 = '1'.repeat(20);
const fp2 = '2'.repeat(20);
const bucket = { bucket: 'b', prefix: '' };

function setup(opts: TwinOptions = {}) {
  const twin = new S3Twin({ endpoint: 'https://usage-twin', pageSize: 2, ...opts });
  const io = { conn: twin.connection(), manifest: new ManifestStore(':memory:') };
  const put = (key: string, fp?: string, versionId?: string) => twin.store(`b/${key}`,
    { body: Buffer.from(key), metadata: {}, tags: fp ? { 'sse3-fp': fp } : {}, versionId });
  return { twin, io, put };
}

test('keys usage counts each key\'s objects from their tags; untagged, plain and unreadable apart; a version gone meanwhile needs nothing',
  async () => {
    const { twin, io, put } = setup();
    put('x1', fp1);
    put('x2', fp1);
    put('y', fp2);
    put('plain');
    twin.store('b/sse-c', { body: Buffer.from('sse-c'), keyMd5: 'a-key-md5', metadata: {}, tags: {} });
    put('secret', fp2);
    put('gone', fp2);
    twin.opts.errorFor = (op, input) => (op !== 'GetObjectTagging' ? undefined
      : input.Key === 'secret' ? new S3Error('AccessDenied', 403) : input.Key === 'gone' ? new S3Error('NoSuchKey', 404) : undefined);
    const seen: ScannedVersion[] = [];
    const progress: number[] = [];
    const scan = await scanKeyUsage(io, [bucket], { jobs: 3, onVersion: (v) => seen.push(v), onProgress: (n) => progress.push(n) });
    assert.equal(scan.scanned, 6);
    assert.deepEqual(Object.fromEntries(scan.byFingerprint), { [fp1]: { objects: 2, versions: 2 }, [fp2]: { objects: 1, versions: 1 } });
    assert.deepEqual(scan.untagged, { objects: 1, versions: 1 }, 'the SSE-C object without a tag: its key is unknown');
    assert.deepEqual(scan.plain, { objects: 1, versions: 1 }, 'the plain object needs no key');
    assert.deepEqual(scan.unreadable, { objects: 1, versions: 1 });
    assert.equal(scan.firstUnreadable?.code, 'ACCESS_DENIED');
    assert.deepEqual(seen.map((v) => [v.key, v.fingerprint]).sort(),
      [['plain', undefined], ['sse-c', undefined], ['x1', fp1], ['x2', fp1], ['y', fp2]]);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(usesOf(scan, '3'.repeat(20)), { objects: 0, versions: 0 });
  });

test('keys usage --versions: current objects and all versions counted apart, over several scopes', async () => {
  const { io, put } = setup({ versioned: true });
  put('k/one', fp1, 'v1');
  put('k/one', fp2, 'v2');
  put('m/two', fp1, 'v3');
  put('other', fp1, 'v4');
  const scopes = [{ bucket: 'b', prefix: 'k/' }, { bucket: 'b', prefix: 'm/' }];
  const all = await scanKeyUsage(io, scopes, { jobs: 2, allVersions: true });
  assert.deepEqual([all.scanned, all.allVersions], [3, true]);
  assert.deepEqual(usesOf(all, fp1), { objects: 1, versions: 2 }, 'k/one v1 is an older version; m/two is current');
  assert.deepEqual(usesOf(all, fp2), { objects: 1, versions: 1 });
  const current = await scanKeyUsage(io, scopes, { jobs: 2 });
  assert.deepEqual([current.scanned, usesOf(current, fp1), usesOf(current, fp2)],
    [2, { objects: 1, versions: 1 }, { objects: 1, versions: 1 }]);
});

test('keys usage stops when the server does not answer (exit 5) or the scan is interrupted', async () => {
  const { twin, io, put } = setup();
  for (const key of ['a', 'b', 'c', 'd']) put(key, fp1);
  twin.opts.errorFor = (op, input) => (op === 'GetObjectTagging' && input.Key === 'c' ? networkError() : undefined);
  await assert.rejects(scanKeyUsage(io, [bucket], { jobs: 1 }), (e) => e instanceof Sse3Error && e.exitCode === ExitCode.UNREACHABLE);

  twin.opts.errorFor = undefined;
  const controller = new AbortController();
  await assert.rejects(scanKeyUsage({ ...io, signal: controller.signal }, [bucket], { jobs: 1, onVersion: () => controller.abort() }),
    (e) => e instanceof Sse3Error && e.code === 'INTERRUPTED');
});
