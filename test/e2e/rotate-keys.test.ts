// rotate's key options: --key gives candidate keys as in get, verify and cp (repeatable, each object opened with the
// one of its fingerprint); --from is one key, given twice it is refused in words; --fingerprint FP within a bucket
// or prefix rotates only there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { type Home, makeKeyFile, newBucket, newHome, ok, putData, run } from './harness.js';

const fingerprints = async (home: Home, scope: string) => Object.fromEntries(
  (await ok(['manifest', 'list', scope, '--json'], { home })).out.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((row) => !('summary' in row)).map((row: { key: string; fingerprint: string }) => [row.key, row.fingerprint]));

/** A key file moved elsewhere: the reference the home remembers it was used from no longer finds it. */
function moved<K extends { path: string; ref: string }>(k: K): K {
  renameSync(k.path, `${k.path}.moved`);
  return { ...k, path: `${k.path}.moved`, ref: `file:${k.path}.moved` };
}

/**
 * Two objects under k1, one under k2, in a bucket; keys kept outside the key folder and moved after the uploads, so sse3
 * finds none by itself.
 */
async function twoKeys(prefix: string) {
  const home = newHome();
  const bucket = await newBucket(prefix);
  const k1 = await makeKeyFile(home, 'k1.key', { inKeyDir: false });
  const k2 = await makeKeyFile(home, 'k2.key', { inKeyDir: false });
  const k3 = await makeKeyFile(home, 'k3.key', { inKeyDir: false });
  await putData(home, `s3://${bucket}/p/a`, randomBytes(300), k1.ref);
  await putData(home, `s3://${bucket}/p/b`, randomBytes(300), k2.ref);
  await putData(home, `s3://${bucket}/q/c`, randomBytes(300), k1.ref);
  return { home, bucket, k1: moved(k1), k2: moved(k2), k3 };
}

test('rotate --key A --key B: candidate keys, each object opened with the one of its fingerprint', async () => {
  const { home, bucket, k1, k2, k3 } = await twoKeys('rotkeys');
  // Without the old keys: NO_KEY, and the hint names an option rotate takes.
  const none = await run(['rotate', `s3://${bucket}/p/a`, '--to', k3.ref], { home });
  assert.equal(none.code, 3, none.stderr);
  assert.match(none.stderr, new RegExp(`needs the key with fingerprint ${k1.fingerprint}`));
  assert.match(none.stderr, /hint: (put it back at \S+, or )?pass it with --key REF/);
  // Following the hint works.
  const one = await run(['rotate', `s3://${bucket}/p/a`, '--to', k3.ref, '--key', k1.ref, '--json'], { home });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.json().status, 'rotated');
  const many = await run(['rotate', `s3://${bucket}/`, '-r', '--to', k3.ref, '--key', k2.ref, '--key', k1.ref, '--json'], { home });
  assert.equal(many.code, 0, many.stderr);
  const lines = many.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1).summary.failed, 0);
  assert.deepEqual(await fingerprints(home, `s3://${bucket}`), { 'p/a': k3.fingerprint, 'p/b': k3.fingerprint, 'q/c': k3.fingerprint });
});

test('rotate --from A --from B is refused in words, before anything is read or written', async () => {
  const { home, bucket, k1, k2, k3 } = await twoKeys('rotfrom2');
  const r = await run(['rotate', `s3://${bucket}/p/`, '-r', '--from', k1.ref, '--from', k2.ref, '--to', k3.ref], { home });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: --from takes one key, the one the objects are under now \(given 2 times\)\nhint: .*--key REF/);
  assert.deepEqual(await fingerprints(home, `s3://${bucket}`), { 'p/a': k1.fingerprint, 'p/b': k2.fingerprint, 'q/c': k1.fingerprint });
});

test('rotate s3://BUCKET/PREFIX --fingerprint FP rotates only what is recorded under that key there', async () => {
  const { home, bucket, k1, k2, k3 } = await twoKeys('rotfpscope');
  const r = await run(['rotate', `s3://${bucket}/p`, '--fingerprint', k1.fingerprint, '--to', k3.ref, '--key', k1.ref, '--json'], { home });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.slice(0, -1).map((l) => [l.url, l.status]), [[`s3://${bucket}/p/a`, 'rotated']]);
  assert.deepEqual(await fingerprints(home, `s3://${bucket}`), { 'p/a': k3.fingerprint, 'p/b': k2.fingerprint, 'q/c': k1.fingerprint });
  // Nothing left under the key there: said, exit 0.
  const again = await run(['rotate', `s3://${bucket}/p/`, '--fingerprint', k1.fingerprint, '--to', k3.ref], { home });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`no object's current version under s3://${bucket}/p/ is recorded under key ${k1.fingerprint}`));
});
