import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestStore } from '../../src/manifest/store.js';
import { adminClient, makeKeyFile, newBucket, newHome, ok, putData, rememberSecret, run } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

test('file keys (raw and base64) and env keys: small and empty files round-trip', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const raw = await makeKeyFile(home, 'raw.key');
  const b64 = await makeKeyFile(home, 'b64.key', { format: 'base64' });
  const envRaw = randomBytes(32);
  rememberSecret(envRaw);
  const env = { MY_KEY: envRaw.toString('base64') };
  const work = join(home.dir, 'work');
  for (const [name, size, ref] of [['small', 1000, raw.ref], ['empty', 0, b64.ref], ['env', 4321, 'env:MY_KEY']] as const) {
    const data = randomBytes(size);
    writeFileSync(join(work, name), data);
    const put = await ok(['put', name, `s3://${bucket}/dir/`, '--key', ref, '--json'], { home, env });
    const p = put.json();
    assert.equal(p.key, `dir/${name}`);
    assert.equal(p.size, size);
    assert.equal(p.sha256, sha(data));
    await ok(['get', `s3://${bucket}/dir/${name}`, `${name}.back`, '--key', ref], { home, env });
    assert.deepEqual(readFileSync(join(work, `${name}.back`)), data, name);
  }
});

test('40 MiB multipart put and get, with the manifest finding the key and the tag carrying the fingerprint', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'mp.key');
  const data = randomBytes(40 * MiB + 123);
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'big.bin'), data);
  const put = (await ok(['put', 'big.bin', `s3://${bucket}/big.bin`, '--key', key.ref, '--json'], { home })).json();
  assert.equal(put.parts, 6);
  assert.equal(put.fingerprint, key.fingerprint);
  assert.match(put.etag, /-6$/);

  // No --key: the manifest's fingerprint finds the key file in the key folder.
  const got = (await ok(['get', `s3://${bucket}/big.bin`, 'back.bin', '--json'], { home })).json();
  assert.equal(got.verified, true);
  assert.equal(got.checksumSource, 'manifest');
  assert.equal(got.keySource, `key file ${key.path}`);
  assert.equal(sha(readFileSync(join(work, 'back.bin'))), sha(data));

  const s3 = await import('@aws-sdk/client-s3');
  const tags = await (await adminClient()).send(new s3.GetObjectTaggingCommand({ Bucket: bucket, Key: 'big.bin' }));
  const tagMap = Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]));
  const { 'sse3-upload': upload, ...sse3Tags } = tagMap;
  assert.deepEqual(sse3Tags, { 'sse3-fp': key.fingerprint, 'sse3-sha256': sha(data) });
  assert.match(upload ?? '', /^[0-9a-f]{32}$/, 'a multipart object\'s tags name its upload');

  const m = new ManifestStore(join(home.dir, 'home', 'manifest.db'));
  const rows = m.versions({ endpoint: process.env.AWS_ENDPOINT_URL!, bucket, key: 'big.bin' });
  m.close();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].fingerprint, key.fingerprint);
  assert.equal(rows[0].sha256, sha(data));
  assert.equal(rows[0].size, data.length);
});

test('stdin to stdout, single part and multipart, with SSE3_KEY', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const k = randomBytes(32);
  rememberSecret(k);
  const env = { SSE3_KEY: k.toString('base64') };
  for (const size of [777, 20 * MiB + 5]) {
    const data = randomBytes(size);
    await ok(['put', '-', `s3://${bucket}/stream-${size}`], { home, env, input: data });
    const r = await ok(['get', `s3://${bucket}/stream-${size}`, '-'], { home, env });
    assert.equal(r.stdout.length, size);
    assert.equal(sha(r.stdout), sha(data));
  }
  assert.deepEqual(readdirSync(join(home.dir, 'work')), [], 'nothing written locally');
});

test('versioned bucket: each put is a version in the manifest; get finds the latest key', async () => {
  const home = newHome();
  const bucket = await newBucket('ver', true);
  const k1 = await makeKeyFile(home, 'one.key');
  const k2 = await makeKeyFile(home, 'two.key');
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'a'), 'first');
  const v1 = (await ok(['put', 'a', `s3://${bucket}/a`, '--key', k1.ref, '--json'], { home })).json();
  writeFileSync(join(work, 'a'), 'second');
  const v2 = (await ok(['put', 'a', `s3://${bucket}/a`, '--key', k2.ref, '--json'], { home })).json();
  assert.ok(v1.versionId && v2.versionId && v1.versionId !== v2.versionId);
  await ok(['get', `s3://${bucket}/a`, 'latest'], { home });
  assert.equal(readFileSync(join(work, 'latest'), 'utf8'), 'second');
  await ok(['get', `s3://${bucket}/a`, 'old', '--version-id', v1.versionId], { home });
  assert.equal(readFileSync(join(work, 'old'), 'utf8'), 'first');
});

