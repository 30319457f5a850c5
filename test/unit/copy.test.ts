import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { SseCKey } from '../../src/keys/key.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { TransferScope } from '../../src/core/transfer/scope.js';
import { copyObject } from '../../src/core/transfer/copy.js';
import { type RotateContext, rotateObject } from '../../src/core/rotation/rotate.js';
import { resumeRotations, settleRotations } from '../../src/core/rotation/settle.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Twin, type TwinOptions } from '../support/s3-twin.js';

const oldKey = new SseCKey(randomBytes(32), 'old');
const newKey = new SseCKey(randomBytes(32), 'new');
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunked = (b: Buffer, n = 1000) => Readable.from(Array.from({ length: Math.ceil(b.length / n) || 1 }, (_, i) => b.subarray(i * n, (i + 1) * n)));

function setup(opts: TwinOptions = {}) {
  // What the connection learns of its server (a CopyObject it cannot do) lives as long as this connection.
  const twin = new S3Twin(opts);
  const conn = twin.connection();
  const manifest = new ManifestStore(':memory:');
  // What a session's transfers share (the buffer budget), as one session's would.
  const transfers = new TransferScope();
  const loc = (bucket: string, key: string) => ({ endpoint: conn.endpoint, bucket, key });
  /** An object as sse3 put writes it (single part, or multipart with partSize). */
  const put = async (bucket: string, key: string, data: Buffer, sseKey = oldKey, partSize = 8192) => {
    const r = await uploadObject({ io: { conn, manifest, transfers }, target: { bucket, key, sseKey }, source: { kind: 'stream', body: chunked(data) },
      tuning: { partSize } });
    twin.requests.length = 0;
    return r;
  };
  const ctx = (over: Partial<RotateContext> = {}): RotateContext => ({
    // Copies know the source's size, which rounds their part size up to whole MiB.
    io: { conn, manifest, transfers }, tuning: { partSize: MiB },
    findKey: async (fp) => [oldKey, newKey].find((k) => k.fingerprint === fp), ...over,
  });
  return { twin, conn, manifest, loc, put, ctx, transfers };
}

const opsOf = (twin: S3Twin) => twin.requests.map((q) => q.op);

test('server-side copy when the server supports it: both key header sets sent, source checksum recorded, tags replaced', async () => {
  const { twin, conn, manifest, loc, put } = setup({ versioned: true });
  const data = randomBytes(3000);
  const src = await put('src', 'dir/a b+c.txt', data);
  const r = await copyObject({ io: { conn, manifest }, source: { bucket: 'src', key: 'dir/a b+c.txt', sseKey: oldKey },
    dest: { bucket: 'dst', key: 'copy', sseKey: newKey } });
  assert.equal(r.method, 'server-side');
  assert.deepEqual(opsOf(twin), ['HeadObject', 'CopyObject'], 'no data passes through sse3');

  const copy = twin.requests.find((q) => q.op === 'CopyObject')!.input;
  assert.equal(copy.CopySource, `src/${encodeURIComponent('dir/a b+c.txt')}?versionId=${src.versionId}`);
  assert.equal(copy.SSECustomerAlgorithm, 'AES256');
  assert.equal(copy.SSECustomerKeyMD5, newKey.keyMd5);
  assert.equal(copy.SSECustomerKey, newKey.sseC().SSECustomerKey);
  assert.equal(copy.CopySourceSSECustomerAlgorithm, 'AES256');
  assert.equal(copy.CopySourceSSECustomerKeyMD5, oldKey.keyMd5);
  assert.equal(copy.CopySourceSSECustomerKey, oldKey.sseC().SSECustomerKey);
  assert.equal(copy.TaggingDirective, 'REPLACE');
  assert.equal(copy.MetadataDirective, 'REPLACE');

  const stored = twin.objects.get('dst/copy')!;
  assert.equal(stored.keyMd5, newKey.keyMd5);
  assert.deepEqual(stored.body, data);
  assert.deepEqual(stored.tags, { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data) });
  assert.equal(stored.metadata['sse3-fp'], newKey.fingerprint);

  const rec = manifest.lookup(loc('dst', 'copy'))!;
  assert.equal(rec.fingerprint, newKey.fingerprint);
  assert.equal(rec.sha256, sha(data));
  assert.equal(rec.size, data.length);
  assert.equal(rec.versionId, stored.versionId);
  assert.equal(r.versionId, stored.versionId);
  // The source is left as it was.
  assert.equal(twin.objects.get('src/dir/a b+c.txt')!.keyMd5, oldKey.keyMd5);
  assert.equal(manifest.lookup(loc('src', 'dir/a b+c.txt'))!.fingerprint, oldKey.fingerprint);
});

