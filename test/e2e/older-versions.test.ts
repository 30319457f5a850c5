// Older versions and key retirement: cp --version-id makes an old version current again (re-keyed), rm --noncurrent
// --fingerprint deletes the older versions under a key, and keys usage and the retirement advice then say what
// aws-cli's listing shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, ndjson, newBucket, newHome, ok, putData, run } from './harness.js';
import { awsListVersions, awsPutEncrypted, awsTags, setVersioning } from './versioned.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('cp --version-id restores an old version as the current one under another key; to a file and to another object too',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('restore');
    const ka = await makeKeyFile(home, 'ka');
    const kb = await makeKeyFile(home, 'kb');
    const kc = await makeKeyFile(home, 'kc');
    const first = randomBytes(1500);
    const second = randomBytes(800);
    await putData(home, `s3://${bucket}/doc`, first, ka.ref);
    await setVersioning(bucket);
    const v2 = (await putData(home, `s3://${bucket}/doc`, second, kb.ref)).versionId;

    const restored = (await ok(['cp', `s3://${bucket}/doc`, '--version-id', 'null', `s3://${bucket}/doc`, '--key', kc.ref, '--json'],
      { home })).json();
    assert.deepEqual([restored.sourceVersionId, restored.fingerprint, restored.sha256, restored.size],
      ['null', kc.fingerprint, sha(first), first.length]);
    const listed = await awsListVersions(bucket);
    assert.deepEqual(listed.versions.filter((v) => v.latest).map((v) => v.versionId), [restored.versionId], 'the copy is the current version');
    assert.equal(listed.versions.length, 3, 'the restore added a version and removed none');
    assert.equal((await awsTags(bucket, 'doc', restored.versionId))['sse3-fp'], kc.fingerprint);
    const out = join(home.dir, 'work', 'doc.now');
    const got = (await ok(['get', `s3://${bucket}/doc`, out, '--json'], { home })).json();
    assert.deepEqual([got.fingerprint, got.verified], [kc.fingerprint, true]);
    assert.deepEqual(readFileSync(out), first);

    // Without --key the copy keeps the version's own key; the human line names the version copied.
    const again = await ok(['cp', `s3://${bucket}/doc`, '--version-id', v2, `s3://${bucket}/doc`], { home });
    assert.match(again.out, new RegExp(`cp s3://${bucket}/doc  version ${v2} → s3://${bucket}/doc .*key ${kb.fingerprint}.*new version `));
    await ok(['get', `s3://${bucket}/doc`, out], { home });
    assert.deepEqual(readFileSync(out), second);

    // To a local file, and to another object.
    const old = join(home.dir, 'work', 'doc.null');
    const local = (await ok(['cp', `s3://${bucket}/doc`, '--version-id', 'null', old, '--json'], { home })).json();
    assert.deepEqual([local.versionId, local.fingerprint, local.verified], ['null', ka.fingerprint, true]);
    assert.deepEqual(readFileSync(old), first);
    const other = (await ok(['cp', `s3://${bucket}/doc`, '--version-id', 'null', `s3://${bucket}/archive/doc`, '--key', kc.ref, '--json'],
      { home })).json();
    assert.deepEqual([other.key, other.fingerprint, other.sha256], ['archive/doc', kc.fingerprint, sha(first)]);

    // A version the object does not have, and a delete marker: said, nothing written.
    const missing = await run(['cp', `s3://${bucket}/doc`, '--version-id', 'nosuchversion', `s3://${bucket}/doc`], { home });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`s3://${bucket}/doc has no version nosuchversion`));
    const marker = ndjson((await ok(['rm', `s3://${bucket}/doc`, '--json'], { home })).out)[0].markerCreated;
    const ofMarker = await run(['cp', `s3://${bucket}/doc`, '--version-id', marker, join(home.dir, 'work', 'm')], { home });
    assert.equal(ofMarker.code, 1);
    assert.match(ofMarker.stderr, /is a delete marker/);
    assert.equal((await awsListVersions(bucket)).versions.length, 5, 'the failed copies wrote nothing');

    const bad = await run(['cp', '--recursive', `s3://${bucket}/`, join(home.dir, 'work', 'all'), '--version-id', v2], { home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--version-id names one version of the source object/);
  });

