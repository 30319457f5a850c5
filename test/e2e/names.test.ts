// Object keys S3 allows that a file system does not take as they are: each object gets its own local path or fails
// naming itself (never two objects in one file); non-printable characters are escaped on the terminal, kept in JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AWS_CLI, type Home, makeKeyFile, newBucket, newHome, ok, putData, run, runAws } from './harness.js';

/** Every file under dir, as relative path → content. */
function files(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

/** Keys the file system reads as the same path as another key's, each with content of its own. */
const CLASHING = ['x', './x', 'a/b', 'a//b', '/lead', 'lead'];
const WITH_LOCAL_NAME = ['x', 'a/b', 'lead'];

async function clashingBucket(home: Home): Promise<{ bucket: string; ref: string }> {
  const bucket = await newBucket('names');
  const key = await makeKeyFile(home, 'k.key');
  for (const k of CLASHING) await putData(home, `s3://${bucket}/${k}`, Buffer.from(`content of ${k}`), key.ref);
  // The independent judge: six objects, six keys.
  if (AWS_CLI) {
    const listed = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).Contents.map((o: { Key: string }) => o.Key).sort(), [...CLASHING].sort());
  }
  return { bucket, ref: key.ref };
}

const failedUrls = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  .filter((l) => l.ok === false).map((l) => l.source).sort();

for (const command of ['cp', 'sync'] as const) {
  test(`${command} down: keys that share a local path each keep their own; those with no local name fail, named`, async () => {
    const home = newHome();
    const { bucket } = await clashingBucket(home);
    const dest = join(home.dir, `down-${command}`);
    const args = command === 'cp' ? ['cp', '-r', `s3://${bucket}`, dest, '--json'] : ['sync', `s3://${bucket}`, dest, '--json'];
    const r = await run(args, { home });
    assert.notEqual(r.code, 0, `some objects were not written: ${r.stderr}`);
    assert.deepEqual(files(dest), Object.fromEntries(WITH_LOCAL_NAME.map((k) => [k, `content of ${k}`])),
      'each written file holds its own object');
    assert.deepEqual(failedUrls(r.out), ['./x', '/lead', 'a//b'].map((k) => `s3://${bucket}/${k}`).sort());
    for (const k of ['./x', '/lead', 'a//b']) assert.match(r.out, new RegExp(`s3://${bucket}/${k.replace('.', '\\.')} cannot be a file under`));
  });
}

test('get names its file after the key\'s last part only when that is a name: "." and ".." are refused, nothing written', async () => {
  const home = newHome();
  const bucket = await newBucket('names');
  const key = await makeKeyFile(home, 'k.key');
  for (const k of ['up/..', 'here/.']) await putData(home, `s3://${bucket}/${k}`, Buffer.from(k), key.ref);
  const dest = join(home.dir, 'work', 'into');
  mkdirSync(dest);
  for (const k of ['up/..', 'here/.']) {
    for (const to of [[], [dest]]) {
      const r = await run(['get', `s3://${bucket}/${k}`, ...to], { home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`s3://${bucket}/${k.replace('.', '\\.')} has no file name to take in .*: its key has a "\\." or "\\.\\." segment`));
      assert.match(r.stderr, /give the local file name to write/);
    }
  }
  assert.deepEqual(files(dest), {});
  // Given a file name, it is written there.
  await ok(['get', `s3://${bucket}/up/..`, join(dest, 'named')], { home });
  assert.equal(readFileSync(join(dest, 'named'), 'utf8'), 'up/..');
  assert.ok(statSync(join(dest, 'named')).isFile());
});
