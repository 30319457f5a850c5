// sse3 adopt: objects aws-cli wrote with the SSE-C guide's keys come under sse3's care.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AWS_CLI, type Home, makeKeyFile, manifestRows, ndjson, newBucket, newHome, ok, putData, rememberSecret,
  requestCounts, run, runAws, serverTags,
} from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
/** Keychain entries other test files make while this one runs would be candidates too: counts need them out of sight. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/sse3-test-bus' };

/** A guide-style text secret in a file (the way aws s3 cp --sse-c-key $secret uses it), and a raw `openssl rand 32` file. */
function guideKeys(home: Home) {
  const secret = randomBytes(24).toString('base64');
  rememberSecret(Buffer.from(secret));
  const raw = randomBytes(32);
  rememberSecret(raw);
  const rawPath = join(home.dir, 'sse-c.key');
  writeFileSync(rawPath, raw, { mode: 0o600 });
  return { secret, raw, rawPath };
}

/** aws s3api put-object with an SSE-C key (text secret or fileb:// path), optional tags; returns the version id. */
async function awsPut(home: Home, bucket: string, key: string, data: Buffer, sseKey: string | undefined, tagging?: string) {
  const src = join(home.dir, `src-${randomBytes(4).toString('hex')}`);
  writeFileSync(src, data);
  const r = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', key, '--body', src,
    ...(sseKey ? ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', sseKey] : []), ...(tagging ? ['--tagging', tagging] : [])]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).VersionId as string | undefined;
}

test('adopt: the guide\'s two key styles, existing tags kept, a plain object and one without a key; then get/head/verify/rotate need no --key',
  { skip, timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('adopt');
    const { secret, rawPath } = guideKeys(home);
    const small = randomBytes(3000);
    const big = randomBytes(9 * MiB + 11);
    await awsPut(home, bucket, 'docs/a.txt', small, secret, 'owner=alice&team=blue');
    // aws s3 cp splits this into a multipart upload, every part under the raw key.
    writeFileSync(join(home.dir, 'big.bin'), big);
    const cp = await runAws(['s3', 'cp', join(home.dir, 'big.bin'), `s3://${bucket}/data/big.bin`, '--sse-c', 'AES256',
      '--sse-c-key', `fileb://${rawPath}`]);
    assert.equal(cp.code, 0, cp.stderr);
    await awsPut(home, bucket, 'plain.txt', Buffer.from('not secret'), undefined);
    const lost = randomBytes(32);
    rememberSecret(lost);
    writeFileSync(join(home.dir, 'lost.key'), lost);
    await awsPut(home, bucket, 'lost.bin', randomBytes(100), `fileb://${join(home.dir, 'lost.key')}`);

    // The text secret goes into the key folder; the raw key is only given with --key, beside a wrong candidate.
    const guide = (await ok(['keys', 'import', `file:${join(home.keyDir, 'guide.key')}`, '--from', '-', '--json'], { home, input: secret })).json();
    const rawKey = (await ok(['keys', 'import', `file:${join(home.dir, 'raw.key')}`, '--from', rawPath, '--json'], { home })).json();
    const wrong = await makeKeyFile(home, 'wrong.key', { inKeyDir: false });

    const r = await run(['adopt', `s3://${bucket}`, '--key', wrong.ref, '--key', `file:${join(home.dir, 'raw.key')}`, '--json'],
      { home, env: noKeychain });
    assert.equal(r.code, 3, `an object no candidate opens makes the exit 3: ${r.stderr}`);
    const lines = ndjson(r.out);
    const by = Object.fromEntries(lines.filter((l) => l.url).map((l) => [l.key, l]));
    assert.deepEqual(lines.at(-2), { summary: { succeeded: 3, adopted: 2, known: 0, plain: 1, noKey: 1, failed: 0, encrypted: 0, unverified: 2,
      ok: false } });
    assert.equal(lines.at(-1).error.exitCode, 3, 'the error line last');
    assert.deepEqual([by['docs/a.txt'].status, by['docs/a.txt'].fingerprint, by['docs/a.txt'].via, by['docs/a.txt'].tagged],
      ['adopted', guide.fingerprint, 'key', true]);
    assert.equal(by['docs/a.txt'].keyRef, `file:${join(home.keyDir, 'guide.key')}`);
    assert.deepEqual([by['data/big.bin'].status, by['data/big.bin'].fingerprint], ['adopted', rawKey.fingerprint]);
    assert.deepEqual([by['plain.txt'].status, by['plain.txt'].tried], ['plain', 0], 'a plain object is never sent a key');
    assert.deepEqual([by['lost.bin'].status, by['lost.bin'].ok, by['lost.bin'].tried], ['no-key', false, 3]);
    assert.match(r.stderr, /1 SSE-C object version\(s\) opened with none of the 3 candidate key\(s\)/);
    assert.match(r.stderr, /hint: bring their keys in with sse3 keys import/);

    assert.deepEqual(await serverTags(bucket, 'docs/a.txt'), { 'owner': 'alice', 'team': 'blue', 'sse3-fp': guide.fingerprint },
      'the object\'s own tags are kept');
    assert.deepEqual(await serverTags(bucket, 'lost.bin'), {}, 'nothing written to an object without a key');
    const recorded = await manifestRows(home);
    assert.deepEqual(recorded.map((x) => [x.key, x.fingerprint, x.size]).sort(),
      [['data/big.bin', rawKey.fingerprint, big.length], ['docs/a.txt', guide.fingerprint, small.length]]);

    // Afterwards the manifest finds the keys: no --key anywhere (the raw key is moved into the key folder first).
    await ok(['keys', 'import', `file:${join(home.keyDir, 'raw.key')}`, '--from', rawPath], { home });
    await ok(['get', `s3://${bucket}/docs/a.txt`, 'a.txt'], { home });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'a.txt')), small);
    const g = (await ok(['get', `s3://${bucket}/data/big.bin`, 'big.bin', '--json'], { home })).json();
    assert.equal(g.fingerprint, rawKey.fingerprint);
    assert.equal(sha(readFileSync(join(home.dir, 'work', 'big.bin'))), sha(big));
    const h = (await ok(['head', `s3://${bucket}/docs/a.txt`, '--json'], { home })).json();
    assert.deepEqual([h.keyMatches, h.keyFoundBy], [true, 'manifest']);
    await ok(['verify', `s3://${bucket}`], { home });
    const next = await makeKeyFile(home, 'next.key');
    const rot = (await ok(['rotate', `s3://${bucket}/docs/a.txt`, '--to', next.ref, '--json'], { home })).json();
    assert.equal(rot.oldFingerprint, guide.fingerprint);
    assert.equal((await serverTags(bucket, 'docs/a.txt'))['sse3-fp'], next.fingerprint);

    // A rerun over what is known costs the listing only.
    const counts = join(home.dir, 'requests.log');
    // (A folder written with its "/": without it, one more listing asks whether data/ is a folder or data an object.)
    const again = await ok(['adopt', `s3://${bucket}/data/`], { home, env: { SSE3_REQUEST_LOG: counts } });
    assert.match(again.out, new RegExp(`= known +s3://${bucket}/data/big.bin  key ${rawKey.fingerprint}`));
    assert.match(again.stderr, /0 adopted, 1 already known, 0 plain, 0 without a key here, 0 failed/);
    assert.deepEqual(requestCounts(counts), { ListObjectVersionsCommand: 1 });
    assert.equal((await manifestRows(home)).length, 2, 'no duplicate rows');
  });

