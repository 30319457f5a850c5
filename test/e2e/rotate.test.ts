import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData, run, serverTags, serverUploads,
} from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** Give another home the same key files (as another machine holding the same keys would). */
function shareKeys(home: Home, ...keys: Array<{ path: string }>): void {
  mkdirSync(home.keyDir, { recursive: true });
  for (const k of keys) copyFileSync(k.path, join(home.keyDir, basename(k.path)));
}

/** Download without --key (the manifest must find the key) and return the bytes and the get --json result. */
async function getBack(home: Home, url: string, extra: string[] = []) {
  const file = join(home.dir, 'work', `down-${randomBytes(4).toString('hex')}`);
  const r = (await ok(['get', url, file, '--json', ...extra], { home })).json();
  const bytes = readFileSync(file);
  rmSync(file);
  return { bytes, result: r };
}

test('rotate one object: the old key stops opening it, manifest and tag name the new key, the old key becomes retirable', async () => {
  const home = newHome();
  const bucket = await newBucket('rot');
  const oldKey = await makeKeyFile(home, 'old.key');
  const newKey = await makeKeyFile(home, 'new.key');
  const a = randomBytes(3000);
  const b = randomBytes(2000);
  await putData(home, `s3://${bucket}/a`, a, oldKey.ref);
  await putData(home, `s3://${bucket}/b`, b, oldKey.ref);

  const r = (await ok(['rotate', `s3://${bucket}/a`, '--to', newKey.ref, '--json'], { home })).json();
  assert.deepEqual(r, { ok: true, url: `s3://${bucket}/a`, bucket, key: 'a', oldFingerprint: oldKey.fingerprint, newFingerprint: newKey.fingerprint,
    status: 'rotated', versionId: null, method: 'streamed', olderVersionsWithOldKey: 0, retirableFingerprints: [], retirement: [] },
  'b still needs the old key, so it is not retirable');

  const wrong = await run(['get', `s3://${bucket}/a`, 'with-old', '--key', oldKey.ref], { home });
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`key ${oldKey.fingerprint} does not open .* encrypted with key ${newKey.fingerprint}`));
  const got = await getBack(home, `s3://${bucket}/a`);
  assert.equal(sha(got.bytes), sha(a));
  assert.equal(got.result.fingerprint, newKey.fingerprint);
  assert.equal(got.result.checksumSource, 'manifest');

  const rows = await manifestRows(home, `s3://${bucket}/`);
  assert.deepEqual(rows.map((e) => [e.key, e.fingerprint, e.sha256]),
    [['a', newKey.fingerprint, sha(a)], ['b', oldKey.fingerprint, sha(b)]]);
  assert.deepEqual(await serverTags(bucket, 'a'), { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(a) });
  const v = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.summary().counts.ok, 2);

  // The last object under the old key: now nothing recorded needs it.
  const last = await ok(['rotate', `s3://${bucket}/b`, '--to', newKey.ref], { home });
  assert.match(last.out, new RegExp(`rotated s3://${bucket}/b  ${oldKey.fingerprint} → ${newKey.fingerprint}  \\(streamed\\)`));
  // This manifest's word alone never makes a key retirable: other homes may have objects under it.
  assert.match(last.out, new RegExp(`no object recorded here needs key ${oldKey.fingerprint}; before retiring it, check every bucket ` +
    `that may use it: sse3 keys usage ${oldKey.fingerprint} s3://${bucket} --versions`));
  const again = (await ok(['rotate', `s3://${bucket}/b`, '--to', newKey.ref, '--from', oldKey.ref, '--json'], { home })).json();
  assert.deepEqual([again.status, again.retirableFingerprints], ['already', []]);
  assert.deepEqual(again.retirement, [{ fingerprint: oldKey.fingerprint, recordedHere: 0, scan: null, retirable: false,
    check: `sse3 keys usage ${oldKey.fingerprint} s3://${bucket} --versions` }]);
});

