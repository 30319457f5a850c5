// Default keys per bucket or folder (sse3 keys default) and the key references the home remembers: put, cp, sync up
// and rotate without --key encrypt with the longest matching default and say so; aws-cli, given each key, is the
// independent judge of which key encrypted each object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, ok, rememberSecret, rememberSecretText, run, runAws } from './harness.js';

type Key = Awaited<ReturnType<typeof makeKeyFile>>;

/** Which of `keys` opens the object, asked of aws-cli (a keyed HEAD per key): its name, or undefined for none. */
async function openedBy(bucket: string, objectKey: string, keys: Record<string, Key>): Promise<string | undefined> {
  for (const [name, k] of Object.entries(keys)) {
    const r = await runAws(['s3api', 'head-object', '--bucket', bucket, '--key', objectKey, '--sse-customer-algorithm', 'AES256',
      '--sse-customer-key', `fileb://${k.path}`]);
    if (r.code === 0) return name;
  }
  return undefined;
}

function files(home: Home, folder: string, names: string[]): void {
  for (const name of names) {
    const path = join(home.dir, 'work', folder, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `${name} ${randomBytes(8).toString('hex')}`);
  }
}

test('keys default: put, cp, sync up and rotate without --key use the longest matching default, say so, and never override ' +
  'the key an object is recorded under', { timeout: 300_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('defaults');
  const keys = { a: await makeKeyFile(home, 'a.key'), b: await makeKeyFile(home, 'b.key'), c: await makeKeyFile(home, 'c.key') };
  const { a, b, c } = keys;
  files(home, '', ['one.txt']);

  const noDefault = await run(['put', 'one.txt', `s3://${bucket}/one.txt`], { home });
  assert.equal(noDefault.code, 2, noDefault.stderr);
  assert.match(noDefault.stderr, /no key given for .*\n.*sse3 keys default REF s3:\/\//);

  const set = (await ok(['keys', 'default', a.ref, `s3://${bucket}`, '--json'], { home })).json();
  assert.deepEqual([set.scope, set.fingerprint, set.ref, set.replaced], [`s3://${bucket}/`, a.fingerprint, a.ref, null]);
  await ok(['keys', 'default', b.ref, `s3://${bucket}/private`], { home });
  const listed = (await ok(['keys', 'default', '--json'], { home })).json().defaults;
  assert.deepEqual(listed.map((d: any) => [d.scope, d.fingerprint]), [[`s3://${bucket}/`, a.fingerprint], [`s3://${bucket}/private/`, b.fingerprint]]);

  // put: the bucket's default, then the folder's, each said with where it came from.
  const put = await ok(['put', 'one.txt', `s3://${bucket}/one.txt`], { home });
  assert.match(put.stderr, new RegExp(`key ${a.fingerprint} \\(${a.ref}\\): the default key of s3://${bucket}/`));
  const putPrivate = await ok(['put', 'one.txt', `s3://${bucket}/private/one.txt`, '--json'], { home });
  assert.deepEqual([putPrivate.json().fingerprint, putPrivate.json().keyRef, putPrivate.json().keyDefault],
    [b.fingerprint, b.ref, `s3://${bucket}/private/`]);
  // --key wins over any default.
  await ok(['put', 'one.txt', `s3://${bucket}/private/given.txt`, '--key', c.ref], { home });

  // cp -r and sync up: each object takes the longest default of its own key.
  files(home, 'tree', ['top.txt', 'private/inner.txt', 'deep/x.txt']);
  const cp = await ok(['cp', '-r', 'tree', `s3://${bucket}/`], { home });
  assert.match(cp.stderr, new RegExp(`default key of s3://${bucket}/private/`));
  files(home, 'photos', ['p1.jpg', 'p2.jpg']);
  await ok(['sync', 'photos', `s3://${bucket}/photos/`], { home });

  const expected: Record<string, string> = { 'one.txt': 'a', 'private/one.txt': 'b', 'private/given.txt': 'c', 'top.txt': 'a',
    'private/inner.txt': 'b', 'deep/x.txt': 'a', 'photos/p1.jpg': 'a', 'photos/p2.jpg': 'a' };
  for (const [objectKey, name] of Object.entries(expected)) assert.equal(await openedBy(bucket, objectKey, keys), name, objectKey);

  // The bucket's default changes: reading still uses each object's recorded key; rotate without --to moves to the new one.
  await ok(['keys', 'default', c.ref, `s3://${bucket}/`], { home });
  const got = await ok(['get', `s3://${bucket}/one.txt`, '-'], { home });
  assert.match(got.out, /^one\.txt /);
  const rotated = await ok(['rotate', `s3://${bucket}/one.txt`], { home });
  assert.match(rotated.stderr, new RegExp(`key ${c.fingerprint} .*the default key of s3://${bucket}/`));
  assert.equal(await openedBy(bucket, 'one.txt', keys), 'c');
  const rotatedDeep = await ok(['rotate', `s3://${bucket}/deep/`, '-r'], { home });
  assert.match(rotatedDeep.stderr, new RegExp(`the default key of s3://${bucket}/`));
  assert.equal(await openedBy(bucket, 'deep/x.txt', keys), 'c');

  // A default whose file now holds another key is refused before anything is written.
  const changed = await makeKeyFile(home, 'changed.key', { inKeyDir: false });
  await ok(['keys', 'default', changed.ref, `s3://${bucket}/changed/`], { home });
  const other = randomBytes(32);
  rememberSecret(other);
  writeFileSync(changed.path, other, { mode: 0o600 });
  const refused = await run(['put', 'one.txt', `s3://${bucket}/changed/one.txt`], { home });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, new RegExp(`${changed.ref} now holds the key [0-9a-f]{20}; nothing was written`));
  const head = await runAws(['s3api', 'head-object', '--bucket', bucket, '--key', 'changed/one.txt']);
  assert.ok(head.code !== 0 && /Not Found|404/.test(head.stderr), `nothing written: ${head.stderr}`);

  // --unset: the folder's objects fall back to the bucket's default.
  const unset = (await ok(['keys', 'default', '--unset', `s3://${bucket}/private/`, '--json'], { home })).json();
  assert.equal(unset.fingerprint, b.fingerprint);
  await ok(['put', 'one.txt', `s3://${bucket}/private/after.txt`], { home });
  assert.equal(await openedBy(bucket, 'private/after.txt', keys), 'c');
  const again = await run(['keys', 'default', '--unset', `s3://${bucket}/private/`], { home });
  assert.equal(again.code, 2, again.stderr);
});

