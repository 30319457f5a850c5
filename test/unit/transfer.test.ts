import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SseCKey } from '../../src/core/key.js';
import { uploadObject } from '../../src/core/upload.js';
import { downloadObject } from '../../src/core/download.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Twin } from '../support/s3-twin.js';

const key = new SseCKey(randomBytes(32), 'test');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** An upload of a stream, as sse3 cp/put of stdin does it. */
const upload = (twin: S3Twin, manifest: ManifestStore, bucket: string, objectKey: string, body: Readable,
  tuning: { partSize?: number; concurrency?: number }) =>
  uploadObject({ io: { conn: twin.connection(), manifest }, target: { bucket, key: objectKey, sseKey: key },
    source: { kind: 'stream', body }, tuning });
const download = (twin: S3Twin, objectKey: string, path: string) =>
  downloadObject({ io: { conn: twin.connection(), manifest: new ManifestStore(':memory:') }, object: { bucket: 'b', key: objectKey },
    sseKey: key, target: { kind: 'file', path } });
const chunked = (b: Buffer, n = 1000) => Readable.from(Array.from({ length: Math.ceil(b.length / n) || 1 }, (_, i) => b.subarray(i * n, (i + 1) * n)));

test('small object: one PutObject with SSE-C headers, checksum in metadata and tags, then recorded', async () => {
  const twin = new S3Twin({ versioned: true });
  const manifest = new ManifestStore(':memory:');
  const data = randomBytes(5000);
  const r = await upload(twin, manifest, 'b', 'k', chunked(data), { partSize: 8192 });
  assert.deepEqual(twin.requests.map((q) => q.op), ['PutObject']);
  assert.equal(twin.requests[0].input.SSECustomerKeyMD5, key.keyMd5);
  assert.equal(r.sha256, sha(data));
  assert.equal(twin.objects.get('b/k')!.metadata['sse3-sha256'], sha(data));
  assert.equal(twin.objects.get('b/k')!.tags['sse3-fp'], key.fingerprint);
  const rec = manifest.lookup({ endpoint: 'https://twin', bucket: 'b', key: 'k' })!;
  assert.equal(rec.fingerprint, key.fingerprint);
  assert.equal(rec.versionId, r.versionId);
  assert.ok(rec.versionId.startsWith('v'));
});

test('multipart: the key headers are on create, every part and complete; tags carry the checksum', async () => {
  const twin = new S3Twin();
  const manifest = new ManifestStore(':memory:');
  const data = randomBytes(10 * 1024 + 17);
  const r = await upload(twin, manifest, 'b', 'big', chunked(data, 999), { partSize: 1024, concurrency: 3 });
  const ops = twin.requests.map((q) => q.op);
  assert.equal(ops.filter((o) => o === 'UploadPart').length, 11);
  for (const q of twin.requests.filter((q) => ['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'HeadObject'].includes(q.op))) {
    assert.equal(q.input.SSECustomerAlgorithm, 'AES256', q.op);
    assert.equal(q.input.SSECustomerKeyMD5, key.keyMd5, q.op);
  }
  assert.deepEqual(twin.objects.get('b/big')!.body, data);
  assert.equal(twin.objects.get('b/big')!.tags['sse3-sha256'], sha(data));
  assert.equal(r.parts, 11);
  assert.equal(r.etag, 'etag-from-head');
  assert.deepEqual(manifest.pendingUploads(), []);
});

test('a failed part aborts the multipart upload and records nothing', async () => {
  const twin = new S3Twin({ failPart: 3 });
  const manifest = new ManifestStore(':memory:');
  await assert.rejects(upload(twin, manifest, 'b', 'x', chunked(randomBytes(8000)), { partSize: 1024 }),
    (e) => e instanceof Sse3Error && e.code === 'S3');
  assert.ok(twin.requests.some((q) => q.op === 'AbortMultipartUpload'));
  assert.equal(twin.uploads.size, 0);
  assert.equal(manifest.count(), 0);
  assert.deepEqual(manifest.pendingUploads(), []);
});

test('a server that stores plaintext is caught: object deleted, nothing recorded, NOT_ENCRYPTED', async () => {
  for (const size of [100, 5000]) {
    const twin = new S3Twin({ encrypts: false });
    const manifest = new ManifestStore(':memory:');
    await assert.rejects(upload(twin, manifest, 'b', 'p', chunked(randomBytes(size)), { partSize: 1024 }), (e: Sse3Error) => e.code === 'NOT_ENCRYPTED' && e.exitCode === 4);
    assert.equal(manifest.count(), 0);
    assert.equal(twin.objects.has('b/p'), false);
  }
});

test('download verifies the SHA-256 and leaves no file when it does not match', async () => {
  const twin = new S3Twin();
  const manifest = new ManifestStore(':memory:');
  const data = randomBytes(3000);
  await upload(twin, manifest, 'b', 'k', chunked(data), { partSize: 1024 });
  const dir = mkdtempSync(join(tmpdir(), 'sse3-dl-'));
  const ok = await download(twin, 'k', join(dir, 'out'));
  assert.equal(ok.checkedAgainst, 'tag');
  assert.deepEqual(readFileSync(join(dir, 'out')), data);

  twin.objects.get('b/k')!.body[10] ^= 1; // corrupted at rest
  await assert.rejects(download(twin, 'k', join(dir, 'bad')), (e: Sse3Error) => e.code === 'INTEGRITY');
  assert.deepEqual(readdirSync(dir), ['out']);
});

test('download of an unencrypted object is refused and leaves no file', async () => {
  const twin = new S3Twin();
  twin.objects.set('b/plain', { body: Buffer.from('hello'), metadata: {}, tags: {} });
  const dir = mkdtempSync(join(tmpdir(), 'sse3-dl-'));
  await assert.rejects(download(twin, 'plain', join(dir, 'x')), (e) => e instanceof Sse3Error && e.code === 'NOT_ENCRYPTED');
  assert.deepEqual(readdirSync(dir), []);
});

test('a range whose body ends early is retried, and reported as a cut-short transfer when it keeps happening', async () => {
  const MiB = 1024 * 1024;
  const data = randomBytes(10 * MiB);
  let cuts = 0;
  const twin = new S3Twin({ cutShort: (range) => range.startsWith(`bytes=${4 * MiB}-`) && cuts++ < 2 });
  const manifest = new ManifestStore(':memory:');
  await upload(twin, manifest, 'b', 'k', chunked(data, MiB), { partSize: 5 * MiB });
  const dir = mkdtempSync(join(tmpdir(), 'sse3-dl-'));
  const r = await download(twin, 'k', join(dir, 'out'));
  assert.equal(cuts, 3, 'two cut-short answers, then a whole one');
  assert.equal(r.sha256, sha(data));
  assert.deepEqual(readFileSync(join(dir, 'out')), data);

  twin.opts.cutShort = (range) => range.startsWith(`bytes=${8 * MiB}-`);
  await assert.rejects(download(twin, 'k', join(dir, 'cut')),
    (e: Sse3Error) => e.code === 'CUT_SHORT' && e.exitCode === 5 && /cut the transfer of s3:\/\/b\/k short/.test(e.message));
  assert.deepEqual(readdirSync(dir), ['out'], 'no partial file is left');
});
