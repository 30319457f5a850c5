// sse3 presign: a link to an SSE-C object that works only with its key, the key never in the link or in anything sse3
// prints; and the other side, a home with no S3 credentials at all, using the link with get and put (and curl with
// --headers-file). Refusals — a wrong key, an expired link, a link edited to name another object, plain http — are
// said in sse3's words, with a non-zero exit and no output file. Every output is scanned for key material (harness).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, assertNoSecrets, type Home, makeKeyFile, newBucket, newHome, ok, requireEnv, run, runProgram } from './harness.js';

/** A home with no S3 credentials, endpoint or AWS config: only its key folder, and the test CA to trust the server. */
function guestHome(): Home & { run: typeof run } {
  const home = newHome();
  const env = { HOME: home.dir, SSE3_HOME: home.env.SSE3_HOME, AWS_CA_BUNDLE: requireEnv('AWS_CA_BUNDLE'),
    AWS_CONFIG_FILE: join(home.dir, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'no-aws-credentials') };
  return { ...home, env, run: (args, opts = {}) => run(args, { ...opts, home: { ...home, env }, noBaseEnv: true }) };
}

/** The guest's copy of a key file (a key is handed over, a manifest is not). */
function handOver(guest: Home, key: { path: string }, name: string): string {
  mkdirSync(guest.keyDir, { recursive: true });
  const path = join(guest.keyDir, name);
  copyFileSync(key.path, path);
  return `file:${path}`;
}

async function presigned(home: Home, args: string[]): Promise<{ url: string; json: any }> {
  const r = await ok(['presign', ...args, '--json'], { home });
  const json = r.json();
  const plain = await ok(['presign', ...args], { home });
  assert.equal(plain.out.split('\n').filter((l) => l).length, 1, 'the link alone, on one line of stdout');
  assert.match(plain.out, /^https:\/\/\S+\n$/);
  return { url: json.url as string, json };
}

function checkLink(url: string, key: { raw: Buffer }): void {
  assertNoSecrets(url, 'the link');
  assertNoSecrets(decodeURIComponent(url), 'the decoded link');
  const q = new URL(url).searchParams;
  const signed = q.get('X-Amz-SignedHeaders')!.split(';');
  assert.ok(signed.includes('x-amz-server-side-encryption-customer-algorithm'), signed.join(';'));
  assert.ok(signed.includes('x-amz-server-side-encryption-customer-key-md5'), signed.join(';'));
  assert.ok(!signed.includes('x-amz-server-side-encryption-customer-key'), 'the key itself is not signed');
  for (const name of q.keys()) assert.doesNotMatch(name, /server-side-encryption/i, `${name}: no SSE-C header hoisted into the query`);
  assert.ok(!url.includes(key.raw.toString('base64')) && !url.includes(encodeURIComponent(key.raw.toString('base64'))));
}

test('a download link made in one home opens the object in a home with no credentials, only with its key; --json names headers only',
  async () => {
    const home = newHome();
    const guest = guestHome();
    const bucket = await newBucket('presign');
    const key = await makeKeyFile(home, 'share.key');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(home.dir, 'work', 'report.bin'), data);
    await ok(['put', 'report.bin', `s3://${bucket}/dir/report.bin`, '--key', key.ref], { home });

    // No --key: the manifest knows the object's key, as get finds it.
    const { url, json } = await presigned(home, [`s3://${bucket}/dir/report.bin`, '--expires', '1h']);
    checkLink(url, key);
    assert.deepEqual(Object.keys(json).sort(), ['bucket', 'expires', 'expiresAt', 'fingerprint', 'headers', 'key', 'method', 'ok', 'url']);
    assert.deepEqual([json.method, json.expires, json.bucket, json.key, json.fingerprint], ['GET', 3600, bucket, 'dir/report.bin', key.fingerprint]);
    assert.deepEqual(json.headers, ['x-amz-server-side-encryption-customer-algorithm', 'x-amz-server-side-encryption-customer-key',
      'x-amz-server-side-encryption-customer-key-md5']);
    assert.ok(Math.abs(Date.parse(json.expiresAt) - Date.now() - 3600_000) < 120_000, json.expiresAt);

    const ref = handOver(guest, key, 'share.key');
    const got = await guest.run(['get', url, 'out.bin', '--key', ref, '--json']);
    assert.equal(got.code, 0, got.stderr);
    assert.ok(readFileSync(join(guest.dir, 'work', 'out.bin')).equals(data));
    const said = got.json();
    assert.deepEqual([said.verified, said.checksumSource, said.fingerprint, said.key], [true, 'metadata', key.fingerprint, 'dir/report.bin']);
    const cat = await guest.run(['get', url, '-', '--key', ref]);
    assert.equal(cat.code, 0, cat.stderr);
    assert.ok(cat.stdout.equals(data), 'to stdout as well');
  });