test('sync up without --key: an unchanged object under a sibling folder\'s default is counted against its own folder\'s ' +
  'default, and the advice is rotate without --to', { timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('syncdefaults');
  const top = await makeKeyFile(home, 'top.key');
  const sub = await makeKeyFile(home, 'sub.key');
  files(home, 'tree', ['x.txt', 'sub/y.txt']);
  const tree = join(home.dir, 'work', 'tree');
  // Everything written under the sub-folder's key first: x.txt is then under a key that is not its folder's default.
  await ok(['sync', tree, `s3://${bucket}/p/`, '--key', sub.ref], { home });
  await ok(['keys', 'default', top.ref, `s3://${bucket}/p/`], { home });
  await ok(['keys', 'default', sub.ref, `s3://${bucket}/p/sub/`], { home });
  const again = await ok(['sync', tree, `s3://${bucket}/p/`], { home });
  const said = again.stderr.split('\n').filter((l) => /unchanged object\(s\) are under key/.test(l));
  assert.deepEqual(said, [`warning: 1 unchanged object(s) are under key ${sub.fingerprint}, not the default key of their folder ` +
    `(${sub.ref} for s3://${bucket}/p/sub/, ${top.ref} for s3://${bucket}/p/); sync does not re-key unchanged objects — ` +
    `sse3 rotate s3://${bucket}/p/ -r does`]);
  // The advice, followed: each object goes to its own folder's default, and the next sync has nothing to say.
  await ok(['rotate', `s3://${bucket}/p/`, '-r'], { home });
  assert.equal(await openedBy(bucket, 'p/x.txt', { top, sub }), 'top');
  assert.equal(await openedBy(bucket, 'p/sub/y.txt', { top, sub }), 'sub');
  const quiet = await ok(['sync', tree, `s3://${bucket}/p/`], { home });
  assert.doesNotMatch(quiet.stderr, /unchanged object\(s\) are under key/);
});

