import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byObject, isVersionUnreadable } from '../../src/core/scans/tag-scan.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import type { ListedObject } from '../../src/s3/list.js';

const listed = (key: string, versionId: string): ListedObject => ({ key, versionId, size: 1, etag: 'e', isLatest: false });

async function* listing(items: ListedObject[]): AsyncGenerator<ListedObject> {
  for (const item of items) yield item;
}

const groups = async (items: ListedObject[]) => {
  const out: string[][] = [];
  for await (const group of byObject(listing(items))) out.push(group.map((v) => `${v.key}@${v.versionId}`));
  return out;
};

test('byObject: each object\'s listed versions in one group, in the listing\'s order; nothing for an empty listing', async () => {
  assert.deepEqual(await groups([]), []);
  assert.deepEqual(await groups([listed('a', '3'), listed('a', '2'), listed('a/b', '1'), listed('b', '9'), listed('b', '8')]),
    [['a@3', 'a@2'], ['a/b@1'], ['b@9', 'b@8']]);
  // Keys that differ only after a common prefix, and an unversioned object ('' versions), are objects of their own.
  assert.deepEqual(await groups([listed('x', ''), listed('x-1', ''), listed('x', 'again')]), [['x@'], ['x-1@'], ['x@again']]);
});

test('isVersionUnreadable: denied or a server error is one version\'s; an interruption, no answer or an unknown failure ends the scan',
  () => {
    const denied = new Sse3Error('ACCESS_DENIED', 'access denied during tagging of s3://b/k');
    const serverError = new Sse3Error('S3', 'tagging of s3://b/k failed: InternalError (HTTP 500)');
    const gone = new Sse3Error('NO_OBJECT', 's3://b/k does not exist');
    for (const e of [denied, serverError, gone]) assert.equal(isVersionUnreadable(e), true, e.code);

    const interrupted = new Sse3Error('INTERRUPTED', 'tagging of s3://b/k was interrupted');
    const unreachable = new Sse3Error('UNREACHABLE', 'cannot reach the S3 server (ECONNRESET)');
    const tls = new Sse3Error('TLS', 'the server\'s TLS certificate is not trusted');
    // A failure whose own code is not one of no answer, but that the server never answered (exit 5).
    const unanswered = new Sse3Error('S3', 'the key fingerprint recorded for s3://b/k could not be read', undefined,
      { exitCode: ExitCode.UNREACHABLE });
    for (const e of [interrupted, unreachable, tls, unanswered, new Error('a defect'), 'thrown text', undefined]) {
      assert.equal(isVersionUnreadable(e), false, String(e));
    }
  });