test('an upload link: the guest puts with the key, the maker reads it back; --put takes the default key', async () => {
  const home = newHome();
  const guest = guestHome();
  const bucket = await newBucket('presignput');
  const key = await makeKeyFile(home, 'inbox.key');
  await ok(['keys', 'default', key.ref, `s3://${bucket}`], { home });
  const { url, json } = await presigned(home, [`s3://${bucket}/inbox/upload.bin`, '--put']);
  checkLink(url, key);
  assert.deepEqual([json.method, json.expires, json.fingerprint], ['PUT', 900, key.fingerprint]);

  const data = randomBytes(200_000);
  writeFileSync(join(guest.dir, 'work', 'upload.bin'), data);
  const ref = handOver(guest, key, 'inbox.key');
  const put = await guest.run(['put', 'upload.bin', url, '--key', ref]);
  assert.equal(put.code, 0, put.stderr);
  const sha256 = (await import('node:crypto')).createHash('sha256').update(data).digest('hex');
  assert.match(put.stdout.toString(), new RegExp(`put s3://${bucket}/inbox/upload.bin .* key ${key.fingerprint}`));
  assert.match(put.stderr, new RegExp(`carries no sse3 metadata .*: its SHA-256 is ${sha256}`));

  const back = await ok(['get', `s3://${bucket}/inbox/upload.bin`, 'back.bin', '--key', key.ref], { home });
  assert.ok(readFileSync(join(home.dir, 'work', 'back.bin')).equals(data), back.stderr);
});

test('get and put through a link take SSE3_KEY as put does: set, it is the key; empty, the same refusal as put\'s', async () => {
  const home = newHome();
  const guest = guestHome();
  const bucket = await newBucket('presignenv');
  const key = await makeKeyFile(home, 'env.key');
  const inEnv = key.raw.toString('base64');
  const data = randomBytes(50_000);
  writeFileSync(join(home.dir, 'work', 'a.bin'), data);
  writeFileSync(join(guest.dir, 'work', 'up.bin'), data);
  await ok(['put', 'a.bin', `s3://${bucket}/a.bin`, '--key', key.ref], { home });
  const { url } = await presigned(home, [`s3://${bucket}/a.bin`]);
  const { url: upload } = await presigned(home, [`s3://${bucket}/up.bin`, '--put', '--key', key.ref]);

  const got = await guest.run(['get', url, 'out.bin'], { env: { SSE3_KEY: inEnv } });
  assert.equal(got.code, 0, got.stderr);
  assert.ok(readFileSync(join(guest.dir, 'work', 'out.bin')).equals(data));
  const put = await guest.run(['put', 'up.bin', upload], { env: { SSE3_KEY: inEnv } });
  assert.equal(put.code, 0, put.stderr);
  assert.match(put.stdout.toString(), new RegExp(`key ${key.fingerprint}`));

  // An empty SSE3_KEY (a variable cleared in a script) is refused by put, not taken as "no key": a link says the same.
  const asPut = await run(['put', 'a.bin', `s3://${bucket}/empty.bin`], { home, env: { SSE3_KEY: '' } });
  assert.notEqual(asPut.code, 0, 'put refuses an empty SSE3_KEY');
  for (const [what, args] of [['get', ['get', url, 'empty.out']], ['put', ['put', 'up.bin', upload]]] as const) {
    const r = await guest.run([...args], { env: { SSE3_KEY: '' } });
    assert.equal(r.code, asPut.code, `${what} through a link: ${r.stderr}`);
    assert.equal(r.stderr.split('\n')[0], asPut.stderr.split('\n')[0], `${what} through a link`);
    assert.equal(r.out, '', `${what}: nothing on stdout`);
  }
  assert.ok(!existsSync(join(guest.dir, 'work', 'empty.out')), 'no output file');
});

