import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { adminClient, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, rememberSecret, rememberSecretText, run } from './harness.js';

const workFiles = (dir: string) => readdirSync(join(dir, 'work')).sort();

async function listen(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => { sockets.push(s); onConnection(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

test('wrong key: exit 3, the message names the fingerprint that encrypted it, no file left', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const right = await makeKeyFile(home, 'right.key');
  const wrong = await makeKeyFile(home, 'wrong.key', { inKeyDir: false });
  writeFileSync(join(home.dir, 'work', 'secret.txt'), 'top secret');
  await ok(['put', 'secret.txt', `s3://${bucket}/secret.txt`, '--key', right.ref], { home });
  for (const cmd of [['get', `s3://${bucket}/secret.txt`, 'out.txt'], ['head', `s3://${bucket}/secret.txt`]]) {
    const r = await run([...cmd, '--key', wrong.ref], { home });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`key ${wrong.fingerprint} does not open .* encrypted with key ${right.fingerprint}`));
  }
  assert.deepEqual(workFiles(home.dir), ['secret.txt']);
});

test('no key available: exit 3 naming the fingerprint needed', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const k = await makeKeyFile(home, 'gone.key', { inKeyDir: false });
  writeFileSync(join(home.dir, 'work', 'f'), 'data');
  await ok(['put', 'f', `s3://${bucket}/f`, '--key', k.ref], { home });
  // The home remembers the file the key was used from: gone from there, the key is nowhere sse3 looks.
  rmSync(k.path);
  const r = await run(['get', `s3://${bucket}/f`, 'out'], { home });
  assert.equal(r.code, 3);
  assert.match(r.stderr, new RegExp(`needs the key with fingerprint ${k.fingerprint}`));
  assert.match(r.stderr, new RegExp(`it was last seen at ${k.ref} \\(key file ${k.path} does not exist\\)`));
  assert.match(r.stderr, new RegExp(`hint: put it back at ${k.ref}, or pass it with --key REF`));
  assert.deepEqual(workFiles(home.dir), ['f']);

  // An object sse3 has no record of at all (written by another tool without tags).
  const s3 = await import('@aws-sdk/client-s3');
  const raw = randomBytes(32);
  rememberSecret(raw);
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'foreign', Body: 'x',
    SSECustomerAlgorithm: 'AES256', SSECustomerKey: raw.toString('base64') }));
  const r2 = await run(['get', `s3://${bucket}/foreign`, 'out'], { home });
  assert.equal(r2.code, 3);
  assert.match(r2.stderr, /no record of which key encrypted/);
});

test('an unencrypted object is downloaded by get with a warning, also with a --key that does not apply; head shows it as not encrypted',
  async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'k.key');
    const s3 = await import('@aws-sdk/client-s3');
    await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'not encrypted' }));
    const r = await run(['get', `s3://${bucket}/plain.txt`, 'out', '--key', key.ref, '--json'], { home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /plain\.txt is not encrypted \(a plain object, no SSE-C key\): downloaded as it is; integrity not verified/);
    assert.deepEqual([r.json().encrypted, r.json().fingerprint, r.json().verified], [false, null, false]);
    assert.equal(readFileSync(join(home.dir, 'work', 'out'), 'utf8'), 'not encrypted');
    const h = (await ok(['head', `s3://${bucket}/plain.txt`, '--json'], { home })).json();
    assert.equal(h.sse.algorithm, null);
  });

test('an object changed behind sse3\'s back fails the SHA-256 check: exit 4, no file', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(home.dir, 'work', 'doc'), 'original');
  await ok(['put', 'doc', `s3://${bucket}/doc`, '--key', key.ref], { home });
  await overwriteEncrypted(bucket, 'doc', Buffer.from('tampered'), key.raw);
  const r = await run(['get', `s3://${bucket}/doc`, 'doc.out'], { home });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /SHA-256 .* does not match/);
  assert.deepEqual(workFiles(home.dir), ['doc']);
});