test('server-side copy of a multipart source takes the checksum from its tag', async () => {
  const { twin, conn, manifest, loc, put } = setup();
  const data = randomBytes(5000);
  await put('b', 'mp', data, oldKey, 1024);
  assert.equal(twin.objects.get('b/mp')!.metadata['sse3-sha256'], undefined, 'multipart objects carry it in a tag only');
  const r = await copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'mp', sseKey: oldKey },
    dest: { bucket: 'b', key: 'mp2', sseKey: newKey } });
  assert.equal(r.method, 'server-side');
  assert.ok(opsOf(twin).includes('GetObjectTagging'));
  assert.equal(manifest.lookup(loc('b', 'mp2'))!.sha256, sha(data));
  assert.equal(twin.objects.get('b/mp2')!.tags['sse3-sha256'], sha(data));
});

test('a source without a recorded checksum is streamed, so its SHA-256 is computed on the way', async () => {
  const { twin, conn, manifest, loc } = setup();
  const data = randomBytes(2000);
  // Written by another tool: encrypted, but no sse3 metadata or tags.
  twin.store('b/foreign', { body: data, keyMd5: oldKey.keyMd5, metadata: {}, tags: {} });
  const r = await copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'foreign', sseKey: oldKey },
    dest: { bucket: 'b', key: 'mine', sseKey: newKey } });
  assert.equal(r.method, 'streamed');
  assert.ok(!opsOf(twin).includes('CopyObject'));
  assert.equal(manifest.lookup(loc('b', 'mine'))!.sha256, sha(data));
  assert.equal(twin.objects.get('b/mine')!.keyMd5, newKey.keyMd5);
});

test('501 NotImplemented (Ceph RGW): streamed GET → PUT instead, and the server is not asked again', async () => {
  const { twin, conn, manifest, loc, put } = setup({ serverSideCopy: 'not-implemented' });
  const data = randomBytes(3000);
  await put('b', 'src', data);
  const warnings: string[] = [];
  const r = await copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
    dest: { bucket: 'b2', key: 'dst', sseKey: newKey }, events: { onWarning: (m) => warnings.push(m) } });
  assert.equal(r.method, 'streamed');
  assert.deepEqual(opsOf(twin), ['HeadObject', 'CopyObject', 'GetObject', 'PutObject']);
  assert.deepEqual(warnings, []);
  const get = twin.requests.find((q) => q.op === 'GetObject')!.input;
  assert.equal(get.SSECustomerKeyMD5, oldKey.keyMd5);
  assert.equal(twin.requests.find((q) => q.op === 'PutObject')!.input.SSECustomerKeyMD5, newKey.keyMd5);
  assert.deepEqual(twin.objects.get('b2/dst')!.body, data);
  assert.equal(twin.objects.get('b2/dst')!.keyMd5, newKey.keyMd5);
  assert.equal(manifest.lookup(loc('b2', 'dst'))!.fingerprint, newKey.fingerprint);
  assert.equal(manifest.lookup(loc('b2', 'dst'))!.sha256, sha(data));

  twin.requests.length = 0;
  const again = await copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
    dest: { bucket: 'b2', key: 'dst2', sseKey: newKey } });
  assert.equal(again.method, 'streamed');
  assert.ok(!opsOf(twin).includes('CopyObject'), 'CopyObject is not retried on an endpoint that answered 501');
});