test('rotate --recursive rotates only under the prefix; --fingerprint rotates what the manifest records under a key, across buckets', async () => {
  const home = newHome();
  const [one, two] = await Promise.all([newBucket('rotr'), newBucket('rotr')]);
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  const k3 = await makeKeyFile(home, 'k3.key');
  const tree = join(home.dir, 'tree');
  for (const rel of ['p/x', 'p/sub/y', 'pq', 'q/z']) {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    writeFileSync(join(tree, rel), randomBytes(500));
  }
  await ok(['cp', '--recursive', tree, `s3://${one}/`, '--key', k1.ref], { home });
  await putData(home, `s3://${two}/w`, randomBytes(700), k1.ref);
  const fingerprints = async () => Object.fromEntries((await manifestRows(home)).map((e) => [`s3://${e.bucket}/${e.key}`, e.fingerprint]));

  const rec = await ok(['rotate', `s3://${one}/p`, '--recursive', '--to', k2.ref], { home });
  assert.match(rec.out, new RegExp(`rotated s3://${one}/p/x `));
  assert.match(rec.out, new RegExp(`rotated s3://${one}/p/sub/y `));
  assert.match(rec.stderr, /^2 ok, 0 failed$/m);
  assert.deepEqual(await fingerprints(), {
    [`s3://${one}/p/x`]: k2.fingerprint, [`s3://${one}/p/sub/y`]: k2.fingerprint,
    [`s3://${one}/pq`]: k1.fingerprint, [`s3://${one}/q/z`]: k1.fingerprint, [`s3://${two}/w`]: k1.fingerprint,
  });
  const outside = await run(['head', `s3://${one}/pq`, '--key', k1.ref, '--json'], { home });
  assert.equal(outside.code, 0, 'objects outside the prefix still open with their key');
  assert.equal(outside.json().keyMatches, true);

  const byFp = await ok(['rotate', '--fingerprint', k1.fingerprint, '--to', k3.ref, '--json'], { home });
  const lines = byFp.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 3, failed: 0, plain: 0, deleted: 0, olderVersionsWithOldKey: 0 } });
  assert.deepEqual(lines.slice(0, -1).map((l) => [l.url, l.status, l.oldFingerprint, l.newFingerprint]).sort(),
    [`s3://${one}/pq`, `s3://${one}/q/z`, `s3://${two}/w`].sort().map((u) => [u, 'rotated', k1.fingerprint, k3.fingerprint]));
  assert.deepEqual(await fingerprints(), {
    [`s3://${one}/p/x`]: k2.fingerprint, [`s3://${one}/p/sub/y`]: k2.fingerprint,
    [`s3://${one}/pq`]: k3.fingerprint, [`s3://${one}/q/z`]: k3.fingerprint, [`s3://${two}/w`]: k3.fingerprint,
  });
  // Every object still decrypts to what was uploaded, each with the key the manifest now names.
  const v = await run(['verify', '--deep', '--json'], { home });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.summary().counts.ok, 5);
});

test('a recursive rotate run again skips what is already under the new key: exit 0, counted OK, nothing rewritten', async () => {
  const home = newHome();
  const bucket = await newBucket('rotr');
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  for (const name of ['p/a', 'p/b', 'p/c', 'q/d']) await putData(home, `s3://${bucket}/${name}`, randomBytes(300), k1.ref);
  await ok(['rotate', `s3://${bucket}/p/`, '--recursive', '--to', k2.ref], { home });
  const etags = async () => Object.fromEntries(await Promise.all(['p/a', 'p/b', 'p/c', 'q/d'].map(async (n) =>
    [n, (await ok(['head', `s3://${bucket}/${n}`, '--json'], { home })).json().etag])));
  const before = await etags();

  const again = await run(['rotate', `s3://${bucket}/p/`, '--recursive', '--to', k2.ref], { home });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.out.match(/already rotated, skipped/g)?.length, 3, again.out);
  assert.match(again.stderr, /^3 ok, 0 failed$/m);
  assert.deepEqual(await etags(), before, 'nothing was rewritten');

  // A wider scope: the rotated ones are skipped, the rest rotated; JSON says which is which.
  const wider = await ok(['rotate', `s3://${bucket}`, '--recursive', '--to', k2.ref, '--json'], { home });
  const lines = wider.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 4, failed: 0, plain: 0, deleted: 0 } });
  assert.deepEqual(lines.slice(0, -1).map((l) => [l.url, l.status]).sort(), [[`s3://${bucket}/p/a`, 'already'],
    [`s3://${bucket}/p/b`, 'already'], [`s3://${bucket}/p/c`, 'already'], [`s3://${bucket}/q/d`, 'rotated']]);
  const single = (await ok(['rotate', `s3://${bucket}/q/d`, '--to', k2.ref, '--json'], { home })).json();
  assert.equal(single.status, 'already');
});