test('a key used from outside the key folder is remembered: later commands find it there, and the "cannot find" error names ' +
  'where it was last seen', { timeout: 300_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('remember');
  const elsewhere = await makeKeyFile(home, 'elsewhere.key', { inKeyDir: false });
  files(home, 'photos', ['a.jpg', 'sub/b.jpg']);
  await ok(['sync', 'photos', `s3://${bucket}/p/`, '--key', elsewhere.ref], { home });

  // No --key: the key is found at the reference it was used from.
  await ok(['sync', `s3://${bucket}/p/`, 'restored'], { home });
  for (const name of ['a.jpg', 'sub/b.jpg']) {
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'restored', name)), readFileSync(join(home.dir, 'work', 'photos', name)));
  }

  // Moved away: the error says where it was last seen.
  renameSync(elsewhere.path, `${elsewhere.path}.moved`);
  const gone = await run(['get', `s3://${bucket}/p/a.jpg`, 'a.jpg'], { home });
  assert.equal(gone.code, 3, gone.stderr);
  assert.match(gone.stderr, new RegExp(`needs the key with fingerprint ${elsewhere.fingerprint}, which sse3 cannot find; it was last seen ` +
    `at ${elsewhere.ref} \\(key file ${elsewhere.path} does not exist\\)`));
  assert.match(gone.stderr, new RegExp(`hint: put it back at ${elsewhere.ref}`));

  // Another key at that path is never taken for it.
  const other = randomBytes(32);
  rememberSecret(other);
  writeFileSync(elsewhere.path, other, { mode: 0o600 });
  const replaced = await run(['get', `s3://${bucket}/p/a.jpg`, 'a.jpg'], { home });
  assert.equal(replaced.code, 3, replaced.stderr);
  assert.match(replaced.stderr, new RegExp(`last seen at ${elsewhere.ref} \\(it now holds another key \\([0-9a-f]{20}\\)\\)`));

  renameSync(`${elsewhere.path}.moved`, elsewhere.path);
  await ok(['get', `s3://${bucket}/p/a.jpg`, 'a.jpg'], { home });
});