test('serverSide "never" streams even where the server could copy', async () => {
  const { twin, conn, manifest, put } = setup();
  await put('b', 'src', randomBytes(100));
  const r = await copyObject({ io: { conn, manifest }, tuning: { serverSide: 'never' }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
    dest: { bucket: 'b', key: 'dst', sseKey: newKey } });
  assert.equal(r.method, 'streamed');
  assert.ok(!opsOf(twin).includes('CopyObject'));
});

test('a server-side copy stored as plaintext is not recorded; the streamed copy replaces it with an encrypted one', async () => {
  for (const versioned of [false, true]) {
    const { twin, conn, manifest, loc, put } = setup({ serverSideCopy: 'plaintext', versioned });
    const data = randomBytes(3000);
    await put('b', 'src', data);
    const warnings: string[] = [];
    const r = await copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
      dest: { bucket: 'b', key: 'dst', sseKey: newKey }, events: { onWarning: (m) => warnings.push(m) } });
    assert.equal(r.method, 'streamed', `versioned=${versioned}`);
    assert.match(warnings.join('\n'), /did not encrypt the server-side copy/);
    const stored = twin.objects.get('b/dst')!;
    assert.equal(stored.keyMd5, newKey.keyMd5, `versioned=${versioned}: the current object is encrypted`);
    assert.deepEqual(stored.body, data);
    // No unencrypted version is left behind, and the manifest knows only the encrypted one.
    assert.deepEqual((twin.history.get('b/dst') ?? []).filter((v) => !v.keyMd5), []);
    const recs = manifest.versions(loc('b', 'dst'));
    assert.equal(recs.length, 1);
    assert.equal(recs[0].fingerprint, newKey.fingerprint);
    assert.equal(recs[0].versionId, stored.versionId ?? 'null');
  }
});

test('an unencrypted server-side copy is removed even when the streamed copy then fails', async () => {
  const { twin, conn, manifest, put } = setup({ serverSideCopy: 'plaintext' });
  await put('b', 'src', randomBytes(100));
  twin.opts.failWhen = (op) => op === 'PutObject';
  await assert.rejects(copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
    dest: { bucket: 'b', key: 'dst', sseKey: newKey } }), (e) => e instanceof Sse3Error && e.code === 'S3');
  assert.equal(twin.objects.has('b/dst'), false, 'no plaintext copy is left at the destination');
  assert.equal(manifest.lookup({ endpoint: conn.endpoint, bucket: 'b', key: 'dst' }), undefined);
});

test('a source that does not match its recorded SHA-256 is not copied', async () => {
  const { twin, conn, manifest, put } = setup({ serverSideCopy: 'not-implemented' });
  await put('b', 'src', randomBytes(3000));
  twin.objects.get('b/src')!.body[7] ^= 1;
  await assert.rejects(copyObject({ io: { conn, manifest }, source: { bucket: 'b', key: 'src', sseKey: oldKey },
    dest: { bucket: 'b', key: 'dst', sseKey: newKey } }), (e: Sse3Error) => e.code === 'INTEGRITY');
  assert.equal(twin.objects.has('b/dst'), false);
  assert.equal(manifest.lookup({ endpoint: conn.endpoint, bucket: 'b', key: 'dst' }), undefined);
});

