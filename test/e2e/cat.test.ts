// sse3 cat s3://B/K: get … - under the name aws s3 cp … - and rclone cat users reach for, with get's checks (the key
// found by itself, the SHA-256 checked) and its rules for stdout (only object data there; the JSON on stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, run, runAws } from './harness.js';

test('cat prints the object aws-cli reads with the same key, small and multipart, without --key; a version by --version-id',
  { skip: !AWS_CLI && 'aws-cli not installed' }, async () => {
    const home = newHome();
    const bucket = await newBucket('cat', true);
    const key = await makeKeyFile(home, 'cat.key');
    const work = join(home.dir, 'work');
    for (const [name, size] of [['small', 1000], ['big', 13 * 1024 * 1024]] as const) {
      writeFileSync(join(work, name), randomBytes(size));
      await ok(['put', name, `s3://${bucket}/${name}`, '--key', key.ref], { home });
      const judge = join(home.dir, `aws-${name}`);
      const aws = await runAws(['s3api', 'get-object', '--bucket', bucket, '--key', name, '--sse-customer-algorithm', 'AES256',
        '--sse-customer-key', `fileb://${key.path}`, judge]);
      assert.equal(aws.code, 0, aws.stderr);
      const r = await ok(['cat', `s3://${bucket}/${name}`], { home });
      assert.ok(r.stdout.equals(readFileSync(judge)), `cat ${name} prints what aws-cli reads`);
      assert.ok(r.stdout.equals(readFileSync(join(work, name))));
    }
    // An older version by --version-id; --json goes to stderr, stdout holds the data alone.
    writeFileSync(join(work, 'v'), 'first');
    const first = (await ok(['put', 'v', `s3://${bucket}/v`, '--key', key.ref, '--json'], { home })).json();
    writeFileSync(join(work, 'v'), 'second');
    await ok(['put', 'v', `s3://${bucket}/v`, '--key', key.ref], { home });
    assert.equal((await ok(['cat', `s3://${bucket}/v`], { home })).out, 'second');
    const old = await ok(['cat', `s3://${bucket}/v`, '--version-id', first.versionId, '--json'], { home });
    assert.equal(old.out, 'first');
    const said = JSON.parse(old.stderr.split('\n').find((l) => l.startsWith('{'))!);
    assert.deepEqual([said.ok, said.verified, said.versionId, said.path], [true, true, first.versionId, null]);
  });

test('cat fails as get … - does, with nothing on stdout: a missing object, a folder, a key it cannot find, a wrong key', async () => {
  const home = newHome();
  const bucket = await newBucket('catfail');
  const key = await makeKeyFile(home, 'cat.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'data');
  await ok(['put', 'f', `s3://${bucket}/dir/f`, '--key', key.ref], { home });
  await overwriteEncrypted(bucket, 'other', Buffer.from('someone else\'s'), randomBytes(32));

  const cases: Array<[string[], number, RegExp]> = [
    [['cat', `s3://${bucket}/none`], 1, /does not exist/],
    [['cat', `s3://${bucket}/dir`], 2, /names a folder.*\n.*sse3 cp --recursive/],
    [['cat', `s3://${bucket}/other`], 3, /adopt|--key/],
    [['cat', `s3://${bucket}/dir/f`, '--key', 'env:SSE3_CAT_UNSET'], 3, /SSE3_CAT_UNSET/],
    [['cat'], 2, /missing required argument/],
  ];
  for (const [args, code, says] of cases) {
    const r = await run(args, { home });
    assert.equal(r.code, code, `sse3 ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.out, '', `sse3 ${args.join(' ')}: nothing on stdout`);
    assert.match(r.stderr, says);
  }
  assert.equal((await ok(['cat', `s3://${bucket}/dir/f`], { home })).out, 'data');
});
