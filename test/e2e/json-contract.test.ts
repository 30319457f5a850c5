// The one JSON contract scripts rely on, for every command and every way a run ends: each line sse3 writes with --json
// is one compact JSON value valid under schema/sse3-output.schema.json; a one-result command writes one line, a
// many-result command a line per item and a last {"summary": …} line (nothing in scope included); a failure ends with
// one {"ok": false, "error": …} line whose exitCode is the exit status; with object data on stdout, the JSON goes to
// stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, type Home, makeKeyFile, newBucket, newHome, overwriteEncrypted, randomName, run, type RunResult, stoppedAt } from './harness.js';
import { loadSchema, violations } from '../support/json-schema.js';
import { runawayClockServer } from '../support/runaway-clock.js';

const SCHEMA = loadSchema();

/** one: a one-result command (one line, an error line after it on failure); many: items, then the summary. */
type Shape = 'one' | 'many';

const isSummary = (j: any) => j !== null && typeof j === 'object' && 'summary' in j;
const isErrorLine = (j: any) => j !== null && typeof j === 'object' && Object.keys(j).sort().join() === 'error,ok';

/**
 * The JSON lines of a run, each checked against the schema and the contract's rules of shape: parsed, for the test to
 * look into. jsonOn: 'stderr' for a run whose stdout carries object data.
 */
function contract(r: RunResult, shape: Shape, label: string, jsonOn: 'stdout' | 'stderr' = 'stdout'): any[] {
  const what = `sse3 ${label} (exit ${r.code})\nstdout: ${r.out.slice(0, 3000)}\nstderr: ${r.stderr.slice(0, 3000)}`;
  const text = jsonOn === 'stdout' ? r.out : r.stderr;
  assert.ok(text.endsWith('\n'), `the JSON ends with a newline: ${what}`);
  // stdout holds JSON lines only; stderr human messages only, unless stdout carries data: then its JSON lines are sse3's.
  const lines = text.slice(0, -1).split('\n').filter((l) => jsonOn === 'stdout' || l.startsWith('{'));
  if (jsonOn === 'stdout') assert.ok(!r.stderr.split('\n').some((l) => l.startsWith('{')), `no JSON on stderr: ${what}`);
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l);
    } catch {
      return assert.fail(`line ${i + 1} is not one JSON value: ${JSON.stringify(l)}\n${what}`);
    }
  });
  parsed.forEach((j, i) => assert.deepEqual(violations(SCHEMA, j), [], `line ${i + 1}: ${lines[i]}\n${what}`));
  assert.ok(parsed.length > 0, `some JSON: ${what}`);
  const last = parsed.at(-1);
  const summaries = parsed.filter(isSummary);
  if (r.code === 0) {
    assert.ok(!parsed.some(isErrorLine), `no error line on success: ${what}`);
    if (shape === 'one') assert.equal(parsed.length, 1, `one line: ${what}`);
    else {
      assert.ok(isSummary(last), `the last line is the summary: ${what}`);
      assert.equal(summaries.length, 1, `one summary: ${what}`);
      assert.equal(last.summary.ok, true, `the summary of a success says ok: ${what}`);
    }
  } else {
    assert.ok(isErrorLine(last), `the last line is the error: ${what}`);
    assert.equal(last.error.exitCode, r.code, `the error line names the exit status: ${what}`);
    assert.equal(parsed.filter(isErrorLine).length, 1, `one error line: ${what}`);
    if (shape === 'one') assert.ok(parsed.length <= 2 && summaries.length === 0, `a result at most, then the error: ${what}`);
    // A batch that ran ends with its summary (ok false) just before the error; a run stopped before it has none.
    else if (parsed.length > 1) {
      assert.ok(isSummary(parsed.at(-2)), `the summary before the error line: ${what}`);
      assert.equal(parsed.at(-2).summary.ok, false, what);
      assert.equal(summaries.length, 1, what);
    }
  }
  return parsed;
}

/** Run a command with --json and check its output; code: the exit status it must end with. */
async function json(home: Home, args: string[], shape: Shape, code = 0, opts: { jsonOn?: 'stdout' | 'stderr'; env?: NodeJS.ProcessEnv } = {})
  : Promise<{ lines: any[]; r: RunResult }> {
  const r = await run([...args, '--json'], { home, env: opts.env });
  assert.equal(r.code, code, `sse3 ${args.join(' ')}: ${r.out}${r.stderr}`);
  return { lines: contract(r, shape, args.join(' '), opts.jsonOn), r };
}

