// The usual SSE-C guide's aws-cli flags, typed to sse3 out of habit: each is recognised on every command, with what to
// do instead; a key given with one is said to be exposed and is never printed back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newHome, rememberSecret, rememberSecretText, run } from './harness.js';

/** A text secret as `openssl rand -base64 24` makes one, the way the guide's readers write their keys. */
function textSecret(): string {
  const secret = randomBytes(24).toString('base64');
  rememberSecretText(secret);
  return secret;
}

test('--sse-c-key and --sse-customer-key (also with "=") on every command: exit 2, the key said to be exposed, the sse3 way, ' +
  'never the key', async () => {
  const home = newHome();
  const raw = randomBytes(32);
  rememberSecret(raw);
  const commands = [['put', 'f', 's3://bucket/k'], ['get', 's3://bucket/k'], ['cp', 'f', 's3://bucket/k'], ['sync', '.', 's3://bucket/'],
    ['ls'], ['keys'], ['manifest', 'list'], []];
  const flags = (i: number) => [['--sse-c', 'AES256', '--sse-c-key', textSecret()], [`--sse-c-key=${textSecret()}`],
    ['--sse-customer-key', raw.toString('base64')], [`--sse-customer-key=${raw.toString('base64')}`]][i % 4];
  for (const [i, command] of commands.entries()) {
    for (const json of [false, true]) {
      const args = [...command, ...flags(i + (json ? 1 : 0)), ...(json ? ['--json'] : [])];
      const r = await run(args, { home });
      assert.equal(r.code, 2, `sse3 ${args.join(' ')}: ${r.stderr}`);
      const [error, hint] = r.stderr.trim().split('\n');
      assert.match(error, /^error: --sse-(c|customer)-key is aws-cli's: sse3 never takes a key on the command line, and a key typed /);
      assert.match(error, /should be considered exposed \(it is in your shell history, and ps shows it to every user/);
      assert.equal(hint, 'hint: store the key once with: sse3 keys import keychain:NAME --from - (paste it on stdin), then pass ' +
        '--key keychain:NAME; a key file is --key file:PATH');
      if (json) assert.deepEqual([r.json().ok, r.json().error.code, r.json().error.exitCode], [false, 'USAGE', 2]);
      else assert.equal(r.out, '');
    }
  }
});

test('the algorithm and key-MD5 flags get a shorter answer (sse3 always uses SSE-C AES256); a fileb:// key file is --key file:', async () => {
  const home = newHome();
  for (const flag of ['--sse-c', '--sse-customer-algorithm', '--sse-c-copy-source', '--copy-source-sse-customer-algorithm']) {
    const r = await run(['get', 's3://bucket/k', flag, 'AES256'], { home });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `error: ${flag} is aws-cli's and not needed: sse3 always uses SSE-C with AES256, and sends the key's MD5 ` +
      'itself\nhint: leave it out; the key is chosen with --key file:PATH, env:VAR or keychain:NAME\n');
  }
  const md5 = await run(['put', 'f', 's3://bucket/k', '--sse-customer-key-md5', randomBytes(16).toString('base64')], { home });
  assert.equal(md5.code, 2);
  assert.match(md5.stderr, /--sse-customer-key-md5 is aws-cli's and not needed/);
  const file = await run(['cp', 'f', 's3://bucket/k', '--sse-c-key', 'fileb://sse-c.key'], { home });
  assert.equal(file.code, 2);
  assert.match(file.stderr, /^error: --sse-c-key is aws-cli's: sse3 takes a key file as --key file:PATH \(32 raw bytes, as fileb:\/\/ /);
  assert.doesNotMatch(file.stderr, /exposed/);
});
