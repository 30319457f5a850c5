// S3's "null" version (an object written before its bucket's versioning was enabled) is one version like any other:
// every request, record, tag read and count names it, never the current version in its place. aws-cli judges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, makeKeyFile, manifestRows, ndjson, newBucket, newHome, ok, putData, run, runAws,
} from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function enableVersioning(bucket: string, status: 'Enabled' | 'Suspended' = 'Enabled'): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));
}

/** What aws-cli lists: each version as [key, versionId, isLatest], and the delete markers. */
async function awsVersions(bucket: string): Promise<{ versions: Array<[string, string, boolean]>; markers: number }> {
  const r = await runAws(['s3api', 'list-object-versions', '--bucket', bucket]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout || '{}');
  return { versions: (doc.Versions ?? []).map((v: any) => [v.Key, v.VersionId, v.IsLatest]), markers: (doc.DeleteMarkers ?? []).length };
}

async function awsTags(bucket: string, key: string, versionId: string): Promise<Record<string, string>> {
  const r = await runAws(['s3api', 'get-object-tagging', '--bucket', bucket, '--key', key, '--version-id', versionId]);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(JSON.parse(r.stdout).TagSet.map((t: any) => [t.Key, t.Value]));
}

test('put → versioning on → rotate: the null version keeps its key, and keys usage, get, head, verify, ls, pull and rm say so',
  { timeout: 240_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('nullv');
    const ka = await makeKeyFile(home, 'ka');
    const kb = await makeKeyFile(home, 'kb');
    const first = randomBytes(1000);
    const put = await putData(home, `s3://${bucket}/o`, first, ka.ref);
    assert.equal(put.versionId, null, 'an object of a bucket that is not versioning has no version id');
    await enableVersioning(bucket);

    const rotated = ndjson((await ok(['rotate', `s3://${bucket}`, '-r', '--to', kb.ref, '--json'], { home })).out);
    assert.equal(rotated[0].status, 'rotated');
    assert.equal(rotated[0].olderVersionsWithOldKey, 1, 'the null version still needs ka');
    const listed = await awsVersions(bucket);
    assert.deepEqual(listed.versions.map((v) => [v[1] === 'null', v[2]]).sort(), [[false, true], [true, false]]);
    assert.equal((await awsTags(bucket, 'o', 'null'))['sse3-fp'], ka.fingerprint, 'the null version was not re-tagged');

    const usage = (await ok(['keys', 'usage', s3(bucket), '--versions', '--json'], { home })).json();
    const use = (fp: string) => usage.keys.find((k: any) => k.fingerprint === fp);
    assert.deepEqual([use(ka.fingerprint)?.objects, use(ka.fingerprint)?.versions], [0, 1]);
    assert.deepEqual([use(kb.fingerprint)?.objects, use(kb.fingerprint)?.versions], [1, 1]);
    assert.equal(usage.scanned, listed.versions.length);

    const out = join(home.dir, 'work', 'null.out');
    const got = (await ok(['get', `s3://${bucket}/o`, '--version-id', 'null', out, '--json'], { home })).json();
    assert.deepEqual([got.versionId, got.fingerprint, got.verified, got.checksumSource], ['null', ka.fingerprint, true, 'manifest']);
    assert.deepEqual(readFileSync(out), first);
    const head = (await ok(['head', `s3://${bucket}/o`, '--version-id', 'null', '--json'], { home })).json();
    assert.equal(head.versionId, 'null');
    assert.equal(JSON.stringify(head).includes(kb.fingerprint), false, `head of the null version names only ka: ${JSON.stringify(head)}`);

    for (const pass of [1, 2]) {
      const v = await ok(['verify', s3(bucket), '--deep', '--json'], { home });
      assert.deepEqual(v.items().map((o: any) => [o.versionId === 'null', o.fingerprint, o.status]).sort(),
        [[false, kb.fingerprint, 'ok'], [true, ka.fingerprint, 'ok']], `verify pass ${pass}`);
      assert.equal(v.summary().counts['stale-fixed'], 0);
    }

    const ls = ndjson((await ok(['ls', s3(bucket), '--versions', '--json'], { home })).out).filter((l) => l.type === 'object');
    assert.deepEqual(ls.map((l) => [l.versionId === 'null', l.isLatest, l.fingerprint]).sort(),
      [[false, true, kb.fingerprint], [true, false, ka.fingerprint]]);

    // A teammate's manifest, from the tags alone.
    const mate = newHome();
    await ok(['manifest', 'pull', s3(bucket)], { home: mate });
    assert.deepEqual((await manifestRows(mate)).map((r) => [r.versionId === 'null', r.fingerprint, r.sha256]).sort(),
      [[false, kb.fingerprint, sha(first)], [true, ka.fingerprint, sha(first)]]);

    // Deleting the null version deletes it, not the current one, and its record with it.
    const rm = ndjson((await ok(['rm', `s3://${bucket}/o`, '--version-id', 'null', '--json'], { home })).out)[0];
    assert.deepEqual([rm.versionId, rm.forgotten], ['null', [ka.fingerprint]]);
    assert.deepEqual((await awsVersions(bucket)).versions.map((v) => v[1] === 'null'), [false]);
    assert.deepEqual((await manifestRows(home)).map((r) => r.versionId === 'null'), [false]);
    const gone = await run(['get', `s3://${bucket}/o`, '--version-id', 'null', out], { home });
    assert.notEqual(gone.code, 0);
  });