test('rm --noncurrent --fingerprint: deletes the older versions under a key (null ones and those of deleted objects too), ' +
  'keeps those whose key it cannot tell, and keys usage and the retirement advice agree with aws-cli', { timeout: 240_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('noncur');
  const ka = await makeKeyFile(home, 'ka');
  const kb = await makeKeyFile(home, 'kb');
  await putData(home, `s3://${bucket}/o`, randomBytes(100), ka.ref);
  await setVersioning(bucket);
  await putData(home, `s3://${bucket}/o`, randomBytes(110), ka.ref);
  await putData(home, `s3://${bucket}/o`, randomBytes(120), kb.ref);
  await putData(home, `s3://${bucket}/gone`, randomBytes(130), ka.ref);
  await ok(['rm', `s3://${bucket}/gone`], { home });
  await putData(home, `s3://${bucket}/keep`, randomBytes(140), kb.ref);
  await putData(home, `s3://${bucket}/keep`, randomBytes(150), kb.ref);
  // Written by another tool under ka: its older version has no tag, so which key it needs is unknown to sse3.
  await awsPutEncrypted(home, bucket, 'foreign', randomBytes(160), ka.raw);
  await awsPutEncrypted(home, bucket, 'foreign', randomBytes(170), ka.raw);

  const before = await awsListVersions(bucket);
  const underKa = [['o', 'null'], ['o', before.versions.find((v) => v.key === 'o' && !v.latest && v.versionId !== 'null')!.versionId],
    ['gone', before.versions.find((v) => v.key === 'gone')!.versionId]].sort();
  const usage = async () => ndjson((await ok(['keys', 'usage', ka.fingerprint, `s3://${bucket}`, '--versions', '--json'], { home })).out)
    .at(-1).summary;
  const u0 = await usage();
  assert.deepEqual([u0.needed, u0.scanned], [{ objects: 0, versions: 3 }, before.versions.length]);
  const human = await ok(['keys', 'usage', ka.fingerprint, `s3://${bucket}`, '--versions'], { home });
  assert.match(human.out + human.stderr, new RegExp(`sse3 rm s3://${bucket}/ --recursive --noncurrent --fingerprint ${ka.fingerprint}`));

  const unconfirmed = await run(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint], { home });
  assert.equal(unconfirmed.code, 2, 'no terminal to confirm: --yes or --dry-run');
  const dry = ndjson((await ok(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint, '--dry-run', '--json'],
    { home })).out);
  assert.deepEqual(dry.slice(0, -1).map((l) => [l.key, l.versionId]).sort(), underKa);
  assert.deepEqual(dry.at(-1).summary, { ok: true, dryRun: true, wouldDelete: 3, kept: { unknownKey: 1, unreadable: 0 } });
  assert.deepEqual(await awsListVersions(bucket), before, 'a dry run deletes nothing');

  const done = await ok(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint, '--yes', '--json'], { home });
  assert.match(done.stderr, /1 noncurrent version\(s\) have no sse3-fp tag and no record here/);
  const lines = ndjson(done.out);
  assert.deepEqual(lines.slice(0, -1).map((l) => [l.key, l.versionId]).sort(), underKa);
  const summary = lines.at(-1).summary;
  assert.deepEqual([summary.succeeded, summary.failed, summary.retirableFingerprints], [3, 0, []], 'the foreign version keeps ka unretirable');
  assert.equal(summary.retirement[0].scan.untagged, 2, 'both versions of the foreign object');
  const after = await awsListVersions(bucket);
  assert.equal(after.versions.length, before.versions.length - 3);
  assert.deepEqual(after.markers.map((m) => m.key), ['gone'], 'the delete marker stays');
  assert.deepEqual(after.versions.filter((v) => v.key === 'keep').length, 2, 'versions under another key stay');

  // Once adopted, the foreign versions are tagged: the older one goes, the current one is what still needs ka.
  await ok(['adopt', `s3://${bucket}`, '--key', ka.ref], { home });
  const second = ndjson((await ok(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint, '--yes', '--json'],
    { home })).out);
  assert.deepEqual(second.slice(0, -1).map((l) => l.key), ['foreign']);
  const u1 = await usage();
  const judged = await awsListVersions(bucket);
  assert.deepEqual([u1.needed, u1.scanned, u1.untagged.versions], [{ objects: 1, versions: 1 }, judged.versions.length, 0]);

  // Rotated, nothing in the bucket needs ka: the whole-bucket advice says so, and keys usage agrees.
  const rotated = (await ok(['rotate', `s3://${bucket}/foreign`, '--to', kb.ref, '--json'], { home })).json();
  assert.equal(rotated.olderVersionsWithOldKey, 1);
  const last = ndjson((await ok(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint, '--yes', '--json'],
    { home })).out).at(-1).summary;
  assert.deepEqual(last.retirableFingerprints, [ka.fingerprint]);
  const u2 = await usage();
  assert.deepEqual([u2.needed, u2.untagged.versions, u2.scanned], [{ objects: 0, versions: 0 }, 0, (await awsListVersions(bucket)).versions.length]);

  const nothing = await ok(['rm', `s3://${bucket}`, '-r', '--noncurrent', '--fingerprint', ka.fingerprint, '--yes'], { home });
  assert.match(nothing.stderr, new RegExp(`no noncurrent version under key ${ka.fingerprint} to delete under s3://${bucket}/`));
  const lone = await run(['rm', `s3://${bucket}`, '-r', '--fingerprint', ka.fingerprint, '--yes'], { home });
  assert.equal(lone.code, 2);
  assert.match(lone.stderr, /--fingerprint goes with --noncurrent/);
});
