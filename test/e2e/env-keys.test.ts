// A key held in an environment variable (SSE3_KEY, --key env:VAR) is not handed to the processes sse3 starts:
// here the AWS SDK's credential_process helper, a script that writes down the environment it was given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoSecrets, newBucket, newHome, ok, rememberSecret, requireEnv } from './harness.js';

test('keys from SSE3_KEY and env:VAR never reach a credential_process helper', { timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const dumps = join(home.dir, 'dumps');
  const helper = join(home.dir, 'credentials.sh');
  // Hands out the gateway's credentials, as a company's credential helper would, after writing down its environment.
  writeFileSync(helper, `#!/bin/sh
mkdir -p '${dumps}'
env > "$(mktemp '${dumps}/env.XXXXXX')"
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\\n' '${requireEnv('AWS_ACCESS_KEY_ID')}' '${requireEnv('AWS_SECRET_ACCESS_KEY')}'
`, { mode: 0o700 });
  const config = join(home.dir, 'aws-config');
  writeFileSync(config, `[profile helper]\ncredential_process = ${helper}\nregion = us-east-1\n`);

  const sseKey = randomBytes(32);
  const myKey = randomBytes(32);
  rememberSecret(sseKey);
  rememberSecret(myKey);
  const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'no-credentials'),
    AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
  const withSse3Key = { ...env, SSE3_KEY: sseKey.toString('base64') };
  // SSE3_KEY is set too, unused: it stays out of child processes all the same.
  const withMyKey = { ...withSse3Key, MYKEY: myKey.toString('base64') };
  const bucket = await newBucket('envkeys');
  const file = join(home.dir, 'work', 'data');
  const data = randomBytes(1024);
  writeFileSync(file, data);

  for (const [what, args, runEnv] of [
    ['put with SSE3_KEY', ['put', file, `s3://${bucket}/a`], withSse3Key],
    ['get with SSE3_KEY', ['get', `s3://${bucket}/a`, join(home.dir, 'work', 'a')], withSse3Key],
    ['put with --key env:MYKEY', ['put', file, `s3://${bucket}/b`, '--key', 'env:MYKEY'], withMyKey],
    ['get with --key env:MYKEY', ['get', `s3://${bucket}/b`, join(home.dir, 'work', 'b'), '--key', 'env:MYKEY'], withMyKey],
  ] as const) {
    rmSync(dumps, { recursive: true, force: true });
    await ok([...args, '--profile', 'helper'], { home, env: runEnv });
    assert.ok(existsSync(dumps) && readdirSync(dumps).length > 0, `${what}: the credential helper ran`);
    for (const name of readdirSync(dumps)) {
      const seen = readFileSync(join(dumps, name), 'utf8');
      // The helper got the rest of the environment; only the keys are missing.
      assert.match(seen, /^AWS_CONFIG_FILE=/m, `${what}: the helper's environment was written down`);
      assert.doesNotMatch(seen, /^(SSE3_KEY|MYKEY)=/m, `${what}: a key variable reached the helper`);
      assertNoSecrets(seen, `the environment of the credential helper (${what})`);
    }
  }
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'a')), data);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'b')), data);
});
