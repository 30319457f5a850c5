// Multipart uploads a killed sse3 left: each is ended only on an answer that settles it; when the answer is unknown the
// record is kept, a warning names the object and what the next run does, and Ctrl-C stops the settling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { settleOrphanUploads } from '../../src/core/transfer/orphans.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { networkError, S3Error, S3Twin, type TwinOptions } from '../support/s3-twin.js';

const DEAD_PID = 2 ** 22 + 11;
const key = new SseCKey(randomBytes(32), 'test');
const other = new SseCKey(randomBytes(32), 'test');
const TOKEN = 'ab'.repeat(16);
const data = randomBytes(600);
const sha = createHash('sha256').update(data).digest('hex');

/** A manifest journalling one upload of a dead sse3 to b/doc; `completing`: it had got as far as completing. */
function journal(twin: S3Twin, completing = true) {
  const manifest = new ManifestStore(':memory:');
  const loc = { endpoint: twin.connection().endpoint, bucket: 'b', key: 'doc' };
  manifest.beginUpload({ ...loc, uploadId: 'u9', fingerprint: key.fingerprint, pid: DEAD_PID, startedAt: 'then', token: TOKEN });
  if (completing) manifest.completingUpload(loc, 'u9', sha, data.length);
  return { manifest, loc };
}

async function settle(opts: TwinOptions & { object?: { keyMd5?: string; tags?: Record<string, string> }; completing?: boolean;
  haveKey?: boolean }) {
  const twin = new S3Twin(opts);
  if (opts.object) {
    twin.store('b/doc', { body: data, keyMd5: opts.object.keyMd5, metadata: { 'sse3-upload': TOKEN }, tags: opts.object.tags ?? {} });
  }
  const { manifest, loc } = journal(twin, opts.completing ?? true);
  const warnings: string[] = [];
  const settled = await settleOrphanUploads({ conn: twin.connection(), manifest }, async (fp) =>
    (opts.haveKey === false ? undefined : [key, other].find((k) => k.fingerprint === fp)), (m) => warnings.push(m));
  return { settled, kept: manifest.pendingUploads().length, row: manifest.lookup(loc), warnings };
}

test('an upload the server aborted, or that never got to completing, is ended without a word', async () => {
  const twin = new S3Twin();
  twin.uploads.set('u9', { key: 'b/doc', parts: new Map(), tags: {}, metadata: {} });
  const { manifest } = journal(twin);
  assert.equal(await settleOrphanUploads({ conn: twin.connection(), manifest }, async () => key, assert.fail), 1);
  assert.deepEqual(manifest.pendingUploads(), []);
  assert.deepEqual(await settle({ completing: false }), { settled: 1, kept: 0, row: undefined, warnings: [] });
});

test('a completed upload whose object is provably its own is recorded', async () => {
  const r = await settle({ object: { keyMd5: key.keyMd5 } });
  assert.deepEqual([r.settled, r.kept, r.warnings], [1, 0, []]);
  assert.deepEqual([r.row?.fingerprint, r.row?.sha256], [key.fingerprint, sha]);
});

test('answers that settle it end the record: the object is gone, plain, another writer\'s, or under another key', async () => {
  for (const [label, opts] of [
    ['missing', {}],
    ['plain', { object: {} }],
    ['Ceph RGW\'s 400 for another key', { object: { keyMd5: other.keyMd5 },
      errorFor: (op: string) => (op === 'HeadObject' ? new S3Error('InvalidArgument', 400) : undefined) }],
    ['403 and a tag naming another key', { object: { keyMd5: other.keyMd5, tags: { 'sse3-fp': other.fingerprint } } }],
  ] as const) {
    const r = await settle(opts);
    assert.deepEqual([r.settled, r.kept, r.row, r.warnings], [1, 0, undefined, []], label);
  }
});

test('an unknown answer keeps the record and says so, naming the object and what the next run does', async () => {
  for (const [label, opts, why] of [
    ['abort refused', { errorFor: (op: string) => (op === 'AbortMultipartUpload' ? new S3Error('InternalError', 500) : undefined) },
      /could not be aborted/],
    ['key not here', { object: { keyMd5: key.keyMd5 }, haveKey: false }, new RegExp(`key ${key.fingerprint} .* not found here`)],
    ['HEAD unanswered', { object: { keyMd5: key.keyMd5 }, errorFor: (op: string) => (op === 'HeadObject' ? networkError() : undefined) },
      /did not say whether it completed/],
    ['HEAD refused with 403 and no tag to tell', { object: { keyMd5: other.keyMd5 } }, /refused key .* \(HTTP 403\)/],
    ['HEAD refused with 403, tags unreadable', { object: { keyMd5: other.keyMd5 },
      errorFor: (op: string) => (op === 'GetObjectTagging' ? new S3Error('AccessDenied', 403) : undefined) }, /\(HTTP 403\)/],
  ] as const) {
    const r = await settle(opts);
    assert.deepEqual([r.settled, r.kept, r.row], [0, 1, undefined], label);
    assert.equal(r.warnings.length, 1, label);
    assert.match(r.warnings[0], /^s3:\/\/b\/doc: kept the record of multipart upload u9 .*; the next sse3 run against this server asks again$/,
      label);
    assert.match(r.warnings[0], why, label);
  }
});

test('Ctrl-C stops the settling: the command\'s signal reaches the request, and the record stays', async () => {
  const stop = new AbortController();
  const twin = new S3Twin();
  const { manifest } = journal(twin);
  const conn = twin.connection();
  const signals: Array<AbortSignal | undefined> = [];
  // The request in flight when Ctrl-C comes: it fails as the SDK fails an aborted request.
  conn.client = { ...conn.client, send: async (_cmd: unknown, opts?: { abortSignal?: AbortSignal }) => {
    signals.push(opts?.abortSignal);
    stop.abort();
    throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
  } } as typeof conn.client;
  await assert.rejects(settleOrphanUploads({ conn, manifest, signal: stop.signal }, async () => key, assert.fail), { name: 'AbortError' });
  assert.deepEqual(signals, [stop.signal]);
  assert.equal(manifest.pendingUploads().length, 1);
});