const items = (lines: any[]) => lines.filter((j) => !isSummary(j) && !isErrorLine(j));

test('keys, keygen, put, get, head, presign, cp, ls and rm: results, failures and empty scopes, each line as the schema says', async () => {
  const home = newHome();
  const bucket = await newBucket('json');
  const work = join(home.dir, 'work');
  const a = await makeKeyFile(home, 'a.key');
  writeFileSync(join(work, 'f'), 'hello');

  const [gen] = (await json(home, ['keygen', `file:${join(home.keyDir, 'b.key')}`], 'one')).lines;
  assert.match(gen.fingerprint, /^[0-9a-f]{20}$/);
  assert.equal((await json(home, ['keygen', a.ref], 'one', 3)).lines[0].error.code, 'KEY_EXISTS');
  writeFileSync(join(work, 'raw'), randomBytes(32));
  await json(home, ['keys', 'import', `file:${join(home.keyDir, 'c.key')}`, '--from', join(work, 'raw')], 'one');
  await json(home, ['keys', 'import', a.ref, '--from', join(work, 'raw')], 'one', 3);
  assert.equal((await json(home, ['keys', 'list'], 'one')).lines[0].keys.length, 3);
  // keys default: set, listed, unset, and an unset of a scope that has none.
  const [setDefault] = (await json(home, ['keys', 'default', a.ref, `s3://${bucket}/d`], 'one')).lines;
  assert.deepEqual([setDefault.scope, setDefault.fingerprint, setDefault.replaced], [`s3://${bucket}/d/`, a.fingerprint, null]);
  assert.deepEqual((await json(home, ['keys', 'default'], 'one')).lines[0].defaults.map((d: any) => d.scope), [`s3://${bucket}/d/`]);
  assert.equal((await json(home, ['keys', 'list'], 'one')).lines[0].keys.find((k: any) => k.fingerprint === a.fingerprint).defaults[0],
    `s3://${bucket}/d/`);
  await json(home, ['keys', 'default', '--unset', `s3://${bucket}/d`], 'one');
  assert.equal((await json(home, ['keys', 'default', '--unset', `s3://${bucket}/d`], 'one', 2)).lines[0].error.code, 'USAGE');

  const [put] = (await json(home, ['put', 'f', `s3://${bucket}/f`, '--key', a.ref], 'one')).lines;
  assert.deepEqual([put.url, put.bucket, put.key, put.versionId, put.fingerprint], [`s3://${bucket}/f`, bucket, 'f', null, a.fingerprint],
    'an unversioned object: versionId null');
  await json(home, ['put', 'missing-file', `s3://${bucket}/g`, '--key', a.ref], 'one', 1);
  // keys export (to a file: with --to -, the key is stdout and the JSON goes to stderr) and keys rm, refused while the
  // manifest records objects under the key.
  const copy = join(home.dir, 'c.copy');
  assert.equal((await json(home, ['keys', 'export', `file:${join(home.keyDir, 'c.key')}`, '--to', `file:${copy}`], 'one')).lines[0].to,
    `file:${copy}`);
  await json(home, ['keys', 'export', a.ref], 'one', 2);
  assert.equal((await json(home, ['keys', 'rm', a.ref, '--yes'], 'one', 1)).lines[0].error.code, 'KEY_IN_USE');
  assert.equal((await json(home, ['keys', 'rm', `file:${copy}`, '--yes'], 'one')).lines[0].removed, true);
  const [got] = (await json(home, ['get', `s3://${bucket}/f`, 'back'], 'one')).lines;
  assert.deepEqual([got.url, got.bucket, got.key, got.sha256, got.size], [put.url, bucket, 'f', put.sha256, 5]);
  assert.equal((await json(home, ['get', `s3://${bucket}/none`, 'x'], 'one', 1)).lines[0].error.code, 'NO_OBJECT');
  const [head] = (await json(home, ['head', `s3://${bucket}/f`], 'one')).lines;
  assert.deepEqual([head.key, head.fingerprint, head.sha256], ['f', a.fingerprint, put.sha256], 'key is the object\'s key');
  await json(home, ['head', `s3://${bucket}/none`], 'one', 1);
  // presign: the link as url, the names of the headers to send (never their values); then the link used by get.
  const [link] = (await json(home, ['presign', `s3://${bucket}/f`, '--expires', '1h'], 'one')).lines;
  assert.deepEqual([link.method, link.expires, link.bucket, link.key, link.fingerprint], ['GET', 3600, bucket, 'f', a.fingerprint]);
  assert.match(link.url, /^https:\/\//);
  assert.equal((await json(home, ['presign', `s3://${bucket}/f`, '--expires', '8d'], 'one', 2)).lines[0].error.code, 'USAGE');
  const [viaLink] = (await json(home, ['get', link.url, 'by-link', '--key', a.ref], 'one')).lines;
  assert.deepEqual([viaLink.url, viaLink.sha256, viaLink.verified], [put.url, put.sha256, true]);
  await json(home, ['cp', 'f', `s3://${bucket}/c`, '--key', a.ref], 'one');

  // Object data on stdout: the JSON on stderr, on success and on failure alike, and none of it on stdout.
  const toStdout = await json(home, ['get', `s3://${bucket}/f`, '-'], 'one', 0, { jsonOn: 'stderr' });
  assert.equal(toStdout.r.out, 'hello');
  assert.equal(toStdout.lines[0].path, null);
  const cpStdout = await json(home, ['cp', `s3://${bucket}/f`, '-'], 'one', 0, { jsonOn: 'stderr' });
  assert.equal(cpStdout.r.out, 'hello');
  for (const args of [['get', `s3://${bucket}/none`, '-'], ['cp', `s3://${bucket}/none`, '-'], ['get', `s3://${bucket}/f`, '-', '--key', 'env:UNSET_HERE']]) {
    const failed = await json(home, args, 'one', args.includes('--key') ? 3 : 1, { jsonOn: 'stderr' });
    assert.equal(failed.r.out, '', 'nothing on stdout');
    assert.match(failed.r.stderr, /^error: .*\n(hint: .*\n)?\{"ok":false,"error":.*\}\n$/, 'stderr: the error in words, then its JSON line');
  }

  mkdirSync(join(work, 'up'));
  writeFileSync(join(work, 'up', 'one'), '1');
  writeFileSync(join(work, 'up', 'two'), '22');
  const up = (await json(home, ['cp', '-r', 'up', `s3://${bucket}/up/`, '--key', a.ref], 'many')).lines;
  assert.deepEqual(items(up).map((j) => [j.key, j.path]).sort(), [['up/one', join(work, 'up', 'one')], ['up/two', join(work, 'up', 'two')]],
    'an upload names the file it read');
  assert.deepEqual(up.at(-1).summary, { succeeded: 2, failed: 0, ok: true });
  await json(home, ['cp', '-r', `s3://${bucket}/up/`, 'down'], 'many');
  const none = (await json(home, ['cp', '-r', `s3://${bucket}/nothing/`, 'down2'], 'many')).lines;
  assert.deepEqual(none, [{ summary: { succeeded: 0, failed: 0, plain: 0, ok: true } }], 'nothing in scope: the summary alone');
  // A dangling link: a failed item, named as an upload's success is (path, url, bucket, key).
  mkdirSync(join(work, 'bad'));
  writeFileSync(join(work, 'bad', 'fine'), 'ok');
  symlinkSync(join(work, 'nowhere'), join(work, 'bad', 'dangling'));
  const bad = (await json(home, ['cp', '-r', 'bad', `s3://${bucket}/bad/`, '--key', a.ref], 'many', 1)).lines;
  const failedItem = bad.find((j) => j.ok === false && j.error);
  assert.deepEqual([failedItem.path, failedItem.url, failedItem.key], [join(work, 'bad', 'dangling'), `s3://${bucket}/bad/dangling`, 'bad/dangling']);
  assert.equal(failedItem.error.code, 'LOCAL_IO');

  const listed = (await json(home, ['ls', `s3://${bucket}`], 'many')).lines;
  assert.equal(listed.at(-1).summary.listed, items(listed).length);
  // A prefix that holds nothing is an error, as for aws s3 ls: the summary, then the error line.
  const nothingThere = (await json(home, ['ls', `s3://${bucket}/nothing/`], 'many', 1)).lines;
  assert.deepEqual([nothingThere[0], nothingThere[1].error.code], [{ summary: { ok: false, listed: 0 } }, 'NO_OBJECT']);
  await json(home, ['ls', '--recursive', `s3://${bucket}`], 'many');
  await json(home, ['ls'], 'many');
  await json(home, ['ls', 's3://no-such-bucket-sse3-json'], 'many', 1);

  await json(home, ['rm', '-r', `s3://${bucket}/up/`, '--dry-run'], 'many');
  const removed = (await json(home, ['rm', `s3://${bucket}/c`], 'many')).lines;
  assert.deepEqual([items(removed)[0].url, items(removed)[0].versionId], [`s3://${bucket}/c`, null]);
  assert.deepEqual((await json(home, ['rm', '-r', `s3://${bucket}/nothing/`, '--yes'], 'many')).lines,
    [{ summary: { ok: true, succeeded: 0, failed: 0 } }], 'rm -r of nothing: the summary alone');
  await json(home, ['rm', 's3://no-such-bucket-sse3-json/k'], 'many', 1);
  // A usage error (Commander's) and sse3's own: one error line.
  await json(home, ['get'], 'one', 2);
  await json(home, ['rm', `s3://${bucket}/f`, '--version-id', 'v', '--recursive'], 'many', 2);
});

test('rotate, verify, adopt, keys usage and sync: item lines, summaries, failed items and failures', async () => {
  const home = newHome();
  const bucket = await newBucket('json', true);
  const work = join(home.dir, 'work');
  const a = await makeKeyFile(home, 'a.key');
  const b = await makeKeyFile(home, 'b.key');
  mkdirSync(join(work, 'src'));
  for (const n of ['x', 'y']) writeFileSync(join(work, 'src', n), n.repeat(10));

  const synced = (await json(home, ['sync', 'src', `s3://${bucket}/s/`, '--key', a.ref], 'many')).lines;
  assert.equal(items(synced).length, 2);
  assert.ok(items(synced).every((j) => typeof j.versionId === 'string' && j.versionId !== 'null' && j.path && j.url && j.bucket === bucket));
  assert.equal(synced.at(-1).summary.succeeded, 2);
  mkdirSync(join(work, 'empty'));
  await json(home, ['sync', 'empty', `s3://${bucket}/e/`, '--key', a.ref], 'many');
  await json(home, ['sync', `s3://${bucket}/s/`, 'down'], 'many');
  await json(home, ['sync', 'no-such-folder', `s3://${bucket}/s/`, '--key', a.ref], 'many', 2);

  const [one] = (await json(home, ['rotate', `s3://${bucket}/s/x`, '--to', b.ref], 'one')).lines;
  assert.deepEqual([one.status, one.bucket, one.key], ['rotated', bucket, 's/x']);
  await json(home, ['rotate', `s3://${bucket}/s/none`, '--to', b.ref], 'one', 1);
  const many = (await json(home, ['rotate', '-r', `s3://${bucket}/s/`, '--to', b.ref], 'many')).lines;
  assert.deepEqual(many.at(-1).summary.succeeded, 2);
  await json(home, ['rotate', '-r', `s3://${bucket}/nothing/`, '--to', b.ref], 'many');
  await json(home, ['rotate', '--resume'], 'one');

  const usage = (await json(home, ['keys', 'usage', `s3://${bucket}`, '--versions'], 'one')).lines[0];
  assert.ok(usage.keys.length >= 1);
  await json(home, ['keys', 'usage', b.fingerprint, `s3://${bucket}`], 'many');
  await json(home, ['keys', 'usage', b.fingerprint, `s3://${bucket}/nothing/`], 'many');
  await json(home, ['keys', 'usage', 's3://no-such-bucket-sse3-json'], 'one', 1);

  const verified = (await json(home, ['verify', `s3://${bucket}`], 'many')).lines;
  assert.ok(items(verified).every((j) => j.ok === true && j.status === 'ok' && j.bucket === bucket && j.versionId));
  assert.equal(verified.at(-1).summary.checked, items(verified).length);
  assert.deepEqual((await json(home, ['verify', `s3://${bucket}/nothing/`], 'many')).lines.at(-1).summary.checked, 0);
  // Overwritten outside sse3 under a key this home does not have: not OK items (no exception), the summary, exit 3.
  await overwriteEncrypted(bucket, 's/y', Buffer.from('other'), randomBytes(32));
  const adopted = (await json(home, ['adopt', `s3://${bucket}`], 'many', 3)).lines;
  const noKey = items(adopted).find((j) => j.status === 'no-key');
  assert.deepEqual([noKey.ok, noKey.key, typeof noKey.versionId], [false, 's/y', 'string']);
  assert.equal(adopted.at(-2).summary.noKey, 1);
  await json(home, ['adopt', `s3://${bucket}/nothing/`], 'many');
  // A recorded version deleted outside sse3: a not-OK item, the summary, exit 1.
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new DeleteObjectCommand({ Bucket: bucket, Key: 's/x', VersionId: one.versionId }));
  const missing = (await json(home, ['verify', `s3://${bucket}`], 'many', 1)).lines;
  assert.deepEqual(items(missing).filter((j) => !j.ok).map((j) => [j.status, j.key, j.versionId]), [['missing', 's/x', one.versionId]]);
});

