// Several people on one bucket, each with their own manifest: the objects' sse3-fp tags are the shared record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, ndjson, newBucket, newHome, ok, putData, run, team } from './harness.js';

interface Row { bucket: string; key: string; versionId: string; fingerprint: string; sha256: string; etag: string; summary?: unknown }
export const rows = async (home: Home): Promise<Row[]> => (await ok(['manifest', 'list', '--json'], { home })).out.split('\n')
  .filter(Boolean).map((l) => JSON.parse(l) as Row).filter((r) => !r.summary);
const fpOf = async (home: Home, key: string) => (await rows(home)).filter((r) => r.key === key).map((r) => r.fingerprint);

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
  assert.equal(head.json().fingerprint, k2.fingerprint);
  assert.equal(head.json().keyMatches, true);
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
  assert.equal(verified.summary().counts['stale-fixed'], 1, verified.out);
  assert.equal(verified.items().find((o: { url: string }) => o.url.endsWith('/v')).status, 'stale-fixed');
  assert.deepEqual(await fpOf(b, 'v'), [k2.fingerprint]);
  const human = await ok(['verify', `s3://${bucket}/`], { home: b });
  assert.match(human.stderr, /checked: \d+ OK, 0 not OK/, 'fixed once: OK the next time');
});

test('a tag naming the refused key does not help: the keys here are tried, and a key found through the tag is recorded', async () => {
  const { b, keys: { k1, k2 } } = await team(['k1', 'k2']);
  const bucket = await newBucket('team');
  await putData(b, `s3://${bucket}/w`, randomBytes(100), k1.ref);
  // Another client overwrote the object under k2 but kept sse3's tag naming k1: nothing to heal from; k2 is tried and opens it.
  const s3 = await import('@aws-sdk/client-s3');
  const { adminClient } = await import('./harness.js');
  const overwrite = randomBytes(10);
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'w', Body: overwrite,
    SSECustomerAlgorithm: 'AES256', SSECustomerKey: k2.raw.toString('base64'), Tagging: `sse3-fp=${k1.fingerprint}` }));
  const r = await run(['get', `s3://${bucket}/w`, 'w.out'], { home: b });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`key ${k1.fingerprint} recorded for it no longer opens it; key ${k2.fingerprint} does ` +
    '\\(written outside sse3\\): record updated; integrity not verified'));
  assert.deepEqual(readFileSync(join(b.dir, 'work', 'w.out')), overwrite);
  assert.deepEqual(await fpOf(b, 'w'), [k2.fingerprint]);

  // An object another home wrote: no record here, found through its tag, recorded after the read.
  const other = newHome();
  mkdirSync(other.keyDir, { recursive: true });
  copyFileSync(k1.ref.slice(5), join(other.keyDir, 'k1.key'));
  await putData(b, `s3://${bucket}/t`, randomBytes(100), k1.ref);
  assert.deepEqual(await fpOf(other, 't'), []);
  await ok(['head', `s3://${bucket}/t`], { home: other });
  assert.deepEqual(await fpOf(other, 't'), [k1.fingerprint]);
});