test('a rotation run again without --from: the target key is a candidate; objects already under it are skipped, nothing read or '
  + 'written', async () => {
  const home = newHome();
  const bucket = await newBucket('rotnofrom');
  // Keys kept outside the key folder: sse3 finds neither by itself, only through --from and --to.
  const k1 = await makeKeyFile(home, 'k1.key', { inKeyDir: false });
  const k2 = await makeKeyFile(home, 'k2.key', { inKeyDir: false });
  for (const name of ['p/a', 'p/b', 'p/c']) await putData(home, `s3://${bucket}/${name}`, randomBytes(300), k1.ref);
  await ok(['rotate', `s3://${bucket}/p/`, '-r', '--from', k1.ref, '--to', k2.ref], { home });

  const log = join(home.dir, 'requests.log');
  const again = await run(['rotate', `s3://${bucket}/p/`, '-r', '--to', k2.ref, '--json'], { home, env: { SSE3_REQUEST_LOG: log } });
  assert.equal(again.code, 0, again.stderr);
  const lines = again.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 3, failed: 0, plain: 0, deleted: 0 } });
  assert.deepEqual(lines.slice(0, -1).map((l) => l.status), ['already', 'already', 'already']);
  const sent = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  assert.deepEqual([...new Set(sent)].sort(), ['HeadObjectCommand', 'ListObjectsV2Command'],
    'a listing and a keyed HEAD per object: no object read, nothing written');
  const single = await run(['rotate', `s3://${bucket}/p/a`, '--to', k2.ref, '--json'], { home });
  assert.equal(single.code, 0, single.stderr);
  assert.equal(single.json().status, 'already');
});

test('a recursive rotate asks the server once whether it copies SSE-C objects: every other object is opened by one request',
  async () => {
    const home = newHome();
    const bucket = await newBucket('rotcopy');
    const k1 = await makeKeyFile(home, 'k1.key');
    const k2 = await makeKeyFile(home, 'k2.key');
    // More objects than a batch runs at once (32 small ones), so that most start while the first is still learning.
    const count = 40;
    const tree = join(home.dir, 'tree');
    mkdirSync(tree, { recursive: true });
    for (let n = 0; n < count; n++) writeFileSync(join(tree, `f${n}`), randomBytes(200));
    await ok(['cp', '--recursive', tree, `s3://${bucket}/`, '--key', k1.ref], { home });

    const log = join(home.dir, 'requests.log');
    const r = await run(['rotate', `s3://${bucket}`, '-r', '--from', k1.ref, '--to', k2.ref, '--json'], { home, env: { SSE3_REQUEST_LOG: log } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).at(-1),
      { summary: { ok: true, succeeded: count, failed: 0, plain: 0, deleted: 0 } });
    const sent: Record<string, number> = {};
    for (const op of readFileSync(log, 'utf8').split('\n').filter(Boolean)) sent[op] = (sent[op] ?? 0) + 1;
    const [heads, gets, copies] = [sent.HeadObjectCommand ?? 0, sent.GetObjectCommand ?? 0, sent.CopyObjectCommand ?? 0];
    // A server that copies: a HEAD and a CopyObject per object. One that refuses (Ceph RGW): the first object asks
    // (a HEAD and the refused CopyObject), then every object is a GET and a PUT.
    assert.ok(heads + gets <= count + 1, `each object opened once, one more for the question: ${JSON.stringify(sent)}`);
    assert.ok(gets === 0 || copies <= 1, `a refusal is not asked again: ${JSON.stringify(sent)}`);
    const fps = new Set((await manifestRows(home)).map((e) => e.fingerprint));
    assert.deepEqual([...fps], [k2.fingerprint]);
  });