test('rotateObject, server-side, versioned: a new version under the new key, the old version keeps the old key', async () => {
  const { twin, manifest, loc, put, ctx } = setup({ versioned: true });
  const data = randomBytes(3000);
  const first = await put('b', 'doc', data);
  const r = await rotateObject(ctx(), 'b', 'doc', oldKey, newKey);
  assert.equal(r.status, 'rotated');
  assert.equal(r.method, 'server-side');
  assert.equal(r.oldFingerprint, oldKey.fingerprint);
  assert.equal(r.newFingerprint, newKey.fingerprint);
  assert.equal(r.olderVersionsWithOldKey, 1);
  assert.notEqual(r.versionId, first.versionId);
  const current = twin.objects.get('b/doc')!;
  assert.equal(current.versionId, r.versionId);
  assert.equal(current.keyMd5, newKey.keyMd5);
  assert.deepEqual(current.body, data);
  assert.deepEqual(current.tags, { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data) });
  assert.equal(twin.history.get('b/doc')!.find((v) => v.versionId === first.versionId)!.keyMd5, oldKey.keyMd5);
  assert.equal(manifest.lookup(loc('b', 'doc'))!.fingerprint, newKey.fingerprint);
  assert.equal(manifest.lookup(loc('b', 'doc'), first.versionId)!.fingerprint, oldKey.fingerprint);
  assert.deepEqual(manifest.openRotations(), [], 'the journal entry is closed');
  // CopyObject's answer echoes the new key's MD5: that confirms the write, no HEAD follows it.
  assert.deepEqual(opsOf(twin), ['HeadObject', 'CopyObject']);
  assert.equal(twin.requests.at(-1)!.input.SSECustomerKeyMD5, newKey.keyMd5);

  // Again: nothing to do.
  const again = await rotateObject(ctx(), 'b', 'doc', oldKey, newKey);
  assert.equal(again.status, 'already');
  assert.equal(again.versionId, r.versionId);
});

test('rotateObject, streamed (Ceph), unversioned multipart: the object is replaced under the new key', async () => {
  const { twin, manifest, loc, put, ctx } = setup({ serverSideCopy: 'not-implemented' });
  const data = randomBytes(2.5 * MiB);
  await put('b', 'big', data, oldKey, 1024);
  const r = await rotateObject(ctx(), 'b', 'big', oldKey, newKey);
  assert.equal(r.method, 'streamed');
  assert.equal(opsOf(twin).filter((op) => op === 'UploadPart').length, 3);
  for (const q of twin.requests.filter((q) => ['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'].includes(q.op))) {
    assert.equal(q.input.SSECustomerKeyMD5, newKey.keyMd5, q.op);
  }
  assert.equal(r.olderVersionsWithOldKey, 0);
  assert.equal(twin.objects.get('b/big')!.keyMd5, newKey.keyMd5);
  assert.deepEqual(twin.objects.get('b/big')!.body, data);
  assert.equal(twin.objects.get('b/big')!.tags['sse3-sha256'], sha(data));
  assert.equal(manifest.versions(loc('b', 'big')).length, 1);
  assert.equal(manifest.lookup(loc('b', 'big'))!.fingerprint, newKey.fingerprint);
  assert.equal(manifest.fingerprintUse().get(oldKey.fingerprint), undefined);
  assert.deepEqual(manifest.openRotations(), []);
});

test('rotateObject, streamed (Ceph), small objects: a GET with the old key and a PUT with the new key carrying the tags, nothing more', async () => {
  const { twin, manifest, loc, put, ctx, transfers } = setup({ serverSideCopy: 'not-implemented' });
  const data = [randomBytes(3000), randomBytes(1), randomBytes(5000), randomBytes(0)];
  for (let i = 0; i < data.length; i++) await put('b', `doc${i}`, data[i]);
  // The first rotation learns that this server cannot copy SSE-C objects; the others go straight to GET → PUT.
  await rotateObject(ctx(), 'b', 'doc0', oldKey, newKey);
  for (const i of [1, 2, 3]) {
    twin.requests.length = 0;
    const r = await rotateObject(ctx(), 'b', `doc${i}`, oldKey, newKey);
    assert.equal(r.method, 'streamed');
    // An empty object has no byte 0: its ranged GET is answered 416 and asked again without a range.
    assert.deepEqual(opsOf(twin), i === 3 ? ['GetObject', 'GetObject', 'PutObject'] : ['GetObject', 'PutObject'], `doc${i}`);
    const get = twin.requests[0].input;
    const putReq = twin.requests.find((q) => q.op === 'PutObject')!.input;
    assert.equal(get.SSECustomerKeyMD5, oldKey.keyMd5);
    assert.equal(putReq.SSECustomerKeyMD5, newKey.keyMd5);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(putReq.Tagging)), { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data[i]) });
    const stored = twin.objects.get(`b/doc${i}`)!;
    assert.equal(stored.keyMd5, newKey.keyMd5);
    assert.deepEqual(stored.body, data[i]);
    assert.equal(manifest.lookup(loc('b', `doc${i}`))!.fingerprint, newKey.fingerprint);
    assert.equal(manifest.lookup(loc('b', `doc${i}`))!.sha256, sha(data[i]));
  }
  assert.deepEqual(manifest.openRotations(), []);
  assert.equal(transfers.budget.used, 0, 'every transfer buffer went back');
});

