// Integrity checks never fail open: a checksum that cannot be read is an error, not "none recorded"; a changed
// object is said before a byte reaches stdout; a failed check never claims nothing was written when stdout got it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, type Home, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, putData, run } from './harness.js';

const MiB = 1024 * 1024;

/** Deny reading object tags in a bucket, to everyone (Ceph RGW applies a bucket policy's Deny to the owner too). */
async function denyTagReads(bucket: string): Promise<void> {
  const { PutBucketPolicyCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Principal: '*', Action: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'],
      Resource: [`arn:aws:s3:::${bucket}/*`] }],
  }) }));
}

/** The SSE-C request parameters of a raw key, for the admin client. */
const sseHeaders = (raw: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: raw.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(raw).digest('base64') });

const workFiles = (home: Home) => readdirSync(join(home.dir, 'work')).sort();

test('a checksum tag that may not be read fails get, cp, rotate and manifest rebuild (exit 1), and nothing is written', async () => {
  const writer = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(writer, 'k.key');
  const other = await makeKeyFile(writer, 'other.key');
  // Multipart: the plaintext SHA-256 lives only in the object's sse3-sha256 tag.
  await putData(writer, `s3://${bucket}/big`, randomBytes(12 * MiB), key.ref);
  await denyTagReads(bucket);

  // Another machine with the key but no manifest record: sse3 must read the tags.
  const home = newHome();
  const url = `s3://${bucket}/big`;
  const cases: Array<[string[], RegExp]> = [
    [['get', url, 'out', '--key', key.ref], /the SHA-256 recorded for .*\/big \(in its sse3 tags\) could not be read: access denied/],
    [['get', url, '-', '--key', key.ref], /the SHA-256 recorded for .* could not be read: access denied/],
    [['get', url, 'out'], /the key fingerprint recorded for .* could not be read: access denied/],
    [['cp', url, `s3://${bucket}/copy`, '--source-key', key.ref, '--key', other.ref], /the SHA-256 recorded for .* could not be read/],
    [['rotate', url, '--from', key.ref, '--to', other.ref], /the SHA-256 recorded for .* could not be read/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args, { home });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /hint: these credentials need s3:GetObjectTagging/);
    assert.equal(r.stdout.length, 0, 'not a byte on stdout');
  }
  assert.deepEqual(workFiles(home), [], 'no file, no temporary file');
  assert.equal((await ok(['manifest', 'export'], { home })).json().pendingRotations.length, 0, 'no rotation journalled');

  const rebuilt = await run(['manifest', 'rebuild', `s3://${bucket}`, '--json'], { home });
  assert.equal(rebuilt.code, 1, rebuilt.stderr);
  assert.equal(rebuilt.error().exitCode, 1, 'the error line last');
  assert.deepEqual(rebuilt.lines()[0], { ok: false, scope: `s3://${bucket}/`, added: 0, updated: 0, unchanged: 0, untagged: 0, denied: 1, movedAside: null });
  assert.match(rebuilt.stderr, /1 object version\(s\) not recorded: their tags could not be read/);
});

test('tags that may not be read are never "no record": ls, sync and adopt of an unrecorded object fail with the reason (exit 1)', async () => {
  const writer = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(writer, 'k.key');
  const put = await putData(writer, `s3://${bucket}/doc`, randomBytes(1000), key.ref);
  await denyTagReads(bucket);
  const home = newHome();
  const message = /the (key fingerprint|SHA-256) recorded for .*\/doc \(in its sse3 tags\) could not be read: access denied/;

  const ls = await run(['ls', `s3://${bucket}/`], { home });
  assert.equal(ls.code, 1, ls.stderr);
  assert.match(ls.stderr, message);
  assert.match(ls.stderr, /hint: these credentials need s3:GetObjectTagging/);

  // A local file of another content under the same name: without the tags sse3 cannot tell, so it sends nothing.
  const up = join(home.dir, 'up');
  mkdirSync(up);
  writeFileSync(join(up, 'doc'), randomBytes(1000));
  const sync = await run(['sync', up, `s3://${bucket}/`, '--key', key.ref], { home });
  assert.equal(sync.code, 1, sync.stderr);
  assert.match(sync.stderr, message);
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  const head = await (await adminClient()).send(new HeadObjectCommand({ Bucket: bucket, Key: 'doc', ...sseHeaders(key.raw) }));
  assert.equal(head.ETag?.replace(/"/g, ''), put.etag, 'the object was not replaced');

  const adopt = await run(['adopt', `s3://${bucket}`, '--key', key.ref], { home });
  assert.equal(adopt.code, 1, adopt.stderr);
  assert.match(adopt.stderr, message);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().objects, [], 'nothing recorded');
});

test('get -: an object whose size differs from the recorded one is refused before a byte reaches stdout', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/doc`, randomBytes(6 * MiB), key.ref);
  await overwriteEncrypted(bucket, 'doc', randomBytes(5 * MiB), key.raw);
  const r = await run(['get', `s3://${bucket}/doc`, '-'], { home });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout.length, 0, 'nothing went to stdout');
  assert.match(r.stderr, new RegExp(`s3://${bucket}/doc is ${5 * MiB} bytes on the server, but ${6 * MiB} bytes were recorded at upload`));
});

test('get -: a failed SHA-256 check says the data already went to stdout, never that nothing was written', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/doc`, randomBytes(MiB), key.ref);
  await overwriteEncrypted(bucket, 'doc', randomBytes(MiB), key.raw);
  const r = await run(['get', `s3://${bucket}/doc`, '-'], { home });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout.length, MiB);
  assert.match(r.stderr, /SHA-256 of the decrypted data does not match .*; the data already went to stdout/);
  assert.doesNotMatch(r.stderr, /nothing was written/);
});

test('checksum tags a replaced upload left on the winner (another upload, another key) are not taken for the winner\'s', async () => {
  const s3 = await import('@aws-sdk/client-s3');
  const admin = await adminClient();
  const writer = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(writer, 'k.key');
  const other = await makeKeyFile(writer, 'other.key');
  const url = `s3://${bucket}/raced`;
  const tagsOf = async () => (await admin.send(new s3.GetObjectTaggingCommand({ Bucket: bucket, Key: 'raced' }))).TagSet ?? [];
  // The loser of two multipart writers: its tags are written after its upload completes.
  await putData(writer, url, randomBytes(6 * MiB), key.ref, ['--part-size', '5']);
  const loserTags = await tagsOf();
  assert.deepEqual(loserTags.map((t) => t.Key).sort(), ['sse3-fp', 'sse3-sha256', 'sse3-upload']);
  const winners: Array<[string, { ref: string }]> = [['the same key', key], ['another key', other]];
  for (const [what, winnerKey] of winners) {
    const data = randomBytes(6 * MiB);
    await putData(writer, url, data, winnerKey.ref, ['--part-size', '5']);
    // The loser's tagging arrives after the winner's.
    await admin.send(new s3.PutObjectTaggingCommand({ Bucket: bucket, Key: 'raced', Tagging: { TagSet: loserTags } }));
    const home = newHome();
    const r = await run(['get', url, 'out', '--key', winnerKey.ref, '--json'], { home });
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.equal(createHash('sha256').update(readFileSync(join(home.dir, 'work', 'out'))).digest('hex'),
      createHash('sha256').update(data).digest('hex'), what);
  }
});
