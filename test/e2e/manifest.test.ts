// The manifest as a file: damage, the way back (rebuild, import), rolling backups, export and import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { BACKUP_EVERY_MS, BACKUP_EVERY_RUN_MAX_BYTES } from '../../src/manifest/backup.js';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';
import { type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData, rememberSecret, run } from './harness.js';

const manifestFile = (home: Home) => join(home.dir, 'home', 'manifest.db');
const backupsOf = (home: Home) => {
  const dir = join(home.dir, 'home', 'backups');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.db')).sort().map((n) => join(dir, n)) : [];
};
const keysIn = (file: string) => {
  const db = new Database(file, { readOnly: true });
  try {
    return (db.prepare('SELECT key FROM objects ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);
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

/** Random bytes over `count` pages of 4 KiB from page `page` on, as dd if=/dev/urandom bs=4096 seek=PAGE conv=notrunc does. */
function damagePages(file: string, page: number, count: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(4096 * count), 0, 4096 * count, 4096 * page);
  } finally {
    closeSync(fd);
  }
}

test('damage inside the manifest (its pages, not its header) is found when any command opens it; rebuild and import ' +
  'move it aside and work', async () => {
  const home = newHome();
  const bucket = await newBucket('pages');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(300);
  await putData(home, `s3://${bucket}/a`, data, key.ref);
  await putData(home, `s3://${bucket}/b`, randomBytes(30), key.ref);
  const [backup] = backupsOf(home).slice(-1);
  assert.ok(backup, 'the runs that wrote left a backup');
  const damage = () => damagePages(manifestFile(home), 3, 5);
  damage();
  const damaged = readFileSync(manifestFile(home));

  for (const args of [['get', `s3://${bucket}/a`, 'out'], ['manifest', 'list'], ['manifest', 'export'], ['ls', `s3://${bucket}`],
    ['verify']]) {
    const r = await run([...args, '--json'], { home });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.json().error.code, 'MANIFEST_DAMAGED', args.join(' '));
    assert.match(r.stderr, /error: the manifest .* is damaged \(SQLite's quick_check finds it damaged: .*\); nothing was changed/);
    assert.match(r.stderr, /hint: restore the newest backup with: sse3 manifest import .*backups\/manifest-.*\.db, or rebuild .*sse3 manifest rebuild s3:\/\/BUCKET/);
    assert.deepEqual(readFileSync(manifestFile(home)), damaged, 'left as it was');
  }
  // keys lists the keys it finds, and says that the counts are unknown and why (never 0 on a manifest it cannot read).
  const keys = await run(['keys', '--json'], { home });
  assert.equal(keys.code, 0, keys.stderr);
  // (The keychain is shared with tests running at the same time: other keys may be listed too.)
  const listed = keys.json().keys as Array<{ fingerprint: string; objects: unknown }>;
  assert.ok(listed.some((k) => k.fingerprint === key.fingerprint), keys.out);
  assert.ok(listed.every((k) => k.objects === null), keys.out);
  assert.match(keys.stderr, /warning: the manifest .* is damaged .*sse3 manifest rebuild s3:\/\/BUCKET.*; recorded object counts are unknown/);

  const rebuilt = await run(['manifest', 'rebuild', `s3://${bucket}`, '--json'], { home });
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.equal(rebuilt.json().added, 2);
  assert.deepEqual(readFileSync(rebuilt.json().movedAside), damaged, 'the damaged file is kept, byte for byte');
  assert.equal((await ok(['get', `s3://${bucket}/a`, 'out', '--json'], { home })).json().verified, true);
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'out')), data);

  damage();
  const imported = await run(['manifest', 'import', backup, '--json'], { home });
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual([imported.json().added, imported.json().alreadyRecorded], [2, 0]);
  assert.match(imported.json().movedAside, /\.damaged-/);
  assert.deepEqual((await manifestRows(home)).map((r) => r.key).sort(), ['a', 'b']);
});

