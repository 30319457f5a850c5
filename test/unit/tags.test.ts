// The one policy for reading tags (src/core/tags.ts readObjectTags / readSse3Tags): an absent tag is "nothing
// recorded"; tags that cannot be read are an error (exit 1; 5 when the server did not answer), never "no record";
// a malformed sse3 value is the shape error (exit 4). And the callers that used to take unreadable tags for "no
// record": ls rows, sync's look at an unknown object, adopt. (get, cp, rotate and rebuild: checksums.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readObjectTags, readSse3Tags } from '../../src/core/tags.js';
import { describeListed } from '../../src/core/objects/listing.js';
import { recordFromObjectTags } from '../../src/core/sync/act.js';
import { adoptVersion, CandidateKeys } from '../../src/core/scans/adopt.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import { networkError, S3Error, S3Twin } from '../support/s3-twin.js';
import { twinSession } from '../support/twin-session.js';

const key = new SseCKey(randomBytes(32), 'k');
const FP = key.fingerprint;
const SHA = 'a'.repeat(64);

/** A versioned twin with an SSE-C object whose tags are `tags`; tag reads fail with `tagError()` when it returns one. */
function twinWith(tags: Record<string, string>, tagError: () => Error | undefined = () => undefined) {
  const twin = new S3Twin({ endpoint: `https://tags-${Math.random()}`, versioned: true,
    errorFor: (op) => (op === 'GetObjectTagging' ? tagError() : undefined) });
  twin.store('b/o', { body: Buffer.from('twelve bytes'), keyMd5: key.keyMd5, metadata: {}, tags, versionId: 'v1' });
  return twin;
}
const io = (twin: S3Twin) => ({ conn: twin.connection(), manifest: new ManifestStore(':memory:') });
const READ = { what: 'key fingerprint', op: 'tagging' } as const;
const OBJ = { bucket: 'b', key: 'o' };
const fails = (code: string, exitCode: number, message?: RegExp) => (e: unknown) =>
  e instanceof Sse3Error && e.code === code && e.exitCode === exitCode && (!message || message.test(e.message));

test('tags as they are: every tag, its version, sse3\'s values; an absent sse3 tag is nothing recorded', async () => {
  const twin = twinWith({ 'sse3-fp': FP, 'sse3-sha256': SHA, owner: 'me' });
  assert.deepEqual(await readObjectTags(io(twin), OBJ, READ), { tags: { 'sse3-fp': FP, 'sse3-sha256': SHA, owner: 'me' }, versionId: 'v1' });
  assert.deepEqual(await readSse3Tags(io(twin), OBJ, READ), { fingerprint: FP, sha256: SHA });
  assert.deepEqual(await readSse3Tags(io(twinWith({ owner: 'me' })), OBJ, READ), {});
});

test('tags that cannot be read are an error naming what could not be read: denied and 5xx exit 1, no answer exits 5', async () => {
  const cases: Array<[() => Error, string, number, RegExp]> = [
    [() => new S3Error('AccessDenied', 403), 'ACCESS_DENIED', ExitCode.FAILED,
      /^the key fingerprint recorded for s3:\/\/b\/o \(in its sse3 tags\) could not be read: access denied$/],
    [() => new S3Error('InternalError', 500), 'S3', ExitCode.FAILED, /could not be read: tagging of s3:\/\/b\/o failed/],
    [() => networkError(), 'UNREACHABLE', ExitCode.UNREACHABLE, /^cannot reach the S3 server/],
    [() => new S3Error('NoSuchKey', 404), 'NO_OBJECT', ExitCode.FAILED, /^s3:\/\/b\/o does not exist$/],
  ];
  for (const [error, code, exitCode, message] of cases) {
    const twin = twinWith({ 'sse3-fp': FP }, error);
    for (const read of [readObjectTags, readSse3Tags]) await assert.rejects(read(io(twin), OBJ, READ), fails(code, exitCode, message), code);
  }
});

test('an sse3 tag of another shape is the shape error (exit 4), never a value', async () => {
  const twin = twinWith({ 'sse3-fp': 'not-a-fingerprint' });
  await assert.rejects(readSse3Tags(io(twin), OBJ, READ), fails('INTEGRITY', ExitCode.INTEGRITY, /its sse3-fp tag does not hold a key fingerprint/));
});

const listed = { key: 'o', size: 12, etag: 'e', versionId: 'v1', isLatest: true };
const denied = () => new S3Error('AccessDenied', 403);

test('ls: an object whose tags may not be read is an error that says so, not a row without a fingerprint', async () => {
  const s = twinSession(twinWith({ 'sse3-fp': FP }, denied).connection(), [key]);
  await assert.rejects(describeListed(s, 'b', listed, { versions: true }), fails('ACCESS_DENIED', ExitCode.FAILED, /could not be read: access denied/));
  // Readable tags and a deleted object behave as before.
  const ok = twinSession(twinWith({ 'sse3-fp': FP }).connection(), [key]);
  assert.deepEqual(await describeListed(ok, 'b', listed, { versions: true }), { bucket: 'b', key: 'o', size: 12, lastModified: null,
    versionId: 'v1', isLatest: true, encryption: 'sse-c', fingerprint: FP, keyAvailable: true, source: 'tag' });
  const gone = twinSession(twinWith({}, () => new S3Error('NoSuchKey', 404)).connection());
  assert.equal((await describeListed(gone, 'b', listed, {})).encryption, 'unknown');
});

test('sync: an object whose tags may not be read fails its path instead of counting as unrecorded', async () => {
  const s = twinSession(twinWith({ 'sse3-fp': FP, 'sse3-sha256': SHA }, denied).connection());
  await assert.rejects(recordFromObjectTags(s, OBJ, { size: 12, etag: 'e' }, false), fails('ACCESS_DENIED', ExitCode.FAILED));
  assert.equal(s.manifest.count(), 0);
  // Gone since the listing: no record to go by, as before.
  const gone = twinSession(twinWith({}, () => new S3Error('NoSuchKey', 404)).connection());
  assert.equal(await recordFromObjectTags(gone, OBJ, { size: 12, etag: 'e' }, false), undefined);
});

test('adopt: an object whose tags may not be read fails instead of being adopted as untagged', async () => {
  const twin = twinWith({ 'sse3-fp': FP }, denied);
  const manifest = new ManifestStore(':memory:');
  const ctx = { io: { conn: twin.connection(), manifest }, candidates: new CandidateKeys([{ ref: 'k', key }]), hash: false,
    findKey: async () => undefined };
  await assert.rejects(adoptVersion(ctx, 'b', listed), fails('ACCESS_DENIED', ExitCode.FAILED));
  assert.equal(manifest.count(), 0, 'nothing recorded');
  assert.ok(!twin.requests.some((q) => q.op === 'PutObjectTagging'), 'nothing tagged');
});