test('http:// endpoints are refused before any connection is made', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'x');
  const { server, port, sockets } = await listen((s) => s.destroy());
  try {
    for (const how of [{ args: ['--endpoint-url', `http://127.0.0.1:${port}`], env: {} },
      { args: [], env: { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` } }]) {
      const r = await run(['put', 'f', 's3://bucket/f', '--key', key.ref, ...how.args], { home, env: how.env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /refusing to send an SSE-C key over plain HTTP/);
      const g = await run(['get', 's3://bucket/f', 'o', '--key', key.ref, ...how.args], { home, env: how.env });
      assert.equal(g.code, 2);
    }
    assert.equal(sockets.length, 0, 'no connection reached the server');
  } finally {
    server.close();
  }
});

test('bad key files, modes and env values: exit 3 with a message saying what to do', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const dir = home.dir;
  writeFileSync(join(dir, 'work', 'f'), 'x');
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [];
  writeFileSync(join(dir, 'short.key'), randomBytes(16), { mode: 0o600 });
  cases.push([`file:${join(dir, 'short.key')}`, {}, /binary data, not a 32-byte key|not the base64/]);
  writeFileSync(join(dir, 'b64short.key'), randomBytes(20).toString("base64"), { mode: 0o600 });
  cases.push([`file:${join(dir, 'b64short.key')}`, {}, /not the base64 of a 32-byte key/]);
  writeFileSync(join(dir, 'empty.key'), '', { mode: 0o600 });
  cases.push([`file:${join(dir, 'empty.key')}`, {}, /is empty/]);
  const loose = randomBytes(32);
  rememberSecret(loose);
  writeFileSync(join(dir, 'loose.key'), loose);
  chmodSync(join(dir, 'loose.key'), 0o644);
  cases.push([`file:${join(dir, 'loose.key')}`, {}, /accessible by group or others \(mode 0644\)/]);
  cases.push([`file:${join(dir, 'missing.key')}`, {}, /does not exist/]);
  cases.push(['env:SSE3_TEST_UNSET', {}, /SSE3_TEST_UNSET is not set/]);
  cases.push(['env:BAD', { BAD: 'not base64 at all' }, /BAD holds 17 characters, which is no key format sse3 knows/]);
  cases.push(['env:EMPTY', { EMPTY: '' }, /is empty/]);
  for (const [ref, env, message] of cases) {
    const r = await run(['put', 'f', `s3://${bucket}/f`, '--key', ref], { home, env });
    assert.equal(r.code, 3, `${ref}: ${r.stderr}`);
    assert.match(r.stderr, message, ref);
    assert.match(r.stderr, /^error: .*\nhint: .+\n$/, `one error line and one hint line for ${ref}`);
  }
  const loosePut = await run(['put', 'f', `s3://${bucket}/f`, '--key', `file:${join(dir, 'loose.key')}`], { home });
  assert.match(loosePut.stderr, new RegExp(`hint: run: chmod 600 ${join(dir, 'loose.key')}`));
});

test('a key pasted on the command line is refused without echoing it', async () => {
  const home = newHome();
  const raw = randomBytes(32);
  rememberSecret(raw);
  const r = await run(['put', 'f', 's3://bucket/f', '--key', raw.toString('base64')], { home });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /looks like a key itself/);
});

test('a key inside a key reference (file:KEY, env:KEY, keychain:KEY) is refused without echoing it, as a bare key is', async () => {
  const home = newHome();
  const raw = randomBytes(32);
  rememberSecret(raw);
  // A 32-character text secret, as `aws s3 cp --sse-c-key` users make them: the key bytes are the characters.
  const text = 'Kx7' + randomBytes(40).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 29);
  rememberSecretText(text);
  const refs = [`file:${raw.toString('base64')}`, `file:${raw.toString('hex')}`, `env:${raw.toString('hex')}`,
    `env:${raw.toString('base64')}`, `keychain:${raw.toString('base64url')}`, `file:${text}`, `file:keys/${text}`, text];
  for (const ref of refs) {
    for (const args of [['put', 'f', 's3://bucket/f', '--key', ref], ['get', 's3://bucket/f', 'o', '--key', ref], ['keygen', ref],
      ['rotate', 's3://bucket/f', '--to', ref], ['get', 's3://bucket/f', 'o', '--key', ref, '--json']]) {
      const r = await run(args, { home }); // run() fails the test if any output holds the key
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /looks like a key itself/);
      assert.match(r.stderr, /hint: consider that key exposed/);
    }
  }
  assert.deepEqual(readdirSync(join(home.dir, 'work')), [], 'keygen created nothing');
});

test('usage errors exit 2 and suggest the closest command', async () => {
  const r = await run(['gte', 's3://b/k']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Did you mean get\?/);
  const bad = await run(['get', 'b/k']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not an s3:\/\/ URL/);
  const noKey = await run(['put', 'f', 's3://bucket/f'], { env: { SSE3_KEY: undefined } });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /no key given/);
});

