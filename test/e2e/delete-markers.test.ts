// Objects deleted in a versioned bucket (a delete marker is their current version) keep their versions: sse3 skips the
// marker where there is nothing current to act on, and counts the versions as keys usage and aws-cli do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, ndjson, newBucket, newHome, ok, putData, run, runAws } from './harness.js';

async function awsListing(bucket: string): Promise<{ versions: number; markers: Array<{ key: string; versionId: string; latest: boolean }> }> {
  const r = await runAws(['s3api', 'list-object-versions', '--bucket', bucket]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout || '{}');
  return { versions: (doc.Versions ?? []).length,
    markers: (doc.DeleteMarkers ?? []).map((m: any) => ({ key: m.Key, versionId: m.VersionId, latest: m.IsLatest })) };
}

test('rotate --fingerprint skips a deleted object (never an error, every run) and counts its versions as keys usage does',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('dmrot', true);
    const ka = await makeKeyFile(home, 'ka');
    const kb = await makeKeyFile(home, 'kb');
    await putData(home, `s3://${bucket}/gone`, randomBytes(100), ka.ref);
    await putData(home, `s3://${bucket}/gone`, randomBytes(100), ka.ref);
    await putData(home, `s3://${bucket}/kept`, randomBytes(100), ka.ref);
    await ok(['rm', `s3://${bucket}/gone`], { home });
    const listed = await awsListing(bucket);
    assert.deepEqual([listed.versions, listed.markers.length], [3, 1]);

    for (const pass of [1, 2]) {
      const r = await ok(['rotate', '--fingerprint', ka.fingerprint, '--to', kb.ref, '--json'], { home });
      const lines = ndjson(r.out);
      const items = lines.slice(0, -1);
      const gone = items.find((l) => l.url === `s3://${bucket}/gone`);
      assert.deepEqual([gone?.status, gone?.olderVersionsWithOldKey, gone?.oldFingerprint], ['deleted', 2, ka.fingerprint], `pass ${pass}`);
      assert.deepEqual(items.filter((l) => l.url !== gone.url).map((l) => l.status), pass === 1 ? ['rotated'] : [], `pass ${pass}`);
      const summary = lines.at(-1).summary;
      // gone's two versions, and kept's version from before its rotation.
      assert.deepEqual([summary.failed, summary.deleted, summary.olderVersionsWithOldKey], [0, 1, 3], `pass ${pass}`);
      const usage = (await ok(['keys', 'usage', `s3://${bucket}`, '--versions', '--json'], { home })).json();
      assert.equal(usage.keys.find((k: any) => k.fingerprint === ka.fingerprint)?.versions, summary.olderVersionsWithOldKey,
        'the rotation summary and keys usage agree');
    }
    const human = await ok(['rotate', '--fingerprint', ka.fingerprint, '--to', kb.ref], { home });
    assert.match(human.out + human.stderr, new RegExp(`s3://${bucket}/gone: deleted \\(its current version is a delete marker\\), nothing to rotate`));
    assert.match(human.stderr, new RegExp(`3 older version\\(s\\) of 2 object\\(s\\) still need key ${ka.fingerprint}`));
  });

test('delete markers: ls --versions marks them; get and head of a marker or a missing version say which; rm --version-id MARKER undeletes',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('dmark', true);
    const k = await makeKeyFile(home, 'k');
    const data = randomBytes(300);
    const v1 = (await putData(home, `s3://${bucket}/doc`, data, k.ref)).versionId;
    const marker = ndjson((await ok(['rm', `s3://${bucket}/doc`, '--json'], { home })).out)[0].markerCreated;
    assert.deepEqual((await awsListing(bucket)).markers, [{ key: 'doc', versionId: marker, latest: true }]);

    const ls = (await ok(['ls', `s3://${bucket}`, '--versions', '--json'], { home })).items();
    assert.deepEqual(ls.map((l) => [l.type, l.versionId, l.isLatest]).sort(), [['deleteMarker', marker, true], ['object', v1, false]]);
    const human = (await ok(['ls', `s3://${bucket}`, '--versions'], { home })).out;
    assert.match(human, new RegExp(`delete marker +doc  ${marker} \\(latest\\)`));

    const out = join(home.dir, 'work', 'doc.out');
    for (const [args, what] of [[['get', `s3://${bucket}/doc`, '--version-id', marker, out], 'get'],
      [['head', `s3://${bucket}/doc`, '--version-id', marker], 'head']] as const) {
      const r = await run([...args], { home });
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`error: s3://${bucket}/doc version ${marker} is a delete marker \\(the object was deleted there\\)`), what);
    }
    assert.equal(existsSync(out), false, 'nothing written');
    const missing = 'notAVersionOfThisObject0123456789';
    for (const args of [['get', `s3://${bucket}/doc`, '--version-id', missing, out], ['head', `s3://${bucket}/doc`, '--version-id', missing],
      ['rm', `s3://${bucket}/doc`, '--version-id', missing]]) {
      const r = await run(args, { home });
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`error: s3://${bucket}/doc has no version ${missing}`), args[0]);
    }

    const undelete = ndjson((await ok(['rm', `s3://${bucket}/doc`, '--version-id', marker, '--json'], { home })).out)[0];
    assert.deepEqual([undelete.versionId, undelete.deleteMarker, undelete.forgotten], [marker, true, []]);
    assert.deepEqual((await awsListing(bucket)), { versions: 1, markers: [] });
    await ok(['get', `s3://${bucket}/doc`, out], { home });
    assert.deepEqual(readFileSync(out), data);
  });
