// The one keyed HEAD and its verdict (src/core/keyed.ts headWithKey), and the callers that decide on it: rotate's
// probe, adopt, verify, heal (test/unit/heal.test.ts) and the settling of orphaned uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { headWithKey } from '../../src/core/keyed.js';
import { probe } from '../../src/core/rotation/rotate.js';
import { adoptVersion, CandidateKeys } from '../../src/core/scans/adopt.js';
import { verifyEntry } from '../../src/core/objects/verify.js';
import { settleOrphanUploads } from '../../src/core/transfer/orphans.js';
import { SseCKey } from '../../src/keys/key.js';
import { newEntry } from '../../src/manifest/entry.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import { networkError, S3Twin, timeoutError } from '../support/s3-twin.js';
import { alteredHeads, twinSession } from '../support/twin-session.js';

const key = new SseCKey(randomBytes(32), 'k');
const other = new SseCKey(randomBytes(32), 'other');

function twinWith(opts: ConstructorParameters<typeof S3Twin>[0] = {}) {
  const twin = new S3Twin({ endpoint: `https://keyed-${Math.random()}`, ...opts });
  twin.store('b/enc', { body: Buffer.from('secret bytes'), keyMd5: key.keyMd5, metadata: { 'sse3-mtime': '1700000000000' },
    tags: {}, versionId: opts.versioned ? 'v7' : undefined, contentType: 'text/plain' });
  twin.store('b/plain', { body: Buffer.from('plain'), metadata: {}, tags: {} });
  return twin;
}
const io = (twin: S3Twin) => ({ conn: twin.connection(), manifest: new ManifestStore(':memory:') });

test('opens: the answer echoes the key; what callers decide on comes with it', async () => {
  const twin = twinWith({ versioned: true });
  const r = await headWithKey(io(twin), { bucket: 'b', key: 'enc', versionId: 'v7' }, key, { op: 'head' });
  assert.deepEqual(r, { verdict: 'opens', answer: { size: 12, etag: 'etag-from-head', versionId: 'v7',
    metadata: { 'sse3-mtime': '1700000000000' },
    props: { contentType: 'text/plain', cacheControl: undefined, contentDisposition: undefined, storageClass: undefined, metadata: {}, mode: undefined } } });
  assert.deepEqual(twin.requests.map((q) => [q.op, q.input.VersionId, q.input.SSECustomerKeyMD5]), [['HeadObject', 'v7', key.keyMd5]]);
});

test('refused, plain, missing, other key: each a verdict with the error that says it', async () => {
  const twin = twinWith();
  const verdict = async (k: string, sseKey: SseCKey, conn = twin.connection()) => {
    const r = await headWithKey({ conn, manifest: new ManifestStore(':memory:') }, { bucket: 'b', key: k }, sseKey,
      { op: 'head', expectedFingerprint: key.fingerprint });
    return r.verdict === 'opens' ? [r.verdict] : [r.verdict, r.error.code, r.error.exitCode];
  };
  assert.deepEqual(await verdict('enc', other), ['refused', 'WRONG_KEY', ExitCode.KEY]);
  // Ceph RGW answers a keyed HEAD of a plain object with 200 and no SSE-C headers.
  assert.deepEqual(await verdict('plain', key), ['plain', 'NOT_ENCRYPTED', ExitCode.INTEGRITY]);
  assert.deepEqual(await verdict('gone', key), ['missing', 'NO_OBJECT', ExitCode.FAILED]);
  const liar = alteredHeads(twin.connection(), (h) => ({ ...h, SSECustomerKeyMD5: other.keyMd5 }));
  assert.deepEqual(await verdict('enc', key, liar), ['other-key', 'INTEGRITY', ExitCode.INTEGRITY]);
});

test('a server that does not answer is thrown as the described error (exit 5); a 5xx as the failure it is', async () => {
  for (const [error, code, exit] of [[networkError(), 'UNREACHABLE', ExitCode.UNREACHABLE], [timeoutError(), 'UNREACHABLE', ExitCode.UNREACHABLE],
    [undefined, 'S3', ExitCode.FAILED]] as const) {
    const twin = twinWith({ errorFor: (op) => (op === 'HeadObject' ? error : undefined), failWhen: (op) => !error && op === 'HeadObject' });
    await assert.rejects(headWithKey(io(twin), { bucket: 'b', key: 'enc' }, key, { op: 'rotate' }),
      (e) => e instanceof Sse3Error && e.code === code && e.exitCode === exit && /s3:\/\/b\/enc/.test(e.message), code);
  }
});

test('an answer about another version than the one asked for is never taken as proof (INTEGRITY)', async () => {
  const twin = twinWith({ versioned: true });
  const conn = alteredHeads(twin.connection(), (h) => ({ ...h, VersionId: 'v1' }));
  await assert.rejects(headWithKey({ conn, manifest: new ManifestStore(':memory:') }, { bucket: 'b', key: 'enc', versionId: 'v7' }, key,
    { op: 'head' }), (e) => e instanceof Sse3Error && e.code === 'INTEGRITY' && /asked for version v7/.test(e.message));
});

