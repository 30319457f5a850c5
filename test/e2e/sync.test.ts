// sse3 sync against the real RGW, judged by what the server holds (ETag, LastModified, encryption), by aws-cli
// downloads with the same key, and by the requests sse3 sent (SSE3_REQUEST_LOG) — not only by sse3's own report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  adminClient, AWS_CLI, type Home, jsonOutput, makeKeyFile, ndjson, newBucket, newHome, ok, run, runAws,
} from './harness.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
const skipAws = !AWS_CLI && 'aws-cli not installed';

/** Every regular file under dir: relative path → [SHA-256, mtime in whole ms]. */
function tree(dir: string, opts: { mtimes?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[relative(dir, p)] = sha(readFileSync(p)) + (opts.mtimes ? ` @${Math.round(statSync(p).mtimeMs)}` : '');
    }
  };
  walk(dir);
  return out;
}

function write(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
}

/** The server's view of a prefix: key → "ETag LastModified" (a rewrite changes the time, an edit the ETag too). */
async function serverState(bucket: string, prefix = ''): Promise<Record<string, string>> {
  const s3 = await import('@aws-sdk/client-s3');
  const out: Record<string, string> = {};
  let token: string | undefined;
  do {
    const r = await (await adminClient()).send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out[o.Key!] = `${o.ETag} ${o.LastModified?.toISOString()}`;
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Run sse3 with a request log; returns the result and the S3 operations it sent. */
async function logged(home: Home, args: string[], expectCode = 0): Promise<{ r: Awaited<ReturnType<typeof run>>; requests: string[] }> {
  const log = join(home.dir, `requests-${randomBytes(3).toString('hex')}`);
  const r = await run(args, { home, env: { SSE3_REQUEST_LOG: log } });
  assert.equal(r.code, expectCode, `sse3 ${args.join(' ')}: ${r.stderr}`);
  const requests = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/Command$/, '')) : [];
  return { r, requests };
}

const actions = (out: string) => ndjson(out).filter((l) => !l.summary).map((l) => `${l.action} ${l.url.replace(/^s3:\/\/[^/]+\//, '')}` +
  (l.reason ? ` (${l.reason})` : '')).sort();
const summaryOf = (out: string) => jsonOutput(out).summary();

const awsDownload = async (bucket: string, prefix: string, dir: string, keyPath: string) => {
  const r = await runAws(['s3', 'cp', '--recursive', `s3://${bucket}/${prefix}`, dir, '--sse-c', 'AES256', '--sse-c-key', `fileb://${keyPath}`]);
  assert.equal(r.code, 0, r.stderr);
};

const FILES = {
  'a-b': 'dash', 'a/b': 'slash', 'a.b': 'dot', 'a0': 'zero', 'name with spaces.txt': 'spaces', 'caf\u00e9/\u00e9t\u00e9.txt': 'accents',
  '\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb': 'cjk', '\u{1F600} smile': 'emoji', '\uFFFD': 'replacement', '..hidden..': 'dots',
  'deep/er/still/file': 'deep', 'empty': '',
};

