// Several people on one bucket, each with their own manifest: the objects' sse3-fp tags are the shared record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, ok, putData, run } from './harness.js';

interface Row { bucket: string; key: string; versionId: string; fingerprint: string; sha256: string; etag: string; summary?: unknown }
export const rows = async (home: Home): Promise<Row[]> => (await ok(['manifest', 'list', '--json'], { home })).out.split('\n')
  .filter(Boolean).map((l) => JSON.parse(l) as Row).filter((r) => !r.summary);
const fpOf = async (home: Home, key: string) => (await rows(home)).filter((r) => r.key === key).map((r) => r.fingerprint);

/** Two homes with the same keys in their key folders (a team shares keys, not manifests). */
export async function team(names: string[]): Promise<{ a: Home; b: Home; keys: Record<string, { ref: string; fingerprint: string; raw: Buffer }> }> {
  const a = newHome();
  const b = newHome();
  const keys: Record<string, { ref: string; fingerprint: string; raw: Buffer }> = {};
  mkdirSync(b.keyDir, { recursive: true });
  for (const n of names) {
    const k = await makeKeyFile(a, `${n}.key`);
    copyFileSync(k.path, join(b.keyDir, `${n}.key`));
    keys[n] = k;
  }
  return { a, b, keys };
}

test('a record made stale by a teammate\'s rotation heals itself from the tag: get, head, cp, rotate and verify go on', async () => {
  const { a, b, keys: { k1, k2, k3 } } = await team(['k1', 'k2', 'k3']);
  const bucket = await newBucket('team');
  const data: Record<string, Buffer> = {};
  for (const name of ['g', 'h', 'c', 'r', 'v']) {
    data[name] = randomBytes(300 + name.charCodeAt(0));
    await putData(b, `s3://${bucket}/${name}`, data[name], k1.ref);
  }
  // A has no record of B's objects: its rotation finds the old key through each object's tag.
  await ok(['rotate', `s3://${bucket}/`, '--recursive', '--to', k2.ref], { home: a });
  assert.deepEqual(await fpOf(b, 'g'), [k1.fingerprint], 'B still records k1');

  const got = await ok(['get', `s3://${bucket}/g`, 'g.out'], { home: b });
  assert.deepEqual(readFileSync(join(b.dir, 'work', 'g.out')), data.g);
  assert.match(got.stderr, /record updated from the object's tag: re-keyed elsewhere/);
  assert.equal(got.stderr.match(/record updated/g)?.length, 1, 'said once');
  assert.deepEqual(await fpOf(b, 'g'), [k2.fingerprint]);

  const head = await ok(['head', `s3://${bucket}/h`, '--json'], { home: b });
  assert.match(head.stderr, /record updated from the object's tag/);
  assert.equal(head.json().key.fingerprint, k2.fingerprint);
  assert.equal(head.json().key.matches, true);
  assert.deepEqual(await fpOf(b, 'h'), [k2.fingerprint]);

  const copied = await ok(['cp', `s3://${bucket}/c`, `s3://${bucket}/c2`], { home: b });
  assert.match(copied.stderr, /record updated from the object's tag/);
  assert.deepEqual(await fpOf(b, 'c'), [k2.fingerprint]);

  const rotated = await ok(['rotate', `s3://${bucket}/r`, '--to', k3.ref, '--json'], { home: b });
  assert.match(rotated.stderr, /record updated from the object's tag/);
  assert.equal(rotated.json().status, 'rotated');
  assert.deepEqual(await fpOf(b, 'r'), [k3.fingerprint]);
  assert.deepEqual(await ok(['get', `s3://${bucket}/r`, '-'], { home: b }).then((r) => r.stdout), data.r);

  const verified = await ok(['verify', `s3://${bucket}/`, '--json'], { home: b });
  const report = verified.json();
  assert.equal(report.counts['stale-fixed'], 1, verified.out);
  assert.equal(report.objects.find((o: { url: string }) => o.url.endsWith('/v')).status, 'stale-fixed');
  assert.deepEqual(await fpOf(b, 'v'), [k2.fingerprint]);
  const human = await ok(['verify', `s3://${bucket}/`], { home: b });
  assert.match(human.out, /checked: \d+ OK, 0 not OK/, 'fixed once: OK the next time');
});

test('a tag naming the key the manifest names is a real wrong key (exit 3), and a key found through the tag is recorded', async () => {
  const { b, keys: { k1, k2 } } = await team(['k1', 'k2']);
  const bucket = await newBucket('team');
  await putData(b, `s3://${bucket}/w`, randomBytes(100), k1.ref);
  // Another client overwrote the object under k2 but kept sse3's tag naming k1: nothing to heal from.
  const s3 = await import('@aws-sdk/client-s3');
  const { adminClient } = await import('./harness.js');
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'w', Body: randomBytes(10),
    SSECustomerAlgorithm: 'AES256', SSECustomerKey: k2.raw.toString('base64'), Tagging: `sse3-fp=${k1.fingerprint}` }));
  const r = await run(['get', `s3://${bucket}/w`, 'w.out'], { home: b });
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /record updated/);

  // An object another home wrote: no record here, found through its tag, recorded after the read.
  const other = newHome();
  mkdirSync(other.keyDir, { recursive: true });
  copyFileSync(k1.ref.slice(5), join(other.keyDir, 'k1.key'));
  await putData(b, `s3://${bucket}/t`, randomBytes(100), k1.ref);
  assert.deepEqual(await fpOf(other, 't'), []);
  await ok(['head', `s3://${bucket}/t`], { home: other });
  assert.deepEqual(await fpOf(other, 't'), [k1.fingerprint]);
});
