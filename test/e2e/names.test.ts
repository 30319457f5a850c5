// Object keys S3 allows that a file system does not take as they are: each object gets its own local path or fails
// naming itself (never two objects in one file); non-printable characters are escaped on the terminal, kept in JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AWS_CLI, type Home, makeKeyFile, newBucket, newHome, ok, putData, run, runAws, jsonOutput } from './harness.js';

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

const failedUrls = (out: string) => jsonOutput(out).items().filter((l) => l.ok === false).map((l) => l.url).sort();

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

/** Keys that printed raw would split a line or rewrite the screen. */
const UNPRINTABLE = ['nl\nx', 'esc\x1b[2J\x1b[31mpay', 'tab\tz'];
const ESCAPED = ['nl\\nx', 'esc\\033[2J\\033[31mpay', 'tab\\tz'];
const RAW = /[\x00-\x08\x0b-\x1f\x7f]/;

test('human output escapes every non-printable character of a key or path (ls -b); JSON keeps the exact key', async () => {
  const home = newHome();
  const bucket = await newBucket('names');
  const key = await makeKeyFile(home, 'k.key');
  const put = [];
  for (const k of UNPRINTABLE) put.push(await run(['put', '-', `s3://${bucket}/${k}`, '--key', key.ref], { home, input: `content of ${k}` }));
  for (const [i, r] of put.entries()) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, `✓ put s3://${bucket}/${ESCAPED[i]}  ${`content of ${UNPRINTABLE[i]}`.length} B  key ${key.fingerprint}\n`);
  }
  if (AWS_CLI) {
    const listed = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).Contents.map((o: { Key: string }) => o.Key).sort(), [...UNPRINTABLE].sort());
  }

  const ls = await ok(['ls', `s3://${bucket}`], { home });
  const lsLines = ls.out.trimEnd().split('\n');
  assert.equal(lsLines.length, UNPRINTABLE.length, `one line per object:\n${ls.out}`);
  for (const name of ESCAPED) assert.ok(lsLines.some((l) => l.endsWith(`  ${name}`)), `${name} in:\n${ls.out}`);
  assert.doesNotMatch(ls.out, RAW);
  const lsJson = (await ok(['ls', `s3://${bucket}`, '--json'], { home })).items();
  assert.deepEqual(lsJson.map((o) => o.key).sort(), [...UNPRINTABLE].sort(), 'JSON keeps the exact keys');

  // A download's line names the object and the file it wrote, escaped; the file has the key's exact name.
  const dest = join(home.dir, 'work', 'got');
  mkdirSync(dest);
  const got = await ok(['get', `s3://${bucket}/${UNPRINTABLE[0]}`, `${dest}/`], { home });
  assert.equal(got.out.split('\n').length, 2, got.out);
  assert.match(got.out, new RegExp(`^✓ get s3://${bucket}/nl\\\\nx → ${dest}/nl\\\\nx  `));
  assert.equal(readFileSync(join(dest, UNPRINTABLE[0]), 'utf8'), `content of ${UNPRINTABLE[0]}`);

  // A batch's lines, and an error message, the same way.
  const cp = await ok(['cp', '-r', `s3://${bucket}`, join(home.dir, 'all')], { home });
  assert.doesNotMatch(cp.out + cp.stderr, RAW);
  for (const name of ESCAPED) assert.match(cp.out, new RegExp(`^✓ s3://${bucket}/${name.replace(/[\\[]/g, '\\$&')} → `, 'm'));
  const missing = await run(['get', `s3://${bucket}/gone\x1b[2J`, join(home.dir, 'x')], { home });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /gone\\033\[2J/);
  assert.doesNotMatch(missing.stderr, RAW);
  const rm = await ok(['rm', `s3://${bucket}/${UNPRINTABLE[1]}`], { home });
  assert.match(rm.out + rm.stderr, /esc\\033\[2J\\033\[31mpay/);
  assert.doesNotMatch(rm.out + rm.stderr, RAW);
});