test('head reports size, SSE-C state, the key MD5, whether the key matches, and the manifest record', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'h.key');
  writeFileSync(join(home.dir, 'work', 'f.txt'), 'hello head');
  await ok(['put', 'f.txt', `s3://${bucket}/f.txt`, '--key', key.ref, '--content-type', 'text/plain'], { home });
  const h = (await ok(['head', `s3://${bucket}/f.txt`, '--json'], { home })).json();
  assert.equal(h.size, 10);
  assert.equal(h.contentType, 'text/plain');
  assert.equal(h.sse.algorithm, 'AES256');
  assert.equal(h.sse.keyMd5, createHash('md5').update(key.raw).digest('base64'));
  assert.equal(h.fingerprint, key.fingerprint);
  assert.equal(h.keyMatches, true);
  assert.equal(h.keyFoundBy, 'manifest');
  assert.equal(h.manifest.fingerprint, key.fingerprint);
  assert.equal(h.manifest.sha256, sha(Buffer.from('hello head')));
  assert.ok(h.lastModified);
  const human = await ok(['head', `s3://${bucket}/f.txt`], { home });
  assert.match(human.out, /SSE-C AES256/);
  assert.match(human.out, /matches/);
  assert.doesNotMatch(human.out + human.stderr, /\x1b\[/, 'no colour when piped');
});

test('without a manifest, get finds the key through the object\'s fingerprint tag', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 't.key');
  writeFileSync(join(home.dir, 'work', 'x'), 'tagged');
  await ok(['put', 'x', `s3://${bucket}/x`, '--key', key.ref], { home });
  const other = { ...home, env: { SSE3_HOME: home.env.SSE3_HOME + '-fresh' } };
  const { mkdirSync, copyFileSync } = await import('node:fs');
  mkdirSync(join(other.env.SSE3_HOME!, 'keys'), { recursive: true });
  copyFileSync(key.path, join(other.env.SSE3_HOME!, 'keys', 't.key'));
  const r = (await ok(['get', `s3://${bucket}/x`, 'x2', '--json'], { home: other })).json();
  assert.equal(r.fingerprint, key.fingerprint);
  assert.equal(readFileSync(join(home.dir, 'work', 'x2'), 'utf8'), 'tagged');
});

test('a put that fails records nothing in the manifest', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'f.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'x');
  const r = await run(['put', 'f', 's3://no-such-bucket-sse3/f', '--key', key.ref], { home });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist/);
  const m = new ManifestStore(join(home.dir, 'home', 'manifest.db'));
  assert.equal(m.count(), 0);
  m.close();
});

test('no key material in the manifest files after put, multipart put and rotate: not raw, base64, hex or as key MD5', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const a = await makeKeyFile(home, 'a.key');
  const b = await makeKeyFile(home, 'b.key', { format: 'base64' });
  const dir = join(home.dir, 'home');
  // A connection held open keeps sse3's writes in manifest.db-wal: the last connection to close would
  // move them into manifest.db and delete the WAL.
  const holder = new ManifestStore(join(dir, 'manifest.db'));
  try {
    await putData(home, `s3://${bucket}/small`, randomBytes(1000), a.ref);
    await putData(home, `s3://${bucket}/big`, randomBytes(12 * MiB), a.ref, ['--part-size', '5']);
    await ok(['rotate', `s3://${bucket}/small`, '--to', b.ref], { home });
    // The rolling backups too (the one made when the rotate started holds both puts).
    const files = [...readdirSync(dir).filter((f) => f.startsWith('manifest.db')),
      ...readdirSync(join(dir, 'backups')).map((f) => join('backups', f))];
    assert.ok(files.includes('manifest.db-wal'), `no WAL to search: ${files.join(', ')}`);
    assert.ok(files.some((f) => f.startsWith('backups/manifest-')), `no backup to search: ${files.join(', ')}`);
    const contents = files.map((f) => [f, readFileSync(join(dir, f))] as const);
    for (const k of [a, b]) {
      const md5 = createHash('md5').update(k.raw).digest();
      const forms: [string, Buffer | string][] = [
        ['raw bytes', k.raw], ['base64', k.raw.toString('base64').replace(/=+$/, '')], ['base64url', k.raw.toString('base64url')],
        ['hex', k.raw.toString('hex')], ['HEX', k.raw.toString('hex').toUpperCase()],
        ['key MD5 (base64)', md5.toString('base64').replace(/=+$/, '')], ['key MD5 (hex)', md5.toString('hex')],
      ];
      for (const [f, content] of contents) {
        for (const [form, needle] of forms) assert.equal(content.indexOf(needle), -1, `${form} of key ${k.fingerprint} in ${f}`);
      }
      // What the manifest does hold about a key: its fingerprint (and this search reads real rows).
      assert.ok(contents.some(([, content]) => content.includes(k.fingerprint)), `fingerprint ${k.fingerprint} recorded`);
    }
  } finally {
    holder.close();
  }
});