test('the manifest commands: list, export, import, rebuild, pull, alias', async () => {
  const home = newHome();
  const bucket = await newBucket('json');
  const a = await makeKeyFile(home, 'a.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'data');
  await json(home, ['put', 'f', `s3://${bucket}/f`, '--key', a.ref], 'one');
  const listed = (await json(home, ['manifest', 'list'], 'many')).lines;
  assert.deepEqual([items(listed)[0].url, items(listed)[0].versionId], [`s3://${bucket}/f`, 'null'], 'a record names S3\'s "null" version');
  assert.deepEqual((await json(home, ['manifest', 'list', `s3://${bucket}/nothing/`], 'many')).lines, [{ summary: { ok: true, entries: 0 } }]);
  // export prints the manifest document (its own format, which import reads back): with --json on one line.
  const exported = await run(['manifest', 'export', '--json'], { home });
  assert.equal(exported.code, 0);
  assert.equal(exported.out.trim().split('\n').length, 1);
  writeFileSync(join(home.dir, 'work', 'm.json'), exported.out);
  await json(home, ['manifest', 'import', 'm.json'], 'one');
  writeFileSync(join(home.dir, 'work', 'bad.json'), '{"not": "a manifest"');
  await json(home, ['manifest', 'import', 'bad.json'], 'one', 2);
  await json(home, ['manifest', 'rebuild', `s3://${bucket}`], 'one');
  await json(home, ['manifest', 'pull', `s3://${bucket}`], 'one');
  await json(home, ['manifest', 'rebuild', 's3://no-such-bucket-sse3-json'], 'one', 1);
  await json(home, ['manifest', 'alias'], 'one');
});

test('the other ways a run ends: CHANGED, CLOCK_SKEW, and interrupted (130) or terminated (143) in a batch and a single command',
  async (t) => {
    const home = newHome();
    const bucket = await newBucket('json');
    const work = join(home.dir, 'work');
    const a = await makeKeyFile(home, 'a.key');
    const b = await makeKeyFile(home, 'b.key');
    writeFileSync(join(work, 'doc'), randomBytes(64 * 1024));
    await json(home, ['put', 'doc', `s3://${bucket}/doc`, '--key', a.ref], 'one');
    // Another writer replaces the object between rotate's read and its write.
    const rotate = await stoppedAt(t, 'rotate-journalled', home, ['rotate', `s3://${bucket}/doc`, '--to', b.ref, '--json']);
    await overwriteEncrypted(bucket, 'doc', randomBytes(1000), a.raw);
    const changed = await rotate.resume();
    assert.equal(changed.code, 1, changed.stderr);
    assert.equal(contract(changed, 'one', 'rotate (changed)').at(-1).error.code, 'CHANGED');

    const server = await runawayClockServer(t);
    const skew = await json(home, ['head', 's3://skewed-bucket/k', '--key', a.ref, '--endpoint-url', server.endpoint,
      '--ca-bundle', server.caBundle], 'one', 1);
    assert.equal(skew.lines[0].error.code, 'CLOCK_SKEW');

    writeFileSync(join(work, 'big'), randomBytes(11 * 1024 * 1024));
    mkdirSync(join(work, 'many'));
    for (const n of ['1', '2', '3']) writeFileSync(join(work, 'many', n), n);
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const batch = await stoppedAt(t, 'put-sent', home, ['cp', '-r', 'many', `s3://${bucket}/${signal}/`, '--key', a.ref, '--jobs', '1', '--json']);
      batch.signal(signal);
      const stopped = await batch.resume();
      assert.equal(stopped.code, code, stopped.stderr);
      const lines = contract(stopped, 'many', `cp -r (${signal})`);
      assert.ok(isSummary(lines.at(-2)), 'the batch\'s summary, then the error');
      // A multipart upload stopped after its first part: the signal stops the rest.
      const single = await stoppedAt(t, 'after-part-1', home, ['put', 'big', `s3://${bucket}/${signal}-one`, '--key', a.ref,
        '--part-size', '5', '--concurrency', '1', '--json']);
      single.signal(signal);
      const one = await single.resume();
      assert.equal(one.code, code, one.stderr);
      assert.equal(contract(one, 'one', `put (${signal})`).at(-1).error.code, 'INTERRUPTED');
    }
  });

