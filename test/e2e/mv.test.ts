// sse3 mv: cp's copy (the same checks), then the source deleted only once the copy is confirmed, the manifest following
// both. aws-cli is the independent judge of which objects are there; the manifest's rows are read with manifest list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, run, runAws, stoppedAt } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** The keys aws-cli lists in a bucket (current objects). */
async function awsKeys(bucket: string): Promise<string[]> {
  const r = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout || '{}').Contents ?? []).map((o: { Key: string }) => o.Key).sort();
}

/** The manifest's rows, as url → fingerprint. */
async function rows(home: Home): Promise<Record<string, string>> {
  const listed = (await ok(['manifest', 'list', '--json'], { home })).items();
  return Object.fromEntries(listed.map((r) => [r.url, r.fingerprint]));
}

test('mv local → s3, s3 → s3 (re-keying) and s3 → local: each source deleted with its row, each destination recorded', async () => {
  const home = newHome();
  const [a, b] = await Promise.all([newBucket('mva'), newBucket('mvb')]);
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  const work = join(home.dir, 'work');
  const data = { small: randomBytes(3000), big: randomBytes(12 * MiB + 5) };
  for (const [name, d] of Object.entries(data)) writeFileSync(join(work, name), d);

  for (const name of Object.keys(data) as Array<keyof typeof data>) {
    const up = (await ok(['mv', name, `s3://${a}/in/`, '--key', k1.ref, '--json'], { home })).json();
    assert.deepEqual([up.ok, up.moved, up.url, up.fingerprint, up.sha256], [true, true, `s3://${a}/in/${name}`, k1.fingerprint, sha(data[name])]);
    assert.equal(existsSync(join(work, name)), false, 'the uploaded file is gone');
  }
  assert.deepEqual(await awsKeys(a), ['in/big', 'in/small']);
  assert.deepEqual(await rows(home), { [`s3://${a}/in/big`]: k1.fingerprint, [`s3://${a}/in/small`]: k1.fingerprint });

  // s3 → s3 into another bucket under another key: the source and its row go, the copy is recorded under k2.
  for (const name of Object.keys(data)) {
    const moved = (await ok(['mv', `s3://${a}/in/${name}`, `s3://${b}/out/${name}`, '--key', k2.ref, '--json'], { home })).json();
    assert.deepEqual([moved.moved, moved.source, moved.url, moved.fingerprint, moved.sourceMarkerCreated],
      [true, `s3://${a}/in/${name}`, `s3://${b}/out/${name}`, k2.fingerprint, null]);
  }
  assert.deepEqual(await awsKeys(a), []);
  assert.deepEqual(await awsKeys(b), ['out/big', 'out/small']);
  assert.deepEqual(await rows(home), { [`s3://${b}/out/big`]: k2.fingerprint, [`s3://${b}/out/small`]: k2.fingerprint });

  // s3 → local: downloaded and verified, then the object and its row go.
  const human = await ok(['mv', `s3://${b}/out/small`, 'back/'], { home });
  assert.match(human.out, /source deleted/);
  const down = (await ok(['mv', `s3://${b}/out/big`, 'back/big', '--json'], { home })).json();
  assert.deepEqual([down.moved, down.verified, down.path], [true, true, join(work, 'back', 'big')]);
  for (const [name, d] of Object.entries(data)) assert.equal(sha(readFileSync(join(work, 'back', name))), sha(d));
  assert.deepEqual(await awsKeys(b), []);
  assert.deepEqual(await rows(home), {});
});

