import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, run, putData } from './harness.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

interface VerifyObject { url: string; versionId: string | null; fingerprint: string; status: string; detail?: string }

test('verify: a status per object version, exit codes by the worst problem, and one JSON document', async () => {
  const home = newHome();
  const bucket = await newBucket('ver');
  const key = await makeKeyFile(home, 'k.key');
  const away = await makeKeyFile(home, 'away.key', { inKeyDir: false });
  const s3 = await import('@aws-sdk/client-s3');
  await putData(home, `s3://${bucket}/good/a`, randomBytes(100), key.ref);
  await putData(home, `s3://${bucket}/nokey/b`, randomBytes(100), away.ref);
  // The home remembers the file a key was used from: removed, the key is not available here.
  rmSync(away.path);
  await putData(home, `s3://${bucket}/gone/c`, randomBytes(100), key.ref);
  await (await adminClient()).send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: 'gone/c' }));

  /** verify --json on the one object under a prefix: exit code, and the document's shape and verdict. */
  const check = async (object: string, code: number, status: string, fingerprint: string) => {
    const r = await run(['verify', `s3://${bucket}/${object.split('/')[0]}/`, '--json'], { home });
    assert.equal(r.code, code, `${object}: ${r.stderr}`);
    const summary = r.summary();
    assert.equal(summary.ok, code === 0);
    assert.equal(summary.deep, false);
    assert.deepEqual(r.items().map((o: VerifyObject) => [o.url, o.versionId, o.fingerprint, o.status]),
      [[`s3://${bucket}/${object}`, 'null', fingerprint, status]]);
    assert.equal(summary.counts[status], 1);
    assert.equal(Object.values(summary.counts as Record<string, number>).reduce((a, b) => a + b), 1);
    assert.equal(code === 0 ? undefined : r.error().exitCode, code === 0 ? undefined : code, 'the error line last');
    return r;
  };
  await check('good/a', 0, 'ok', key.fingerprint);
  const nokey = await check('nokey/b', 3, 'key-unavailable', away.fingerprint);
  assert.match(nokey.stderr, /1 of 1 object version\(s\) are not OK/);
  await check('gone/c', 1, 'missing', key.fingerprint);

  const all = await run(['verify', `s3://${bucket}`], { home });
  assert.equal(all.code, 3, 'a key problem outranks a missing object');
  // What is OK on stdout; what is not, and the summary, on stderr.
  assert.match(all.out, new RegExp(`^✓ OK  s3://${bucket}/good/a  key ${key.fingerprint}\n$`));
  assert.match(all.stderr, new RegExp(`✗ key not available here  s3://${bucket}/nokey/b  key ${away.fingerprint}`));
  assert.match(all.stderr, new RegExp(`✗ object missing  s3://${bucket}/gone/c`));
  assert.match(all.stderr, /3 object version\(s\) checked: 1 OK, 2 not OK/);
});

test('verify checks in parallel and reports in the manifest\'s order: lines, the JSON document, and the worst problem', async () => {
  const home = newHome();
  const bucket = await newBucket('vord');
  const key = await makeKeyFile(home, 'k.key');
  const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}`);
  mkdirSync(join(home.dir, 'work', 'many'));
  for (const n of names) writeFileSync(join(home.dir, 'work', 'many', n), randomBytes(64 + names.indexOf(n)));
  await ok(['cp', '--recursive', 'many', `s3://${bucket}/many/`, '--key', key.ref], { home });
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: 'many/f17' }));
  const urls = names.map((n) => `s3://${bucket}/many/${n}`);

  const human = await run(['verify', `s3://${bucket}`, '--jobs', '8'], { home });
  assert.equal(human.code, 1, human.stderr);
  const lines = human.out.trim().split('\n');
  assert.deepEqual(lines.map((l) => /s3:\/\/\S+/.exec(l)![0]), urls.filter((u) => !u.endsWith('/f17')), 'one line per version, in key order');
  assert.ok(lines.every((l) => l.startsWith('✓ OK  ')));
  assert.match(human.stderr, new RegExp(`^✗ object missing  s3://${bucket}/many/f17 .*\n40 object version\\(s\\) checked: 39 OK, 1 not OK\n` +
    'error: 1 of 40 object version\\(s\\) are not OK\nhint: see the list above\n$'));
  // -q leaves out what is OK and the summary, never what is not: the list the hint points to is there.
  const quiet = await run(['verify', `s3://${bucket}`, '--jobs', '8', '-q'], { home });
  assert.equal(quiet.code, 1);
  assert.equal(quiet.out, '');
  assert.match(quiet.stderr, new RegExp(`^✗ object missing  s3://${bucket}/many/f17 .*\nerror: 1 of 40 object version\\(s\\) are not OK\n` +
    'hint: see the list above\n$'));

  const json = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(json.code, 1);
  const summary = json.summary();
  assert.deepEqual(Object.keys(summary), ['deep', 'checked', 'counts', 'ok']);
  assert.deepEqual(json.items().map((o: VerifyObject) => o.url), urls, 'one line per version, in key order');
  assert.deepEqual([summary.counts.ok, summary.counts.missing, summary.ok, summary.checked], [39, 1, false, 40]);
  assert.deepEqual(json.error(), { code: 'BATCH', message: '1 of 40 object version(s) are not OK', hint: 'see the list above', exitCode: 1 });
});

