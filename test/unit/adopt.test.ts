import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { adoptVersion, type AdoptContext, CandidateKeys } from '../../src/core/scans/adopt.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import type { ListedObject } from '../../src/s3/list.js';
import { S3Twin } from '../support/s3-twin.js';

const keys = [0, 1, 2].map((i) => new SseCKey(randomBytes(32), `k${i}`));

/** A twin answering like AWS: a wrong key is 403, no key 400. Objects are written to it directly, as another client would. */
function setup() {
  const twin = new S3Twin({ endpoint: `https://adopt-twin-${Math.random()}` });
  const conn = twin.connection();
  const manifest = new ManifestStore(':memory:');
  const put = (key: string, sseKey?: SseCKey, tags: Record<string, string> = {}) => {
    twin.store(`b/${key}`, { body: Buffer.from(key), keyMd5: sseKey?.keyMd5, metadata: {}, tags });
    return { key, size: key.length, etag: 'e', versionId: '', isLatest: true } satisfies ListedObject;
  };
  const ctx = (over: Partial<AdoptContext> = {}): AdoptContext => ({ io: { conn, manifest },
    candidates: new CandidateKeys(keys.map((k) => ({ ref: k.source, key: k }))), hash: false, findKey: async () => undefined, ...over });
  const ops = () => twin.requests.splice(0).map((r) => r.op + (r.input.SSECustomerKeyMD5 ? `:${keys.findIndex((k) => k.keyMd5 === r.input.SSECustomerKeyMD5)}` : ''));
  return { twin, manifest, put, ctx, ops };
}

test('adopt tries candidates by HEAD until one echoes its key MD5 (a 403 is "not this key"), then puts the key that opened most first',
  async () => {
    const { manifest, put, ctx, ops } = setup();
    const c = ctx();
    const first = await adoptVersion(c, 'b', put('one', keys[2]));
    assert.deepEqual([first.status, first.fingerprint, first.tried], ['adopted', keys[2].fingerprint, 3]);
    assert.deepEqual(ops(), ['HeadObject', 'GetObjectTagging', 'HeadObject:0', 'HeadObject:1', 'HeadObject:2', 'PutObjectTagging']);
    const second = await adoptVersion(c, 'b', put('two', keys[2]));
    assert.equal(second.tried, 1);
    assert.deepEqual(ops(), ['HeadObject', 'GetObjectTagging', 'HeadObject:2', 'PutObjectTagging'], 'the key that matched before is tried first');
    assert.equal(manifest.count(), 2);
  });

test('adopt: no GET to test a key, nothing written without a match, nothing sent to a plain object but a keyless HEAD', async () => {
  const { twin, manifest, put, ctx, ops } = setup();
  const stranger = new SseCKey(randomBytes(32), 'stranger');
  const r = await adoptVersion(ctx(), 'b', put('lost', stranger));
  assert.deepEqual([r.status, r.tried], ['no-key', 3]);
  const plain = await adoptVersion(ctx(), 'b', put('plain'));
  assert.equal(plain.status, 'plain');
  const sent = ops();
  assert.ok(!sent.some((op) => op.startsWith('GetObject:') || op === 'GetObject' || op.startsWith('PutObjectTagging')), sent.join());
  assert.deepEqual(sent.slice(-1), ['HeadObject']);
  assert.equal(manifest.count(), 0);
  assert.deepEqual(twin.objects.get('b/lost')!.tags, {});
});

test('adopt merges its tag into the object\'s own, and leaves an object with 10 tags untouched but recorded', async () => {
  const { twin, manifest, put, ctx } = setup();
  const own = { a: '1', b: '2' };
  await adoptVersion(ctx(), 'b', put('tagged', keys[0], own));
  assert.deepEqual(twin.objects.get('b/tagged')!.tags, { ...own, 'sse3-fp': keys[0].fingerprint });
  const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, 'v']));
  const full = await adoptVersion(ctx(), 'b', put('full', keys[0], ten));
  assert.deepEqual([full.status, full.tagged], ['adopted', false]);
  assert.match(full.warning!, /has 10 tags and S3 allows 10/);
  assert.deepEqual(twin.objects.get('b/full')!.tags, ten);
  assert.equal(manifest.count(), 2);
});

test('adopt trusts an sse3-fp tag it cannot check, and checks one it can: a stale tag does not win', async () => {
  const { manifest, put, ctx, ops } = setup();
  const absent = new SseCKey(randomBytes(32), 'absent');
  const viaTag = await adoptVersion(ctx(), 'b', put('x', absent, { 'sse3-fp': absent.fingerprint }));
  assert.deepEqual([viaTag.status, viaTag.via, viaTag.tried, viaTag.fingerprint], ['adopted', 'tag', 0, absent.fingerprint]);
  assert.deepEqual(ops(), ['HeadObject', 'GetObjectTagging']);
  // Re-encrypted by another tool that copied the tags: the tag names keys[0], the object opens with keys[1].
  const stale = await adoptVersion(ctx(), 'b', put('y', keys[1], { 'sse3-fp': keys[0].fingerprint }));
  assert.deepEqual([stale.status, stale.via, stale.fingerprint], ['adopted', 'key', keys[1].fingerprint]);
  assert.equal(manifest.lookup({ endpoint: ctx().io.conn.endpoint, bucket: 'b', key: 'y' })!.fingerprint, keys[1].fingerprint);
});

test('a version the manifest knows costs no request', async () => {
  const { put, ctx, ops } = setup();
  const c = ctx();
  const v = put('k', keys[1]);
  await adoptVersion(c, 'b', v);
  ops();
  const again = await adoptVersion(c, 'b', v);
  assert.equal(again.status, 'known');
  assert.deepEqual(ops(), []);
});