test('versioned bucket: rotation writes a new version; older versions keep the old key and are reported', async () => {
  const home = newHome();
  const bucket = await newBucket('rotv', true);
  const oldKey = await makeKeyFile(home, 'old.key');
  const newKey = await makeKeyFile(home, 'new.key');
  const data = randomBytes(4000);
  const put = await putData(home, `s3://${bucket}/doc`, data, oldKey.ref);
  assert.ok(put.versionId);

  const r = (await ok(['rotate', `s3://${bucket}/doc`, '--to', newKey.ref, '--json'], { home })).json();
  assert.equal(r.status, 'rotated');
  assert.ok(r.versionId && r.versionId !== put.versionId, 'a new version');
  assert.equal(r.olderVersionsWithOldKey, 1);
  assert.deepEqual(r.retirableFingerprints, [], 'the older version still needs the old key');

  const old = await ok(['get', `s3://${bucket}/doc`, 'old', '--version-id', put.versionId, '--key', oldKey.ref, '--json'], { home });
  assert.equal(old.json().versionId, put.versionId);
  assert.equal(sha(readFileSync(join(home.dir, 'work', 'old'))), sha(data));
  const latest = await getBack(home, `s3://${bucket}/doc`);
  assert.equal(latest.result.versionId, r.versionId);
  assert.equal(latest.result.fingerprint, newKey.fingerprint);
  assert.equal(sha(latest.bytes), sha(data));
  const h = await run(['head', `s3://${bucket}/doc`, '--key', oldKey.ref], { home });
  assert.equal(h.code, 3, 'the current version does not open with the old key');
  assert.equal((await serverTags(bucket, 'doc', put.versionId))['sse3-fp'], oldKey.fingerprint);
  assert.equal((await serverTags(bucket, 'doc', r.versionId))['sse3-fp'], newKey.fingerprint);

  const v = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual(v.items().map((o: { versionId: string; fingerprint: string; status: string }) =>
    [o.versionId, o.fingerprint, o.status]).sort(),
  [[put.versionId, oldKey.fingerprint, 'ok'], [r.versionId, newKey.fingerprint, 'ok']].sort());
});

test('rotate --fingerprint reports the older versions still under the old key, also of objects whose current version it left', async () => {
  const home = newHome();
  const bucket = await newBucket('rotv', true);
  const [k1, k2, k3] = await Promise.all(['k1.key', 'k2.key', 'k3.key'].map((n) => makeKeyFile(home, n)));
  await putData(home, `s3://${bucket}/doc`, randomBytes(100), k1.ref);
  await putData(home, `s3://${bucket}/doc`, randomBytes(100), k2.ref);
  await putData(home, `s3://${bucket}/third`, randomBytes(100), k1.ref);
  await putData(home, `s3://${bucket}/third`, randomBytes(100), k1.ref);
  await putData(home, `s3://${bucket}/other`, randomBytes(100), k1.ref);

  const r = await ok(['rotate', '--fingerprint', k1.fingerprint, '--to', k3.ref, '--json'], { home });
  const lines = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.slice(0, -1).map((l) => [l.url, l.olderVersionsWithOldKey]).sort(),
    [[`s3://${bucket}/other`, 1], [`s3://${bucket}/third`, 2]]);
  assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 2, failed: 0, plain: 0, deleted: 0, olderVersionsWithOldKey: 4 } },
    'the first version of doc (not rotated: its current version is under k2) and the earlier versions of the others');
  const human = await ok(['rotate', '--fingerprint', k2.fingerprint, '--to', k3.ref], { home });
  assert.match(human.stderr, new RegExp(`^1 ok, 0 failed\n1 older version\\(s\\) of 1 object\\(s\\) still need key ${k2.fingerprint}`, 'm'));
  const again = await ok(['rotate', '--fingerprint', k1.fingerprint, '--to', k3.ref], { home });
  assert.match(again.stderr, new RegExp(`4 older version\\(s\\) of 3 object\\(s\\) still need key ${k1.fingerprint} ` +
    '\\(rotation re-encrypts current versions only\\)'));
});

/** Where sse3 is killed, whether it takes a multipart object to get there, and which key opens it right after the kill. */
const faults = [
  { point: 'rotate-journalled', multipart: false, opensWith: 'old', settles: 'old-key' },
  { point: 'after-part-2', multipart: true, opensWith: 'old', settles: 'old-key' },
  { point: 'before-complete', multipart: true, opensWith: 'old', settles: 'old-key' },
  { point: 'after-complete', multipart: true, opensWith: 'new', settles: 'new-key' },
  { point: 'rotate-written', multipart: false, opensWith: 'new', settles: 'new-key' },
] as const;