test('verify --deep finds an object overwritten behind sse3\'s back with the same key', async () => {
  const home = newHome();
  const bucket = await newBucket('verd');
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/doc`, randomBytes(2000), key.ref);
  await putData(home, `s3://${bucket}/fine`, randomBytes(2000), key.ref);
  await overwriteEncrypted(bucket, 'doc', randomBytes(2000), key.raw);

  const shallow = await run(['verify', `s3://${bucket}`], { home });
  assert.equal(shallow.code, 0, 'the key still opens it: only a deep check can tell');
  const deep = await run(['verify', `s3://${bucket}`, '--deep', '--json'], { home });
  assert.equal(deep.code, 4, deep.stderr);
  const summary = deep.summary();
  assert.equal(summary.ok, false);
  assert.equal(summary.deep, true);
  assert.equal(summary.counts.corrupt, 1);
  assert.equal(summary.counts.ok, 1);
  const bad = deep.items().find((o: VerifyObject) => o.status === 'corrupt');
  assert.equal(bad.url, `s3://${bucket}/doc`);
  assert.match(bad.detail, /SHA-256 .* does not match/);
});

test('a lost manifest is rebuilt from the objects\' tags; get finds keys and checks SHA-256 again', async () => {
  const home = newHome();
  const [plain, versioned] = await Promise.all([newBucket('reb'), newBucket('rebv', true)]);
  const k1 = await makeKeyFile(home, 'k1.key');
  const k2 = await makeKeyFile(home, 'k2.key');
  const small = randomBytes(1500);
  const big = randomBytes(9 * MiB);
  await putData(home, `s3://${plain}/small`, small, k1.ref);
  await putData(home, `s3://${plain}/dir/big`, big, k2.ref);
  const doc = randomBytes(800);
  const v1 = (await putData(home, `s3://${versioned}/doc`, doc, k1.ref)).versionId;
  const v2 = (await ok(['rotate', `s3://${versioned}/doc`, '--to', k2.ref, '--json'], { home })).json().versionId;
  const s3 = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: plain, Key: 'not-sse3', Body: 'x' }));

  const db = join(home.dir, 'home', 'manifest.db');
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  assert.equal(existsSync(db), false);
  assert.equal((await ok(['manifest', 'list', '--json'], { home })).out, '{"summary":{"ok":true,"entries":0}}\n');

  const r1 = (await ok(['manifest', 'rebuild', `s3://${plain}`, '--json'], { home })).json();
  assert.deepEqual(r1, { ok: true, scope: `s3://${plain}/`, added: 2, updated: 0, unchanged: 0, untagged: 1, denied: 0, movedAside: null });
  const r2 = await ok(['manifest', 'rebuild', `s3://${versioned}`], { home });
  assert.match(r2.out, new RegExp(`rebuilt 2 entries from s3://${versioned}/`));
  const lines = (await ok(['manifest', 'list', '--json'], { home })).out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.at(-1), { summary: { ok: true, entries: 4 } }, 'NDJSON ends with its summary');
  const rows = lines.slice(0, -1);
  assert.equal(rows.length, 4);

  const tagSha = async (bucket: string, key: string, versionId?: string) => {
    const t = await (await adminClient()).send(new s3.GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return t.TagSet?.find((tag) => tag.Key === 'sse3-sha256')?.Value;
  };
  const cases: Array<[string, Buffer, string, string[], string?]> = [
    [`s3://${plain}/small`, small, k1.fingerprint, []],
    [`s3://${plain}/dir/big`, big, k2.fingerprint, []],
    [`s3://${versioned}/doc`, doc, k2.fingerprint, [], v2],
    [`s3://${versioned}/doc`, doc, k1.fingerprint, ['--version-id', v1], v1],
  ];
  for (const [url, data, fingerprint, extra, versionId] of cases) {
    const out = join(home.dir, 'work', 'back');
    const g = (await ok(['get', url, out, '--json', ...extra], { home })).json();
    const [bucket, ...key] = url.slice(5).split('/');
    assert.equal(g.fingerprint, fingerprint, url);
    assert.equal(g.verified, true);
    assert.equal(g.checksumSource, 'manifest');
    assert.equal(g.sha256, await tagSha(bucket, key.join('/'), versionId), 'checked against the SHA-256 the tag carried');
    assert.equal(g.versionId, versionId ?? null);
    assert.equal(sha(readFileSync(out)), sha(data));
  }
  rmSync(home.dir, { recursive: true });
});