test('up: every file uploaded encrypted; a no-change sync and a touch upload nothing and send only listing requests', { skip: skipAws }, async () => {
  const home = newHome();
  const bucket = await newBucket('syncup');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  const big = randomBytes(11 * MiB + 5);
  write(src, { ...FILES, 'big.bin': big });
  const dst = `s3://${bucket}/backup/`;

  const first = await ok(['sync', src, dst, '--key', key.ref, '--part-size', '5', '--json'], { home });
  const n = Object.keys(FILES).length + 1;
  assert.equal(actions(first.out).length, n);
  assert.ok(actions(first.out).every((a) => a.startsWith('upload ') && a.endsWith(' (new)')));
  assert.deepEqual(summaryOf(first.out), { ok: true, succeeded: n, uploaded: n, downloaded: 0, deleted: 0, unchanged: 0, failed: 0,
    bytes: big.length + Object.values(FILES).reduce((t, v) => t + Buffer.byteLength(v), 0), skipped: 0, dryRun: false });
  const server = await serverState(bucket, 'backup/');
  assert.deepEqual(Object.keys(server).sort(), Object.keys({ ...FILES, 'big.bin': 1 }).map((k) => `backup/${k}`).sort());
  // Encrypted for real: aws-cli needs the key, and with it gets the same bytes back.
  const plain = await runAws(['s3', 'cp', `s3://${bucket}/backup/a-b`, join(home.dir, 'plain')]);
  assert.notEqual(plain.code, 0, 'readable without the key');
  await awsDownload(bucket, 'backup/', join(home.dir, 'aws'), key.path);
  assert.deepEqual(tree(join(home.dir, 'aws')), tree(src));

  // The request log proves nothing was rewritten; the server's listing (ETag and LastModified) agrees.
  const again = await logged(home, ['sync', src, dst, '--key', key.ref, '--json']);
  assert.deepEqual(summaryOf(again.r.out), { ok: true, succeeded: 0, uploaded: 0, downloaded: 0, deleted: 0, unchanged: n, failed: 0, bytes: 0, skipped: 0,
    dryRun: false });
  assert.deepEqual(again.requests, ['ListObjectsV2'], 'one listing page, and no request per object');
  assert.deepEqual(await serverState(bucket, 'backup/'), server);

  const later = new Date(Date.now() + 60_000);
  utimesSync(join(src, 'a-b'), later, later);
  utimesSync(join(src, 'big.bin'), later, later);
  const touched = await logged(home, ['sync', src, dst, '--key', key.ref, '--json']);
  assert.equal(summaryOf(touched.r.out).unchanged, n);
  assert.deepEqual(touched.requests, ['ListObjectsV2'], 'touched files are read locally, not uploaded');
  assert.deepEqual(await serverState(bucket, 'backup/'), server);
  const recorded = ndjson((await ok(['manifest', 'list', `s3://${bucket}/backup/`, '--json'], { home })).out);
  assert.equal(recorded.find((e) => e.key === 'backup/a-b').mtimeMs, later.getTime(), 'the new mtime is recorded');
});

test('up: a same-size edit is uploaded; one that kept its mtime only with --checksum', { skip: skipAws }, async () => {
  const home = newHome();
  const bucket = await newBucket('syncedit');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  write(src, { 'one.txt': 'version 1', 'two.txt': 'version 1', 'three.txt': 'stays' });
  const dst = `s3://${bucket}/p`;
  await ok(['sync', src, dst, '--key', key.ref], { home });
  const before = await serverState(bucket);

  writeFileSync(join(src, 'one.txt'), 'VERSION 1');
  const mtime = statSync(join(src, 'two.txt')).mtime;
  writeFileSync(join(src, 'two.txt'), 'VERSION 1');
  utimesSync(join(src, 'two.txt'), mtime, mtime);
  const edit = await ok(['sync', src, dst, '--key', key.ref, '--json'], { home });
  assert.deepEqual(actions(edit.out), ['upload p/one.txt (content)']);
  const after = await serverState(bucket);
  assert.notEqual(after['p/one.txt'], before['p/one.txt']);
  assert.equal(after['p/two.txt'], before['p/two.txt'], 'same size, same mtime: like aws s3 sync, not seen without --checksum');

  const checked = await ok(['sync', src, dst, '--key', key.ref, '--checksum', '--json'], { home });
  assert.deepEqual(actions(checked.out), ['upload p/two.txt (content)']);
  assert.equal(summaryOf(checked.out).unchanged, 2);
  const final = await serverState(bucket);
  assert.notEqual(final['p/two.txt'], before['p/two.txt']);
  assert.equal(final['p/three.txt'], before['p/three.txt']);
  await awsDownload(bucket, 'p/', join(home.dir, 'aws'), key.path);
  assert.deepEqual(tree(join(home.dir, 'aws')), tree(src));
});