test('a rotation killed at any point is settled and finished by rotate --resume', { concurrency: true }, async (t) => {
  const data = { small: randomBytes(3000), large: randomBytes(20 * MiB) };
  const keys = newHome();
  const oldKey = await makeKeyFile(keys, 'old.key');
  const newKey = await makeKeyFile(keys, 'new.key');
  await Promise.all(faults.map((f) => t.test(`killed at ${f.point}`, async () => {
    // A home each: every rotate first settles what other killed runs left behind.
    const home = newHome();
    shareKeys(home, oldKey, newKey);
    const bucket = await newBucket('crash');
    const bytes = f.multipart ? data.large : data.small;
    const url = `s3://${bucket}/obj`;
    await putData(home, url, bytes, oldKey.ref);

    const killed = await run(['rotate', url, '--to', newKey.ref], { home, env: { SSE3_FAULT: f.point } });
    assert.equal(killed.signal, 'SIGKILL', `${f.point}: ${killed.stderr}`);

    const exported = (await ok(['manifest', 'export'], { home })).json();
    assert.equal(exported.pendingRotations.length, 1);
    const [p] = exported.pendingRotations;
    assert.deepEqual([p.bucket, p.key, p.oldFingerprint, p.newFingerprint, p.state],
      [bucket, 'obj', oldKey.fingerprint, newKey.fingerprint, 'pending'], 'both keys are on record');
    // Listed before any other sse3 run: every run aborts the uploads killed processes left behind.
    const uploadsLeft = f.point === 'after-part-2' || f.point === 'before-complete' ? 1 : 0;
    assert.equal((await serverUploads(bucket)).length, uploadsLeft);
    // Killed after the commit, the upload stays on record (with its checksum) until a run records the object it became.
    assert.equal(exported.pendingUploads.length, f.point === 'after-complete' ? 1 : uploadsLeft);
    if (f.point === 'after-complete') assert.equal(exported.pendingUploads[0].completing.sha256, sha(bytes));
    const h = await run(['head', url, '--key', (f.opensWith === 'old' ? oldKey : newKey).ref], { home });
    assert.equal(h.code, 0, `opens with the ${f.opensWith} key right after the kill: ${h.stderr}`);

    const resumed = (await ok(['rotate', '--resume', '--json'], { home })).json();
    assert.equal(resumed.ok, true);
    assert.deepEqual(resumed.settled.map((s: { outcome: string }) => s.outcome), [f.settles]);
    assert.equal(resumed.redone.length, f.settles === 'old-key' ? 1 : 0);

    // Without --key: the manifest names the new key, and the server accepts it for the object.
    const back = await getBack(home, url);
    assert.equal(sha(back.bytes), sha(bytes));
    assert.equal(back.result.fingerprint, newKey.fingerprint);
    assert.equal(back.result.verified, true);
    const v = await run(['verify', '--json'], { home });
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.summary().counts.ok, 1);
    assert.deepEqual(await serverUploads(bucket), []);
    // sse3-upload names the multipart upload that wrote the copy, when the rotation's own upload tagged it.
    const { 'sse3-upload': upload, ...tags } = await serverTags(bucket, 'obj');
    assert.deepEqual(tags, { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(bytes) });
    assert.match(upload ?? '', /^([0-9a-f]{32})?$/);
    const after = (await ok(['manifest', 'export'], { home })).json();
    assert.deepEqual([after.pendingRotations, after.pendingUploads], [[], []]);
  })));
});

