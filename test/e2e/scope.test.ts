// One rule for what s3://b/x means (the folder x/), and scopes with nothing in them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestStore } from '../../src/manifest/store.js';
import { makeKeyFile, newBucket, newHome, ok, putData, randomName, run } from './harness.js';

test('s3://b/2026 is the folder 2026/: verify and manifest list never take 2026-old/ or tree2/', async () => {
  const home = newHome();
  const bucket = await newBucket('scope');
  const key = await makeKeyFile(home, 'k.key');
  for (const name of ['2026/a', '2026/sub/b', '2026-old/c', '20260/d', 'tree/e', 'tree2/f', 'tree-x']) {
    await putData(home, `s3://${bucket}/${name}`, randomBytes(20), key.ref);
  }
  for (const scope of ['2026', '2026/']) {
    const v = (await ok(['verify', `s3://${bucket}/${scope}`, '--json'], { home })).items();
    assert.deepEqual(v.map((o: { url: string }) => o.url), [`s3://${bucket}/2026/a`, `s3://${bucket}/2026/sub/b`], scope);
  }
  for (const scope of ['tree', 'tree/']) {
    const listed = (await ok(['manifest', 'list', `s3://${bucket}/${scope}`, '--json'], { home })).items().map((l) => l.key);
    assert.deepEqual(listed, ['tree/e'], scope);
  }
});

test('a scope with nothing in it says so and exits 0; a bucket that does not exist is an error (exit 1)', async () => {
  const home = newHome();
  const bucket = await newBucket('scope');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/there/a`, randomBytes(20), key.ref);
  const missing = randomName('no-such-bucket');
  mkdirSync(join(home.dir, 'work', 'empty'));

  const cases: Array<[string[], RegExp]> = [
    // A folder ("/"): an empty answer. Without the "/" the name is the object of that name (object-scopes.test.ts): exit 1.
    [['verify', `s3://${bucket}/nothing/`], new RegExp(`nothing recorded under s3://${bucket}/nothing/ on https://.*: nothing to verify`)],
    [['rotate', '-r', `s3://${bucket}/nothing`, '--to', key.ref], new RegExp(`nothing under s3://${bucket}/nothing/ to rotate`)],
    [['rotate', '--fingerprint', '0'.repeat(20), '--to', key.ref], /no object's current version is recorded under key 0{20} on .*: nothing to rotate/],
    [['cp', '-r', `s3://${bucket}/nothing/`, 'down'], new RegExp(`nothing under s3://${bucket}/nothing/ to copy`)],
    [['cp', '-r', 'empty', `s3://${bucket}/up/`, '--key', key.ref], /no files under empty to copy/],
    [['manifest', 'list', `s3://${bucket}/nothing/`], new RegExp(`the manifest has no entries under s3://${bucket}/nothing/`)],
  ];
  for (const [args, message] of cases) {
    const r = await run(args, { home });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.out + r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.out + r.stderr, /0 checked|0 ok, 0 failed/, args.join(' '));
  }
  for (const args of [['verify', `s3://${missing}`], ['verify', `s3://${missing}/x/`], ['rotate', '-r', `s3://${missing}/x`, '--to', key.ref],
    ['cp', '-r', `s3://${missing}/x/`, 'down']]) {
    const r = await run([...args, '--json'], { home });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`error: bucket (of s3://)?${missing}.* does not exist`));
    assert.equal(r.error().code, 'NO_BUCKET', 'the error line last');
  }
});

test('completion lists each key once, also keys outside the Basic Multilingual Plane', async () => {
  const home = newHome();
  const m = new ManifestStore(join(home.dir, 'home', 'manifest.db'));
  const keys = ['x/\u{1F600}a', 'x/\u{1F600}b', 'x/\u{1F600}/in', 'x/\u{10FFFF}', 'x/\u{10FFFF}\u{10FFFF}', 'x/\uFFFF', 'x/z', 'x\u{1F600}/no'];
  for (const key of keys) {
    m.record({ endpoint: 'https://127.0.0.1:1', bucket: 'b', key, versionId: '', fingerprint: 'f'.repeat(20), size: 1,
      sha256: 'a'.repeat(64), etag: 'e', createdAt: new Date().toISOString() });
  }
  m.close();
  const answer = (await ok(['__complete', 'bash', 'sse3 get s3://b/x/'], { home })).out.split('\n').filter(Boolean);
  assert.deepEqual([...answer].sort(), ['s3://b/x/\uFFFF ', 's3://b/x/\u{10FFFF} ', 's3://b/x/\u{10FFFF}\u{10FFFF} ', 's3://b/x/z ',
    's3://b/x/\u{1F600}/', 's3://b/x/\u{1F600}a ', 's3://b/x/\u{1F600}b '].sort());
  assert.equal(new Set(answer).size, answer.length, 'no key twice');
  const emoji = (await ok(['__complete', 'bash', 'sse3 get s3://b/x/\u{1F600}'], { home })).out.split('\n').filter(Boolean);
  assert.deepEqual(emoji, ['s3://b/x/\u{1F600}/', 's3://b/x/\u{1F600}a ', 's3://b/x/\u{1F600}b ']);
});
