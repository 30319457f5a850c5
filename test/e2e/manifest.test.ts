// The manifest as a file: damage, the way back (rebuild, import), rolling backups, export and import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Home, makeKeyFile, newBucket, newHome, ok, putData, rememberSecret, run } from './harness.js';

const manifestFile = (home: Home) => join(home.dir, 'home', 'manifest.db');
const backupsOf = (home: Home) => {
  const dir = join(home.dir, 'home', 'backups');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.db')).sort().map((n) => join(dir, n)) : [];
};
const rows = async (home: Home) => (await ok(['manifest', 'list', '--json'], { home })).out.split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { bucket: string; key: string; versionId: string; fingerprint: string; sha256: string; summary?: unknown })
  .filter((r) => !r.summary);
const keysIn = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT key FROM objects ORDER BY key').pluck().all() as string[]);
  } finally {
    db.close();
  }
};

test('a damaged manifest is named with the way back, changes nothing, and manifest rebuild moves it aside (never deletes it)',
  async () => {
    const home = newHome();
    const bucket = await newBucket('dmg');
    const key = await makeKeyFile(home, 'k.key');
    const data = randomBytes(500);
    await putData(home, `s3://${bucket}/a`, data, key.ref);
    await putData(home, `s3://${bucket}/b`, randomBytes(50), key.ref);
    const garbage = randomBytes(8192);
    writeFileSync(manifestFile(home), garbage);

    for (const args of [['get', `s3://${bucket}/a`, 'out'], ['verify'], ['manifest', 'list'], ['put', 'x', `s3://${bucket}/c`, '--key', key.ref]]) {
      if (args[0] === 'put') writeFileSync(join(home.dir, 'work', 'x'), 'x');
      const r = await run([...args, '--json'], { home });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`error: the manifest ${manifestFile(home)} is damaged \\(file is not a database\\); nothing was changed`));
      assert.match(r.stderr, /hint: restore the newest backup with: sse3 manifest import .*backups\/manifest-.*\.db, or rebuild .*sse3 manifest rebuild s3:\/\/BUCKET/);
      assert.doesNotMatch(r.stderr, /unexpected error|bug/);
      assert.equal(r.json().error.code, 'MANIFEST_DAMAGED');
      assert.deepEqual(readFileSync(manifestFile(home)), garbage, 'left as it was');
    }
    assert.ok(!existsSync(join(home.dir, 'work', 'out')));

    const rebuilt = await run(['manifest', 'rebuild', `s3://${bucket}`, '--json'], { home });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const report = rebuilt.json();
    assert.equal(report.added, 2);
    assert.match(report.movedAside, /manifest\.db\.damaged-\d{8}T\d{9}Z$/);
    assert.match(rebuilt.stderr, /the damaged manifest was moved aside to .* \(kept, not deleted\)/);
    assert.deepEqual(readFileSync(report.movedAside), garbage, 'the damaged file is kept, byte for byte');
    const got = (await ok(['get', `s3://${bucket}/a`, 'out', '--json'], { home })).json();
    assert.equal(got.verified, true);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'out')), data);
  });

test('rolling backups: at most one a day, the newest 7 kept, each a complete manifest; import restores one', async () => {
  const home = newHome();
  const bucket = await newBucket('bak');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/one`, randomBytes(10), key.ref);
  assert.deepEqual(backupsOf(home), [], 'an empty manifest is not backed up');
  await putData(home, `s3://${bucket}/two`, randomBytes(10), key.ref);
  const [first] = backupsOf(home);
  assert.ok(first, 'the first run on a manifest with entries backs it up');
  assert.deepEqual(keysIn(first), ['one'], 'a backup holds the manifest as it was when the run started');
  await putData(home, `s3://${bucket}/three`, randomBytes(10), key.ref);
  assert.equal(backupsOf(home).length, 1, 'not more than one a day');

  // Age the backups: every run then makes a new one, and only the newest 7 stay.
  for (let i = 0; i < 9; i++) {
    for (const b of backupsOf(home)) utimesSync(b, new Date(Date.now() - 2 * 86400_000), new Date(Date.now() - 2 * 86400_000));
    await ok(['head', `s3://${bucket}/one`], { home });
  }
  const kept = backupsOf(home);
  assert.equal(kept.length, 7);
  assert.ok(!kept.includes(first), 'the oldest went');
  assert.deepEqual(keysIn(kept.at(-1)!), ['one', 'three', 'two']);
  assert.deepEqual(readdirSync(join(home.dir, 'home', 'backups')).filter((n) => !n.startsWith('manifest-')), [], 'no partial copies left');

  // Lost manifest: importing the newest backup brings every record back.
  writeFileSync(manifestFile(home), randomBytes(4096));
  const imported = await run(['manifest', 'import', kept.at(-1)!, '--json'], { home });
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual([imported.json().added, imported.json().alreadyRecorded], [3, 0]);
  assert.match(imported.json().movedAside, /\.damaged-/);
  assert.deepEqual((await rows(home)).map((r) => r.key).sort(), ['one', 'three', 'two']);
  await ok(['verify', `s3://${bucket}`], { home });
});