test('rotate\'s probe: opens with what a rotation journals, ETag included; refused and plain say so; missing is thrown', async () => {
  const twin = twinWith();
  const ctx = { io: io(twin), findKey: async () => undefined };
  assert.deepEqual(await probe(ctx, 'b', 'enc', key),
    { opens: true, versionId: '', etag: 'etag-from-head', sha256: undefined, size: 12, mtimeMs: 1700000000000,
      props: { contentType: 'text/plain', cacheControl: undefined, contentDisposition: undefined, storageClass: undefined, metadata: {}, mode: undefined } });
  assert.deepEqual(await probe(ctx, 'b', 'enc', other), { opens: false, plain: false });
  assert.deepEqual(await probe(ctx, 'b', 'plain', key), { opens: false, plain: true });
  await assert.rejects(probe(ctx, 'b', 'gone', key), (e) => e instanceof Sse3Error && e.code === 'NO_OBJECT');
});

test('adopt does not record a version from an answer about another version', async () => {
  const twin = twinWith({ versioned: true });
  const conn = alteredHeads(twin.connection(), (h) => (h.SSECustomerKeyMD5 ? { ...h, VersionId: 'v1' } : h));
  const manifest = new ManifestStore(':memory:');
  const ctx = { io: { conn, manifest }, candidates: new CandidateKeys([{ ref: 'k', key }]), hash: false, findKey: async () => undefined };
  await assert.rejects(adoptVersion(ctx, 'b', { key: 'enc', size: 12, etag: 'e', versionId: 'v7', isLatest: true }),
    (e) => e instanceof Sse3Error && e.code === 'INTEGRITY');
  assert.equal(manifest.count(), 0, 'nothing recorded');
  assert.deepEqual(twin.objects.get('b/enc')!.tags, {}, 'nothing tagged');
});

test('verify does not call a version OK from an answer about another version', async () => {
  const twin = twinWith({ versioned: true });
  const s = twinSession(alteredHeads(twin.connection(), (h) => ({ ...h, VersionId: 'v1' })), [key]);
  const e = newEntry({ endpoint: s.conn.endpoint, bucket: 'b', key: 'enc' }, { versionId: 'v7', fingerprint: key.fingerprint, size: 12 });
  await assert.rejects(verifyEntry(s, e, false), (err) => err instanceof Sse3Error && err.code === 'INTEGRITY');
});

test('an orphaned upload whose object cannot be asked about now stays journalled for the next run', async () => {
  const twin = twinWith({ errorFor: (op) => (op === 'HeadObject' ? networkError() : undefined) });
  const manifest = new ManifestStore(':memory:');
  const loc = { endpoint: twin.connection().endpoint, bucket: 'b', key: 'enc' };
  manifest.beginUpload({ ...loc, uploadId: 'gone', fingerprint: key.fingerprint, pid: 2 ** 22 + 1, startedAt: 'then', token: 'ab'.repeat(16) });
  manifest.completingUpload(loc, 'gone', 'f'.repeat(64), 12);
  const warnings: string[] = [];
  await settleOrphanUploads({ conn: twin.connection(), manifest }, async () => key, (m) => warnings.push(m));
  assert.equal(manifest.pendingUploads().length, 1, 'kept: whether the upload wrote the object is still to be found out');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /s3:\/\/b\/enc: kept the record of multipart upload gone .*did not say whether it completed.*next sse3 run/);
  assert.equal(manifest.count(), 0);
});

test('rotate\'s first-part GET is judged by the same rule: plain, refused by both keys and missing say so, nothing is written', async () => {
  const twin = twinWith();
  const ctx = { io: io(twin), tuning: { serverSide: 'never' as const }, findKey: async () => undefined };
  const { rotateObject } = await import('../../src/core/rotation/rotate.js');
  // A plain object has no key to rotate from: a state said as such, not an error.
  assert.deepEqual(await rotateObject(ctx, 'b', 'plain', key, other), { url: 's3://b/plain', status: 'plain', oldFingerprint: '',
    newFingerprint: other.fingerprint, versionId: '', olderVersionsWithOldKey: 0 });
  const stranger = new SseCKey(randomBytes(32), 'stranger');
  await assert.rejects(rotateObject(ctx, 'b', 'enc', other, stranger), (e) => e instanceof Sse3Error && e.code === 'WRONG_KEY');
  await assert.rejects(rotateObject(ctx, 'b', 'gone', key, other), (e) => e instanceof Sse3Error && e.code === 'NO_OBJECT');
  assert.deepEqual(twin.requests.filter((q) => q.op !== 'HeadObject').map((q) => [q.op, q.input.Key]),
    [['GetObject', 'plain'], ['GetObject', 'enc'], ['GetObject', 'gone']], 'a GET each, and nothing written');
});