test('adopt --hash records the plaintext SHA-256 (get then verifies it); a later --hash fills in what an earlier adopt left out',
  { skip, timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('adopth');
    const { rawPath } = guideKeys(home);
    const a = randomBytes(5000);
    const b = randomBytes(6 * MiB);
    await awsPut(home, bucket, 'a', a, `fileb://${rawPath}`);
    await ok(['keys', 'import', `file:${join(home.keyDir, 'k')}`, '--from', rawPath], { home });
    const first = await ok(['adopt', `s3://${bucket}`], { home });
    assert.match(first.stderr, /integrity of the 1 adopted object version\(s\) is unverified until sse3 adopt --hash or sse3 verify --deep/);
    assert.equal((await manifestRows(home))[0].sha256, null, 'an unknown SHA-256 is null');

    await awsPut(home, bucket, 'b', b, `fileb://${rawPath}`);
    const r = ndjson((await ok(['adopt', `s3://${bucket}`, '--hash', '--json'], { home })).out);
    const by = Object.fromEntries(r.filter((l) => l.url).map((l) => [l.key, l]));
    assert.deepEqual([by.a.status, by.a.hashed, by.a.sha256], ['known', true, sha(a)]);
    assert.deepEqual([by.b.status, by.b.hashed, by.b.sha256], ['adopted', true, sha(b)]);
    assert.equal(r.at(-1).summary.unverified, 0);
    assert.equal((await serverTags(bucket, 'b'))['sse3-sha256'], sha(b));
    assert.deepEqual((await manifestRows(home)).map((x) => [x.key, x.sha256]), [['a', sha(a)], ['b', sha(b)]]);
    const g = (await ok(['get', `s3://${bucket}/b`, 'b', '--json'], { home })).json();
    assert.deepEqual([g.verified, g.checksumSource], [true, 'manifest']);
    await ok(['verify', `s3://${bucket}`, '--deep'], { home });

    // verify --deep records the SHA-256 of an adopted object that has none yet.
    const c = randomBytes(7000);
    await awsPut(home, bucket, 'new/c', c, `fileb://${rawPath}`);
    await ok(['adopt', `s3://${bucket}`], { home });
    const deep = (await ok(['verify', `s3://${bucket}/new`, '--deep', '--json'], { home })).items();
    assert.deepEqual(deep.map((o: { status: string; detail?: string }) => [o.status, o.detail]), [['ok', 'SHA-256 recorded']]);
    assert.equal((await manifestRows(home)).find((x) => x.key === 'new/c')?.sha256, sha(c));
    assert.equal((await serverTags(bucket, 'new/c'))['sse3-sha256'], sha(c));
    assert.equal((await ok(['get', `s3://${bucket}/new/c`, 'c', '--json'], { home })).json().verified, true);
  });

