// sse3 mb and rb: buckets made and removed, judged by aws-cli; rb of a bucket with objects in it refuses without
// --force, and --force deletes every version (rm's confirmation rules) before the bucket, and the manifest's rows go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, type Home, makeKeyFile, newBucket, newHome, ok, putData, randomName, requireEnv, run, runAws } from './harness.js';

/** Whether aws-cli sees the bucket: head-bucket answers 0 for one that is there. */
async function awsHasBucket(bucket: string): Promise<boolean> {
  const r = await runAws(['s3api', 'head-bucket', '--bucket', bucket]);
  if (r.code !== 0) assert.match(r.stderr, /404|Not Found/, r.stderr);
  return r.code === 0;
}

const rowCount = async (home: Home) => (await ok(['manifest', 'list', '--json'], { home })).items().length;

test('mb makes a bucket aws-cli sees; a second mb says it exists and is yours; rb removes it; rb again says it does not exist',
  async () => {
    const home = newHome();
    const bucket = randomName('mb');
    const made = (await ok(['mb', `s3://${bucket}`, '--json'], { home })).json();
    assert.deepEqual([made.ok, made.bucket, made.created], [true, bucket, true]);
    assert.equal(await awsHasBucket(bucket), true);
    const again = await run(['mb', `s3://${bucket}/`, '--json'], { home });
    assert.equal(again.code, 1, again.stderr);
    assert.equal(again.error().code, 'BUCKET_EXISTS');
    assert.match(again.error().message, /already exists, and it is yours/);

    const removed = await ok(['rb', `s3://${bucket}`], { home });
    assert.match(removed.out, new RegExp(`deleted bucket s3://${bucket}`));
    assert.equal(await awsHasBucket(bucket), false);
    const gone = await run(['rb', `s3://${bucket}`, '--json'], { home });
    assert.equal(gone.code, 1, gone.stderr);
    assert.equal(gone.error().code, 'NO_BUCKET');
    assert.match(gone.error().message, /does not exist/);

    // Not a bucket: an object or a prefix, refused before any request.
    for (const args of [['mb', `s3://${bucket}/key`], ['rb', `s3://${bucket}/prefix/`], ['rb', `s3://${bucket}`, '--dry-run']]) {
      const r = await run(args, { home });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });

test('rb of a bucket with objects refuses with the --force hint; --force needs --yes without a terminal, then deletes every version',
  async () => {
    const home = newHome();
    const bucket = await newBucket('rbv', true);
    const key = await makeKeyFile(home, 'rb.key');
    await putData(home, `s3://${bucket}/a`, randomBytes(100), key.ref);
    await putData(home, `s3://${bucket}/a`, randomBytes(100), key.ref);
    await putData(home, `s3://${bucket}/dir/b`, randomBytes(100), key.ref);
    await ok(['rm', `s3://${bucket}/dir/b`], { home });
    assert.equal(await rowCount(home), 3);

    const refused = await run(['rb', `s3://${bucket}`], { home });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /is not empty/);
    assert.match(refused.stderr, new RegExp(`hint: .*sse3 rb s3://${bucket} --force`));
    const unconfirmed = await run(['rb', `s3://${bucket}`, '--force'], { home });
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /no terminal to confirm/);
    const dry = await ok(['rb', `s3://${bucket}`, '--force', '--dry-run', '--json'], { home });
    assert.deepEqual(dry.summary(), { ok: true, dryRun: true, wouldDelete: 4, bucket }, 'three versions and a delete marker');
    assert.equal(await awsHasBucket(bucket), true, 'nothing deleted yet');
    assert.equal(await rowCount(home), 3);

    const forced = await ok(['rb', `s3://${bucket}`, '--force', '--yes', '--json'], { home });
    assert.deepEqual(forced.summary(), { succeeded: 5, failed: 0, bucket, bucketDeleted: true, ok: true });
    assert.equal(forced.items().at(-1).bucketDeleted, true, 'the bucket is the last item, after every version');
    assert.equal(await awsHasBucket(bucket), false);
    assert.equal(await rowCount(home), 0, 'the rows of its versions went with them');
  });

test('rb --force of an empty bucket needs no confirmation; rb drops the stale rows of objects deleted outside sse3', async () => {
  const home = newHome();
  const bucket = await newBucket('rbstale');
  const key = await makeKeyFile(home, 'rb.key');
  await putData(home, `s3://${bucket}/x`, randomBytes(10), key.ref);
  assert.equal((await runAws(['s3', 'rm', `s3://${bucket}/x`])).code, 0);
  const r = (await ok(['rb', `s3://${bucket}`, '--json'], { home })).json();
  assert.deepEqual([r.bucketDeleted, r.forgottenRecords], [true, 1]);
  assert.equal(await rowCount(home), 0);

  // An upload begun and never finished (another client's, a crashed one) holds no object: the bucket is still empty.
  const empty = await newBucket('rbempty');
  const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new CreateMultipartUploadCommand({ Bucket: empty, Key: 'unfinished' }));
  const forced = await ok(['rb', `s3://${empty}`, '--force', '--json'], { home });
  assert.deepEqual(forced.summary(), { succeeded: 1, failed: 0, bucket: empty, bucketDeleted: true, ok: true });
  assert.equal(await awsHasBucket(empty), false);
});

test('a bucket of another S3 user: mb says it belongs to someone else, rb is denied, and it stays', async (t) => {
  const home = newHome();
  const bucket = await newBucket('theirs');
  // Another user of the same server, made for this test and removed after it.
  const uid = randomName('sse3-other');
  const access = randomBytes(10).toString('hex').toUpperCase();
  const secret = randomBytes(20).toString('hex');
  const admin = (args: string[]) => execFileSync('radosgw-admin', ['-c', join(requireEnv('SSE3_RGW_DIR'), 'ceph.conf'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  admin(['user', 'create', '--uid', uid, '--display-name', 'another sse3 test user', '--access-key', access, '--secret', secret]);
  t.after(() => { admin(['user', 'rm', '--uid', uid]); });
  const other = { AWS_ACCESS_KEY_ID: access, AWS_SECRET_ACCESS_KEY: secret };
  writeFileSync(join(home.dir, 'work', 'note'), 'not theirs to delete');

  const mb = await run(['mb', `s3://${bucket}`, '--json'], { home, env: other });
  assert.equal(mb.code, 1, mb.stderr);
  assert.equal(mb.error().code, 'BUCKET_EXISTS');
  assert.match(mb.error().message, /belongs to someone else/);
  for (const args of [['rb', `s3://${bucket}`], ['rb', `s3://${bucket}`, '--force', '--yes']]) {
    const rb = await run([...args, '--json'], { home, env: other });
    assert.equal(rb.code, 1, `${args.join(' ')}: ${rb.stderr}`);
    assert.equal(rb.error().code, 'ACCESS_DENIED', rb.out);
  }
  assert.equal(await awsHasBucket(bucket), true);
});