test('rotate --resume keeps a rotation it cannot finish (new key not here): exit 3 naming the key, finished with --resume --key',
  { concurrency: true }, async (t) => {
    await Promise.all((['rotate-journalled', 'rotate-written'] as const).map((point) => t.test(`killed at ${point}`, async () => {
      const home = newHome();
      const bucket = await newBucket('crash');
      const oldKey = await makeKeyFile(home, 'old.key');
      // The new key lives outside the key folder: sse3 cannot find it by itself.
      const newKey = await makeKeyFile(home, 'new.key', { inKeyDir: false });
      const data = randomBytes(2000);
      const url = `s3://${bucket}/obj`;
      await putData(home, url, data, oldKey.ref);
      const killed = await run(['rotate', url, '--to', newKey.ref], { home, env: { SSE3_FAULT: point } });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);

      // verify settles what it can, and must not drop the rotation either.
      await run(['verify'], { home });
      const resumed = await run(['rotate', '--resume', '--json'], { home });
      assert.equal(resumed.code, 3, resumed.stderr);
      const report = resumed.lines()[0];
      assert.equal(report.ok, false);
      assert.equal(resumed.error().code, 'NO_KEY', 'the error line after the report');
      assert.deepEqual(report.needs, [newKey.fingerprint]);
      assert.deepEqual(report.unresolved.map((u: { url: string; needs: string[] }) => [u.url, u.needs]), [[url, [newKey.fingerprint]]]);
      assert.match(resumed.stderr, new RegExp(`error: 1 interrupted rotation\\(s\\) could not be finished: sse3 cannot find the key\\(s\\) ${newKey.fingerprint}`));
      assert.match(resumed.stderr, /hint: pass them with sse3 rotate --resume --key REF/);
      const pending = (await ok(['manifest', 'export'], { home })).json().pendingRotations;
      assert.deepEqual(pending.map((p: { key: string; newFingerprint: string }) => [p.key, p.newFingerprint]), [['obj', newKey.fingerprint]],
        'still journalled');
      const human = await run(['rotate', '--resume'], { home });
      assert.equal(human.code, 3);
      // The unresolved rotation and the summary on stderr; -q keeps the failure.
      assert.equal(human.out, '');
      assert.match(human.stderr, /1 interrupted rotation\(s\) settled, 0 redone, 1 unresolved/);
      assert.match(human.stderr, new RegExp(`✗ ${url}: interrupted rotation unresolved: .*${newKey.fingerprint}`));
      // It names what is missing, never "run sse3 rotate --resume" (the command that was just run) on its own.
      assert.doesNotMatch(human.stderr, /rotate --resume(?! --key)|undefined/);
      const quiet = await run(['rotate', '--resume', '-q'], { home });
      assert.equal(quiet.code, 3);
      assert.match(quiet.stderr, new RegExp(`^✗ ${url}: interrupted rotation unresolved: .*${newKey.fingerprint}\nerror: `));

      const finished = await ok(['rotate', '--resume', '--key', newKey.ref], { home });
      const redone = point === 'rotate-journalled' ? 1 : 0;
      assert.match(finished.stderr, new RegExp(`1 interrupted rotation\\(s\\) settled, ${redone} redone, 0 unresolved`));
      if (redone) assert.match(finished.stderr, new RegExp(`✓ ${url}: interrupted rotation finished: re-encrypted under key ${newKey.fingerprint}`));
      assert.doesNotMatch(finished.stderr, /rotate --resume/, `the run that finished it does not send the user to run itself: ${finished.stderr}`);
      assert.deepEqual((await ok(['manifest', 'export'], { home })).json().pendingRotations, []);
      const h = (await ok(['head', url, '--key', newKey.ref, '--json'], { home })).json();
      assert.equal(h.keyMatches, true, 'the object ends under the new key');
      assert.equal(h.manifest.fingerprint, newKey.fingerprint);
      const back = await getBack(home, url, ['--key', newKey.ref]);
      assert.equal(sha(back.bytes), sha(data));
      assert.equal(back.result.verified, true);
    })));
  });