test('rolling backups: after every run that changed the manifest (a big one: at most hourly), the newest 7 kept, each ' +
  'a complete manifest; import restores one', async () => {
  const home = newHome();
  const bucket = await newBucket('bak');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/one`, randomBytes(10), key.ref);
  const [first] = backupsOf(home);
  assert.ok(first, 'the run that recorded an object backs the manifest up as it left it');
  assert.deepEqual(keysIn(first), ['one']);
  await ok(['head', `s3://${bucket}/one`], { home });
  await ok(['ls', `s3://${bucket}`], { home });
  assert.deepEqual(backupsOf(home), [first], 'runs that changed nothing make no backup');
  await putData(home, `s3://${bucket}/two`, randomBytes(10), key.ref);
  assert.equal(backupsOf(home).length, 2);
  assert.deepEqual(keysIn(backupsOf(home).at(-1)!), ['one', 'two'], 'restoring the newest loses nothing');

  for (let i = 0; i < 8; i++) await putData(home, `s3://${bucket}/more-${i}`, randomBytes(10), key.ref);
  const kept = backupsOf(home);
  assert.equal(kept.length, 7);
  assert.ok(!kept.includes(first), 'the oldest went');
  assert.equal(keysIn(kept.at(-1)!).length, 10);
  assert.deepEqual(readdirSync(join(home.dir, 'home', 'backups')).filter((n) => !n.startsWith('manifest-')), [], 'no partial copies left');

  // Lost manifest: importing the newest backup brings every record back.
  writeFileSync(manifestFile(home), randomBytes(4096));
  const imported = await run(['manifest', 'import', kept.at(-1)!, '--json'], { home });
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual([imported.json().added, imported.json().alreadyRecorded], [10, 0]);
  assert.match(imported.json().movedAside, /\.damaged-/);
  assert.equal((await manifestRows(home)).length, 10);
  await ok(['verify', `s3://${bucket}`], { home });
});

test('a manifest bigger than the every-run bound is backed up at most hourly by the runs that change it', async () => {
  const home = newHome();
  const bucket = await newBucket('bigbak');
  const key = await makeKeyFile(home, 'k.key');
  // 80,000 records (over 32 MiB): written straight into the manifest, as many runs would have.
  const m = new ManifestStore(manifestFile(home));
  m.deferRecords(5000, 1000);
  for (let i = 0; i < 80_000; i++) {
    m.record(newEntry({ endpoint: 'https://s3.example.com', bucket: 'big', key: `photos/${i}/IMG_${i}.jpg` },
      { fingerprint: randomBytes(10).toString('hex'), size: i, sha256: randomBytes(32).toString('hex'), etag: randomBytes(16).toString('hex') }));
  }
  m.close();
  for (const b of backupsOf(home)) rmSync(b);
  assert.ok(statSync(manifestFile(home)).size > BACKUP_EVERY_RUN_MAX_BYTES);
  await putData(home, `s3://${bucket}/one`, randomBytes(10), key.ref);
  assert.equal(backupsOf(home).length, 1, 'no backup yet: the run that changed it makes one');
  await putData(home, `s3://${bucket}/two`, randomBytes(10), key.ref);
  assert.equal(backupsOf(home).length, 1, 'the newest is less than an hour old');
  const hourAgo = new Date(Date.now() - BACKUP_EVERY_MS - 60_000);
  utimesSync(backupsOf(home)[0], hourAgo, hourAgo);
  await putData(home, `s3://${bucket}/three`, randomBytes(10), key.ref);
  assert.equal(backupsOf(home).length, 2);
  assert.equal(keysIn(backupsOf(home).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]).length, 80_003);
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
    assert.deepEqual(await manifestRows(fresh), await manifestRows(home));
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
    assert.deepEqual(await manifestRows(fresh), await manifestRows(home), 'nothing imported from a bad file');
  });
