// Listings (src/s3/list.ts) against the in-memory S3 twin: every page read, in the server's order, resumed from the
// right markers; version ids normalised; failures said as sse3 says them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LevelEntry, listBuckets, type ListedObject, listLevel, listObjects, listObjectVersions } from '../../src/s3/list.js';
import { Sse3Error } from '../../src/errors.js';
import { S3Error, S3Twin } from '../support/s3-twin.js';

const put = (twin: S3Twin, bucket: string, key: string, body = key) =>
  twin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));
const remove = (twin: S3Twin, bucket: string, key: string) => twin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sent = (twin: S3Twin, op: string) => twin.requests.filter((q) => q.op === op).map((q) => q.input);
const rejectsAs = (code: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof Sse3Error, String(e));
  assert.equal(e.code, code);
  assert.match(e.message, message);
  return true;
};

test('listObjects: every page, in UTF-8 byte order, only under the prefix, ETags unquoted, no version ids', async () => {
  const twin = new S3Twin({ pageSize: 2 });
  for (const key of ['p/b', 'p/a', 'p/\u00e9', 'p/Z', 'p/\u{1F600}', 'q/x']) await put(twin, 'b', key);
  await put(twin, 'other', 'p/a');
  twin.requests.length = 0;
  const listed = await all(listObjects(twin.connection(), 'b', 'p/'));
  assert.deepEqual(listed.map((o) => o.key), ['p/Z', 'p/a', 'p/b', 'p/\u00e9', 'p/\u{1F600}']);
  assert.deepEqual(listed[0], { key: 'p/Z', size: 3, etag: 'single', lastModified: undefined, versionId: '', isLatest: true });
  assert.deepEqual(sent(twin, 'ListObjectsV2').map((i) => i.ContinuationToken), [undefined, 'p/a', 'p/\u00e9'], 'three pages of two');

  twin.requests.length = 0;
  assert.equal((await all(listObjects(twin.connection(), 'b', ''))).length, 6);
  assert.equal(sent(twin, 'ListObjectsV2')[0].Prefix, undefined, 'the whole bucket: no Prefix sent');
});

test('listObjects: a missing bucket and a refusal are said with the listed URL; a later page\'s failure ends the listing', async () => {
  const twin = new S3Twin({ pageSize: 1 });
  await put(twin, 'b', 'p/1');
  await put(twin, 'b', 'p/2');
  twin.opts.errorFor = () => new S3Error('NoSuchBucket', 404);
  await assert.rejects(all(listObjects(twin.connection(), 'b', 'p/')), rejectsAs('NO_BUCKET', /^bucket of s3:\/\/b\/p\/ does not exist$/));
  twin.opts.errorFor = () => new S3Error('AccessDenied', 403);
  await assert.rejects(all(listObjects(twin.connection(), 'b', '')), rejectsAs('ACCESS_DENIED', /^access denied during list of s3:\/\/b\/$/));

  twin.opts.errorFor = (_op, input) => (input.ContinuationToken ? new S3Error('InternalError', 500) : undefined);
  const got: ListedObject[] = [];
  await assert.rejects((async () => { for await (const o of listObjects(twin.connection(), 'b', 'p/')) got.push(o); })(),
    rejectsAs('S3', /^list of s3:\/\/b\/p\/ failed: InternalError \(HTTP 500\)/));
  assert.deepEqual(got.map((o) => o.key), ['p/1'], 'the first page was handed out before the second failed');
});

test('an aborted listing throws INTERRUPTED wherever the abort is seen, never ends as if complete', async () => {
  const twin = new S3Twin({ versioned: true, pageSize: 2 });
  for (const key of ['a', 'b', 'c', 'd', 'e']) await put(twin, 'b', key);
  const listings: Record<string, (signal: AbortSignal) => AsyncIterable<ListedObject | LevelEntry>> = {
    listObjects: (signal: AbortSignal) => listObjects(twin.connection(), 'b', '', signal),
    listObjectVersions: (signal: AbortSignal) => listObjectVersions(twin.connection(), 'b', '', signal),
    listLevel: (signal: AbortSignal) => listLevel(twin.connection(), 'b', '', { versions: true, deleteMarkers: true }, signal),
  };
  for (const [name, listing] of Object.entries(listings)) {
    // Aborted at a page's end (the next page is asked for), in a page's middle, and at the very last object.
    for (const abortAt of [2, 3, 5]) {
      const cancel = new AbortController();
      const got: string[] = [];
      await assert.rejects((async () => {
        for await (const o of listing(cancel.signal)) {
          got.push('prefix' in o ? o.prefix : o.key);
          if (got.length === abortAt) cancel.abort();
        }
      })(), rejectsAs('INTERRUPTED', /^list of s3:\/\/b\/ was interrupted$/), `${name}, aborted at ${abortAt}`);
      assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e'].slice(0, abortAt), `${name}: nothing handed out after the abort`);
    }
    // Aborted before it starts: not a single request.
    const cancel = new AbortController();
    cancel.abort();
    twin.requests.length = 0;
    await assert.rejects(all(listing(cancel.signal)), rejectsAs('INTERRUPTED', /was interrupted/), name);
    assert.equal(twin.requests.length, 0, name);
  }
  const cancel = new AbortController();
  cancel.abort();
  await assert.rejects(listBuckets(twin.connection(), cancel.signal), rejectsAs('INTERRUPTED', /^list of the buckets was interrupted$/));
});