test('a rotation whose PUT answer lacks the new key\'s MD5 is caught: the written version is removed, the object keeps its old key', async () => {
  const { twin, manifest, loc, put, ctx } = setup({ serverSideCopy: 'not-implemented', versioned: true });
  const data = randomBytes(3000);
  const first = await put('b', 'doc', data);
  twin.opts.encrypts = (op) => op !== 'PutObject';
  await assert.rejects(rotateObject(ctx(), 'b', 'doc', oldKey, newKey), (e: Sse3Error) => e.code === 'NOT_ENCRYPTED' && e.exitCode === 4);
  assert.ok(opsOf(twin).includes('DeleteObject'), 'the unconfirmed write was deleted');
  assert.deepEqual((twin.history.get('b/doc') ?? []).filter((v) => !v.keyMd5), [], 'no plaintext version remains');
  assert.equal(twin.objects.get('b/doc')!.versionId, first.versionId);
  assert.equal(twin.objects.get('b/doc')!.keyMd5, oldKey.keyMd5);
  assert.equal(manifest.lookup(loc('b', 'doc'))!.fingerprint, oldKey.fingerprint);
  assert.deepEqual(manifest.openRotations(), [], 'the old key still opens it: the rotation was abandoned');

  // The same for a copy to another object.
  await assert.rejects(copyObject({ io: { conn: twin.connection(), manifest }, source: { bucket: 'b', key: 'doc', sseKey: oldKey },
    dest: { bucket: 'b', key: 'copy', sseKey: newKey } }), (e: Sse3Error) => e.code === 'NOT_ENCRYPTED');
  assert.equal(twin.objects.has('b/copy'), false);
  assert.equal(manifest.lookup(loc('b', 'copy')), undefined);
});

test('rotateObject in place on a server that stores server-side copies as plaintext ends encrypted under the new key', async () => {
  for (const versioned of [false, true]) {
    const { twin, manifest, loc, put, ctx } = setup({ serverSideCopy: 'plaintext', versioned });
    const data = randomBytes(3000);
    await put('b', 'doc', data);
    const warnings: string[] = [];
    const r = await rotateObject(ctx({ events: { onWarning: (m) => warnings.push(m) } }), 'b', 'doc', oldKey, newKey);
    assert.equal(r.status, 'rotated', `versioned=${versioned}`);
    assert.equal(r.method, 'streamed');
    assert.match(warnings.join('\n'), /did not encrypt/);
    const current = twin.objects.get('b/doc')!;
    assert.equal(current.keyMd5, newKey.keyMd5, `versioned=${versioned}: encrypted under the new key`);
    assert.deepEqual(current.body, data);
    assert.deepEqual((twin.history.get('b/doc') ?? []).filter((v) => !v.keyMd5), [], 'no plaintext version remains');
    assert.equal(manifest.lookup(loc('b', 'doc'))!.fingerprint, newKey.fingerprint);
    assert.equal(manifest.lookup(loc('b', 'doc'))!.sha256, sha(data));
  }
});