test('--dry-run prints every planned action and changes nothing; --delete removes objects and their records, excluded ones stay', async () => {
  const home = newHome();
  const bucket = await newBucket('syncdel');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  write(src, { 'keep.txt': 'k', 'gone.txt': 'g', 'sub/gone-too.txt': 'g2', 'edit.txt': 'e', 'skip.log': 'l' });
  const dst = `s3://${bucket}/p/`;
  await ok(['sync', src, dst, '--key', key.ref], { home });
  rmSync(join(src, 'gone.txt'));
  rmSync(join(src, 'sub'), { recursive: true });
  rmSync(join(src, 'skip.log'));
  writeFileSync(join(src, 'edit.txt'), 'edited');
  writeFileSync(join(src, 'new.txt'), 'n');
  // Touched, not changed: hashed, found unchanged, nothing to transfer.
  utimesSync(join(src, 'keep.txt'), new Date(), new Date(Date.now() + 60_000));
  const server = await serverState(bucket);
  const manifest = (await ok(['manifest', 'export'], { home })).json().objects;

  const args = ['sync', src, dst, '--key', key.ref, '--delete', '--exclude', '*.log'];
  const dry = await logged(home, [...args, '--dry-run', '--json']);
  assert.deepEqual(actions(dry.r.out), ['delete p/gone.txt', 'delete p/sub/gone-too.txt', 'upload p/edit.txt (size)', 'upload p/new.txt (new)']);
  assert.ok(ndjson(dry.r.out).every((l) => l.summary ? l.summary.dryRun === true : l.dryRun === true));
  assert.deepEqual(dry.requests, ['ListObjectsV2'], 'a dry run only looks');
  assert.deepEqual(await serverState(bucket), server);
  assert.deepEqual((await ok(['manifest', 'export'], { home })).json().objects, manifest);
  const human = await ok([...args, '--dry-run'], { home });
  assert.match(human.out, /· would delete s3:\/\/\S+\/p\/gone\.txt/);
  assert.match(human.out, /· would upload \S+new\.txt → s3:\/\/\S+\/p\/new\.txt {2}1 B {2}\(new\)/);
  assert.match(human.stderr, /dry run, nothing changed: would have 2 uploaded, 0 downloaded, 2 deleted, 1 unchanged/);

  const real = await ok([...args, '--json'], { home });
  assert.deepEqual(actions(real.out), ['delete p/gone.txt', 'delete p/sub/gone-too.txt', 'upload p/edit.txt (size)', 'upload p/new.txt (new)']);
  assert.equal(summaryOf(dry.r.out).bytes, summaryOf(real.out).bytes, 'a dry run counts the bytes the real run transfers');
  assert.equal(summaryOf(real.out).bytes, Buffer.byteLength('edited') + 1);
  assert.deepEqual(Object.keys(await serverState(bucket)).sort(), ['p/edit.txt', 'p/keep.txt', 'p/new.txt', 'p/skip.log']);
  const rows = (await ok(['manifest', 'export'], { home })).json().objects.map((o: { key: string }) => o.key).sort();
  assert.deepEqual(rows, ['p/edit.txt', 'p/keep.txt', 'p/new.txt', 'p/skip.log'], 'deleted objects lose their manifest rows');

  // Without --delete, what only the bucket has stays, and is counted.
  rmSync(join(src, 'keep.txt'));
  const kept = await ok(['sync', src, dst, '--key', key.ref, '--json'], { home });
  assert.equal(summaryOf(kept.out).skipped, 2, 'keep.txt and skip.log stay in the bucket');
  assert.ok('p/keep.txt' in await serverState(bucket));
});

test('round trip: up, then down into an empty folder, gives a byte-identical tree with the original mtimes', async () => {
  const home = newHome();
  const bucket = await newBucket('syncrt');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  write(src, { ...FILES, 'big.bin': randomBytes(6 * MiB + 7) });
  utimesSync(join(src, 'a-b'), new Date(), new Date(1_600_000_000_456));
  await ok(['sync', src, `s3://${bucket}/rt`, '--key', key.ref, '--part-size', '5'], { home });
  const dst = join(home.dir, 'restored');
  const down = await ok(['sync', `s3://${bucket}/rt/`, dst, '--json'], { home });
  assert.equal(summaryOf(down.out).downloaded, Object.keys(FILES).length + 1);
  assert.ok(ndjson(down.out).filter((l) => !l.summary).every((l) => l.verified === true));
  assert.deepEqual(tree(dst, { mtimes: true }), tree(src, { mtimes: true }));
  execFileSync('diff', ['-r', src, dst]);

  // Down again: nothing read from the server but the listing (the written files' checksums are remembered).
  const again = await logged(home, ['sync', `s3://${bucket}/rt/`, dst, '--json']);
  assert.deepEqual(again.requests, ['ListObjectsV2']);
  assert.equal(summaryOf(again.r.out).unchanged, Object.keys(FILES).length + 1);

  // A local edit that keeps size and mtime still changes the ctime: the remembered checksum no longer applies.
  const st = statSync(join(dst, 'a.b'));
  writeFileSync(join(dst, 'a.b'), 'DOT');
  utimesSync(join(dst, 'a.b'), st.atime, st.mtime);
  const repaired = await ok(['sync', `s3://${bucket}/rt/`, dst, '--json'], { home });
  assert.deepEqual(actions(repaired.out), ['download rt/a.b (content)']);
  assert.equal(readFileSync(join(dst, 'a.b'), 'utf8'), 'dot');
});