test('every usage error exits 2, on subcommands too; with --json the error document is on stdout', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['get', 's3://b/k', '--bogus'], /unknown option "--bogus"/],
    [['manifest', 'list', '--nope'], /unknown option "--nope"/],
    [['get'], /missing required argument 'src'/],
    [['head', 's3://b/k', 'extra'], /too many arguments for 'head'/],
    [['manifest', 'bogus'], /unknown command "bogus"/],
    [['manifest'], /say which command of "sse3 manifest"/],
    [['verify', '--jobs', '0'], /--jobs must be a positive whole number/],
    [['cp', 'a', 's3://b/', '--server-side', 'sometimes'], /argument "sometimes" is invalid/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `sse3 ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^hint: .*--help for usage/m);
    assert.equal(r.out, '', 'nothing on stdout without --json');
    const j = await run([...args, '--json']);
    assert.equal(j.code, 2, `sse3 ${args.join(' ')} --json: ${j.stderr}`);
    const doc = j.json();
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'USAGE');
    assert.equal(doc.error.exitCode, 2);
    assert.match(doc.error.message, message);
  }
  // After "--" a word is an argument, not --json.
  const literal = await run(['get', '--', '--json']);
  assert.equal(literal.code, 2);
  assert.equal(literal.out, '');
});

test('missing bucket and missing object: exit 1 with a clear message', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const r = await run(['get', `s3://${bucket}/nope`, 'x', '--key', key.ref], { home });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist/);
  const b = await run(['head', 's3://sse3-no-such-bucket/x', '--key', key.ref], { home });
  assert.equal(b.code, 1);
  assert.match(b.stderr, /does not exist/);
});

test('with or without --key: a missing object or bucket "does not exist" (exit 1), a plain object is downloaded, said "not encrypted"', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'not encrypted' }));
  for (const withKey of [[], ['--key', key.ref]]) {
    for (const cmd of [['get'], ['cp']]) {
      for (const [url, exit, message] of [[`s3://${bucket}/nope`, 1, /does not exist/], ['s3://sse3-no-such-bucket/x', 1, /does not exist/],
        [`s3://${bucket}/plain.txt`, 0, /is not encrypted \(a plain object, no SSE-C key\)/]] as const) {
        const r = await run([...cmd, url, 'out', ...withKey], { home });
        assert.equal(r.code, exit, `${cmd} ${url} ${withKey.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /no record of which key/);
      }
    }
  }
  const rotated = await run(['rotate', `s3://${bucket}/plain.txt`, '--to', key.ref], { home });
  assert.equal(rotated.code, 0, rotated.stderr);
  // Nothing to do: said on stderr, stdout stays empty.
  assert.equal(rotated.out, '');
  assert.match(rotated.stderr, /plain\.txt: not encrypted \(a plain object\), nothing to rotate\n {2}encrypt it with: sse3 adopt s3:\/\/.*\/ --encrypt-plain --key REF/);
  assert.deepEqual(workFiles(home.dir), ['out']);
  assert.equal(readFileSync(join(home.dir, 'work', 'out'), 'utf8'), 'not encrypted');
});

test('unreachable server: exit 5; hung server: exit 5 within the timeout, not a hang', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const closed = await listen(() => undefined);
  const port = closed.port;
  closed.server.close();
  const r = await run(['get', 's3://bucket/x', 'out', '--key', key.ref, '--endpoint-url', `https://127.0.0.1:${port}`], { home });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /cannot reach the S3 server \(ECONNREFUSED\)/);

  const hung = await listen(() => undefined); // accepts, never answers
  try {
    const started = Date.now();
    const h = await run(['head', 's3://bucket/x', '--key', key.ref, '--timeout', '1', '--endpoint-url', `https://127.0.0.1:${hung.port}`,
      '--json'], { home, killAfterMs: 60_000 });
    assert.equal(h.code, 5, h.stderr);
    assert.equal(h.json().error.code, 'UNREACHABLE');
    assert.match(h.stderr, /the server did not answer in time/);
    assert.ok(Date.now() - started < 45_000, 'bounded by the timeout and retries');
    assert.deepEqual(workFiles(home.dir), []);
  } finally {
    for (const s of hung.sockets) s.destroy();
    hung.server.close();
  }
});

test('an untrusted TLS certificate is a clear error naming --ca-bundle', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const r = await run(['head', 's3://bucket/x', '--key', key.ref], { home, env: { AWS_CA_BUNDLE: undefined, NODE_EXTRA_CA_CERTS: undefined } });
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /TLS certificate is not trusted/);
  assert.match(r.stderr, /--ca-bundle/);
});