test('mv, cat, mb, rb and bucket sse-c: results, batches and failures, each line as the schema says', async () => {
  const home = newHome();
  const bucket = await newBucket('json');
  const work = join(home.dir, 'work');
  const a = await makeKeyFile(home, 'a.key');
  writeFileSync(join(work, 'f'), 'hello');
  const [moved] = (await json(home, ['mv', 'f', `s3://${bucket}/m`, '--key', a.ref], 'one')).lines;
  assert.deepEqual([moved.moved, moved.url, moved.path], [true, `s3://${bucket}/m`, undefined]);
  const [across] = (await json(home, ['mv', `s3://${bucket}/m`, `s3://${bucket}/n`], 'one')).lines;
  assert.deepEqual([across.source, across.sourceMarkerCreated], [`s3://${bucket}/m`, null]);
  await json(home, ['mv', `s3://${bucket}/none`, `s3://${bucket}/x`], 'one', 1);
  await json(home, ['mv', `s3://${bucket}/n`, `s3://${bucket}/n`], 'one', 2);
  mkdirSync(join(work, 'up'));
  writeFileSync(join(work, 'up', 'one'), '1');
  const batch = (await json(home, ['mv', '-r', 'up', `s3://${bucket}/up/`, '--key', a.ref], 'many')).lines;
  assert.deepEqual(batch.at(-1).summary, { succeeded: 1, failed: 0, ok: true });
  await json(home, ['mv', '-r', `s3://${bucket}/nothing/`, 'down'], 'many');

  // cat: object data on stdout, its JSON on stderr.
  const cat = await json(home, ['cat', `s3://${bucket}/n`], 'one', 0, { jsonOn: 'stderr' });
  assert.equal(cat.r.out, 'hello');
  await json(home, ['cat', `s3://${bucket}/none`], 'one', 1, { jsonOn: 'stderr' });

  const made = randomName('json-mb');
  assert.equal((await json(home, ['mb', `s3://${made}`], 'one')).lines[0].created, true);
  assert.equal((await json(home, ['mb', `s3://${made}`], 'one', 1)).lines[0].error.code, 'BUCKET_EXISTS');
  assert.equal((await json(home, ['rb', `s3://${made}`], 'one')).lines[0].bucketDeleted, true);
  assert.equal((await json(home, ['rb', `s3://${bucket}`], 'one', 1)).lines[0].error.code, 'BUCKET_NOT_EMPTY');
  await json(home, ['rb', `s3://${bucket}`, '--force', '--dry-run'], 'many');
  await json(home, ['rb', `s3://${bucket}`, '--force'], 'many', 2);
  // bucket sse-c: one result (Ceph keeps no encryption configuration), also with --allow; usage errors.
  assert.equal((await json(home, ['bucket', 'sse-c', `s3://${bucket}`], 'one')).lines[0].state, 'no-configuration');
  assert.equal((await json(home, ['bucket', 'sse-c', `s3://${bucket}`, '--allow'], 'one')).lines[0].changed, false);
  await json(home, ['bucket', 'sse-c', `s3://${bucket}/k`], 'one', 2);
  await json(home, ['bucket', 'sse-c', `s3://${bucket}`, '--yes'], 'one', 2);
  await json(home, ['bucket', 'sse-c', `s3://${randomName('json-none')}`], 'one', 1);
  const forced = (await json(home, ['rb', `s3://${bucket}`, '--force', '--yes'], 'many')).lines;
  assert.equal(forced.at(-1).summary.bucketDeleted, true);
});
