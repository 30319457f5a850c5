// One versioned bucket through every bucket-wide command: versions written before versioning was enabled ("null"),
// several versions under different keys, objects written by another tool, delete markers (current and older). After
// each command its counts are checked against what aws-cli's list-object-versions shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, ndjson, newBucket, newHome, ok, putData } from './harness.js';
import { awsListVersions, type AwsVersion, awsPutEncrypted, awsTags, setVersioning } from './versioned.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A command's one JSON document (pretty or compact), or the `summary` of its last NDJSON line. */
const docOf = (out: string): any => {
  try {
    return JSON.parse(out);
  } catch {
    return ndjson(out).at(-1).summary;
  }
};
const items = (out: string) => ndjson(out).filter((l) => !l.summary);
const id = (v: { key: string; versionId: string }) => `${v.key}@${v.versionId}`;
const ids = (vs: Array<{ key: string; versionId: string }>) => vs.map(id).sort();
const latest = (vs: AwsVersion[]) => vs.filter((v) => v.latest);

test('a versioned bucket with null versions, several keys, foreign objects and delete markers, through every bucket-wide command',
  { timeout: 420_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('vscen');
    const url = `s3://${bucket}`;
    const keys = { ka: await makeKeyFile(home, 'ka'), kb: await makeKeyFile(home, 'kb'), kc: await makeKeyFile(home, 'kc'),
      kf: await makeKeyFile(home, 'kf', { inKeyDir: false }) };
    const fp = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, k.fingerprint])) as Record<keyof typeof keys, string>;
    const aFirst = randomBytes(300);
    // Before versioning: a and b under ka, f by another tool under kf (no sse3 tags).
    await putData(home, `${url}/a`, aFirst, keys.ka.ref);
    await putData(home, `${url}/b`, randomBytes(310), keys.ka.ref);
    await awsPutEncrypted(home, bucket, 'f', randomBytes(320), keys.kf.raw);
    await setVersioning(bucket);
    await putData(home, `${url}/a`, randomBytes(330), keys.kb.ref);
    await ok(['rm', `${url}/b`], { home });
    await putData(home, `${url}/c`, randomBytes(340), keys.ka.ref);
    await putData(home, `${url}/c`, randomBytes(350), keys.kb.ref);
    await putData(home, `${url}/c`, randomBytes(360), keys.ka.ref);
    await putData(home, `${url}/d`, randomBytes(370), keys.kb.ref);
    await ok(['rm', `${url}/d`], { home });
    await putData(home, `${url}/d`, randomBytes(380), keys.kb.ref);
    await awsPutEncrypted(home, bucket, 'f', randomBytes(390), keys.kf.raw);

    let judge = await awsListVersions(bucket);
    assert.deepEqual([judge.versions.length, judge.markers.length], [10, 2]);
    assert.deepEqual(judge.versions.filter((v) => v.versionId === 'null').map((v) => v.key).sort(), ['a', 'b', 'f']);

    // ls --versions: every version and every marker, as aws-cli lists them.
    const listed = items((await ok(['ls', url, '--versions', '--recursive', '--json'], { home })).out);
    assert.deepEqual(ids(listed.filter((l) => l.type === 'object')), ids(judge.versions));
    assert.deepEqual(ids(listed.filter((l) => l.type === 'deleteMarker')), ids(judge.markers));
    assert.deepEqual(ids(listed.filter((l) => l.isLatest)), ids([...latest(judge.versions), ...latest(judge.markers)]));

    // keys usage --versions: by the tags; f's versions are untagged.
    const usage = async (h: Home = home) => (await ok(['keys', 'usage', url, '--versions', '--json'], { home: h })).json();
    const byKey = (u: any) => Object.fromEntries(u.keys.map((k: any) => [k.fingerprint, [k.objects, k.versions]]));
    let u = await usage();
    assert.equal(u.scanned, judge.versions.length);
    assert.deepEqual(byKey(u), { [fp.ka]: [1, 4], [fp.kb]: [2, 4] });
    assert.deepEqual(u.untagged, { objects: 1, versions: 2 });

    // adopt: f's two versions found under kf, every other version already known.
    const adopted = ndjson((await ok(['adopt', url, '--key', keys.kf.ref, '--json'], { home })).out);
    assert.deepEqual(ids(adopted.filter((l) => l.status === 'adopted')), ids(judge.versions.filter((v) => v.key === 'f')));
    assert.deepEqual([adopted.at(-1).summary.adopted, adopted.at(-1).summary.known], [2, judge.versions.length - 2]);
    u = await usage();
    assert.deepEqual(byKey(u), { [fp.ka]: [1, 4], [fp.kb]: [2, 4], [fp.kf]: [1, 2] });
    assert.equal(u.untagged.versions, 0);

    // cp -r: the current version of every object (b is deleted), f's key given, the others' found by their records.
    const copied = ndjson((await ok(['cp', '-r', url, join(home.dir, 'work', 'all'), '--key', keys.kf.ref, '--json'], { home })).out);
    assert.deepEqual(copied.filter((l) => !l.summary).map((l) => l.url).sort(), latest(judge.versions).map((v) => `${url}/${v.key}`).sort());

    // rotate -r: every current version to kc; the given kf is one candidate, the others' keys found by their records. b (deleted)
    // has no current version, so the listing does not show it; its version keeps ka.
    const rotated = ndjson((await ok(['rotate', url, '-r', '--to', keys.kc.ref, '--key', keys.kf.ref, '--json'], { home })).out);
    assert.deepEqual(rotated.filter((l) => l.status === 'rotated').map((l) => l.url).sort(), ['a', 'c', 'd', 'f'].map((k) => `${url}/${k}`));
    assert.deepEqual([rotated.at(-1).summary.succeeded, rotated.at(-1).summary.deleted, rotated.at(-1).summary.failed], [4, 0, 0]);
    judge = await awsListVersions(bucket);
    assert.deepEqual([judge.versions.length, judge.markers.length], [14, 2]);
    u = await usage();
    assert.equal(u.scanned, judge.versions.length);
    assert.deepEqual(byKey(u), { [fp.ka]: [0, 4], [fp.kb]: [0, 4], [fp.kc]: [4, 4], [fp.kf]: [0, 2] });

    // rotate --fingerprint within the bucket: nothing current is left under ka or kb (b, deleted, is skipped); the older
    // versions it says still need each key are those keys usage counts.
    for (const k of ['ka', 'kb'] as const) {
      const byKey = ndjson((await ok(['rotate', url, '--fingerprint', fp[k], '--to', keys.kc.ref, '--json'], { home })).out);
      const summary = byKey.at(-1).summary;
      assert.deepEqual([summary.succeeded, summary.failed, summary.deleted, summary.olderVersionsWithOldKey], [0, 0, k === 'ka' ? 1 : 0, 4], k);
    }
    assert.equal((await awsListVersions(bucket)).versions.length, judge.versions.length, 'nothing was written');

    // verify: every recorded version, each opened by its recorded key.
    const verified = (await ok(['verify', url, '--key', keys.kf.ref, '--json'], { home })).items();
    const named = (rows: any[]) => rows.map((r) => ({ key: r.url.slice(url.length + 1), versionId: r.versionId }));
    assert.deepEqual(ids(named(verified)), ids(judge.versions));
    assert.deepEqual([...new Set(verified.map((o: any) => o.status))], ['ok']);

    // manifest list, rebuild (here: nothing changes; a new home: every version) and pull agree with the tags.
    const rowsOf = async (h: Home) => items((await ok(['manifest', 'list', url, '--json'], { home: h })).out);
    const fingerprints = async (h: Home) => Object.fromEntries((await rowsOf(h)).map((r) => [id(r), r.fingerprint]));
    const here = await fingerprints(home);
    assert.deepEqual(Object.keys(here).sort(), ids(judge.versions));
    for (const v of judge.versions) assert.equal(here[id(v)], (await awsTags(bucket, v.key, v.versionId))['sse3-fp'], id(v));
    const again = docOf((await ok(['manifest', 'rebuild', url, '--json'], { home })).out);
    assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, judge.versions.length]);
    const rebuilt = newHome();
    const fresh = docOf((await ok(['manifest', 'rebuild', url, '--json'], { home: rebuilt })).out);
    assert.deepEqual([fresh.added, fresh.untagged], [judge.versions.length, 0]);
    assert.deepEqual(await fingerprints(rebuilt), here);
    const mate = newHome();
    const pulled = docOf((await ok(['manifest', 'pull', url, '--json'], { home: mate })).out);
    assert.deepEqual([pulled.listed, pulled.recorded, pulled.untagged], [judge.versions.length, judge.versions.length, 0]);
    assert.deepEqual(await fingerprints(mate), here);

    // cp --version-id: a's version from before versioning becomes its current version again, under kc.
    const restored = docOf((await ok(['cp', `${url}/a`, '--version-id', 'null', `${url}/a`, '--key', keys.kc.ref, '--json'], { home })).out);
    assert.deepEqual([restored.sourceVersionId, restored.fingerprint, restored.sha256], ['null', fp.kc, sha(aFirst)]);
    judge = await awsListVersions(bucket);
    assert.deepEqual(latest(judge.versions).filter((v) => v.key === 'a').map((v) => v.versionId), [restored.versionId]);
    const aNow = join(home.dir, 'work', 'a.now');
    await ok(['get', `${url}/a`, aNow], { home });
    assert.deepEqual(readFileSync(aNow), aFirst);

    // rm --noncurrent --fingerprint: the older versions under ka (a's and b's null ones, c's two) go; ka is then retirable here.
    const underKa = judge.versions.filter((v) => !v.latest && here[id(v)] === fp.ka);
    assert.equal(underKa.length, 4);
    const removed = ndjson((await ok(['rm', url, '-r', '--noncurrent', '--fingerprint', fp.ka, '--yes', '--json'], { home })).out);
    assert.deepEqual(ids(removed.filter((l) => !l.summary)), ids(underKa));
    assert.deepEqual(removed.at(-1).summary.retirableFingerprints, [fp.ka]);
    judge = await awsListVersions(bucket);
    assert.deepEqual([judge.versions.length, judge.markers.length], [11, 2]);
    u = await usage();
    assert.equal(u.scanned, judge.versions.length);
    assert.deepEqual(byKey(u), { [fp.kb]: [0, 4], [fp.kc]: [4, 5], [fp.kf]: [0, 2] });
    assert.deepEqual(Object.keys(await fingerprints(home)).sort(), ids(judge.versions), 'the rows of deleted versions went with them');
    const verifiedAfter = (await ok(['verify', url, '--key', keys.kf.ref, '--json'], { home })).items();
    assert.deepEqual([verifiedAfter.length, [...new Set(verifiedAfter.map((o: any) => o.status))]],
      [judge.versions.length, ['ok']]);
    const repulled = docOf((await ok(['manifest', 'pull', url, '--json'], { home: mate })).out);
    assert.deepEqual(ids(named(repulled.removed)), ids(underKa));

    // rm --noncurrent --dry-run (every key): what aws-cli lists as not latest; delete markers are never among them.
    const dry = items((await ok(['rm', url, '-r', '--noncurrent', '--dry-run', '--json'], { home })).out);
    assert.deepEqual(ids(dry), ids(judge.versions.filter((v) => !v.latest)));

    // rm --all-versions: every version and every marker; nothing is left, on the server or in the manifest.
    const all = ndjson((await ok(['rm', url, '-r', '--all-versions', '--yes', '--json'], { home })).out);
    assert.deepEqual(ids(all.filter((l) => !l.summary)), ids([...judge.versions, ...judge.markers]));
    assert.deepEqual(await awsListVersions(bucket), { versions: [], markers: [] });
    assert.deepEqual(await rowsOf(home), []);
    u = await usage();
    assert.deepEqual([u.scanned, u.keys], [0, []]);
    const emptied = docOf((await ok(['manifest', 'pull', url, '--json'], { home: mate })).out);
    assert.deepEqual([emptied.listed, emptied.removed.length], [0, judge.versions.length]);
    assert.deepEqual(await rowsOf(mate), []);
  });