test('a wrong key, an expired link, a link edited to another object, plain http: refused in sse3\'s words, nothing written', async () => {
  const home = newHome();
  const guest = guestHome();
  const bucket = await newBucket('presignno');
  const key = await makeKeyFile(home, 'right.key');
  const other = await makeKeyFile(home, 'other.key');
  for (const name of ['a.txt', 'b.txt']) {
    writeFileSync(join(home.dir, 'work', name), `content of ${name}`);
    await ok(['put', name, `s3://${bucket}/${name}`, '--key', key.ref], { home });
  }
  const { url } = await presigned(home, [`s3://${bucket}/a.txt`]);
  const right = handOver(guest, key, 'right.key');
  const wrong = handOver(guest, other, 'other.key');
  const { url: short } = await presigned(home, [`s3://${bucket}/a.txt`, '--expires', '1s']);
  const expiresAt = Date.parse(new Date(new URL(short).searchParams.get('X-Amz-Date')!
    .replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')).toISOString()) + 1000;
  const { url: putLink } = await presigned(home, [`s3://${bucket}/new.txt`, '--put', '--key', key.ref]);
  writeFileSync(join(guest.dir, 'work', 'up.txt'), 'guest data');

  // The short link's second passes while the others are tried (no fixed sleep: the expiry is checked when it is due).
  const cases: Array<[string, string[], number, RegExp]> = [
    ['wrong key', ['get', url, 'out', '--key', wrong], 3, /refused the link .* with this key: the link was signed for another key/],
    ['edited path', ['get', url.replace('/a.txt?', '/b.txt?'), 'out', '--key', right], 3, /signed for another key, or for another object/],
    ['plain http', ['get', url.replace('https://', 'http://'), 'out', '--key', right], 2, /refusing to send an SSE-C key over plain HTTP/],
    ['no key', ['get', url, 'out'], 3, /needs the key it was made for/],
    ['wrong key, upload', ['put', 'up.txt', putLink, '--key', wrong], 3, /signed for another key/],
    ['upload link used to download', ['get', putLink, 'out', '--key', right], 3, /another object or request than this GET/],
  ];
  for (const [what, args, code, says] of cases) {
    const r = await guest.run(args);
    assert.equal(r.code, code, `${what}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], says, what);
    assert.equal(r.out, '', `${what}: nothing on stdout`);
    assert.ok(!existsSync(join(guest.dir, 'work', 'out')), `${what}: no output file`);
  }
  assert.equal((await run(['head', `s3://${bucket}/new.txt`], { home })).code, 1, 'a refused upload stored nothing');

  while (Date.now() <= expiresAt) await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
  const expired = await guest.run(['get', short, 'out', '--key', right]);
  assert.equal(expired.code, 1, expired.stderr);
  assert.match(expired.stderr.split('\n')[0], /the link to "?https:\/\/\S+\/a\.txt"? expired at /);
  assert.doesNotMatch(expired.stderr, /X-Amz-Signature/, 'the signature is never shown');
  assert.ok(!existsSync(join(guest.dir, 'work', 'out')));
  // The right key and the untouched link still work.
  assert.equal((await guest.run(['get', url, 'out', '--key', right])).code, 0);
});

const curl = (args: string[]) => runProgram(['curl', '-sS', '--fail', '--cacert', requireEnv('AWS_CA_BUNDLE'), ...args]);

test('--headers-file writes the three SSE-C headers to a new 0600 file for curl -H @FILE, never over a file or through a link',
  { skip: !['/usr/bin/curl', '/bin/curl'].some((p) => existsSync(p)) && 'curl not installed' }, async () => {
    const home = newHome();
    const bucket = await newBucket('presigncurl');
    const key = await makeKeyFile(home, 'curl.key');
    const data = randomBytes(70_000);
    writeFileSync(join(home.dir, 'work', 'f.bin'), data);
    await ok(['put', 'f.bin', `s3://${bucket}/f.bin`, '--key', key.ref], { home });
    const headers = join(home.dir, 'h.txt');
    const r = await ok(['presign', `s3://${bucket}/f.bin`, '--headers-file', headers], { home });
    assert.equal(statSync(headers).mode & 0o777, 0o600);
    assert.match(r.stderr, /curl -H @/);
    const url = r.out.trim();
    const out = join(home.dir, 'curl.bin');
    const got = await curl(['-H', `@${headers}`, '-o', out, url]);
    assert.equal(got.code, 0, got.stderr);
    assert.ok(readFileSync(out).equals(data), 'curl downloads the object with the headers file');
    // Without the headers, the same link is refused.
    assert.notEqual((await curl(['-o', join(home.dir, 'nothing'), url])).code, 0);

    // An upload through curl -T with an upload link's headers file.
    const upHeaders = join(home.dir, 'up.txt');
    const up = (await ok(['presign', `s3://${bucket}/up.bin`, '--put', '--key', key.ref, '--headers-file', upHeaders], { home })).out.trim();
    const sent = await curl(['-H', `@${upHeaders}`, '-T', join(home.dir, 'work', 'f.bin'), up]);
    assert.equal(sent.code, 0, sent.stderr);
    await ok(['get', `s3://${bucket}/up.bin`, 'up.bin', '--key', key.ref], { home });
    assert.ok(readFileSync(join(home.dir, 'work', 'up.bin')).equals(data));

    // Never over a file, never through a symbolic link: refused before anything is signed, the file left as it was.
    writeFileSync(join(home.dir, 'keep.txt'), 'mine');
    symlinkSync(join(home.dir, 'keep.txt'), join(home.dir, 'link.txt'));
    for (const [path, says] of [[headers, /exists; sse3 never writes over a file/], [join(home.dir, 'link.txt'), /symbolic link/]] as const) {
      const refused = await run(['presign', `s3://${bucket}/f.bin`, '--headers-file', path], { home });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, says);
      assert.equal(refused.out, '', 'no link printed');
    }
    assert.equal(readFileSync(join(home.dir, 'keep.txt'), 'utf8'), 'mine');
  });

test('presign refuses what it cannot sign: a duration past 7 days, a plain object, an upload with no key', async () => {
  const home = newHome();
  const bucket = await newBucket('presignbad');
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'not encrypted' }));
  const cases: Array<[string[], number, RegExp]> = [
    [['presign', `s3://${bucket}/plain`], 4, /is not encrypted with SSE-C: sse3 presigns SSE-C objects only/],
    [['presign', `s3://${bucket}/x`, '--expires', '8d'], 2, /--expires "?8d"? is not a duration from 1s to 7d/],
    [['presign', `s3://${bucket}/x`, '--expires', '0'], 2, /not a duration/],
    [['presign', `s3://${bucket}/x`, '--put'], 2, /no key given/],
    [['presign', `s3://${bucket}/missing`], 1, /does not exist/],
  ];
  for (const [args, code, says] of cases) {
    const r = await run(args, { home });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, says);
    assert.equal(r.out, '');
  }
});