test('an object whose key ends in "/" with content counts in every scan; get, head and rm name it with --exact', async () => {
  const home = newHome();
  const bucket = await newBucket('names');
  const key = await makeKeyFile(home, 'k.key');
  const rawPath = join(home.dir, 'raw.key');
  writeFileSync(rawPath, key.raw, { mode: 0o600 });
  const empty = join(home.dir, 'empty');
  writeFileSync(empty, '');
  // aws-cli writes them: two SSE-C objects (one whose key ends in "/"), and an empty folder marker.
  for (const [k, body, sse] of [['dir/', 'folder object', true], ['dir/a', 'inside', true], ['marker/', '', false]] as const) {
    const file = join(home.dir, 'body');
    writeFileSync(file, body);
    const r = await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', k, '--body', file,
      ...(sse ? ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${rawPath}`] : [])]);
    assert.equal(r.code, 0, r.stderr);
  }
  const ndjson = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

  const adopted = ndjson((await ok(['adopt', `s3://${bucket}`, '--key', key.ref, '--json'], { home })).out);
  assert.deepEqual(adopted.filter((l) => l.status === 'adopted').map((l) => l.key).sort(), ['dir/', 'dir/a']);
  const usage = (await ok(['keys', 'usage', `s3://${bucket}`, '--json'], { home })).json();
  assert.deepEqual(usage.keys.map((k: { fingerprint: string; objects: number }) => [k.fingerprint, k.objects]), [[key.fingerprint, 2]]);

  const listed = (await ok(['ls', `s3://${bucket}/dir/`], { home })).out.trimEnd().split('\n');
  assert.equal(listed.length, 2, listed.join('\n'));
  assert.ok(listed.some((l) => l.endsWith('  dir/')) && listed.some((l) => l.endsWith('  a')), listed.join('\n'));

  const folder = await run(['get', `s3://${bucket}/dir/`, 'out'], { home });
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /names a folder, not an object\nhint: .*for the object whose key ends in "\/", add --exact/);
  const noName = await run(['get', `s3://${bucket}/dir/`, '--exact'], { home });
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /has no file name to take in \.: its key ends in "\/"\nhint: give the local file name to write/);
  await ok(['get', `s3://${bucket}/dir/`, 'out', '--exact'], { home });
  assert.equal(readFileSync(join(home.dir, 'work', 'out'), 'utf8'), 'folder object');
  const head = (await ok(['head', `s3://${bucket}/dir/`, '--exact', '--json'], { home })).json();
  assert.equal(head.size, 'folder object'.length);

  const dest = join(home.dir, 'down');
  const down = await run(['cp', '-r', `s3://${bucket}`, dest, '--json'], { home });
  assert.equal(down.code, 1, down.stderr);
  assert.deepEqual(files(dest), { 'dir/a': 'inside' });
  const failed = down.items().filter((l) => l.ok === false);
  assert.deepEqual(failed.map((l) => l.url), [`s3://${bucket}/dir/`]);
  assert.match(failed[0].error.message, /cannot be a file under .*: its key ends in "\/"; not written/);

  // sync up with --delete: a key with no local name has no local file to be compared with, so it is never deleted.
  const up = ndjson((await ok(['sync', dest, `s3://${bucket}`, '--delete', '--key', key.ref, '--json'], { home })).out);
  assert.deepEqual(up.filter((l) => l.action === 'delete'), []);
  assert.equal(up.at(-1).summary.skipped, 1, JSON.stringify(up.at(-1)));

  const dry = ndjson((await ok(['rm', `s3://${bucket}`, '-r', '--dry-run', '--json'], { home })).out);
  assert.deepEqual(dry.filter((l) => l.key !== undefined).map((l) => l.key).sort(), ['dir/', 'dir/a'], 'the empty marker is no object');
  const folderRm = await run(['rm', `s3://${bucket}/dir/`], { home });
  assert.equal(folderRm.code, 2);
  assert.match(folderRm.stderr, /only the object whose key ends in "\/", with: sse3 rm s3:\/\/.*\/dir\/ --exact/);
  await ok(['rm', `s3://${bucket}/dir/`, '--exact'], { home });
  const left = await runAws(['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json']);
  assert.deepEqual(JSON.parse(left.stdout).Contents.map((o: { Key: string }) => o.Key).sort(), ['dir/a', 'marker/']);
});