test('a copy that fails leaves the source and its row in place: wrong key, missing bucket, a folder that is not there', async () => {
  const home = newHome();
  const bucket = await newBucket('mvfail');
  const k1 = await makeKeyFile(home, 'k1.key');
  const other = await makeKeyFile(home, 'other.key', { inKeyDir: false });
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'f'), 'content');
  await ok(['put', 'f', `s3://${bucket}/obj`, '--key', k1.ref], { home });
  const before = await rows(home);

  const wrongKey = await run(['mv', `s3://${bucket}/obj`, `s3://${bucket}/moved`, '--source-key', other.ref, '--json'], { home });
  assert.equal(wrongKey.code, 3, wrongKey.stderr);
  assert.equal(wrongKey.error().code, 'WRONG_KEY');
  const noBucket = await run(['mv', `s3://${bucket}/obj`, 's3://no-such-bucket-sse3-mv/obj', '--json'], { home });
  assert.equal(noBucket.code, 1, noBucket.stderr);
  const noFolder = await run(['mv', `s3://${bucket}/obj`, 'missing/folder/file'], { home });
  assert.equal(noFolder.code, 1, noFolder.stderr);
  assert.match(noFolder.stderr, /does not exist/);
  assert.deepEqual(await awsKeys(bucket), ['obj'], 'the source is there, and no copy');
  assert.deepEqual(await rows(home), before, 'and its row');

  const noBucketUp = await run(['mv', 'f', 's3://no-such-bucket-sse3-mv/f', '--key', k1.ref], { home });
  assert.equal(noBucketUp.code, 1, noBucketUp.stderr);
  assert.equal(readFileSync(join(work, 'f'), 'utf8'), 'content', 'the file stays');

  // Refused before anything is read (exit 2): onto itself, overlapping prefixes, standard input or output, two local paths.
  for (const args of [['mv', `s3://${bucket}/obj`, `s3://${bucket}/obj`], ['mv', `s3://${bucket}/obj`, `s3://${bucket}/`],
    ['mv', '-r', `s3://${bucket}/a/`, `s3://${bucket}/a/b/`], ['mv', '-r', `s3://${bucket}`, `s3://${bucket}/x/`],
    ['mv', `s3://${bucket}/obj`, '-'], ['mv', '-', `s3://${bucket}/x`, '--key', k1.ref], ['mv', 'f', 'g']]) {
    const r = await run(args, { home });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.deepEqual(await awsKeys(bucket), ['obj']);
  assert.deepEqual(await rows(home), before);
});

test('mv --recursive: each object moved on its own; one whose copy fails stays, reported as cp -r reports it', async () => {
  const home = newHome();
  const [src, dst] = await Promise.all([newBucket('mvrs'), newBucket('mvrd')]);
  const k1 = await makeKeyFile(home, 'k1.key');
  const work = join(home.dir, 'work');
  mkdirSync(join(work, 'tree', 'sub'), { recursive: true });
  const files: Record<string, Buffer> = { 'one': randomBytes(10), 'sub/two': randomBytes(2000), 'sub/three': randomBytes(6 * MiB) };
  for (const [rel, d] of Object.entries(files)) writeFileSync(join(work, 'tree', rel), d);
  // A dangling link fails as its own item (cp -r's rule): it is not a source that was copied, so it stays.
  symlinkSync(join(work, 'nowhere'), join(work, 'tree', 'dangling'));

  const up = await run(['mv', '-r', 'tree', `s3://${src}/t/`, '--key', k1.ref, '--json'], { home });
  assert.equal(up.code, 1, up.stderr);
  assert.deepEqual(up.summary(), { succeeded: 3, failed: 1, ok: false });
  assert.equal(up.items().find((j) => j.ok === false)?.error.code, 'LOCAL_IO');
  assert.ok(up.items().filter((j) => j.ok).every((j) => j.moved === true));
  for (const rel of Object.keys(files)) assert.equal(existsSync(join(work, 'tree', rel)), false, `${rel} moved`);
  assert.ok(existsSync(join(work, 'tree', 'sub')), 'folders stay, as aws s3 mv leaves them');
  assert.deepEqual(await awsKeys(src), ['t/one', 't/sub/three', 't/sub/two']);

  // One object overwritten outside sse3 under a key this home does not have: its copy fails (exit 3), it stays with
  // its record; the others move.
  await overwriteEncrypted(src, 't/sub/two', Buffer.from('other'), randomBytes(32));
  const across = await run(['mv', '-r', `s3://${src}/t/`, `s3://${dst}/t/`, '--json'], { home });
  assert.equal(across.code, 3, across.stderr);
  assert.deepEqual(across.summary(), { succeeded: 2, failed: 1, ok: false });
  assert.equal(across.items().find((j) => j.ok === false)?.source, `s3://${src}/t/sub/two`);
  assert.deepEqual(await awsKeys(src), ['t/sub/two']);
  assert.deepEqual(await awsKeys(dst), ['t/one', 't/sub/three']);
  const recorded = await rows(home);
  assert.deepEqual(Object.keys(recorded).sort(), [`s3://${dst}/t/one`, `s3://${dst}/t/sub/three`, `s3://${src}/t/sub/two`]);

  const down = await run(['mv', '-r', `s3://${dst}/t/`, 'restored', '--json'], { home });
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(down.summary(), { succeeded: 2, failed: 0, plain: 0, ok: true });
  for (const rel of ['one', 'sub/three']) assert.equal(sha(readFileSync(join(work, 'restored', rel))), sha(files[rel]));
  assert.deepEqual(await awsKeys(dst), []);
  assert.deepEqual(Object.keys(await rows(home)), [`s3://${src}/t/sub/two`]);
});