test('down --delete removes only regular files inside the folder; keys with ".." never write outside it', async () => {
  const home = newHome();
  const bucket = await newBucket('syncdown');
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  for (const name of ['in.txt', 'sub/../../escape.txt', 'sub/./dot.txt']) {
    writeFileSync(join(work, 'f'), name);
    await ok(['put', 'f', `s3://${bucket}/set/${name}`, '--key', key.ref], { home });
  }
  const dst = join(home.dir, 'deep', 'dst');
  const outside = join(home.dir, 'outside');
  write(outside, { 'victim.txt': 'outside' });
  write(dst, { 'extra.txt': 'x', 'old/extra2.txt': 'y' });
  symlinkSync(join(outside, 'victim.txt'), join(dst, 'link-to-outside'));
  symlinkSync(outside, join(dst, 'linked-folder'));
  execFileSync('mkfifo', [join(dst, 'fifo')]);
  const r = await run(['sync', `s3://${bucket}/set/`, dst, '--delete', '--json'], { home });
  assert.equal(r.code, 1, r.stderr);
  const lines = ndjson(r.out);
  assert.deepEqual(lines.slice(0, -2).filter((l) => l.ok === false).map((l) => l.url).sort(),
    [`s3://${bucket}/set/sub/../../escape.txt`, `s3://${bucket}/set/sub/./dot.txt`]);
  assert.deepEqual(actions(lines.slice(0, -2).filter((l) => l.ok !== false).map((l) => JSON.stringify(l)).join('\n')),
    ['delete set/extra.txt', 'delete set/old/extra2.txt', 'download set/in.txt (new)']);
  assert.deepEqual(tree(dst), { 'in.txt': sha('in.txt') });
  assert.deepEqual(tree(outside), { 'victim.txt': sha('outside') }, 'nothing outside the folder was written or deleted');
  assert.ok(existsSync(join(dst, 'link-to-outside')) && existsSync(join(dst, 'fifo')) && existsSync(join(dst, 'linked-folder')),
    'links and FIFOs are not regular files: kept');
  assert.ok(!existsSync(join(home.dir, 'deep', 'escape.txt')) && !existsSync(join(home.dir, 'escape.txt')));
});