test('rotateObject refuses a key that does not open the object; an object already under the new key is skipped', async () => {
  const { twin, manifest, put, ctx } = setup();
  const data = randomBytes(100);
  await put('b', 'doc', data);
  const stranger = new SseCKey(randomBytes(32), 'stranger');
  await assert.rejects(rotateObject(ctx(), 'b', 'doc', stranger, newKey),
    (e: Sse3Error) => e.code === 'WRONG_KEY' && e.exitCode === 3 && e.message.includes(stranger.fingerprint));
  const again = await rotateObject(ctx(), 'b', 'doc', oldKey, oldKey);
  assert.deepEqual([again.status, again.newFingerprint, again.olderVersionsWithOldKey], ['already', oldKey.fingerprint, 0]);
  await assert.rejects(rotateObject(ctx(), 'b', 'doc', stranger, stranger),
    (e: Sse3Error) => e.code === 'WRONG_KEY', 'the same key as old and new that does not open it is still refused');
  assert.ok(!opsOf(twin).some((op) => op === 'CopyObject' || op === 'PutObject'), 'nothing was written');
  assert.equal(twin.objects.get('b/doc')!.keyMd5, oldKey.keyMd5);
  assert.deepEqual(manifest.openRotations(), []);
});

test('a rotation that fails before its write is abandoned: the object still opens with the old key', async () => {
  const { twin, manifest, put, ctx } = setup({ serverSideCopy: 'not-implemented', failPart: 2 });
  await put('b', 'big', randomBytes(2.5 * MiB), oldKey, 4 * MiB);
  await assert.rejects(rotateObject(ctx(), 'b', 'big', oldKey, newKey),
    (e) => e instanceof Sse3Error && e.code === 'S3');
  assert.equal(twin.objects.get('b/big')!.keyMd5, oldKey.keyMd5);
  assert.equal(twin.uploads.size, 0, 'the multipart upload was aborted');
  assert.deepEqual(manifest.openRotations(), []);
  assert.deepEqual(manifest.pendingUploads(), []);
});

test('a rotation that fails after its write landed stays journalled, and settling it records the new key', async () => {
  let armed = false;
  let committed = false;
  const { twin, manifest, loc, ctx } = setup({
    serverSideCopy: 'not-implemented',
    // The write is committed, then the confirming HEAD fails (a timeout, a 5xx).
    failWhen: (op) => {
      if (armed && op === 'CompleteMultipartUpload') committed = true;
      return committed && op === 'HeadObject';
    },
  });
  const data = randomBytes(2.5 * MiB);
  // Written elsewhere by sse3: this manifest has no record, the checksum is in the tag.
  await uploadObject({ io: { conn: twin.connection(), manifest: new ManifestStore(':memory:') },
    target: { bucket: 'b', key: 'big', sseKey: oldKey }, source: { kind: 'stream', body: chunked(data) }, tuning: { partSize: MiB } });
  armed = true;
  await assert.rejects(rotateObject(ctx(), 'b', 'big', oldKey, newKey),
    (e) => e instanceof Sse3Error && e.code === 'S3');
  assert.equal(twin.objects.get('b/big')!.keyMd5, newKey.keyMd5, 'the new object is in place');
  const open = manifest.openRotations();
  assert.equal(open.length, 1, 'both keys stay on record until the rotation is settled');
  assert.equal(open[0].oldFingerprint, oldKey.fingerprint);
  assert.equal(open[0].newFingerprint, newKey.fingerprint);
  assert.equal(open[0].sha256, sha(data), 'the journal carries the checksum from the tag');

  armed = committed = false;
  const settled = await settleRotations(ctx());
  assert.deepEqual(settled.map((s) => s.outcome), ['new-key']);
  assert.deepEqual(manifest.openRotations(), []);
  const rec = manifest.lookup(loc('b', 'big'))!;
  assert.equal(rec.fingerprint, newKey.fingerprint);
  assert.equal(rec.sha256, sha(data));
  assert.deepEqual(twin.objects.get('b/big')!.tags, { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data) });
});

