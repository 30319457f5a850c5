import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { SseCKey } from '../../src/keys/key.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { downloadObject } from '../../src/core/transfer/download.js';
import { TransferScope } from '../../src/core/transfer/scope.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Twin } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';
import { waitFor } from '../support/wait.js';

const key = new SseCKey(randomBytes(32), 'test');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** An upload of a stream, as sse3 cp/put of stdin does it. */
const upload = (twin: S3Twin, manifest: ManifestStore, bucket: string, objectKey: string, body: Readable,
  tuning: { partSize?: number; concurrency?: number }) =>
  uploadObject({ io: { conn: twin.connection(), manifest }, target: { bucket, key: objectKey, sseKey: key },
    source: { kind: 'stream', body }, tuning });
const download = (twin: S3Twin, objectKey: string, path: string, tuning?: { partSize?: number; concurrency?: number }) =>
  downloadObject({ io: { conn: twin.connection(), manifest: new ManifestStore(':memory:') }, object: { bucket: 'b', key: objectKey },
    sseKey: key, target: { kind: 'file', path }, tuning });
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
  const dir = tempDir('sse3-dl-');
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
  const dir = tempDir('sse3-dl-');
  await assert.rejects(download(twin, 'plain', join(dir, 'x')), (e) => e instanceof Sse3Error && e.code === 'NOT_ENCRYPTED');
  assert.deepEqual(readdirSync(dir), []);
});

test('a range whose body ends early is fetched again from where it stopped, and reported as a cut-short transfer when it keeps happening', async () => {
  const MiB = 1024 * 1024;
  const data = randomBytes(10 * MiB);
  let cuts = 0;
  // The twin sends half of a range when cut short: 4 MiB…6 MiB, then 6 MiB…7 MiB, then the rest.
  const twin = new S3Twin({ cutShort: (range) => range.startsWith('bytes=') && Number(range.slice(6).split('-')[0]) >= 4 * MiB
    && Number(range.slice(6).split('-')[0]) < 8 * MiB && cuts++ < 2 });
  const manifest = new ManifestStore(':memory:');
  await upload(twin, manifest, 'b', 'k', chunked(data, MiB), { partSize: 5 * MiB });
  const dir = tempDir('sse3-dl-');
  const r = await download(twin, 'k', join(dir, 'out'), { partSize: 4 * MiB });
  assert.equal(cuts, 3, 'two cut-short answers, then a whole one');
  const asked = twin.requests.filter((q) => q.op === 'GetObject').map((q) => q.input.Range);
  assert.ok(asked.includes(`bytes=${6 * MiB}-${8 * MiB - 1}`) && asked.includes(`bytes=${7 * MiB}-${8 * MiB - 1}`),
    `resumed where each cut-short body stopped: ${asked.join(' ')}`);
  assert.equal(r.sha256, sha(data));
  assert.deepEqual(readFileSync(join(dir, 'out')), data);

  twin.opts.cutShort = (range) => range.startsWith('bytes=') && Number(range.slice(6).split('-')[0]) >= 8 * MiB;
  await assert.rejects(download(twin, 'k', join(dir, 'cut'), { partSize: 4 * MiB }),
    (e: Sse3Error) => e.code === 'CUT_SHORT' && e.exitCode === 5 && /cut the transfer of s3:\/\/b\/k short/.test(e.message));
  assert.deepEqual(readdirSync(dir), ['out'], 'no partial file is left');
});