test('--key gives extra candidate keys: verify, get, head and cp -r open objects under keys kept outside the key folder', async () => {
  const home = newHome();
  const bucket = await newBucket('cand');
  const written = [await makeKeyFile(home, 'a.key', { inKeyDir: false }), await makeKeyFile(home, 'b.key', { inKeyDir: false })];
  const data = { a: randomBytes(300), b: randomBytes(400) };
  await putData(home, `s3://${bucket}/d/a`, data.a, written[0].ref);
  await putData(home, `s3://${bucket}/d/b`, data.b, written[1].ref);
  // Moved after the uploads: the references the home remembers them at find nothing, so only --key gives them.
  const [a, b] = written.map((k) => {
    renameSync(k.path, `${k.path}.moved`);
    return { ...k, path: `${k.path}.moved`, ref: `file:${k.path}.moved` };
  });

  const without = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(without.code, 3, 'the keys are not where sse3 looks by itself');
  assert.deepEqual(without.items().map((o: VerifyObject) => o.status), ['key-unavailable', 'key-unavailable']);
  const one = await run(['verify', `s3://${bucket}`, '--key', a.ref, '--json'], { home });
  assert.equal(one.code, 3);
  assert.deepEqual(one.items().map((o: VerifyObject) => [o.url, o.status]),
    [[`s3://${bucket}/d/a`, 'ok'], [`s3://${bucket}/d/b`, 'key-unavailable']], 'a key is used only for what it encrypted');
  const both = await run(['verify', `s3://${bucket}`, '--deep', '--key', a.ref, '-k', b.ref, '--json'], { home });
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.summary().counts.ok, 2);

  for (const name of ['a', 'b'] as const) {
    const url = `s3://${bucket}/d/${name}`;
    const got = (await ok(['get', url, `got-${name}`, '--key', a.ref, '--key', b.ref, '--json'], { home })).json();
    assert.equal(got.fingerprint, (name === 'a' ? a : b).fingerprint);
    assert.equal(got.verified, true);
    assert.equal(sha(readFileSync(join(home.dir, 'work', `got-${name}`))), sha(data[name]));
    const h = (await ok(['head', url, '--key', b.ref, '--key', a.ref, '--json'], { home })).json();
    assert.deepEqual([h.fingerprint, h.keyMatches, h.keyFoundBy], [(name === 'a' ? a : b).fingerprint, true, 'option']);
  }
  // One --key that is not the recorded one is still used as given, as always: the server says it does not open it.
  const single = await run(['get', `s3://${bucket}/d/b`, 'nope', '--key', a.ref], { home });
  assert.equal(single.code, 3);
  assert.match(single.stderr, new RegExp(`key ${a.fingerprint} does not open .* encrypted with key ${b.fingerprint}`));

  const down = await run(['cp', '-r', `s3://${bucket}/d/`, 'tree', '--key', a.ref, '--key', b.ref], { home });
  assert.equal(down.code, 0, down.stderr);
  assert.equal(sha(readFileSync(join(home.dir, 'work', 'tree', 'a'))), sha(data.a));
  assert.equal(sha(readFileSync(join(home.dir, 'work', 'tree', 'b'))), sha(data.b));
  const copied = await run(['cp', '-r', `s3://${bucket}/d/`, `s3://${bucket}/e/`, '--source-key', a.ref, '--source-key', b.ref], { home });
  assert.equal(copied.code, 0, copied.stderr);
  const twoDest = await run(['cp', 'tree/a', `s3://${bucket}/x`, '--key', a.ref, '--key', b.ref], { home });
  assert.equal(twoDest.code, 2);
  assert.match(twoDest.stderr, /cp to s3 takes one --key/);
});