test('manifest import reads back what export wrote: the same rows and latest versions, open rotations left out with a word; ' +
  'bad files change nothing',
  async () => {
    const home = newHome();
    const bucket = await newBucket('imp', true);
    const k1 = await makeKeyFile(home, 'k1.key');
    const k2 = await makeKeyFile(home, 'k2.key');
    const v1 = await putData(home, `s3://${bucket}/doc`, randomBytes(100), k1.ref);
    const v2 = await putData(home, `s3://${bucket}/doc`, randomBytes(120), k2.ref);
    await putData(home, `s3://${bucket}/other`, randomBytes(10), k1.ref);
    const killed = await run(['rotate', `s3://${bucket}/other`, '--to', k2.ref], { home, env: { SSE3_FAULT: 'rotate-journalled' } });
    assert.equal(killed.signal, 'SIGKILL');
    const exported = (await ok(['manifest', 'export'], { home })).out;
    writeFileSync(join(home.dir, 'export.json'), exported);

    const fresh = newHome();
    const imported = await ok(['manifest', 'import', join(home.dir, 'export.json'), '--json'], { home: fresh });
    const r = imported.json();
    assert.deepEqual([r.added, r.alreadyRecorded, r.notImported], [3, 0, { rotations: 1, uploads: 0 }]);
    assert.match(imported.stderr, /warning: 1 open rotation\(s\) in .*export\.json not imported: an interrupted rotation is finished by sse3 rotate --resume on the machine that started it/);
    assert.deepEqual(await rows(fresh), await rows(home));
    const back = JSON.parse((await ok(['manifest', 'export'], { home: fresh })).out);
    const before = JSON.parse(exported);
    assert.deepEqual(back.objects, before.objects);
    assert.deepEqual(back.pendingRotations, [], 'the interrupted rotation stays with the manifest that started it');
    // The latest version is still the latest: get without --version-id finds k2.
    const head = (await ok(['head', `s3://${bucket}/doc`, '--key', k2.ref, '--json'], { home: fresh })).json();
    assert.equal(head.manifest.versionId, v2.versionId);
    assert.notEqual(head.manifest.versionId, v1.versionId);

    const again = (await ok(['manifest', 'import', join(home.dir, 'export.json'), '--json'], { home: fresh })).json();
    assert.deepEqual([again.added, again.alreadyRecorded], [0, 3], 'importing twice adds nothing');
    assert.match(again.backup, /backups\/manifest-.*\.db$/, 'the manifest before an import is backed up');

    const bad = JSON.parse(exported);
    bad.objects[1].fingerprint = 'not-a-fingerprint';
    writeFileSync(join(home.dir, 'bad.json'), JSON.stringify(bad));
    const raw = randomBytes(32);
    rememberSecret(raw);
    writeFileSync(join(home.dir, 'key.b64'), raw.toString('base64'));
    for (const [file, message] of [['bad.json', /objects\[1\]\.fingerprint is not a valid fingerprint/], ['key.b64', /not JSON/],
      ['missing.json', /cannot read/]] as const) {
      const res = await run(['manifest', 'import', join(home.dir, file)], { home: fresh });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, message);
    }
    assert.deepEqual(await rows(fresh), await rows(home), 'nothing imported from a bad file');
  });
