// A file rewritten while put sends it is not stored and not recorded: sse3 pauses itself at a fault point
// (SSE3_FAULT=<point>:stop), a writer process rewrites the file, and sse3 goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, manifestRows, newBucket, newHome, ok, serverUploads, serverVersions, stoppedAt } from './harness.js';

const MiB = 1024 * 1024;

/** Another process rewriting part of the file in place (same inode, same size). */
function rewrite(path: string, offset: number, length: number, restoreMtime = false): void {
  const script = restoreMtime
    // Keep the modification time exactly (to the nanosecond): only the status-change time tells.
    ? 'touch -r "$1" "$1.times" && dd if=/dev/urandom of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none && touch -r "$1.times" "$1"'
    : 'dd if=/dev/urandom of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none';
  execFileSync('bash', ['-c', script, 'writer', path, String(offset), String(length)]);
}

async function objectVersions(bucket: string, key: string): Promise<number> {
  const { versions, deleteMarkers } = await serverVersions(bucket, key);
  return versions.length + deleteMarkers.length;
}

test('single part: a file whose status-change time moved after it was sent is deleted again, recorded nowhere, exit 1', async (t) => {
  const home = newHome();
  const bucket = await newBucket('e2e', true);
  const key = await makeKeyFile(home, 'k.key');
  const file = join(home.dir, 'work', 'doc.bin');
  writeFileSync(file, randomBytes(MiB));
  const put = await stoppedAt(t, 'put-sent', home, ['put', file, `s3://${bucket}/doc.bin`, '--key', key.ref]);
  const before = statSync(file, { bigint: true });
  assert.equal(await objectVersions(bucket, 'doc.bin'), 1, 'the object was sent before the pause');
  rewrite(file, 1000, 100, true);
  const after = statSync(file, { bigint: true });
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeNs, before.mtimeNs, 'same modification time');
  assert.notEqual(after.ctimeNs, before.ctimeNs, 'only the status-change time tells');
  const r = await put.resume();
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error: ${file} changed while it was being uploaded; nothing was stored`));
  assert.equal(await objectVersions(bucket, 'doc.bin'), 0, 'the version that was sent is deleted');
  assert.deepEqual(await manifestRows(home), []);
});

test('multipart: a file rewritten mid-upload is aborted, recorded nowhere, exit 1; an untouched one goes up as usual', async (t) => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const file = join(home.dir, 'work', 'big.bin');
  writeFileSync(file, randomBytes(32 * MiB));
  const args = ['put', file, `s3://${bucket}/big.bin`, '--key', key.ref, '--part-size', '5', '--concurrency', '1'];
  const put = await stoppedAt(t, 'after-part-2', home, args);
  // The writer goes to work once the upload is under way on the server.
  assert.deepEqual((await serverUploads(bucket)).map((u) => u.Key), ['big.bin']);
  rewrite(file, 25 * MiB, 4096);
  const r = await put.resume();
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error: ${file} changed while it was being uploaded; nothing was stored`));
  assert.deepEqual(await serverUploads(bucket), [], 'the multipart upload was aborted');
  assert.equal(await objectVersions(bucket, 'big.bin'), 0);
  assert.deepEqual(await manifestRows(home), []);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().pendingUploads, []);

  // The same file, left alone, is stored with the SHA-256 of what was sent.
  const good = await ok([...args, '--json'], { home });
  const got = join(home.dir, 'work', 'back.bin');
  await ok(['get', `s3://${bucket}/big.bin`, got], { home });
  assert.ok(readFileSync(got).equals(readFileSync(file)));
  assert.equal(good.json().parts, 7);
});