test('adopt respects S3\'s limit of 10 tags: recorded, not tagged, and says why', { skip, timeout: 120_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('adoptt');
  const { rawPath } = guideKeys(home);
  const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}=v${i}`).join('&');
  await awsPut(home, bucket, 'ten', randomBytes(10), `fileb://${rawPath}`, tags(10));
  await awsPut(home, bucket, 'nine', randomBytes(10), `fileb://${rawPath}`, tags(9));
  const r = ndjson((await ok(['adopt', `s3://${bucket}`, '--key', `file:${rawPath}`, '--json'], { home })).out);
  const by = Object.fromEntries(r.filter((l) => l.url).map((l) => [l.key, l]));
  assert.deepEqual([by.ten.status, by.ten.tagged], ['adopted', false]);
  assert.match(by.ten.warning, /has 10 tags and S3 allows 10, so sse3's sse3-fp tag\(s\) were not added: the manifest records it/);
  assert.equal(Object.keys(await serverTags(bucket, 'ten')).length, 10);
  assert.deepEqual([by.nine.status, by.nine.tagged], ['adopted', true]);
  const nine = await serverTags(bucket, 'nine');
  assert.equal(Object.keys(nine).length, 10);
  assert.equal(nine.t8, 'v8');
  assert.equal((await manifestRows(home)).length, 2);
  const human = await ok(['adopt', `s3://${bucket}`, '--key', `file:${rawPath}`, '--hash'], { home });
  assert.match(human.out, /warning: s3:\/\/.*\/nine has 10 tags and S3 allows 10, so sse3's sse3-sha256 tag\(s\) were not added/);
});

test('adopt in a versioned bucket: every version, each with its own key; the latest stays the latest', { skip, timeout: 120_000 },
  async () => {
    const home = newHome();
    const bucket = await newBucket('adoptv', true);
    const k1 = await makeKeyFile(home, 'k1');
    const k2 = await makeKeyFile(home, 'k2');
    const k3 = await makeKeyFile(home, 'k3');
    const v1data = randomBytes(1000);
    const v2data = randomBytes(2000);
    const v3data = randomBytes(3000);
    const v1 = await awsPut(home, bucket, 'doc', v1data, `fileb://${k1.path}`);
    const v2 = await awsPut(home, bucket, 'doc', v2data, `fileb://${k2.path}`);
    // sse3 wrote the newest version itself: adopting older ones must not make them "latest".
    const v3 = (await putData(home, `s3://${bucket}/doc`, v3data, k3.ref)).versionId;
    const r = ndjson((await ok(['adopt', `s3://${bucket}`, '--json'], { home })).out);
    assert.deepEqual(r.filter((l) => l.url).map((l) => [l.versionId, l.status, l.fingerprint]).sort(),
      [[v1, 'adopted', k1.fingerprint], [v2, 'adopted', k2.fingerprint], [v3, 'known', k3.fingerprint]].sort());
    await ok(['get', `s3://${bucket}/doc`, 'latest'], { home });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'latest')), v3data);
    await ok(['get', `s3://${bucket}/doc`, 'v2', '--version-id', v2!], { home });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'v2')), v2data);
    assert.equal((await serverTags(bucket, 'doc', v1))['sse3-fp'], k1.fingerprint);
    await ok(['verify', `s3://${bucket}`], { home });
  });

