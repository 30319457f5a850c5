// The same key works both ways between sse3 and aws-cli's SSE-C flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, makeKeyFile, newBucket, newHome, ok, runAws } from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';

test('sse3 put → aws s3api get-object with the same key', { skip }, async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'i.key');
  for (const size of [2048, 17 * 1024 * 1024]) {
    const data = randomBytes(size);
    writeFileSync(join(home.dir, 'work', `up-${size}`), data);
    await ok(['put', `up-${size}`, `s3://${bucket}/up-${size}`, '--key', key.ref], { home });
    const out = join(home.dir, `aws-${size}`);
    const r = await runAws(['s3api', 'get-object', '--bucket', bucket, '--key', `up-${size}`, '--sse-customer-algorithm', 'AES256',
      '--sse-customer-key', `fileb://${key.path}`, out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(out), data);
  }
});

test('aws s3api put-object → sse3 get with the same key (checksum unverifiable, said so)', { skip }, async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'i.key', { format: 'base64' });
  writeFileSync(join(home.dir, 'raw.key'), key.raw, { mode: 0o600 });
  const data = randomBytes(5000);
  writeFileSync(join(home.dir, 'src'), data);
  const r = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', 'from-aws', '--body', join(home.dir, 'src'),
    '--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${join(home.dir, 'raw.key')}`]);
  assert.equal(r.code, 0, r.stderr);
  const got = await ok(['get', `s3://${bucket}/from-aws`, 'back', '--key', key.ref, '--json'], { home });
  assert.equal(got.json().verified, false);
  assert.match(got.stderr, /integrity not verified/);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'back')), data);
});