test('settleRotations: old key still opens → kept journalled (not done yet); a key sse3 cannot find → unresolved and kept', async () => {
  const { twin, manifest, loc, put, ctx } = setup();
  const data = randomBytes(100);
  await put('b', 'untouched', data);
  await put('b', 'lost', data);
  const journal = (key: string, newFingerprint: string) => manifest.journalRotation({ ...loc('b', key), oldVersion: '',
    oldFingerprint: oldKey.fingerprint, newFingerprint, size: data.length, sha256: sha(data) });
  journal('untouched', newKey.fingerprint);
  twin.objects.get('b/lost')!.keyMd5 = 'bm90IGEga2V5IHNzZTMga25vd3M=';
  journal('lost', 'f'.repeat(20));
  const settled = await settleRotations(ctx());
  assert.deepEqual(settled.map((s) => [s.key, s.outcome]), [['untouched', 'old-key'], ['lost', 'unresolved']]);
  assert.match(settled[1].detail!, new RegExp(`keys not found here: ${'f'.repeat(20)}`));
  assert.deepEqual(settled[1].needs, ['f'.repeat(20)]);
  assert.deepEqual(manifest.openRotations().map((r) => r.key), ['untouched', 'lost'], 'a rotation asked for and not done stays on record');
  assert.equal(manifest.lookup(loc('b', 'untouched'))!.fingerprint, oldKey.fingerprint);
  assert.ok(!opsOf(twin).some((op) => op === 'CopyObject' || op === 'PutObject' || op === 'CreateMultipartUpload'), 'settling writes nothing');
});

test('resumeRotations: an unwritten rotation whose new key is missing stays journalled, unresolved, naming the key (exit 3)', async () => {
  const { twin, manifest, loc, put, ctx } = setup();
  const data = randomBytes(100);
  await put('b', 'doc', data);
  manifest.journalRotation({ ...loc('b', 'doc'), oldVersion: '', oldFingerprint: oldKey.fingerprint,
    newFingerprint: newKey.fingerprint, size: data.length, sha256: sha(data) });
  const onlyOld = ctx({ findKey: async (fp) => (fp === oldKey.fingerprint ? oldKey : undefined) });
  const r = await resumeRotations(onlyOld);
  assert.deepEqual([r.redone.length, r.unresolved.length, r.exitCode], [0, 1, 3]);
  assert.deepEqual(r.unresolved[0].needs, [newKey.fingerprint]);
  assert.equal(manifest.openRotations().length, 1, 'still journalled');
  assert.equal(twin.objects.get('b/doc')!.keyMd5, oldKey.keyMd5);

  // With the new key at hand the same entry is finished and closed.
  const done = await resumeRotations(ctx());
  assert.deepEqual([done.redone.map((x) => x.status), done.unresolved.length, done.exitCode], [['rotated'], 0, 0]);
  assert.equal(twin.objects.get('b/doc')!.keyMd5, newKey.keyMd5);
  assert.equal(manifest.lookup(loc('b', 'doc'))!.fingerprint, newKey.fingerprint);
  assert.deepEqual(manifest.openRotations(), []);
});

test('a rotation of an object closes the unwritten rotations a killed sse3 left for it', async () => {
  const { manifest, loc, put, ctx } = setup();
  const data = randomBytes(100);
  await put('b', 'doc', data);
  const third = new SseCKey(randomBytes(32), 'third');
  manifest.journalRotation({ ...loc('b', 'doc'), oldVersion: '', oldFingerprint: oldKey.fingerprint,
    newFingerprint: third.fingerprint, size: data.length, sha256: sha(data) });
  manifest.journalRotation({ ...loc('b', 'other'), oldVersion: '', oldFingerprint: oldKey.fingerprint,
    newFingerprint: third.fingerprint, size: data.length, sha256: sha(data) });
  await rotateObject(ctx(), 'b', 'doc', oldKey, newKey);
  assert.deepEqual(manifest.openRotations().map((r) => r.key), ['other']);
});
