// The one tag reader's error policy, for every caller: "no checksum recorded" goes on with a warning; "checksum could
// not be read" is an error (exit 5 when the server did not answer, 1 otherwise) and nothing is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { SseCKey } from '../../src/keys/key.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { downloadObject, type DownloadTarget } from '../../src/core/transfer/download.js';
import { copyObject } from '../../src/core/transfer/copy.js';
import { rotateObject } from '../../src/core/rotation/rotate.js';
import { recordFromTags } from '../../src/core/scans/rebuild.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { Sse3Error } from '../../src/errors.js';
import { networkError, S3Error, S3Twin, timeoutError } from '../support/s3-twin.js';
import { tempDir } from '../support/tempdir.js';

const key = new SseCKey(randomBytes(32), 'k');
const other = new SseCKey(randomBytes(32), 'other');
const chunked = (b: Buffer, n = 1000) => Readable.from(Array.from({ length: Math.ceil(b.length / n) || 1 }, (_, i) => b.subarray(i * n, (i + 1) * n)));

/** A multipart object (its SHA-256 only in the sse3-sha256 tag) on a twin whose tag reads fail with `tagError` once armed. */
async function multipartObject(tagError: () => Error | undefined) {
  let armed = false;
  const twin = new S3Twin({ endpoint: `https://twin-${randomBytes(4).toString('hex')}`,
    errorFor: (op) => (armed && op === 'GetObjectTagging' ? tagError() : undefined) });
  const io = { conn: twin.connection(), manifest: new ManifestStore(':memory:') };
  const data = randomBytes(5000);
  await uploadObject({ io, target: { bucket: 'b', key: 'big', sseKey: key }, source: { kind: 'stream', body: chunked(data) },
    tuning: { partSize: 1024 } });
  assert.equal(twin.objects.get('b/big')!.metadata['sse3-sha256'], undefined, 'the checksum is only in the tag');
  armed = true;
  // A fresh manifest: what get sees for an object it has no record of.
  return { twin, io: { conn: io.conn, manifest: new ManifestStore(':memory:') }, data };
}

const denied = () => new S3Error('AccessDenied', 403);
const unavailable = () => new S3Error('ServiceUnavailable', 503);
const failures: Array<[string, () => Error, number, RegExp]> = [
  ['denied', denied, 1, /SHA-256 recorded for s3:\/\/b\/big \(in its sse3 tags\) could not be read: access denied/],
  ['a 503', unavailable, 1, /could not be read: .*ServiceUnavailable \(HTTP 503\)/],
  ['a reset connection', () => networkError(), 5, /^cannot reach the S3 server \(ECONNRESET\) during get of s3:\/\/b\/big/],
  ['a timeout', timeoutError, 5, /^the server did not answer in time during get of s3:\/\/b\/big/],
];

test('get: a checksum tag that cannot be read fails the download (exit 1, or 5 unanswered) and writes nothing', async () => {
  for (const [what, error, exitCode, message] of failures) {
    const { io } = await multipartObject(error);
    const dir = tempDir('sse3-unit-');
    const received: Buffer[] = [];
    const sink = new Writable({ write: (c, _e, cb) => { received.push(c); cb(); } });
    const targets: DownloadTarget[] = [{ kind: 'file', path: join(dir, 'out') }, { kind: 'stream', stream: sink, name: 'stdout' }];
    for (const target of targets) {
      await assert.rejects(downloadObject({ io, object: { bucket: 'b', key: 'big' }, sseKey: key, target }),
        (e: Sse3Error) => e.exitCode === exitCode && message.test(e.message), `${what}, ${target.kind}`);
    }
    assert.deepEqual(readdirSync(dir), [], `${what}: no file, no temporary file`);
    assert.equal(received.length, 0, `${what}: not a byte on the stream`);
  }
});