test('retiring a key is never advised on one manifest\'s word: keys usage finds a teammate\'s objects, a whole-bucket scan decides',
  { timeout: 240_000 }, async () => {
    const { a, b, keys: { k1, k2 } } = await team(['k1', 'k2']);
    const bucket = await newBucket('team');
    for (const n of ['x1', 'x2']) await putData(b, `s3://${bucket}/b/${n}`, randomBytes(100), k1.ref);
    for (const n of ['y', 'z']) await putData(a, `s3://${bucket}/a/${n}`, randomBytes(100), k1.ref);

    const one = (await ok(['rotate', `s3://${bucket}/a/y`, '--to', k2.ref, '--json'], { home: a })).json();
    assert.deepEqual([one.retirableFingerprints, one.retirement], [[], []], 'a/z is recorded under k1 here');
    const folder = await ok(['rotate', `s3://${bucket}/a/`, '--recursive', '--to', k2.ref], { home: a });
    const said = folder.out + folder.stderr;
    assert.match(said, new RegExp(`no object recorded here needs key ${k1.fingerprint}; before retiring it, check every bucket that ` +
      `may use it: sse3 keys usage ${k1.fingerprint} s3://${bucket} --versions`));
    assert.doesNotMatch(said, /retire it when you are sure|any more/);

    // B's objects are invisible to A's manifest; their tags are not.
    const usage = ndjson((await ok(['keys', 'usage', k1.fingerprint, `s3://${bucket}`, '--json'], { home: a })).out);
    assert.deepEqual(usage.filter((l) => !l.summary).map((l) => l.key).sort(), ['b/x1', 'b/x2']);
    const summary = usage.at(-1).summary;
    assert.deepEqual([summary.needed, summary.availableHere, summary.scanned], [{ objects: 2, versions: 2 }, true, 4]);
    const all = (await ok(['keys', 'usage', `s3://${bucket}`, '--json'], { home: a })).json();
    assert.deepEqual(all.keys.map((k: { fingerprint: string; objects: number }) => [k.fingerprint, k.objects]).sort(),
      [[k1.fingerprint, 2], [k2.fingerprint, 2]].sort());
    assert.deepEqual(all.untagged, { objects: 0, versions: 0 });

    await ok(['rotate', `s3://${bucket}/b/`, '--recursive', '--to', k2.ref], { home: b });
    const none = await ok(['keys', 'usage', k1.fingerprint, `s3://${bucket}`], { home: a });
    assert.match(none.stderr + none.out, new RegExp(`no current object in these scopes needs key ${k1.fingerprint}`));

    // A whole bucket rotated: the bucket is scanned. An object with no sse3 tag, under a key sse3 does not have, keeps the
    // key's fate unknown (one under a key it has is found and rotated).
    const { adminClient, overwriteEncrypted, rememberSecret } = await import('./harness.js');
    const elsewhere = randomBytes(32);
    rememberSecret(elsewhere);
    await overwriteEncrypted(bucket, 'plain', randomBytes(10), elsewhere);
    await putData(a, `s3://${bucket}/w1`, randomBytes(100), k1.ref);
    const unknown = await run(['rotate', `s3://${bucket}`, '--recursive', '--to', k2.ref], { home: a });
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.out + unknown.stderr, new RegExp(`no object in s3://${bucket}/ is tagged with key ${k1.fingerprint}, but 1 ` +
      'version\\(s\\) there have no readable sse3-fp tag, so their key is unknown: adopt them first'));

    const s3 = await import('@aws-sdk/client-s3');
    await (await adminClient()).send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: 'plain' }));
    await putData(a, `s3://${bucket}/w2`, randomBytes(100), k1.ref);
    const done = await ok(['rotate', `s3://${bucket}`, '--recursive', '--to', k2.ref], { home: a });
    assert.match(done.out + done.stderr, new RegExp(`no object in s3://${bucket}/ needs key ${k1.fingerprint} any more \\(6 object ` +
      `version\\(s\\) checked by their tags\\); other buckets may still use it: check them with sse3 keys usage ${k1.fingerprint}`));
  });

test('manifest pull reads the tags only of versions new or changed since the last pull, drops the gone, and matches a full rebuild',
  { timeout: 300_000 }, async () => {
    const { a, b, keys: { k1, k2 } } = await team(['k1', 'k2']);
    const bucket = await newBucket('pull');
    const { mkdirSync: mk, writeFileSync } = await import('node:fs');
    const dir = join(b.dir, 'work', 'tree');
    mk(dir);
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}`), randomBytes(64));
    await ok(['cp', dir, `s3://${bucket}/t/`, '--recursive', '--key', k1.ref, '--jobs', '16'], { home: b });
    const { requestCounts } = await import('./harness.js');
    const log = (name: string) => join(a.dir, `${name}.log`);

    // A's first pull reads everything; a second one, with nothing changed, reads no tag.
    await ok(['manifest', 'pull', `s3://${bucket}`], { home: a, env: { SSE3_REQUEST_LOG: log('first') } });
    assert.equal(requestCounts(log('first')).GetObjectTaggingCommand, 200);
    const same = await ok(['manifest', 'pull', `s3://${bucket}`, '--json'], { home: a, env: { SSE3_REQUEST_LOG: log('same') } });
    assert.equal(requestCounts(log('same')).GetObjectTaggingCommand ?? 0, 0);
    assert.deepEqual([same.json().listed, same.json().unchanged, same.json().read], [200, 200, 0]);

    // B changes five: three rotated (re-encrypted in place: new ETags), one new, one deleted.
    for (const n of ['f010', 'f020', 'f030']) await ok(['rotate', `s3://${bucket}/t/${n}`, '--to', k2.ref], { home: b });
    await putData(b, `s3://${bucket}/t/new`, randomBytes(99), k1.ref);
    await ok(['rm', `s3://${bucket}/t/f040`], { home: b });

    const pulled = await ok(['manifest', 'pull', `s3://${bucket}`, '--json'], { home: a, env: { SSE3_REQUEST_LOG: log('pull') } });
    const tagReads = requestCounts(log('pull')).GetObjectTaggingCommand ?? 0;
    assert.ok(tagReads <= 5, `${tagReads} tag reads`);
    const p = pulled.json();
    assert.deepEqual([p.listed, p.read, p.recorded, p.removed], [200, 4, 4, [{ url: `s3://${bucket}/t/f040`, bucket, key: 't/f040',
      versionId: 'null' }]]);

    const rebuilt = newHome();
    await ok(['manifest', 'rebuild', `s3://${bucket}`], { home: rebuilt });
    const shape = (rs: Row[]) => rs.map((r) => [r.key, r.versionId, r.fingerprint, r.sha256, r.etag].join(' ')).sort();
    assert.deepEqual(shape(await rows(a)), shape(await rows(rebuilt)));
    assert.deepEqual((await rows(a)).filter((r) => r.fingerprint === k2.fingerprint).map((r) => r.key).sort(), ['t/f010', 't/f020', 't/f030']);
  });
