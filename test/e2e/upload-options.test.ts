// Upload options (--content-type, --metadata, --storage-class, --cache-control, --content-disposition) on put, cp and sync,
// and what copies and rotations keep of them, single-part and multipart, with aws-cli's head-object as the reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, type Home, makeKeyFile, newBucket, newHome, ok, requestCounts, run, runAws } from './harness.js';

const skip = !AWS_CLI && 'aws-cli not installed';
const MiB = 1024 * 1024;

/** What aws s3api head-object says of an object, opened with the raw key in keyPath. */
async function awsHead(bucket: string, key: string, keyPath?: string): Promise<Record<string, any>> {
  const r = await runAws(['s3api', 'head-object', '--bucket', bucket, '--key', key,
    ...(keyPath ? ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${keyPath}`] : [])]);
  assert.equal(r.code, 0, `head-object ${key}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The user's metadata of a head-object answer: sse3's own left out. */
const userMetadata = (h: Record<string, any>) =>
  Object.fromEntries(Object.entries(h.Metadata ?? {}).filter(([name]) => !name.startsWith('sse3-')));

const OPTIONS = ['--content-type', 'application/x-report', '--metadata', 'Project=apollo', '--metadata', 'build=1842',
  '--storage-class', 'STANDARD', '--cache-control', 'max-age=3600', '--content-disposition', 'attachment; filename="r.bin"'];

/**
 * What OPTIONS store, as head-object shows it. Ceph RGW names the storage class in a HEAD of a single-part object only;
 * of a multipart one, the listing (list-objects-v2, also aws-cli) says it.
 */
async function assertStored(bucket: string, key: string, keyPath: string): Promise<Record<string, any>> {
  const h = await awsHead(bucket, key, keyPath);
  assert.equal(h.ContentType, 'application/x-report', `${key}: content type`);
  assert.equal(h.CacheControl, 'max-age=3600', `${key}: Cache-Control`);
  assert.equal(h.ContentDisposition, 'attachment; filename="r.bin"', `${key}: Content-Disposition`);
  assert.deepEqual(userMetadata(h), { project: 'apollo', build: '1842' }, `${key}: metadata`);
  if (/-\d+"$/.test(h.ETag)) {
    const listed = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', key]);
    assert.equal(JSON.parse(listed.stdout).Contents[0].StorageClass, 'STANDARD', `${key}: storage class (listed)`);
  } else {
    assert.equal(h.StorageClass, 'STANDARD', `${key}: storage class`);
  }
  return h;
}

function writeFile(home: Home, name: string, data: Buffer): string {
  const path = join(home.dir, 'work', name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
  return path;
}

test('put and cp store the options, single-part and multipart; rotate and s3 → s3 copies keep them', { skip, timeout: 240_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('upopts');
  const k1 = await makeKeyFile(home, 'one.key');
  const k2 = await makeKeyFile(home, 'two.key');
  const small = writeFile(home, 'small.bin', randomBytes(3000));
  const big = writeFile(home, 'big.bin', randomBytes(6 * MiB + 10));

  await ok(['put', small, `s3://${bucket}/put/small.bin`, '--key', k1.ref, ...OPTIONS], { home });
  await ok(['put', big, `s3://${bucket}/put/big.bin`, '--key', k1.ref, '--part-size', '5', ...OPTIONS], { home });
  await ok(['cp', small, `s3://${bucket}/cp/small.bin`, '--key', k1.ref, ...OPTIONS], { home });
  await ok(['cp', big, `s3://${bucket}/cp/big.bin`, '--key', k1.ref, '--part-size', '5', ...OPTIONS], { home });
  for (const key of ['put/small.bin', 'cp/small.bin']) assert.doesNotMatch((await assertStored(bucket, key, k1.path)).ETag, /-\d+"$/);
  for (const key of ['put/big.bin', 'cp/big.bin']) assert.match((await assertStored(bucket, key, k1.path)).ETag, /-2"$/, 'multipart');
  // sse3 head shows what was stored, as the server says it (Ceph RGW names no storage class for a multipart object).
  const headOf = async (key: string) => (await ok(['head', `s3://${bucket}/${key}`, '--json'], { home })).json();
  for (const [key, storageClass] of [['put/small.bin', 'STANDARD'], ['put/big.bin', null]] as const) {
    const h = await headOf(key);
    assert.deepEqual([h.contentType, h.storageClass, h.cacheControl, h.contentDisposition],
      ['application/x-report', storageClass, 'max-age=3600', 'attachment; filename="r.bin"'], `${key}: sse3 head --json`);
  }
  const shown = (await ok(['head', `s3://${bucket}/put/small.bin`], { home })).out;
  assert.match(shown, /^ {2}storage class {2}STANDARD$/m);
  assert.match(shown, /^ {2}cache control {2}max-age=3600$/m);
  assert.match(shown, /^ {2}disposition {4}attachment; filename="r\.bin"$/m);

  // A rotation writes the object again: what the user stored stays.
  for (const key of ['put/small.bin', 'put/big.bin']) {
    await ok(['rotate', `s3://${bucket}/${key}`, '--to', k2.ref, '--part-size', '5'], { home });
    await assertStored(bucket, key, k2.path);
  }
  // s3 → s3: kept, re-keyed or not; an option given for the copy replaces the source's value, the others stay.
  for (const name of ['small.bin', 'big.bin']) {
    await ok(['cp', `s3://${bucket}/put/${name}`, `s3://${bucket}/copy/${name}`, '--part-size', '5'], { home });
    await assertStored(bucket, `copy/${name}`, k2.path);
    await ok(['cp', `s3://${bucket}/put/${name}`, `s3://${bucket}/changed/${name}`, '--key', k1.ref, '--part-size', '5',
      '--content-type', 'text/plain', '--metadata', 'stage=final'], { home });
    const changed = await awsHead(bucket, `changed/${name}`, k1.path);
    assert.equal(changed.ContentType, 'text/plain');
    assert.deepEqual(userMetadata(changed), { stage: 'final' }, 'given metadata replaces the source\'s');
    assert.equal(changed.CacheControl, 'max-age=3600', 'what was not given is the source\'s');
  }
  // mv takes cp's options: a moved file's object stores them.
  const moved = writeFile(home, 'moved.bin', randomBytes(500));
  await ok(['mv', moved, `s3://${bucket}/mv/moved.bin`, '--key', k1.ref, ...OPTIONS], { home });
  await assertStored(bucket, 'mv/moved.bin', k1.path);
  // cp -r s3 → s3 keeps them too.
  await ok(['cp', '-r', `s3://${bucket}/put/`, `s3://${bucket}/tree/`, '--part-size', '5'], { home });
  for (const name of ['small.bin', 'big.bin']) await assertStored(bucket, `tree/${name}`, k2.path);
});

test('a rotation keeps the metadata, content type and headers of an object another client wrote', { skip, timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('upopts-aws');
  const k1 = await makeKeyFile(home, 'one.key');
  const k2 = await makeKeyFile(home, 'two.key');
  const src = writeFile(home, 'page.bin', randomBytes(2000));
  const put = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', 'page.html', '--body', src,
    '--content-type', 'text/html', '--cache-control', 'no-cache', '--content-disposition', 'inline', '--metadata', 'owner=alice,team=blue',
    '--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${k1.path}`]);
  assert.equal(put.code, 0, put.stderr);
  await ok(['adopt', `s3://${bucket}`], { home });
  await ok(['rotate', `s3://${bucket}/page.html`, '--to', k2.ref], { home });
  const h = await awsHead(bucket, 'page.html', k2.path);
  assert.equal(h.ContentType, 'text/html');
  assert.equal(h.CacheControl, 'no-cache');
  assert.equal(h.ContentDisposition, 'inline');
  assert.deepEqual(userMetadata(h), { owner: 'alice', team: 'blue' });
});

test('the content type is guessed from the file name; sync up stores the options on every file', { skip, timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('upopts-guess');
  const k = await makeKeyFile(home, 'k.key');
  const page = writeFile(home, 'page.html', Buffer.from('<p>hi</p>'));
  await ok(['put', page, `s3://${bucket}/page.html`, '--key', k.ref], { home });
  await ok(['put', page, `s3://${bucket}/no-extension`, '--key', k.ref], { home });
  await ok(['put', '-', `s3://${bucket}/data.json`, '--key', k.ref], { home, input: '{}' });
  await ok(['put', writeFile(home, 'x.unknownext', Buffer.from('x')), `s3://${bucket}/x.unknownext`, '--key', k.ref], { home });
  assert.equal((await awsHead(bucket, 'page.html', k.path)).ContentType, 'text/html');
  assert.equal((await awsHead(bucket, 'no-extension', k.path)).ContentType, 'text/html', 'the local file\'s name decides');
  assert.equal((await awsHead(bucket, 'data.json', k.path)).ContentType, 'application/json', 'stdin: the object\'s name');
  assert.equal((await awsHead(bucket, 'x.unknownext', k.path)).ContentType, 'application/octet-stream');

  const tree = join(home.dir, 'work', 'site');
  writeFile(home, 'site/index.html', Buffer.from('<p>i</p>'));
  writeFile(home, 'site/css/site.css', Buffer.from('p{}'));
  await ok(['sync', tree, `s3://${bucket}/site/`, '--key', k.ref, '--cache-control', 'max-age=60', '--metadata', 'release=7'], { home });
  for (const [key, type] of [['site/index.html', 'text/html'], ['site/css/site.css', 'text/css']]) {
    const h = await awsHead(bucket, key, k.path);
    assert.equal(h.ContentType, type, key);
    assert.equal(h.CacheControl, 'max-age=60', key);
    assert.deepEqual(userMetadata(h), { release: '7' }, key);
  }
  // s3 → s3 sync keeps them.
  await ok(['sync', `s3://${bucket}/site/`, `s3://${bucket}/mirror/`], { home });
  const mirrored = await awsHead(bucket, 'mirror/css/site.css', k.path);
  assert.equal(mirrored.ContentType, 'text/css');
  assert.deepEqual(userMetadata(mirrored), { release: '7' });
});

test('options that cannot be stored are refused before anything is written', { skip, timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('upopts-bad');
  const k = await makeKeyFile(home, 'k.key');
  const file = writeFile(home, 'f.txt', Buffer.from('data'));
  const refused = async (args: string[], message: RegExp, code = 2) => {
    const r = await run(args, { home });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length, 1, 'one error line');
  };
  const target = `s3://${bucket}/f.txt`;
  await refused(['put', file, target, '--key', k.ref, '--metadata', 'sse3-fp=0123456789abcdef0123'], /names starting with "sse3-" are sse3's own/);
  await refused(['put', file, target, '--key', k.ref, '--metadata', 'SSE3-Mode=777'], /sse3-mode: names starting with "sse3-"/);
  await refused(['put', file, target, '--key', k.ref, '--metadata', 'novalue'], /--metadata takes KEY=VALUE/);
  await refused(['put', file, target, '--key', k.ref, '--metadata', 'a=1', '--metadata', 'A=2'], /--metadata a is given twice/);
  await refused(['put', file, target, '--key', k.ref, '--metadata', 'city=Zürich'], /printable ASCII/);
  await refused(['put', file, target, '--key', k.ref, '--metadata', `big=${'x'.repeat(1800)}`], /at most 1792/);
  await refused(['put', file, target, '--key', k.ref, '--storage-class', 'standard_ia'], /written in capitals/);
  await refused(['cp', `s3://${bucket}/none`, join(home.dir, 'out'), '--content-type', 'text/plain'],
    /--content-type: cp to a local destination writes no object/);
  await refused(['sync', `s3://${bucket}/`, join(home.dir, 'down'), '--storage-class', 'STANDARD'], /--storage-class: sync to a local/);
  // The test RGW offers STANDARD only: GLACIER is the server's to refuse, said in words, nothing stored or recorded.
  await refused(['put', file, target, '--key', k.ref, '--storage-class', 'GLACIER'], /the server does not offer storage class GLACIER/);
  const big = writeFile(home, 'big.bin', randomBytes(6 * MiB));
  await refused(['put', big, `s3://${bucket}/big.bin`, '--key', k.ref, '--part-size', '5', '--storage-class', 'GLACIER'],
    /does not offer storage class GLACIER.*nothing was stored/);
  for (const key of ['f.txt', 'big.bin']) {
    assert.match((await runAws(['s3api', 'head-object', '--bucket', bucket, '--key', key])).stderr, /404|Not Found/, `${key}: nothing stored`);
  }
  assert.equal((await ok(['manifest', 'list', `s3://${bucket}`, '--json'], { home })).summary().entries, 0, 'nothing recorded');
  // In a batch the first refusal answers for the rest: one PutObject is sent, the other files fail without a request.
  const folder = join(home.dir, 'work', 'many');
  for (const n of ['a', 'b', 'c']) writeFile(home, `many/${n}.txt`, Buffer.from(n));
  const log = join(home.dir, 'requests.log');
  const r = await run(['cp', '-r', folder, `s3://${bucket}/many/`, '--key', k.ref, '--storage-class', 'GLACIER', '--jobs', '1'],
    { home, env: { SSE3_REQUEST_LOG: log } });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.match(/does not offer storage class GLACIER/g)?.length, 3, r.stderr);
  assert.equal(existsSync(log) ? requestCounts(log).PutObjectCommand : 0, 1);
});
