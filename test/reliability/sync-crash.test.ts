// sync interrupted at its worst moments (kill -9 through SSE3_FAULT or from outside, Ctrl-C): no partial file, no
// object left without a record once the rerun is done, and the rerun finishes the job without redoing what was done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fileSha256, makeKeyFile, manifestExport, manifestRows, MiB, newBucket, newHome, ok, partFiles, requestCounts, run,
  serverObjects, serverUploads, sha256, start, waitFor, type Home,
} from './support.js';

function source(home: Home, files: Record<string, Buffer>): string {
  const dir = join(home.dir, 'src');
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  return dir;
}

const small = () => Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, randomBytes(100 + i)]));

/** Every object on the server under the bucket has a manifest row for the same key and size. */
async function everyObjectRecorded(home: Home, bucket: string): Promise<void> {
  const objects = await serverObjects(bucket);
  const rows = new Map((await manifestRows(home)).filter((r) => r.bucket === bucket).map((r) => [r.key, r.size]));
  assert.deepEqual([...objects.entries()].sort(), [...rows.entries()].sort(), 'the manifest records exactly what the server holds');
}

test('kill -9 right after a PutObject, before its row: the rerun records the object from its tags and does not send it again',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('synccrash');
    const key = await makeKeyFile(home, 'k.key');
    const src = source(home, small());
    const dst = `s3://${bucket}/p/`;
    const killed = await run(['sync', src, dst, '--key', key.ref, '--jobs', '1'], { home, env: { SSE3_FAULT: 'after-put' } });
    assert.equal(killed.signal, 'SIGKILL', `sync was expected to be killed: exit ${killed.code}: ${killed.stderr}`);
    const written = await serverObjects(bucket);
    assert.equal(written.size, 1, 'one object was stored');
    assert.deepEqual(await manifestRows(home), [], 'and killed before its row was written');
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const { adminClient } = await import('./support.js');
    const before = (await (await adminClient()).send(new ListObjectsV2Command({ Bucket: bucket }))).Contents![0];

    const log = join(home.dir, 'requests');
    const again = await ok(['sync', src, dst, '--key', key.ref, '--json'], { home, env: { SSE3_REQUEST_LOG: log } });
    const summary = JSON.parse(again.out.trim().split('\n').at(-1)!).summary;
    assert.deepEqual([summary.uploaded, summary.unchanged, summary.failed], [4, 1, 0], 'the stored one is recognised by its tags');
    assert.equal(requestCounts(log).PutObjectCommand, 4, 'one PutObject per file not yet stored, none for the stored one');
    const after = (await (await adminClient()).send(new ListObjectsV2Command({ Bucket: bucket }))).Contents!
      .find((o) => o.Key === before.Key)!;
    assert.deepEqual([after.ETag, after.LastModified], [before.ETag, before.LastModified], 'not uploaded again');
    await everyObjectRecorded(home, bucket);
  });

test('kill -9 in the middle of a multipart upload: the rerun sync aborts the orphan and finishes; everything recorded',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('synccrash');
    const key = await makeKeyFile(home, 'k.key');
    const big = randomBytes(17 * MiB + 3);
    const src = source(home, { ...small(), 'big.bin': big });
    const dst = `s3://${bucket}/p/`;
    const args = ['sync', src, dst, '--key', key.ref, '--part-size', '5'];
    const killed = await run(args, { home, env: { SSE3_FAULT: 'after-part-2' } });
    assert.equal(killed.signal, 'SIGKILL', `exit ${killed.code}: ${killed.stderr}`);
    assert.equal((await serverUploads(bucket)).length, 1, 'the killed multipart upload is left on the server');
    assert.equal((await serverObjects(bucket)).has('p/big.bin'), false);

    await ok(args, { home });
    assert.deepEqual(await serverUploads(bucket), [], 'the rerun aborted it');
    assert.deepEqual((await manifestExport(home)).pendingUploads, []);
    await everyObjectRecorded(home, bucket);
    await ok(['get', `${dst}big.bin`, 'back.bin'], { home });
    assert.equal(fileSha256(join(home.dir, 'work', 'back.bin')), sha256(big));
  });

test('kill -9 of a sync down mid-download: no partial file under its name; the rerun clears the temporary file and finishes',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('synccrash');
    const key = await makeKeyFile(home, 'k.key');
    const big = randomBytes(64 * MiB);
    const src = source(home, { ...small(), 'big.bin': big });
    await ok(['sync', src, `s3://${bucket}/p`, '--key', key.ref, '--part-size', '16'], { home });
    const dst = join(home.dir, 'dst');
    const partial = () => (existsSync(dst) ? partFiles(dst) : []);

    const sync = start(['sync', `s3://${bucket}/p/`, dst], { home });
    await waitFor('the download\'s temporary file', () => partial().find((n) => {
      try { return statSync(join(dst, n)).size > 0; } catch { return false; }
    }), 60_000, 2);
    process.kill(sync.pid, 'SIGKILL');
    const r = await sync.done;
    assert.equal(r.signal, 'SIGKILL', `sync finished before it could be killed (exit ${r.code})`);
    assert.equal(existsSync(join(dst, 'big.bin')), false, 'never a partial file under the real name');

    await ok(['sync', `s3://${bucket}/p/`, dst], { home });
    assert.deepEqual(partial(), [], 'the stale temporary file is gone');
    assert.equal(fileSha256(join(dst, 'big.bin')), sha256(big));
    assert.deepEqual(readdirSync(dst).sort(), ['big.bin', 'f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt']);
  });

test('Ctrl-C during a sync up: exit 130, no multipart upload left, nothing recorded for the interrupted file; the rerun finishes',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('syncint');
    const key = await makeKeyFile(home, 'k.key');
    const big = randomBytes(80 * MiB);
    const src = source(home, { 'big.bin': big });
    const log = join(home.dir, 'requests');
    const dst = `s3://${bucket}/p/`;
    const sync = start(['sync', src, dst, '--key', key.ref, '--part-size', '5', '--concurrency', '1'], { home, env: { SSE3_REQUEST_LOG: log } });
    await waitFor('a part on its way', () => existsSync(log) && readFileSync(log, 'utf8').includes('UploadPartCommand'), 60_000);
    process.kill(sync.pid, 'SIGINT');
    const r = await sync.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted/);
    assert.deepEqual(await serverUploads(bucket), [], 'the multipart upload was aborted');
    assert.deepEqual(await manifestRows(home), []);
    assert.equal((await serverObjects(bucket)).size, 0);

    await ok(['sync', src, dst, '--key', key.ref], { home });
    await everyObjectRecorded(home, bucket);
    await ok(['get', `${dst}big.bin`, 'back.bin'], { home });
    assert.equal(fileSha256(join(home.dir, 'work', 'back.bin')), sha256(big));
  });