test('objects with no sse3 record are treated as changed (with advice); objects another sse3 tagged are recorded, not re-sent', { skip: skipAws }, async () => {
  const home = newHome();
  const other = newHome();
  const bucket = await newBucket('syncrec');
  const key = await makeKeyFile(home, 'k.key');
  const src = join(home.dir, 'src');
  write(src, { 'from-aws.txt': 'same bytes', 'from-sse3.txt': 'other home' });
  const awsPut = await runAws(['s3', 'cp', join(src, 'from-aws.txt'), `s3://${bucket}/p/from-aws.txt`, '--sse-c', 'AES256',
    '--sse-c-key', `fileb://${key.path}`]);
  assert.equal(awsPut.code, 0, awsPut.stderr);
  // Another machine's sse3 (its own manifest) wrote this one: the object's tags carry fingerprint and checksum.
  writeFileSync(join(other.dir, 'work', 'f'), 'other home');
  await ok(['put', 'f', `s3://${bucket}/p/from-sse3.txt`, '--key', key.ref], { home: other });
  const server = await serverState(bucket);

  const r = await logged(home, ['sync', src, `s3://${bucket}/p/`, '--key', key.ref, '--json']);
  assert.deepEqual(actions(r.r.out), ['upload p/from-aws.txt (unrecorded)']);
  assert.match(r.r.stderr, /1 object\(s\) had no sse3 record .* sse3 adopt --hash s3:\/\/\S+\/p\//);
  assert.deepEqual(r.requests.filter((q) => q === 'GetObjectTagging').length, 2, 'each unknown object\'s tags are read once');
  assert.deepEqual(r.requests.filter((q) => /^(PutObject|CreateMultipartUpload|CopyObject)$/.test(q)), ['PutObject'],
    'one object written: the unrecorded one');
  const after = await serverState(bucket);
  assert.equal(after[`p/from-sse3.txt`], server[`p/from-sse3.txt`], 'recorded from its tags and found equal: not uploaded');
  const next = await logged(home, ['sync', src, `s3://${bucket}/p/`, '--key', key.ref]);
  assert.deepEqual(next.requests, ['ListObjectsV2'], 'both are on record now');
});

test('a failed object fails alone: exit with its code, NDJSON error line, the rest synced', async () => {
  const home = newHome();
  const bucket = await newBucket('syncfail');
  const key = await makeKeyFile(home, 'k.key');
  const stray = await makeKeyFile(home, 'stray.key', { inKeyDir: false });
  const src = join(home.dir, 'src');
  write(src, { 'a.txt': 'a', 'b.txt': 'b' });
  await ok(['sync', src, `s3://${bucket}/p`, '--key', key.ref], { home });
  writeFileSync(join(home.dir, 'work', 'f'), 'c');
  await ok(['put', 'f', `s3://${bucket}/p/c.txt`, '--key', stray.ref], { home });
  rmSync(stray.path);
  const r = await run(['sync', `s3://${bucket}/p/`, join(home.dir, 'down'), '--json'], { home });
  assert.equal(r.code, 3, r.stderr);
  const lines = ndjson(r.out);
  assert.deepEqual(lines.slice(0, -2).filter((l) => l.ok === false).map((l) => [l.url, l.error.code]), [[`s3://${bucket}/p/c.txt`, 'NO_KEY']]);
  assert.deepEqual(lines.at(-2), { summary: { ok: false, succeeded: 2, uploaded: 0, downloaded: 2, deleted: 0, unchanged: 0, failed: 1, bytes: 2, skipped: 0, plain: 0, dryRun: false } });
  assert.deepEqual(tree(join(home.dir, 'down')), { 'a.txt': sha('a'), 'b.txt': sha('b') });
});

test('usage errors come before any request', async () => {
  const home = newHome();
  const cases: Array<[string[], RegExp]> = [
    [['sync', 'missing-folder', 's3://bb/p/', '--key', 'env:NOPE'], /missing-folder is not a folder/],
    [['sync', 's3://bb/p/', 's3://bb/p/q/'], /overlap/],
    [['sync', 's3://bb/p/', 's3://cc/q/', '--checksum'], /--checksum compares local files/],
    [['sync', '.', '..'], /one side of sync must be an s3:\/\/ URL/],
    [['sync', '.', 's3://bb/p/'], /no key given/],
    [['sync', '.', 's3://bb/p/', '--key', 'file:x', '--exclude', ''], /pattern is empty/],
  ];
  for (const [args, message] of cases) {
    const r = await logged(home, args, 2);
    assert.match(r.r.stderr, message);
    assert.deepEqual(r.requests, []);
  }
});

test('s3 → s3: copies re-keyed as cp does; a second run sends only the two listings; an edited source is copied again', async () => {
  const home = newHome();
  const [from, to] = await Promise.all([newBucket('syncsrc'), newBucket('syncdst')]);
  const srcKey = await makeKeyFile(home, 'src.key');
  const dstKey = await makeKeyFile(home, 'dst.key');
  const src = join(home.dir, 'src');
  write(src, { 'a.txt': 'alpha', 'sub/b.txt': 'beta', 'old.txt': 'old' });
  utimesSync(join(src, 'a.txt'), new Date(), new Date(1_650_000_000_789));
  await ok(['sync', src, `s3://${from}/in`, '--key', srcKey.ref], { home });
  await ok(['put', join(src, 'old.txt'), `s3://${to}/out/stale.txt`, '--key', dstKey.ref], { home });

  const first = await ok(['sync', `s3://${from}/in`, `s3://${to}/out`, '--key', dstKey.ref, '--delete', '--json'], { home });
  assert.deepEqual(ndjson(first.out).filter((l) => !l.summary).map((l) => `${l.action} ${l.source ?? ''} → ${l.url}`).sort(), [
    `copy s3://${from}/in/a.txt → s3://${to}/out/a.txt`, `copy s3://${from}/in/old.txt → s3://${to}/out/old.txt`,
    `copy s3://${from}/in/sub/b.txt → s3://${to}/out/sub/b.txt`, `delete  → s3://${to}/out/stale.txt`]);
  assert.equal(ndjson(first.out).find((l) => l.action === 'delete').path, undefined);
  assert.deepEqual(summaryOf(first.out), { ok: true, succeeded: 4, uploaded: 0, downloaded: 0, copied: 3, deleted: 1, unchanged: 0, failed: 0, bytes: 12,
    skipped: 0, dryRun: false });
  const head = (await ok(['head', `s3://${to}/out/a.txt`, '--key', dstKey.ref, '--json'], { home })).json();
  assert.equal(head.keyMatches, true, 'the copy is encrypted with the destination key');
  assert.equal(head.metadata['sse3-mtime'], '1650000000789', 'and keeps the file\'s mtime');
  const server = await serverState(to);

  const again = await logged(home, ['sync', `s3://${from}/in/`, `s3://${to}/out/`, '--key', dstKey.ref, '--json']);
  assert.deepEqual(again.requests, ['ListObjectsV2', 'ListObjectsV2'], 'one listing per side, nothing per object');
  assert.equal(summaryOf(again.r.out).unchanged, 3);
  assert.deepEqual(await serverState(to), server);

  writeFileSync(join(src, 'sub', 'b.txt'), 'BETA');
  await ok(['sync', src, `s3://${from}/in`, '--key', srcKey.ref], { home });
  const edited = await ok(['sync', `s3://${from}/in`, `s3://${to}/out`, '--key', dstKey.ref, '--json'], { home });
  assert.deepEqual(actions(edited.out), ['copy out/sub/b.txt (content)']);
  await ok(['sync', `s3://${to}/out`, join(home.dir, 'back')], { home });
  assert.deepEqual(tree(join(home.dir, 'back')), tree(src));
});

test('up with another --key than the objects are under: unchanged, and said so once with how to re-key them', async () => {
  const home = newHome();
  const bucket = await newBucket('synckeys');
  const first = await makeKeyFile(home, 'first.key');
  const second = await makeKeyFile(home, 'second.key');
  const src = join(home.dir, 'src');
  write(src, { 'a.txt': 'a', 'b.txt': 'b', 'c/d.txt': 'd' });
  await ok(['sync', src, `s3://${bucket}/p/`, '--key', first.ref], { home });
  writeFileSync(join(src, 'new.txt'), 'n');
  const again = await ok(['sync', src, `s3://${bucket}/p/`, '--key', second.ref, '--json'], { home });
  assert.deepEqual(actions(again.out), ['upload p/new.txt (new)']);
  assert.equal(summaryOf(again.out).unchanged, 3);
  const said = again.stderr.split('\n').filter((l) => /not the key given/.test(l));
  assert.deepEqual(said, [`warning: 3 unchanged object(s) are under key ${first.fingerprint}, not the key given (${second.ref}); sync ` +
    `does not re-key unchanged objects — sse3 rotate s3://${bucket}/p/ -r --to ${second.ref} does`]);
  // The advice, followed: then every object is under the --key given, and nothing is said.
  await ok(['rotate', `s3://${bucket}/p/`, '-r', '--to', second.ref], { home });
  const same = await ok(['sync', src, `s3://${bucket}/p/`, '--key', second.ref], { home });
  assert.doesNotMatch(same.stderr, /not the key given/);
});