test('get: no checksum tag at all is "not verified", not an error', async () => {
  const { io, data, twin } = await multipartObject(() => undefined);
  twin.objects.get('b/big')!.tags = {};
  const received: Buffer[] = [];
  const r = await downloadObject({ io, object: { bucket: 'b', key: 'big' }, sseKey: key,
    target: { kind: 'stream', stream: new Writable({ write: (c, _e, cb) => { received.push(Buffer.from(c)); cb(); } }) } });
  assert.equal(r.checkedAgainst, 'none');
  assert.deepEqual(Buffer.concat(received), data);
});

test('get to stdout: a recorded size that differs from the server\'s is said before a byte is written', async () => {
  const { io } = await multipartObject(() => undefined);
  const received: Buffer[] = [];
  const sink = new Writable({ write: (c, _e, cb) => { received.push(c); cb(); } });
  await assert.rejects(downloadObject({ io, object: { bucket: 'b', key: 'big' }, sseKey: key, expected: { size: 4999 },
    target: { kind: 'stream', stream: sink, name: 'stdout' } }),
  (e: Sse3Error) => e.code === 'INTEGRITY' && /is 5000 bytes on the server, but 4999 bytes were recorded at upload/.test(e.message));
  assert.equal(received.length, 0);
});

test('get to stdout: a failed check says the data already went to stdout, never "nothing was written locally"', async () => {
  const { io } = await multipartObject(() => undefined);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await assert.rejects(downloadObject({ io, object: { bucket: 'b', key: 'big' }, sseKey: key, expected: { sha256: 'f'.repeat(64) },
    target: { kind: 'stream', stream: sink, name: 'stdout' } }),
  (e: Sse3Error) => e.code === 'INTEGRITY' && /the data already went to stdout/.test(e.message) && !/nothing was written/.test(`${e.message} ${e.hint}`));
  const dir = tempDir('sse3-unit-');
  await assert.rejects(downloadObject({ io, object: { bucket: 'b', key: 'big' }, sseKey: key, expected: { sha256: 'f'.repeat(64) },
    target: { kind: 'file', path: join(dir, 'f') } }), (e: Sse3Error) => /nothing was written locally/.test(e.hint!));
});

test('cp: a source checksum tag that cannot be read stops the copy before anything is written', async () => {
  for (const [what, error, exitCode] of failures) {
    const { io, twin } = await multipartObject(error);
    twin.requests.length = 0;
    await assert.rejects(copyObject({ io, source: { bucket: 'b', key: 'big', sseKey: key }, dest: { bucket: 'b', key: 'copy', sseKey: other } }),
      (e: Sse3Error) => e.exitCode === exitCode, what);
    assert.deepEqual(twin.requests.map((q) => q.op), ['HeadObject', 'GetObjectTagging'], `${what}: nothing written`);
  }
});

test('rotate: a checksum tag that cannot be read stops before the rotation is journalled', async () => {
  for (const [what, error, exitCode] of failures) {
    const { io, twin } = await multipartObject(error);
    await assert.rejects(rotateObject({ io, findKey: async () => undefined }, 'b', 'big', key, other),
      (e: Sse3Error) => e.exitCode === exitCode, what);
    assert.equal(io.manifest.openRotations().length, 0, what);
    assert.equal(twin.objects.get('b/big')!.keyMd5, key.keyMd5, `${what}: still under the old key`);
  }
});

test('manifest rebuild: unreadable tags are "denied" (never "untagged"); an unanswering server stops the rebuild', async () => {
  const listed = { key: 'big', versionId: undefined, size: 5000, etag: 'e' };
  for (const [what, error] of failures) {
    const { io } = await multipartObject(error);
    const seen: Sse3Error[] = [];
    const outcome = recordFromTags(io, 'b', listed as never, (e) => seen.push(e));
    if (what === 'denied' || what === 'a 503') {
      assert.equal(await outcome, 'denied', what);
      assert.equal(seen.length, 1);
    } else {
      await assert.rejects(outcome, (e: Sse3Error) => e.exitCode === 5, what);
    }
    assert.equal(io.manifest.count(), 0);
  }
});