test('adopt records an sse3-tagged object from its tag, even where its key is not', { timeout: 60_000 }, async () => {
  const writer = newHome();
  const reader = newHome();
  const bucket = await newBucket('adoptg');
  const key = await makeKeyFile(writer, 'k', { inKeyDir: false });
  const data = randomBytes(1234);
  const put = await putData(writer, `s3://${bucket}/x`, data, key.ref);
  const r = ndjson((await ok(['adopt', `s3://${bucket}`, '--json'], { home: reader })).out);
  assert.deepEqual([r[0].status, r[0].via, r[0].fingerprint, r[0].sha256, r[0].tried], ['adopted', 'tag', key.fingerprint, put.sha256, 0]);
  assert.deepEqual((await manifestRows(reader)).map((x) => [x.fingerprint, x.size, x.sha256]), [[key.fingerprint, 1234, put.sha256]]);
  const g = await run(['get', `s3://${bucket}/x`, 'x'], { home: reader });
  assert.equal(g.code, 3);
  assert.match(g.stderr, new RegExp(`needs the key with fingerprint ${key.fingerprint}`));
});

test('adopt --encrypt-plain encrypts plain objects in place with the first --key', { skip, timeout: 60_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('adoptp');
  const key = await makeKeyFile(home, 'k', { inKeyDir: false });
  const data = randomBytes(4000);
  await awsPut(home, bucket, 'p', data, undefined);
  const usage = await run(['adopt', `s3://${bucket}`, '--encrypt-plain'], { home });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--encrypt-plain needs the key to encrypt with: --key REF/);
  const r = ndjson((await ok(['adopt', `s3://${bucket}`, '--encrypt-plain', '--key', key.ref, '--json'], { home })).out);
  assert.deepEqual([r[0].status, r[0].fingerprint, r[0].sha256, r[0].keyRef], ['encrypted', key.fingerprint, sha(data), key.ref]);
  assert.equal(r.at(-1).summary.encrypted, 1);
  const plainRead = await runAws(['s3api', 'get-object', '--bucket', bucket, '--key', 'p', join(home.dir, 'nokey')]);
  assert.notEqual(plainRead.code, 0, 'without the key the object cannot be read any more');
  const g = (await ok(['get', `s3://${bucket}/p`, 'p', '--key', key.ref, '--json'], { home })).json();
  assert.equal(g.verified, true);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'p')), data);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().pendingRotations, []);
});

test('adopt refuses bad input with one clear message and writes nothing', { skip, timeout: 60_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('adoptb');
  const { rawPath } = guideKeys(home);
  await awsPut(home, bucket, 'o', randomBytes(10), `fileb://${rawPath}`);
  const wrong = await makeKeyFile(home, 'wrong', { inKeyDir: false });
  const cases: Array<[string, string[], NodeJS.ProcessEnv, number, RegExp]> = [
    ['missing bucket', ['adopt', 's3://no-such-bucket-w10x'], {}, 1, /bucket of s3:\/\/no-such-bucket-w10x\/ does not exist/],
    ['http endpoint', ['adopt', `s3://${bucket}`, '--endpoint-url', 'http://127.0.0.1:1'], {}, 2, /refusing to send an SSE-C key over plain HTTP/],
    ['wrong candidates', ['adopt', `s3://${bucket}`, '--key', wrong.ref], noKeychain, 3, /opened with none of the 1 candidate key\(s\)/],
    ['missing key file', ['adopt', `s3://${bucket}`, '--key', `file:${join(home.dir, 'nope')}`], {}, 3, /does not exist/],
    ['not a scope', ['adopt', 'bucket'], {}, 2, /not an s3:\/\/ URL/],
  ];
  for (const [what, args, env, code, message] of cases) {
    const r = await run(args, { home, env });
    assert.equal(r.code, code, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, /^hint: /m, what);
  }
  assert.deepEqual(await manifestRows(home), []);
  assert.deepEqual(await serverTags(bucket, 'o'), {});
});