test('ranges answered out of order are written at their offsets and still give a verified file; a corrupt late range fails it', async () => {
  const MiB = 1024 * 1024;
  const data = randomBytes(9 * MiB + 123);
  const manifest = new ManifestStore(':memory:');
  const twin = new S3Twin();
  await upload(twin, manifest, 'b', 'k', chunked(data, MiB), { partSize: 5 * MiB });
  const dir = tempDir('sse3-dl-');
  // The second range answers last: only once the temporary file already holds the third range at its offset.
  const startsAt = (input: { Range?: unknown }, at: number) => String(input.Range).startsWith(`bytes=${at}-`);
  let seenAhead: boolean | undefined;
  twin.opts.holdAnswer = (op, input) => {
    if (op !== 'GetObject' || !startsAt(input, MiB)) return undefined;
    return waitFor('the third range in the temporary file while the second is held back', () => {
      const part = readdirSync(dir).find((n) => n.endsWith('.part'));
      return part !== undefined && readFileSync(join(dir, part)).subarray(2 * MiB, 3 * MiB).equals(data.subarray(2 * MiB, 3 * MiB));
    }, 10_000).then(() => { seenAhead = true; }, () => { seenAhead = false; });
  };
  const r = await download(twin, 'k', join(dir, 'out'), { partSize: MiB, concurrency: 4 });
  const order = twin.answered.filter((q) => q.op === 'GetObject').map((q) => Number(String(q.input.Range).slice(6).split('-')[0]) / MiB);
  assert.ok(order.indexOf(1) > order.indexOf(2) && order.indexOf(1) > order.indexOf(3), `answered in the order ${order.join(', ')}`);
  assert.equal(seenAhead, true, 'the third range was in the file before the second arrived');
  assert.equal(r.sha256, sha(data));
  assert.equal(r.checkedAgainst, 'tag');
  assert.deepEqual(readFileSync(join(dir, 'out')), data);

  twin.answered.length = 0;
  // Corrupted at rest, in a range answered (and written) while the one at 1 MiB is held back.
  twin.opts.holdAnswer = (op, input) => (op === 'GetObject' && startsAt(input, MiB)
    ? waitFor('the range at 8 MiB answered', () => twin.answered.some((q) => q.op === 'GetObject' && startsAt(q.input, 8 * MiB)), 10_000)
    : undefined);
  twin.objects.get('b/k')!.body[8 * MiB + 5] ^= 1;
  await assert.rejects(download(twin, 'k', join(dir, 'bad'), { partSize: MiB, concurrency: 4 }), (e: Sse3Error) => e.code === 'INTEGRITY');
  assert.deepEqual(readdirSync(dir), ['out'], 'no partial file is left');
});

test('downloads to a stream give their range buffers back to the process budget, finished or failed', async () => {
  const MiB = 1024 * 1024;
  const data = randomBytes(6 * MiB + 7);
  const manifest = new ManifestStore(':memory:');
  const twin = new S3Twin();
  await upload(twin, manifest, 'b', 'k', chunked(data, MiB), { partSize: 5 * MiB });
  // One session's transfers: they share one buffer budget.
  const io = { conn: twin.connection(), manifest, transfers: new TransferScope() };
  const toStream = (sink: Writable) => downloadObject({ io, object: { bucket: 'b', key: 'k' },
    sseKey: key, target: { kind: 'stream', stream: sink }, tuning: { partSize: MiB, concurrency: 3 } });
  // More downloads than the budget has room for if any of them kept its buffers.
  for (let i = 0; i < 12; i++) {
    const got: Buffer[] = [];
    const r = await toStream(new Writable({ write(c, _e, cb) { got.push(Buffer.from(c)); cb(); } }));
    assert.equal(r.sha256, sha(data));
    assert.ok(Buffer.concat(got).equals(data), 'the stream got the object\'s bytes in order');
    assert.equal(io.transfers.budget.used, 0, `after download ${i}`);
  }
  const failing = new Writable({ write(_c, _e, cb) { cb(new Error('disk full')); } });
  failing.on('error', () => undefined); // said by the download's rejection
  await assert.rejects(toStream(failing));
  assert.equal(io.transfers.budget.used, 0, 'after a failed download');
});

/** Counts the requests of `op` the twin is answering at once; each is held a few turns of the event loop. */
function countInFlight(twin: S3Twin, op: string): { max: () => number } {
  let now = 0;
  let max = 0;
  twin.opts.holdAnswer = async (asked) => {
    if (asked !== op) return;
    max = Math.max(max, ++now);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    now--;
  };
  return { max: () => max };
}

test('without --concurrency an upload has three parts in flight (each holds a part buffer), a download four ranges', async () => {
  const twin = new S3Twin();
  const data = randomBytes(12 * 1024);
  const parts = countInFlight(twin, 'UploadPart');
  await upload(twin, new ManifestStore(':memory:'), 'b', 'k', chunked(data), { partSize: 1024 });
  assert.equal(parts.max(), 3);

  const dir = tempDir('sse3-dl-');
  const ranges = countInFlight(twin, 'GetObject');
  const r = await download(twin, 'k', join(dir, 'out'), { partSize: 1024 });
  assert.equal(r.sha256, sha(data));
  // The first range answers alone (it tells the size); the rest go four at a time.
  assert.equal(ranges.max(), 4);
});