test('adopt records and tags the null version itself (not the current one); rm --all-versions deletes it too',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('nulla');
    const kc = await makeKeyFile(home, 'kc');
    const rawPath = join(home.dir, 'kc.raw');
    writeFileSync(rawPath, kc.raw, { mode: 0o600 });
    const before = randomBytes(700);
    const after = randomBytes(900);
    const awsPut = async (data: Buffer) => {
      const src = join(home.dir, `src-${randomBytes(4).toString('hex')}`);
      writeFileSync(src, data);
      const r = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', 'doc', '--body', src,
        '--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${rawPath}`]);
      assert.equal(r.code, 0, r.stderr);
    };
    await awsPut(before);
    await enableVersioning(bucket);
    await awsPut(after);

    const adopted = ndjson((await ok(['adopt', s3(bucket), '--hash', '--json'], { home })).out).filter((l) => !l.summary);
    assert.deepEqual(adopted.map((a) => [a.versionId === 'null', a.status]).sort(), [[false, 'adopted'], [true, 'adopted']]);
    assert.deepEqual((await manifestRows(home)).map((r) => [r.versionId === 'null', r.sha256, r.size]).sort(),
      [[false, sha(after), after.length], [true, sha(before), before.length]]);
    assert.equal((await awsTags(bucket, 'doc', 'null'))['sse3-fp'], kc.fingerprint);
    const out = join(home.dir, 'work', 'doc.null');
    await ok(['get', `s3://${bucket}/doc`, '--version-id', 'null', out], { home });
    assert.deepEqual(readFileSync(out), before);

    // Every version goes, the null one included, and no delete marker is left.
    await ok(['rm', `s3://${bucket}/doc`, '--all-versions', '--yes'], { home });
    assert.deepEqual(await awsVersions(bucket), { versions: [], markers: 0 });
    assert.deepEqual(await manifestRows(home), []);
  });

test('versioning suspended: a put replaces the null version and its record; rm replaces it with a marker, and its record goes',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('nulls');
    const k = await makeKeyFile(home, 'k');
    await enableVersioning(bucket);
    const v1 = (await putData(home, `s3://${bucket}/o`, randomBytes(50), k.ref)).versionId;
    await enableVersioning(bucket, 'Suspended');
    await putData(home, `s3://${bucket}/o`, randomBytes(60), k.ref);
    await putData(home, `s3://${bucket}/o`, randomBytes(70), k.ref);
    assert.deepEqual((await manifestRows(home)).map((r) => [r.versionId, r.size]).sort(), [[v1, 50], ['null', 70]].sort());
    const rm = ndjson((await ok(['rm', `s3://${bucket}/o`, '--json'], { home })).out)[0];
    assert.equal(rm.markerCreated, 'null');
    const listed = await awsVersions(bucket);
    assert.deepEqual([listed.versions.map((v) => v[1]), listed.markers], [[v1], 1]);
    assert.deepEqual((await manifestRows(home)).map((r) => r.versionId), [v1], 'the null version is gone, and so is its record');
  });

function s3(bucket: string): string {
  return `s3://${bucket}`;
}