test('keys list: where each key lives, its fingerprint, recorded object versions, the default scopes it serves and when it ' +
  'was last used', { timeout: 300_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const bucket = await newBucket('keyslist');
  const folder = await makeKeyFile(home, 'folder.key');
  const elsewhere = await makeKeyFile(home, 'elsewhere.key', { inKeyDir: false });
  const spare = await makeKeyFile(home, 'spare.key', { inKeyDir: false });
  files(home, '', ['f.txt']);
  await ok(['put', 'f.txt', `s3://${bucket}/one`, '--key', folder.ref], { home });
  await ok(['put', 'f.txt', `s3://${bucket}/two`, '--key', folder.ref], { home });
  await ok(['put', 'f.txt', `s3://${bucket}/three`, '--key', elsewhere.ref], { home });
  await ok(['keys', 'default', spare.ref, `s3://${bucket}/spare`], { home });
  await ok(['keys', 'default', folder.ref, `s3://${bucket}`], { home });

  // The keychain may hold keys of other homes: only this home's keys are looked at.
  const mine = [folder.fingerprint, elsewhere.fingerprint, spare.fingerprint];
  const listed = (await ok(['keys', 'list', '--json'], { home })).json().keys.filter((k: any) => mine.includes(k.fingerprint));
  const byFp = Object.fromEntries(listed.map((k: any) => [k.fingerprint, k]));
  assert.deepEqual(Object.keys(byFp).sort(), [...mine].sort());
  const [f, e, s] = [byFp[folder.fingerprint], byFp[elsewhere.fingerprint], byFp[spare.fingerprint]];
  assert.deepEqual([f.ref, f.objects, f.defaults, f.available], [folder.ref, 2, [`s3://${bucket}/`], true]);
  assert.deepEqual([e.ref, e.objects, e.defaults, e.available], [elsewhere.ref, 1, [], true]);
  assert.deepEqual([s.ref, s.objects, s.defaults, s.available, s.lastUsed], [spare.ref, 0, [`s3://${bucket}/spare/`], true, null]);
  assert.ok(Date.parse(f.lastUsed) > Date.now() - 600_000 && Date.parse(e.lastUsed) > Date.now() - 600_000, JSON.stringify(listed));

  const human = (await ok(['keys', 'list'], { home })).out.split('\n');
  const line = human.find((l) => l.includes(spare.fingerprint));
  assert.match(line ?? '', new RegExp(`^${spare.ref} +${spare.fingerprint}  0 recorded object version\\(s\\)  default of s3://${bucket}/spare/  never used here$`));
  assert.match(human.find((l) => l.includes(folder.fingerprint)) ?? '', /2 recorded object version\(s\)  default of s3:\/\/\S+\/  last used \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

  // A remembered key no longer at its reference is listed where it was last seen, as not there.
  renameSync(elsewhere.path, `${elsewhere.path}.moved`);
  const gone = (await ok(['keys', 'list', '--json'], { home })).json().keys.find((k: any) => k.fingerprint === elsewhere.fingerprint);
  assert.deepEqual([gone.ref, gone.available, gone.objects], [elsewhere.ref, false, 1]);
});

test('keys rm never removes a key that is some scope\'s default, not even with --force; after --unset it may', { timeout: 120_000 },
  async (t) => {
    const home = newHome();
    t.after(() => rmSync(home.dir, { recursive: true, force: true }));
    const bucket = await newBucket('default-rm');
    const k = await makeKeyFile(home, 'served.key');
    await ok(['keys', 'default', k.ref, `s3://${bucket}/docs`], { home });
    // A scope holding what looks like a key is refused unquoted: the home would show it in every later listing.
    const typed = randomBytes(32).toString('hex');
    rememberSecretText(typed);
    const shaped = await run(['keys', 'default', k.ref, `s3://${bucket}/${typed}/f`, '--json'], { home });
    assert.equal(shaped.code, 2, shaped.stderr);
    assert.match(shaped.error().message, /that scope holds what looks like a key/);
    assert.deepEqual((await ok(['keys', 'default', '--json'], { home })).json().defaults.map((d: { scope: string }) => d.scope),
      [`s3://${bucket}/docs/`]);
    for (const extra of [[], ['--force']]) {
      const r = await run(['keys', 'rm', k.ref, '--yes', ...extra, '--json'], { home });
      assert.equal(r.code, 1, `keys rm ${extra.join(' ')}\n${r.stderr}`);
      assert.equal(r.error().code, 'KEY_IN_USE');
      assert.match(r.stderr, new RegExp(`is the default key of s3://${bucket}/docs/`));
      assert.match(r.stderr, new RegExp(`sse3 keys default --unset s3://${bucket}/docs/`));
      assert.equal(readFileSync(k.path).length > 0, true, 'the key file is still there');
    }
    await ok(['keys', 'default', '--unset', `s3://${bucket}/docs/`], { home });
    await ok(['keys', 'rm', k.ref, '--yes'], { home });
    assert.throws(() => readFileSync(k.path), /ENOENT/);
  });
