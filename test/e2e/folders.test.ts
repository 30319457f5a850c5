// A folder named where one object is expected says so, with the --recursive form to run; a download's missing folder
// is made only once the object is known to exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, putData, randomName, run } from './harness.js';

test('a folder named without --recursive (rotate s3://b/t/, rm s3://b/t, get s3://b/t) says to add --recursive', async () => {
  const home = newHome();
  const bucket = await newBucket('folders');
  const key = await makeKeyFile(home, 'f.key');
  const next = await makeKeyFile(home, 'next.key');
  for (const name of ['t/a.txt', 't/b.txt', 'top.txt']) await putData(home, `s3://${bucket}/${name}`, randomBytes(50), key.ref);
  const folder = `s3://${bucket}/t/`;

  for (const target of [folder, `s3://${bucket}/t`]) {
    const r = await run(['rotate', target, '--to', next.ref], { home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: "?s3:\/\/\S+ names a folder.*, not an object$/m);
    assert.match(r.stderr, new RegExp(`^hint: rotate everything under it: add --recursive \\(sse3 rotate ${folder} --recursive --to REF\\)$`, 'm'));
  }
  const rm = await run(['rm', `s3://${bucket}/t`], { home });
  assert.equal(rm.code, 2, rm.stderr);
  assert.match(rm.stderr, new RegExp(`^error: s3://${bucket}/t names a folder \\(${folder}\\), not an object$`, 'm'));
  assert.match(rm.stderr, new RegExp(`^hint: delete everything under it with: sse3 rm ${folder} --recursive$`, 'm'));
  const get = await run(['get', `s3://${bucket}/t`], { home });
  assert.equal(get.code, 2, get.stderr);
  assert.match(get.stderr, new RegExp(`^hint: download everything under it with: sse3 cp --recursive ${folder} DIR$`, 'm'));
  const head = await run(['head', `s3://${bucket}/t`], { home });
  assert.match(head.stderr, new RegExp(`^hint: see what is in it with: sse3 ls ${folder}$`, 'm'));

  // Nothing was touched, and a name that is neither an object nor a folder is still "does not exist".
  const listed = (await ok(['ls', '-r', `s3://${bucket}`, '--json'], { home })).out;
  for (const name of ['t/a.txt', 't/b.txt', 'top.txt']) assert.ok(listed.includes(`"${name}"`), name);
  const missing = await run(['rm', `s3://${bucket}/nothing`], { home });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /does not exist/);
});

test('get s3://b/x out/ makes the missing folder out/ once the object is known to exist; sync makes nothing for a missing source', async () => {
  const home = newHome();
  const bucket = await newBucket('folders');
  const key = await makeKeyFile(home, 'f.key');
  const data = randomBytes(300);
  await putData(home, `s3://${bucket}/t/a.txt`, data, key.ref);
  const work = join(home.dir, 'work');

  await ok(['get', `s3://${bucket}/t/a.txt`, 'out/'], { home });
  assert.ok(readFileSync(join(work, 'out', 'a.txt')).equals(data));
  await ok(['cp', `s3://${bucket}/t/a.txt`, 'deep/er/'], { home });
  assert.ok(readFileSync(join(work, 'deep', 'er', 'a.txt')).equals(data));

  // An object that is not there: no folder made.
  const absent = await run(['get', `s3://${bucket}/t/absent.txt`, 'made/not/'], { home });
  assert.equal(absent.code, 1, absent.stderr);
  assert.equal(existsSync(join(work, 'made')), false, 'no folder for an object that does not exist');
  // A file name whose folder is missing is still refused: only a destination ending in "/" names a folder to make.
  const file = await run(['get', `s3://${bucket}/t/a.txt`, 'nofolder/a.txt'], { home });
  assert.notEqual(file.code, 0);
  assert.match(file.stderr, /folder of \S*\/nofolder\/a\.txt does not exist/);
  assert.equal(existsSync(join(work, 'nofolder')), false);

  const nobucket = await run(['sync', `s3://${randomName('nobucket')}/p/`, 'nb/'], { home });
  assert.equal(nobucket.code, 1, nobucket.stderr);
  assert.match(nobucket.stderr, /does not exist/);
  assert.equal(existsSync(join(work, 'nb')), false, 'nothing made locally for a source that is not there');
  await ok(['sync', `s3://${bucket}/t/`, 'synced/'], { home });
  assert.ok(readFileSync(join(work, 'synced', 'a.txt')).equals(data));
});