test('mv in a versioned bucket hides the source behind a delete marker: its versions and their rows remain, as rm leaves them',
  async () => {
    const home = newHome();
    const bucket = await newBucket('mvver', true);
    const k1 = await makeKeyFile(home, 'k1.key');
    writeFileSync(join(home.dir, 'work', 'f'), 'v1');
    const put = (await ok(['put', 'f', `s3://${bucket}/a`, '--key', k1.ref, '--json'], { home })).json();
    const moved = (await ok(['mv', `s3://${bucket}/a`, `s3://${bucket}/b`, '--json'], { home })).json();
    assert.equal(typeof moved.sourceMarkerCreated, 'string');
    const listing = JSON.parse((await runAws(['s3api', 'list-object-versions', '--bucket', bucket])).stdout);
    assert.deepEqual(listing.Versions.filter((v: any) => v.Key === 'a').map((v: any) => v.VersionId), [put.versionId]);
    assert.deepEqual(listing.DeleteMarkers.map((m: any) => [m.Key, m.IsLatest]), [['a', true]]);
    assert.deepEqual(await awsKeys(bucket), ['b']);
    const listed = (await ok(['manifest', 'list', '--json'], { home })).items().map((r) => [r.key, r.versionId]).sort();
    assert.deepEqual(listed, [['a', put.versionId], ['b', moved.versionId]]);

    // --version-id moves that one version out: copied to its new key, then deleted for good (its row with it).
    const out = (await ok(['mv', `s3://${bucket}/a`, '--version-id', put.versionId, `s3://${bucket}/c`, '--json'], { home })).json();
    assert.deepEqual([out.sourceVersionId, out.sourceMarkerCreated, out.sha256], [put.versionId, null, put.sha256]);
    const after = JSON.parse((await runAws(['s3api', 'list-object-versions', '--bucket', bucket])).stdout);
    assert.deepEqual(after.Versions.filter((v: any) => v.Key === 'a'), [], 'the version is gone');
    assert.deepEqual(await awsKeys(bucket), ['b', 'c']);
    const rowsNow = (await ok(['manifest', 'list', '--json'], { home })).items().map((r) => r.key).sort();
    assert.deepEqual(rowsNow, ['b', 'c']);
  });

test('the source is deleted only after the copy is confirmed and recorded: killed there, both stay; a file changed there stays',
  async (t) => {
    const home = newHome();
    const bucket = await newBucket('mvfault');
    const k1 = await makeKeyFile(home, 'k1.key');
    const work = join(home.dir, 'work');
    writeFileSync(join(work, 'f'), 'first');
    await ok(['put', 'f', `s3://${bucket}/src`, '--key', k1.ref], { home });

    // Killed between the copy and the delete: the copy is recorded, the source is still there with its row.
    const killed = await run(['mv', `s3://${bucket}/src`, `s3://${bucket}/dst`], { home, env: { SSE3_FAULT: 'move-copied' } });
    assert.equal(killed.signal, 'SIGKILL');
    assert.deepEqual(await awsKeys(bucket), ['dst', 'src']);
    assert.deepEqual(await rows(home), { [`s3://${bucket}/dst`]: k1.fingerprint, [`s3://${bucket}/src`]: k1.fingerprint });

    // A file written to after its upload was confirmed is kept: what it holds now was never stored.
    const moving = await stoppedAt(t, 'move-copied', home, ['mv', 'f', `s3://${bucket}/up`, '--key', k1.ref, '--json']);
    writeFileSync(join(work, 'f'), 'edited meanwhile');
    const r = await moving.resume();
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error().code, 'CHANGED');
    assert.match(r.error().message, /copied, but the source .* was not deleted/);
    assert.equal(readFileSync(join(work, 'f'), 'utf8'), 'edited meanwhile');
    assert.equal((await ok(['get', `s3://${bucket}/up`, '-'], { home })).out, 'first', 'the copy made stays');
  });