test('a rotation killed after commit keeps the checksum of an object this manifest has no record of', async () => {
  const writer = newHome();
  const bucket = await newBucket('crash');
  const oldKey = await makeKeyFile(writer, 'old.key');
  const newKey = await makeKeyFile(writer, 'new.key');
  const data = randomBytes(11 * MiB);
  await putData(writer, `s3://${bucket}/mp`, data, oldKey.ref, ['--part-size', '5']);
  // Another machine with the same keys and an empty manifest: the key is found through the object's tag.
  const home = newHome();
  shareKeys(home, oldKey, newKey);
  const killed = await run(['rotate', `s3://${bucket}/mp`, '--to', newKey.ref, '--part-size', '5'],
    { home, env: { SSE3_FAULT: 'after-complete' } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  await ok(['rotate', '--resume'], { home });
  const back = await getBack(home, `s3://${bucket}/mp`);
  assert.equal(sha(back.bytes), sha(data));
  assert.equal(back.result.verified, true, 'the SHA-256 survived the crash');
  assert.equal(back.result.checksumSource, 'manifest');
  assert.deepEqual(await serverTags(bucket, 'mp'), { 'sse3-fp': newKey.fingerprint, 'sse3-sha256': sha(data) });
});

test('rotate errors: a --from key that does not open the object (exit 3, untouched); no --to (exit 2)', async () => {
  const home = newHome();
  const bucket = await newBucket('rote');
  const right = await makeKeyFile(home, 'right.key');
  const wrong = await makeKeyFile(home, 'wrong.key');
  const target = await makeKeyFile(home, 'target.key');
  const put = await putData(home, `s3://${bucket}/f`, randomBytes(1000), right.ref);
  const r = await run(['rotate', `s3://${bucket}/f`, '--from', wrong.ref, '--to', target.ref], { home });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`key ${wrong.fingerprint} does not open s3://${bucket}/f`));
  const h = (await ok(['head', `s3://${bucket}/f`, '--key', right.ref, '--json'], { home })).json();
  assert.equal(h.keyMatches, true, 'still encrypted with the right key');
  assert.equal(h.etag, put.etag, 'not rewritten');
  assert.equal((await manifestRows(home))[0].fingerprint, right.fingerprint);
  assert.equal((await serverTags(bucket, 'f'))['sse3-fp'], right.fingerprint);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().pendingRotations, []);

  const noTo = await run(['rotate', `s3://${bucket}/f`, '--json'], { home });
  assert.equal(noTo.code, 2);
  assert.equal(noTo.json().error.code, 'USAGE');
  assert.match(noTo.stderr, /needs the new key: --to REF/);
  const nothing = await run(['rotate', '--to', target.ref], { home });
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /say what to rotate/);
});

test('an interrupted rotation whose object a teammate re-keyed since is settled by asking the object, and never redone', async () => {
  const home = newHome();
  const teammate = newHome();
  const bucket = await newBucket('superseded');
  const k0 = await makeKeyFile(home, 'k0.key');
  const kb = await makeKeyFile(home, 'kb.key');
  // The teammate's new key: not in this home's key folder.
  const ka = await makeKeyFile(home, 'ka.key', { inKeyDir: false });
  const kc = await makeKeyFile(home, 'kc.key');
  shareKeys(teammate, k0, ka);
  const data = randomBytes(5000);
  const url = `s3://${bucket}/obj`;
  await putData(home, url, data, k0.ref);
  // Here, a rotation to B is journalled and killed before it writes; meanwhile the teammate re-keys the object to A.
  const killed = await run(['rotate', url, '--to', kb.ref], { home, env: { SSE3_FAULT: 'rotate-journalled' } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  await ok(['rotate', url, '--from', `file:${join(teammate.keyDir, 'k0.key')}`, '--to', `file:${join(teammate.keyDir, 'ka.key')}`],
    { home: teammate });

  // Neither recorded key opens it, and the key its tag names is not here: unresolved, naming that key (exit 3).
  const blind = await run(['rotate', '--resume', '--json'], { home });
  assert.equal(blind.code, 3, blind.stderr);
  assert.deepEqual(blind.lines()[0].needs, [ka.fingerprint]);
  // Given that key, the object says it opens with it: superseded, closed, on record — and nothing is redone.
  const settled = await run(['rotate', '--resume', '--key', ka.ref, '--json'], { home });
  assert.equal(settled.code, 0, settled.stderr);
  const report = settled.json();
  assert.deepEqual(report.settled.map((s: { outcome: string; opensWith: string }) => [s.outcome, s.opensWith]),
    [['superseded', ka.fingerprint]]);
  assert.deepEqual([report.redone, report.unresolved], [[], []]);
  assert.deepEqual((await manifestRows(home, `s3://${bucket}`)).map((r) => r.fingerprint), [ka.fingerprint]);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().pendingRotations, []);

  // A later rotation, then --resume: B, which nobody chose last, never comes back.
  await ok(['rotate', url, '--from', ka.ref, '--to', kc.ref], { home });
  const later = (await ok(['rotate', '--resume', '--json'], { home })).json();
  assert.deepEqual([later.settled, later.redone, later.unresolved], [[], [], []]);
  const back = await getBack(home, url);
  assert.deepEqual([back.result.fingerprint, sha(back.bytes)], [kc.fingerprint, sha(data)]);
});
