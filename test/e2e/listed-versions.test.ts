// Where a record meets a listing (ls, manifest pull, sync): the record is of the listed version only when the listing
// shows it unchanged — size, ETag and LastModified — and what only this home knows of an unchanged version is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestRows, ndjson, newBucket, ok, requestCounts, team } from './harness.js';

const summaryOf = (out: string) => ndjson(out).at(-1).summary;
type Row = Record<string, unknown> & { key: string; fingerprint: string };

function tree(dir: string, n: number): Record<string, Buffer> {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) {
    files[`f${i}`] = randomBytes(100 + i);
    writeFileSync(join(dir, `f${i}`), files[`f${i}`]);
  }
  return files;
}

test('manifest pull after a sync keeps the file times and checksums of unchanged versions and reads no tag for them', async () => {
  const { a, keys: { k1 } } = await team(['k1']);
  const bucket = await newBucket('pullkeeps');
  const src = join(a.dir, 'photos');
  tree(src, 12);
  await ok(['sync', src, `s3://${bucket}/p/`, '--key', k1.ref], { home: a });
  const before = await manifestRows(a);
  assert.ok(before.every((r) => typeof r.mtimeMs === 'number' && r.sha256 !== ''), 'sync recorded file times and checksums');

  const log = join(a.dir, 'pull.log');
  const pulled = await ok(['manifest', 'pull', `s3://${bucket}/p/`, '--json'], { home: a, env: { SSE3_REQUEST_LOG: log } });
  assert.equal(requestCounts(log).GetObjectTaggingCommand ?? 0, 0, 'versions this home recorded need no tag read');
  assert.deepEqual([pulled.json().listed, pulled.json().unchanged, pulled.json().read], [12, 12, 0]);
  const after = await manifestRows(a);
  const kept = (rs: Row[]) => rs.map((r) => [r.key, r.fingerprint, r.sha256, r.mtimeMs].join(' ')).sort();
  assert.deepEqual(kept(after), kept(before), 'file times and checksums kept');

  // So the next sync finds every file unchanged from its record, without reading a file or a tag.
  const synclog = join(a.dir, 'sync.log');
  const again = await ok(['sync', src, `s3://${bucket}/p/`, '--key', k1.ref, '--json'], { home: a, env: { SSE3_REQUEST_LOG: synclog } });
  assert.equal(summaryOf(again.out).unchanged, 12);
  assert.deepEqual(requestCounts(synclog), { ListObjectsV2Command: 1 });
});

test('a teammate\'s rotation (same ETag on Ceph, a new LastModified) is seen by ls, sync and manifest pull', async () => {
  const { a, b, keys: { k1, k2 } } = await team(['k1', 'k2']);
  const bucket = await newBucket('teamrot');
  const src = join(a.dir, 'docs');
  tree(src, 3);
  await ok(['sync', src, `s3://${bucket}/d/`, '--key', k1.ref], { home: a });
  const etags = async () => Object.fromEntries(ndjson((await ok(['ls', `s3://${bucket}/d/`, '--fast', '--json'], { home: b })).out)
    .filter((l) => l.key).map((l) => [l.key, l.etag]));
  const etagsBefore = await etags();
  // Listed once by A before the rotation, as a user would (the records then hold the listed times).
  await ok(['ls', `s3://${bucket}/d/`], { home: a });

  for (const n of ['f0', 'f1', 'f2']) await ok(['rotate', `s3://${bucket}/d/${n}`, '--to', k2.ref], { home: b });
  const etagsAfter = await etags();

  const listed = ndjson((await ok(['ls', `s3://${bucket}/d/`, '--json'], { home: a })).out).filter((l) => l.key);
  assert.deepEqual(listed.map((l) => [l.key, l.fingerprint]), [['d/f0', k2.fingerprint], ['d/f1', k2.fingerprint], ['d/f2', k2.fingerprint]],
    `ls shows the key that opens each object now (ETags before ${JSON.stringify(etagsBefore)}, after ${JSON.stringify(etagsAfter)})`);

  // sync up: each record is found out of date, the object's tags are read and recorded, the files are unchanged.
  const fp = async (key: string) => (await manifestRows(a)).filter((r) => r.key === key).map((r) => r.fingerprint);
  const synced = await ok(['sync', src, `s3://${bucket}/d/`, '--key', k1.ref, '--json'], { home: a });
  assert.deepEqual([summaryOf(synced.out).unchanged, summaryOf(synced.out).uploaded], [3, 0]);
  assert.deepEqual(await fp('d/f0'), [k2.fingerprint], 'sync recorded the key the object is under now');

  // B rotates again; A's pull finds the change although the ETag may be the same.
  await ok(['rotate', `s3://${bucket}/d/f1`, '--to', k1.ref], { home: b });
  const pulled = await ok(['manifest', 'pull', `s3://${bucket}/d/`, '--json'], { home: a });
  assert.ok(pulled.json().read >= 1, pulled.out);
  assert.deepEqual(await fp('d/f1'), [k1.fingerprint]);

  // sync down into a fresh folder: every object arrives under the key its tag names, and the records say so.
  const down = await ok(['sync', `s3://${bucket}/d/`, join(a.dir, 'down'), '--json'], { home: a });
  assert.equal(summaryOf(down.out).downloaded, 3);
  assert.deepEqual([await fp('d/f0'), await fp('d/f1'), await fp('d/f2')], [[k2.fingerprint], [k1.fingerprint], [k2.fingerprint]]);
});