test('listObjectVersions: newest first per key, resumed inside a key\'s versions, without delete markers', async () => {
  const twin = new S3Twin({ versioned: true, pageSize: 2 });
  for (const body of ['one', 'two', 'three']) await put(twin, 'b', 'k', body);
  await put(twin, 'b', 'gone');
  await remove(twin, 'b', 'gone');
  await put(twin, 'b', 'z');
  twin.requests.length = 0;
  const listed = await all(listObjectVersions(twin.connection(), 'b', ''));
  assert.deepEqual(listed.map((v) => [v.key, v.size, v.isLatest]),
    [['gone', 4, false], ['k', 5, true], ['k', 3, false], ['k', 3, false], ['z', 1, true]]);
  const ids = listed.map((v) => v.versionId);
  assert.ok(ids.every((id) => /^v\d+$/.test(id)) && new Set(ids).size === 5, ids.join(' '));
  assert.deepEqual(sent(twin, 'ListObjectVersions').map((i) => [i.KeyMarker, i.VersionIdMarker]),
    [[undefined, undefined], ['gone', ids[0]], ['k', ids[2]]], 'pages of two rows (the delete marker is one), resumed by key and version');
});

test('listObjectVersions of an unversioned bucket: one version per key, its version id "null" as S3 names it', async () => {
  const twin = new S3Twin();
  await put(twin, 'b', 'x');
  const [v] = await all(listObjectVersions(twin.connection(), 'b', 'x'));
  assert.deepEqual([v.key, v.versionId, v.isLatest], ['x', 'null', true]);
});

test('listLevel: one folder deep with a delimiter (sub-folders as prefixes), everything below without one', async () => {
  const twin = new S3Twin({ pageSize: 2 });
  for (const key of ['d/a', 'd/s/1', 'd/s/2', 'd/t/1', 'd/z', 'e/x']) await put(twin, 'b', key);
  const describe = (e: LevelEntry) => (e.kind === 'prefix' ? `prefix ${e.prefix}` : `object ${e.key}`);
  const level = await all(listLevel(twin.connection(), 'b', 'd/', { delimiter: '/' }));
  assert.deepEqual(level.map(describe).sort(), ['object d/a', 'object d/z', 'prefix d/s/', 'prefix d/t/']);
  const deep = await all(listLevel(twin.connection(), 'b', 'd/', {}));
  assert.deepEqual(deep.map(describe), ['object d/a', 'object d/s/1', 'object d/s/2', 'object d/t/1', 'object d/z']);
  assert.deepEqual((await all(listLevel(twin.connection(), 'b', '', { delimiter: '/' }))).map(describe).sort(),
    ['prefix d/', 'prefix e/']);
});

test('listLevel with versions: every version, and delete markers only when asked for, marked as such', async () => {
  const twin = new S3Twin({ versioned: true, pageSize: 1 });
  await put(twin, 'b', 'f/a', 'old');
  await put(twin, 'b', 'f/a', 'new');
  await remove(twin, 'b', 'f/a');
  await put(twin, 'b', 'f/sub/x');
  const versions = await all(listLevel(twin.connection(), 'b', 'f/', { versions: true, delimiter: '/' }));
  assert.deepEqual(versions.map((e) => (e.kind === 'prefix' ? e.prefix : [e.key, e.size, e.isLatest, e.deleteMarker ?? false])),
    [['f/a', 3, false, false], ['f/a', 3, false, false], 'f/sub/']);
  const withMarkers = await all(listLevel(twin.connection(), 'b', 'f/', { versions: true, deleteMarkers: true }));
  const markers = withMarkers.filter((e) => e.kind === 'object' && e.deleteMarker);
  assert.equal(markers.length, 1);
  assert.deepEqual(markers.map((e) => e.kind === 'object' && [e.key, e.size, e.isLatest, e.etag]), [['f/a', 0, true, '']]);
  assert.equal(withMarkers.filter((e) => e.kind === 'object' && !e.deleteMarker).length, 3);
});

test('listBuckets: the buckets the server lists; a failure is said for s3://', async () => {
  const twin = new S3Twin();
  await put(twin, 'beta', 'x');
  await put(twin, 'alpha', 'y');
  assert.deepEqual((await listBuckets(twin.connection())).map((b) => b.name), ['alpha', 'beta']);
  twin.opts.errorFor = () => new S3Error('AccessDenied', 403);
  await assert.rejects(listBuckets(twin.connection()), rejectsAs('ACCESS_DENIED', /^access denied during list of s3:\/\/$/));
});
