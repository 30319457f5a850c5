// What sse3 can tell is wrong without asking the server is refused before any request: a key longer than S3 takes, a
// part size that is not a size, a region that is not a region name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, requestCounts, run } from './harness.js';

test('a key over 1024 bytes of UTF-8 is refused before any request (exit 2); 1024 bytes is stored', async () => {
  const home = newHome();
  const bucket = await newBucket('checks');
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'f'), 'data');
  const log = join(home.dir, 'requests.log');
  const long = 'a'.repeat(1025);
  const accented = 'é'.repeat(513); // 513 characters, 1026 bytes
  for (const args of [['put', 'f', `s3://${bucket}/${long}`], ['put', 'f', `s3://${bucket}/${accented}`],
    ['put', 'f', `s3://${bucket}/${'d'.repeat(1023)}/`], ['cp', 'f', `s3://${bucket}/${'d'.repeat(1023)}/`],
    ['get', `s3://${bucket}/${long}`, 'out'], ['rm', `s3://${bucket}/${long}`]]) {
    const r = await run([...args, ...(args[0] === 'rm' ? [] : ['--key', key.ref])], { home, env: { SSE3_REQUEST_LOG: log } });
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, /is (1025|1026) bytes long; S3 keys are at most 1024 bytes/);
    assert.deepEqual(requestCounts(log), {}, `${args[0]}: no request was sent`);
  }
  // A batch's keys are checked one by one: the too-long one fails, named, the others are stored.
  const dir = join(work, 'tree');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'short'), 'short');
  writeFileSync(join(dir, 'sub', 'x'.repeat(200)), 'long');
  const prefix = 'p'.repeat(830);
  const batch = await run(['cp', '-r', dir, `s3://${bucket}/${prefix}/`, '--key', key.ref, '--json'], { home });
  assert.equal(batch.code, 2, `the batch exits with its failure's status: ${batch.stderr}`);
  const lines = batch.items();
  assert.deepEqual(lines.filter((l) => l.ok === false).map((l) => [l.error.code, l.path]), [['BAD_URL', join(dir, 'sub', 'x'.repeat(200))]]);
  assert.deepEqual(lines.filter((l) => l.ok === true).map((l) => l.key), [`${prefix}/short`]);

  const exact = 'k'.repeat(1024);
  await ok(['put', 'f', `s3://${bucket}/${exact}`, '--key', key.ref], { home });
  await ok(['get', `s3://${bucket}/${exact}`, 'back', '--key', key.ref], { home });
  assert.equal(readFileSync(join(work, 'back'), 'utf8'), 'data');
});

test('--part-size: sizes with binary units and fractions of a MiB; 0x10, 1e1 and decimal units refused (exit 2)', async () => {
  const home = newHome();
  const bucket = await newBucket('checks');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(12 * 1024 * 1024 + 5);
  writeFileSync(join(home.dir, 'work', 'big'), data);
  const log = join(home.dir, 'requests.log');
  for (const size of ['0x10', '1e1', '8MB', '8 MiB', '']) {
    const r = await run(['put', 'big', `s3://${bucket}/bad`, '--key', key.ref, '--part-size', size], { home, env: { SSE3_REQUEST_LOG: log } });
    assert.equal(r.code, 2, `${size}: ${r.stderr}`);
    assert.match(r.stderr, /--part-size takes a size such as 8, 8MiB, 512KiB or 1GiB/);
  }
  assert.deepEqual(requestCounts(log), {});
  const parts = async (size: string) => (await ok(['put', 'big', `s3://${bucket}/p${size}`, '--key', key.ref, '--part-size', size, '--json'],
    { home })).json().parts;
  assert.equal(await parts('5.5'), 3, '5.5 MiB parts: 12 MiB in three');
  assert.equal(await parts('6MiB'), 3);
  assert.equal(await parts('6144KiB'), 3);
  assert.equal(await parts('8'), 2);
  const small = await run(['put', 'big', `s3://${bucket}/s`, '--key', key.ref, '--part-size', '4096KiB'], { home });
  assert.equal(small.code, 2);
  assert.match(small.stderr, /--part-size 4 MiB is out of range: S3 takes parts of 5 MiB to 5 GiB/);
});

test('a region that is not a region name, from --region, AWS_REGION or a profile, is refused before any request (exit 2)', async () => {
  const home = newHome();
  const bucket = await newBucket('checks');
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'data');
  const log = join(home.dir, 'requests.log');
  const config = join(home.dir, 'aws-config');
  writeFileSync(config, '[profile odd]\nregion = eu west\n');
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--region', 'us east 1'], {}, /--region "us east 1" is not a region name/],
    [['--region', '-us-east-1'], {}, /--region "-us-east-1" is not a region name/],
    [['--region', 'us_east_1'], {}, /--region "us_east_1" is not a region name/],
    [[], { AWS_REGION: 'us-east-1/../x' }, /AWS_REGION "us-east-1\/\.\.\/x" is not a region name/],
    [['--profile', 'odd'], { AWS_CONFIG_FILE: config, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined },
      /the region of profile odd "eu west" is not a region name/],
  ];
  for (const [flags, env, message] of cases) {
    const r = await run(['put', 'f', `s3://${bucket}/k`, '--key', key.ref, ...flags], { home, env: { ...env, SSE3_REQUEST_LOG: log } });
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(requestCounts(log), {});
  await ok(['put', 'f', `s3://${bucket}/k`, '--key', key.ref, '--region', 'us-east-1'], { home });
});
