// sse3 rm: objects go, and so do their manifest rows, so verify stays green.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeKeyFile, manifestRows, ndjson, newBucket, newHome, ok, putData, run, serverVersions } from './harness.js';

async function serverKeys(bucket: string): Promise<string[]> {
  const { versions, deleteMarkers } = await serverVersions(bucket);
  return [...versions, ...deleteMarkers].map((v) => v.Key!).sort();
}

test('rm --recursive: refused without a terminal unless --yes; --dry-run deletes nothing; rows go with the objects; retire advice',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('rm');
    const k1 = await makeKeyFile(home, 'k1');
    const k2 = await makeKeyFile(home, 'k2');
    await putData(home, `s3://${bucket}/old/a`, randomBytes(10), k1.ref);
    await putData(home, `s3://${bucket}/old/b`, randomBytes(10), k1.ref);
    await putData(home, `s3://${bucket}/old-not/c`, randomBytes(10), k1.ref);
    await putData(home, `s3://${bucket}/keep`, randomBytes(10), k2.ref);

    const refused = await run(['rm', `s3://${bucket}/old`, '--recursive'], { home });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: rm --recursive would delete 2 object version\(s\) and there is no terminal to confirm it\nhint: confirm with --yes, or see what would go with --dry-run/m);
    const dry = await ok(['rm', `s3://${bucket}/old`, '--recursive', '--dry-run'], { home });
    assert.equal(dry.out, `(dry run) would delete s3://${bucket}/old/a\n(dry run) would delete s3://${bucket}/old/b\n`);
    assert.match(dry.stderr, /dry run: 2 object version\(s\) would be deleted; nothing was/);
    assert.deepEqual(await serverKeys(bucket), ['keep', 'old-not/c', 'old/a', 'old/b']);
    assert.equal((await manifestRows(home)).length, 4);

    const r = await ok(['rm', `s3://${bucket}/old`, '--recursive', '--yes', '--json'], { home });
    const lines = ndjson(r.out);
    assert.deepEqual(lines.slice(0, -1).map((l) => [l.key, l.forgotten]).sort(), [['old/a', [k1.fingerprint]], ['old/b', [k1.fingerprint]]]);
    assert.deepEqual(lines.at(-1), { summary: { ok: true, succeeded: 2, failed: 0, retirableFingerprints: [], retirement: [] } }, 'old-not/c still needs k1');
    assert.deepEqual(await serverKeys(bucket), ['keep', 'old-not/c']);
    assert.deepEqual((await manifestRows(home)).map((x) => x.key).sort(), ['keep', 'old-not/c']);
    await ok(['verify', `s3://${bucket}`], { home });

    const last = await ok(['rm', `s3://${bucket}/old-not/c`], { home });
    assert.match(last.out, new RegExp(`✓ deleted s3://${bucket}/old-not/c`));
    assert.match(last.stderr, new RegExp(`no object recorded here needs key ${k1.fingerprint}; before retiring it, check every bucket ` +
      `that may use it: sse3 keys usage ${k1.fingerprint} s3://${bucket} --versions`));
    assert.deepEqual((await manifestRows(home)).map((x) => x.key), ['keep']);
    await ok(['verify'], { home });
  });

test('rm in a versioned bucket: a plain rm leaves a marker and every row; --version-id and --all-versions remove versions and rows',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('rmv', true);
    const key = await makeKeyFile(home, 'k');
    const v1 = (await putData(home, `s3://${bucket}/doc`, randomBytes(10), key.ref)).versionId;
    const v2 = (await putData(home, `s3://${bucket}/doc`, randomBytes(10), key.ref)).versionId;
    const v3 = (await putData(home, `s3://${bucket}/doc`, randomBytes(10), key.ref)).versionId;
    const hidden = (await ok(['rm', `s3://${bucket}/doc`, '--json'], { home })).out;
    const first = ndjson(hidden)[0];
    assert.match(first.markerCreated, /\S/);
    assert.deepEqual(first.forgotten, []);
    assert.equal((await manifestRows(home)).length, 3, 'every version is still there, and so is its row');
    await ok(['verify', `s3://${bucket}`], { home });

    const one = ndjson((await ok(['rm', `s3://${bucket}/doc`, '--version-id', v1, '--json'], { home })).out)[0];
    assert.deepEqual([one.versionId, one.forgotten], [v1, [key.fingerprint]]);
    assert.deepEqual((await manifestRows(home)).map((x) => x.versionId).sort(), [v2, v3].sort());
    const missing = await run(['rm', `s3://${bucket}/doc`, '--version-id', v1], { home });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`error: s3://${bucket}/doc has no version ${v1}\nhint: see its versions with: sse3 ls s3://${bucket}/doc --versions`));

    const all = await ok(['rm', `s3://${bucket}/doc`, '--all-versions', '--yes', '--json'], { home });
    const done = ndjson(all.out);
    assert.equal(done.filter((l) => l.deleteMarker).length, 1, 'the delete marker goes too');
    assert.deepEqual(done.at(-1).summary.retirableFingerprints, [], 'not on this manifest\'s word alone');
    assert.deepEqual(done.at(-1).summary.retirement.map((c: { fingerprint: string; retirable: boolean }) => [c.fingerprint, c.retirable]),
      [[key.fingerprint, false]]);
    assert.deepEqual(await serverKeys(bucket), []);
    assert.deepEqual(await manifestRows(home), []);
  });

test('rm refuses bad input with one clear message and deletes nothing', async () => {
  const home = newHome();
  const bucket = await newBucket('rmb');
  const key = await makeKeyFile(home, 'k');
  await putData(home, `s3://${bucket}/dir/x`, randomBytes(10), key.ref);
  const cases: Array<[string[], number, RegExp]> = [
    [['rm', `s3://${bucket}/nothere`], 1, /s3:\/\/.*\/nothere does not exist\nhint: /],
    [['rm', `s3://${bucket}/dir/`], 2, /names a folder, not an object\nhint: delete everything under it with: sse3 rm .* --recursive/],
    [['rm', `s3://${bucket}`], 2, /names a folder/],
    [['rm', 's3://no-such-bucket-w10rm/x', '--recursive', '--yes'], 1, /bucket of s3:\/\/no-such-bucket-w10rm\/x\/ does not exist/],
    [['rm', `s3://${bucket}/dir/x`, '--endpoint-url', 'http://127.0.0.1:1'], 2, /refusing to send an SSE-C key over plain HTTP/],
    [['rm', `s3://${bucket}/dir/x`, '--version-id', 'v', '--recursive'], 2, /--version-id names one version of one object/],
  ];
  for (const [args, code, message] of cases) {
    const r = await run(args, { home });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal((await manifestRows(home)).length, 1);
  assert.deepEqual(await serverKeys(bucket), ['dir/x']);
});
