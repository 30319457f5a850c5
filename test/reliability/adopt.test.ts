// adopt killed with kill -9 (at the worst moment, and from outside mid-run) and run again: the same result as an
// uninterrupted run, no duplicate rows, every object's own tags kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, AWS_CLI, manifestExport, type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, run, runAws,
  serverTags, start, requestCounts, waitFor, workDir,
} from './support.js';

const COUNT = 30;

/** COUNT objects written by aws s3 cp --recursive, alternately under two keys; a third candidate key opens nothing. */
async function awsBucket(home: Home) {
  const bucket = await newBucket('adoptcrash');
  const keys = await Promise.all(['k1', 'k2', 'k3'].map((n) => makeKeyFile(home, n)));
  for (const [i, k] of keys.slice(0, 2).entries()) {
    const dir = join(home.dir, `src${i}`);
    mkdirSync(dir);
    for (let n = i; n < COUNT; n += 2) writeFileSync(join(dir, `f${String(n).padStart(3, '0')}`), randomBytes(100 + n));
    const r = await runAws(['s3', 'cp', '--recursive', dir, `s3://${bucket}/`, '--sse-c', 'AES256', '--sse-c-key', `fileb://${k.path}`,
      '--only-show-errors']);
    assert.equal(r.code, 0, r.stderr);
  }
  // Tags of their own, which adopt must keep.
  for (let n = 0; n < COUNT; n += 5) {
    const r = await runAws(['s3api', 'put-object-tagging', '--bucket', bucket, '--key', `f${String(n).padStart(3, '0')}`,
      '--tagging', `TagSet=[{Key=owner,Value=o${n}}]`]);
    assert.equal(r.code, 0, r.stderr);
  }
  const expected = Array.from({ length: COUNT }, (_, n) => [`f${String(n).padStart(3, '0')}`, keys[n % 2].fingerprint, 100 + n]);
  return { bucket, keys, expected };
}

const view = async (home: Home) => (await manifestRows(home)).map((r) => [r.key, r.fingerprint, r.size]).sort();

async function checkAdopted(home: Home, bucket: string, expected: Array<Array<string | number>>) {
  assert.deepEqual(await view(home), expected, 'every object recorded once, with the key that opens it');
  for (let n = 0; n < COUNT; n += 5) {
    const key = `f${String(n).padStart(3, '0')}`;
    assert.deepEqual(await serverTags(bucket, key), { owner: `o${n}`, 'sse3-fp': expected[n][1] }, key);
  }
  await ok(['verify', `s3://${bucket}`], { home });
}

test('adopt killed right after tagging an object, before recording it: the rerun records it from its tag, same result',
  { skip: !AWS_CLI && 'aws-cli not installed', timeout: 180_000 }, async () => {
    const home = newHome();
    const { bucket, expected } = await awsBucket(home);
    const killed = await run(['adopt', `s3://${bucket}`, '--jobs', '4'], { home, env: { SSE3_FAULT: 'adopt-tagged' } });
    assert.equal(killed.signal, 'SIGKILL', `adopt was expected to be killed: ${killed.stderr}`);
    assert.ok((await manifestRows(home)).length < COUNT);
    const tagged = (await Promise.all(expected.map(([k]) => serverTags(bucket, String(k))))).filter((t) => t['sse3-fp']).length;
    assert.ok(tagged >= 1, 'at least one object was tagged before the kill');

    const again = await ok(['adopt', `s3://${bucket}`, '--json'], { home });
    const lines = again.out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const summary = lines.at(-1).summary;
    assert.equal(summary.adopted + summary.known, COUNT);
    assert.equal(summary.noKey + summary.failed + summary.plain, 0);
    assert.ok(lines.some((l) => l.via === 'tag'), 'the object tagged before the kill was recorded from its tag');
    await checkAdopted(home, bucket, expected);
  });

test('adopt killed from outside mid-run (kill -9) and run again: the same manifest as an uninterrupted run, no duplicates',
  { skip: !AWS_CLI && 'aws-cli not installed', timeout: 180_000 }, async () => {
    const home = newHome();
    const { bucket, expected } = await awsBucket(home);
    const running = start(['adopt', `s3://${bucket}`, '--jobs', '2', '--json'], { home });
    let out = '';
    running.child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor('some objects adopted', () => out.split('\n').filter((l) => l.includes('"adopted"')).length >= 5, 60_000, 5);
    running.child.kill('SIGKILL');
    const r = await running.done;
    assert.equal(r.signal, 'SIGKILL');
    const partial = (await manifestRows(home)).length;
    assert.ok(partial >= 5 && partial < COUNT, `killed mid-run (${partial} of ${COUNT} recorded)`);

    await ok(['adopt', `s3://${bucket}`], { home });
    await checkAdopted(home, bucket, expected);
    // And once more: nothing left to do, no request beyond the listing.
    const counts = join(workDir(home), 'requests.log');
    const third = await ok(['adopt', `s3://${bucket}`, '--json'], { home, env: { SSE3_REQUEST_LOG: counts } });
    assert.deepEqual(JSON.parse(third.out.trim().split('\n').at(-1)!), { summary: { succeeded: COUNT, adopted: 0, known: COUNT, plain: 0,
      noKey: 0, failed: 0, encrypted: 0, unverified: 0, ok: true } });
    assert.deepEqual(requestCounts(counts), { ListObjectVersionsCommand: 1 });
    await checkAdopted(home, bucket, expected);
  });


