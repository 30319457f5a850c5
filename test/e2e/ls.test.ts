// sse3 ls: aws s3 ls plus what only sse3 knows, answered from the manifest where it can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, AWS_CLI, jsonOutput, makeKeyFile, newBucket, newHome, ok, putData, rememberSecret, requestCounts, run, runAws }
  from './harness.js';

// The listed lines, without the closing summary.
const ndjson = (out: string) => jsonOutput(out).items();

test('ls: encryption, fingerprint and key availability per object; folders as PRE; unknown objects cost a tag read (and a keyless HEAD)',
  { skip: !AWS_CLI && 'aws-cli not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const other = newHome();
    const bucket = await newBucket('ls');
    const here = await makeKeyFile(home, 'here');
    const away = await makeKeyFile(home, 'away', { inKeyDir: false });
    await putData(home, `s3://${bucket}/a-here`, randomBytes(100), here.ref);
    await putData(home, `s3://${bucket}/b-away`, randomBytes(200), away.ref);
    await putData(home, `s3://${bucket}/sub/deep`, randomBytes(50), here.ref);
    // Written by sse3 elsewhere (tagged, not in this manifest), by aws-cli with SSE-C, and plain.
    await putData(other, `s3://${bucket}/c-tagged`, randomBytes(300), here.ref);
    const raw = randomBytes(32);
    rememberSecret(raw);
    writeFileSync(join(home.dir, 'raw'), raw);
    writeFileSync(join(home.dir, 'body'), randomBytes(400));
    assert.equal((await runAws(['s3api', 'put-object', '--bucket', bucket, '--key', 'd-aws', '--body', join(home.dir, 'body'),
      '--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${join(home.dir, 'raw')}`])).code, 0);
    const s3 = await import('@aws-sdk/client-s3');
    await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'e-plain', Body: 'plain text' }));

    const counts = join(home.dir, 'requests.log');
    const r = await ok(['ls', `s3://${bucket}`, '--json'], { home, env: { SSE3_REQUEST_LOG: counts } });
    const lines = ndjson(r.out);
    assert.deepEqual(lines[0], { ok: true, type: 'prefix', bucket, prefix: 'sub/' });
    assert.deepEqual(jsonOutput(r.out).summary(), { ok: true, listed: lines.length });
    const view = lines.slice(1).map((l) => [l.key, l.size, l.encryption, l.fingerprint, l.keyAvailable, l.fingerprintSource]);
    assert.deepEqual(view, [
      ['a-here', 100, 'sse-c', here.fingerprint, true, 'manifest'],
      ['b-away', 200, 'sse-c', away.fingerprint, false, 'manifest'],
      ['c-tagged', 300, 'sse-c', here.fingerprint, true, 'tag'],
      ['d-aws', 400, 'sse-c', null, null, 'head'],
      ['e-plain', 10, 'none', null, null, 'head'],
    ]);
    for (const l of lines.slice(1)) assert.match(l.lastModified, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(requestCounts(counts), { ListObjectsV2Command: 1, GetObjectTaggingCommand: 3, HeadObjectCommand: 2 },
      'the manifest answered for what it knows; the rest cost a tag read, and untagged ones a keyless HEAD');

    const fastLog = join(home.dir, 'requests-fast.log');
    const fast = await ok(['ls', `s3://${bucket}`, '--fast', '--json'], { home, env: { SSE3_REQUEST_LOG: fastLog } });
    assert.deepEqual(requestCounts(fastLog), { ListObjectsV2Command: 1 });
    assert.deepEqual(ndjson(fast.out).slice(1).map((l) => [l.key, l.encryption]),
      [['a-here', 'sse-c'], ['b-away', 'sse-c'], ['c-tagged', 'unknown'], ['d-aws', 'unknown'], ['e-plain', 'unknown']]);

    const human = await ok(['ls', `s3://${bucket}`], { home });
    assert.match(human.out, /^ +PRE sub\/$/m);
    assert.match(human.out, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +100  sse-c  ${here.fingerprint}  key here +a-here$`, 'm'));
    assert.match(human.out, new RegExp(`200  sse-c  ${away.fingerprint}  key missing  b-away$`, 'm'));
    assert.match(human.out, /400  sse-c  - +- +d-aws$/m);
    assert.match(human.out, /10  none   - +- +e-plain$/m);
    const rec = ndjson((await ok(['ls', `s3://${bucket}`, '--recursive', '--json'], { home })).out);
    assert.deepEqual(rec.map((l) => l.key), ['a-here', 'b-away', 'c-tagged', 'd-aws', 'e-plain', 'sub/deep']);
    assert.match((await ok(['ls', `s3://${bucket}/sub`], { home })).out, /key here +deep$/m);
    assert.deepEqual(ndjson((await ok(['ls', `s3://${bucket}/a-here`, '--json'], { home })).out).map((l) => l.key), ['a-here'],
      'an object named directly is shown');
    assert.ok(ndjson((await ok(['ls', '--json'], { home })).out).some((b) => b.type === 'bucket' && b.bucket === bucket));
    assert.match((await ok(['ls'], { home })).out, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${bucket}$`, 'm'));
  });

test('ls --versions: every version with its own key', { timeout: 60_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('lsv', true);
  const k1 = await makeKeyFile(home, 'k1');
  const k2 = await makeKeyFile(home, 'k2', { inKeyDir: false });
  const v1 = (await putData(home, `s3://${bucket}/doc`, randomBytes(10), k1.ref)).versionId;
  const v2 = (await putData(home, `s3://${bucket}/doc`, randomBytes(20), k2.ref)).versionId;
  const lines = ndjson((await ok(['ls', `s3://${bucket}`, '--versions', '--json'], { home })).out);
  assert.deepEqual(lines.map((l) => [l.versionId, l.isLatest, l.size, l.fingerprint, l.keyAvailable]),
    [[v2, true, 20, k2.fingerprint, false], [v1, false, 10, k1.fingerprint, true]]);
  assert.match((await ok(['ls', `s3://${bucket}`, '--versions'], { home })).out, new RegExp(`doc  ${v2} \\(latest\\)`));
});

test('ls refuses a missing bucket and an http:// endpoint with one clear message', async () => {
  const home = newHome();
  const missing = await run(['ls', 's3://no-such-bucket-w10ls'], { home });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: bucket of s3:\/\/no-such-bucket-w10ls\/ does not exist\nhint: /m);
  assert.equal(missing.out, '');
  const http = await run(['ls', '--endpoint-url', 'http://127.0.0.1:1'], { home });
  assert.equal(http.code, 2);
  assert.match(http.stderr, /refusing to send an SSE-C key over plain HTTP/);
});

test('completion offers recorded s3:// paths for ls, rm and adopt as for get', async () => {
  const home = newHome();
  const bucket = await newBucket('lsc');
  const key = await makeKeyFile(home, 'k');
  await putData(home, `s3://${bucket}/dir/file`, randomBytes(10), key.ref);
  for (const cmd of ['get', 'ls', 'rm', 'adopt']) {
    const r = await ok(['__complete', 'bash', `sse3 ${cmd} s3://${bucket}/`], { home });
    assert.equal(r.out, `s3://${bucket}/dir/\n`, cmd);
  }
  const imp = await ok(['__complete', 'bash', `sse3 keys import file:x --from ${home.dir}/w`], { home });
  assert.equal(imp.out, `${home.dir}/work/\n`, 'keys import --from completes local paths, not key refs');
  const sub = await ok(['__complete', 'bash', 'sse3 keys '], { home });
  assert.deepEqual(sub.out.trim().split('\n').map((s) => s.trim()), ['export', 'import', 'list', 'rm', 'usage']);
});

test('ls of a prefix or object that holds nothing exits 1, as aws s3 ls does (an empty bucket 0); --summarize and --human-readable',
  { skip: !AWS_CLI && 'aws-cli not installed' }, async () => {
    const home = newHome();
    const bucket = await newBucket('lssum');
    const empty = await ok(['ls', `s3://${bucket}`], { home });
    assert.equal(empty.out, '', 'an empty bucket lists nothing, exit 0');
    const key = await makeKeyFile(home, 'k');
    for (const [name, size] of [['a', 10], ['dir/b', 3000], ['dir/sub/c', 2_500_000]] as const) {
      await putData(home, `s3://${bucket}/${name}`, randomBytes(size), key.ref);
    }
    for (const target of [`s3://${bucket}/nothing/`, `s3://${bucket}/nothing`, `s3://${bucket}/dir/nope.txt`]) {
      const r = await run(['ls', target], { home });
      assert.equal(r.code, 1, `${target}: ${r.stderr}`);
      assert.equal(r.out, '');
      assert.match(r.stderr, /^error: nothing at s3:\/\/\S+ on the server\nhint: see what is there with: sse3 ls s3:\/\//m);
      const aws = await runAws(['s3', 'ls', target]);
      assert.equal(aws.code, 1, `aws-cli agrees for ${target}`);
    }
    // --summarize: the totals aws s3 ls --summarize gives, in the same words.
    const mine = await ok(['ls', `s3://${bucket}`, '--recursive', '--summarize'], { home });
    const theirs = await runAws(['s3', 'ls', `s3://${bucket}`, '--recursive', '--summarize']);
    const totals = (text: string) => [/Total Objects: (\d+)/.exec(text)?.[1], /Total Size: (\d+)/.exec(text)?.[1]];
    assert.deepEqual(totals(mine.out), totals(theirs.stdout));
    assert.deepEqual(totals(mine.out), ['3', String(10 + 3000 + 2_500_000)]);
    const human = await ok(['ls', `s3://${bucket}`, '--recursive', '--summarize', '--human-readable'], { home });
    assert.match(human.out, /^\S+ \S+ +2\.38 MiB  sse-c /m);
    assert.match(human.out, /^ {3}Total Size: 2\.39 MiB$/m);
    const json = await ok(['ls', `s3://${bucket}`, '--recursive', '--summarize', '--json'], { home });
    assert.deepEqual(json.summary(), { ok: true, listed: 3, objects: 3, bytes: 10 + 3000 + 2_500_000 });
  });