for (const fault of ['rotate-journalled', 'rotate-written'] as const) {
  test(`adopt --encrypt-plain killed at ${fault}: the next run settles the journal and the object ends encrypted, on record`,
    { timeout: 120_000 }, async () => {
      const home = newHome();
      const bucket = await newBucket('adoptenc');
      const key = await makeKeyFile(home, 'k');
      const data = randomBytes(5000);
      const { PutObjectCommand } = await import('@aws-sdk/client-s3');
      await (await adminClient()).send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: data }));
      const killed = await run(['adopt', `s3://${bucket}`, '--encrypt-plain', '--key', key.ref], { home, env: { SSE3_FAULT: fault } });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.equal((await manifestExport(home)).pendingRotations.length, 1, 'the intent was journalled before the write');

      const again = await ok(['adopt', `s3://${bucket}`, '--encrypt-plain', '--key', key.ref, '--json'], { home });
      const line = JSON.parse(again.out.split('\n')[0]);
      assert.equal(line.status, fault === 'rotate-written' ? 'known' : 'encrypted');
      assert.deepEqual((await manifestExport(home)).pendingRotations, [], 'the journal entry was settled, not left pending');
      assert.deepEqual((await manifestRows(home)).map((r) => [r.key, r.fingerprint]), [['plain', key.fingerprint]]);
      assert.equal((await serverTags(bucket, 'plain'))['sse3-fp'], key.fingerprint);
      await ok(['get', `s3://${bucket}/plain`, 'back'], { home });
      assert.deepEqual(readFileSync(join(workDir(home), 'back')), data);
    });
}

test('two adopts of one bucket at once (40 aws-cli objects): both succeed, and the manifest is what one run makes',
  { skip: !AWS_CLI && 'aws-cli not installed', timeout: 300_000 }, async () => {
    // Ceph RGW answers a tag write that meets another one on the same object with 409 OperationAborted: "try again".
    // Three rounds on fresh buckets, so two runs meet on some object's tags in at least one of them.
    for (let round = 1; round <= 3; round++) {
      const home = newHome();
      const bucket = await newBucket('adopttwice');
      const key = await makeKeyFile(home, 'guide.key');
      const dir = join(home.dir, 'src');
      mkdirSync(dir);
      const names = Array.from({ length: 40 }, (_, n) => `f${String(n).padStart(2, '0')}`);
      names.forEach((n, i) => writeFileSync(join(dir, n), randomBytes(100 + i)));
      const copied = await runAws(['s3', 'cp', '--recursive', dir, `s3://${bucket}/`, '--sse-c', 'AES256', '--sse-c-key',
        `fileb://${key.path}`, '--only-show-errors']);
      assert.equal(copied.code, 0, copied.stderr);

      const both = await Promise.all([1, 2].map(() => run(['adopt', `s3://${bucket}`, '--jobs', '16', '--json'], { home })));
      for (const r of both) {
        assert.equal(r.code, 0, `round ${round}: adopt exited ${r.code}: ${r.stderr}`);
        const summary = JSON.parse(r.out.trim().split('\n').at(-1)!).summary;
        assert.equal(summary.adopted + summary.known, 40, `round ${round}: ${JSON.stringify(summary)}`);
        assert.equal(summary.failed, 0);
      }
      assert.deepEqual(await view(home), names.map((n, i) => [n, key.fingerprint, 100 + i]),
        `round ${round}: every object recorded once, with its key`);
      for (const n of names) assert.deepEqual(await serverTags(bucket, n), { 'sse3-fp': key.fingerprint }, n);
      assert.deepEqual((await manifestExport(home)).pendingRotations, []);
    }
  });

test('rotate --resume after an adopt --encrypt-plain killed before it wrote: nothing pending, exit 0, and the next adopt encrypts it',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('adoptenc');
    const key = await makeKeyFile(home, 'k');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await (await adminClient()).send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: randomBytes(3000) }));
    const killed = await run(['adopt', `s3://${bucket}`, '--encrypt-plain', '--key', key.ref], { home,
      env: { SSE3_FAULT: 'rotate-journalled' } });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);

    const resumed = await run(['rotate', '--resume', '--json'], { home });
    assert.equal(resumed.code, 0, `nothing is pending, so nothing is unresolved: ${resumed.stderr}`);
    const report = resumed.json();
    assert.deepEqual(report.settled.map((r: { outcome: string }) => r.outcome), ['not-written']);
    assert.deepEqual([report.redone, report.unresolved], [[], []]);
    assert.deepEqual((await manifestExport(home)).pendingRotations, []);
    const again = await ok(['adopt', `s3://${bucket}`, '--encrypt-plain', '--key', key.ref, '--json'], { home });
    assert.equal(JSON.parse(again.out.split('\n')[0]).status, 'encrypted');
  });
