// sse3 bucket sse-c: whether a bucket blocks SSE-C writes, and --allow. Against the RGW: what Ceph really answers (an
// empty encryption configuration: nothing blocked, nothing to change, no write sent) and the usage errors. AWS's block
// itself is played by a server of the test's own (test/support/hostile-s3.ts) answering as AWS documents: the
// configuration's XML, 403 to an SSE-C write while SSE-C is blocked; and a server that does not implement the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorAnswer, xmlAnswer } from '../support/hostile-s3.js';
import { hostileSetup } from './hostile.js';
import { BIN, makeKeyFile, newBucket, newHome, ok, randomName, requestCounts, run, waitFor } from './harness.js';
import { haveTmux, Tmux } from './tmux.js';

test('Ceph RGW: a bucket with no encryption configuration blocks nothing; --allow sends no change; usage errors exit 2', async () => {
  const home = newHome();
  try {
    const bucket = await newBucket('ssec');
    const said = await ok(['bucket', 'sse-c', `s3://${bucket}`], { home });
    assert.equal(said.out, `bucket s3://${bucket} allows SSE-C writes: it has no encryption configuration, so nothing is blocked\n`);
    const log = join(home.dir, 'requests.log');
    const allow = await ok(['bucket', 'sse-c', `s3://${bucket}/`, '--allow', '--json'], { home, env: { SSE3_REQUEST_LOG: log } });
    assert.deepEqual(allow.json(), { ok: true, url: `s3://${bucket}`, bucket, state: 'no-configuration', blocked: false, rules: [],
      changed: false });
    assert.deepEqual(requestCounts(log), { GetBucketEncryptionCommand: 1 }, 'nothing to change: only the read');
    const human = await ok(['bucket', 'sse-c', `s3://${bucket}`, '--allow'], { home });
    assert.match(human.out, /nothing to change: no request was made/);

    for (const args of [[`s3://${bucket}/k`], [`s3://${bucket}`, '--yes'], [], [`s3://${bucket}`, '--nope'], ['/local/path']]) {
      const r = await run(['bucket', 'sse-c', ...args], { home });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: .+\n/, r.stderr);
    }
    assert.match((await run(['bucket', 'sse-c', `s3://${bucket}/k`], { home })).stderr,
      new RegExp(`sse3 bucket sse-c takes a bucket, s3://${bucket}, not an object or a prefix`));
    const missing = await run(['bucket', 'sse-c', `s3://${randomName('none')}`, '--json'], { home });
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(missing.error().code, 'NO_BUCKET');
  } finally {
    rmSync(home.dir, { recursive: true, force: true });
  }
});

/** A bucket configuration as AWS's GetBucketEncryption answers it: SSE-KMS by default with a bucket key, and blocked types. */
const configuration = (blocked: string) => '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>' +
  '<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:eu-west-1:111122223333:key/k1' +
  '</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>' +
  `<BlockedEncryptionTypes><EncryptionType>${blocked}</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>`;

test('AWS\'s block: a refused put names the command; the state and rules are shown; --allow needs --yes without a terminal, ' +
  'keeps the KMS rule, and writes go through after it', async (t) => {
  const { s3, home, key, sse3 } = await hostileSetup(t);
  awsBlock(s3);
  const file = join(home.dir, 'f');
  writeFileSync(file, randomBytes(100));
  const refused = await sse3(['put', file, 's3://bkt/f', '--key', key.ref]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stderr, 'error: bucket bkt blocks SSE-C writes (its encryption configuration lists SSE-C in BlockedEncryptionTypes)\n' +
    'hint: the bucket\'s owner can allow them, keeping its default encryption: sse3 bucket sse-c s3://bkt --allow\n');

  const state = await sse3(['bucket', 'sse-c', 's3://bkt']);
  assert.equal(state.code, 0, state.stderr);
  assert.equal(state.out, 'bucket s3://bkt blocks SSE-C writes\n' +
    '  rule 1: default encryption aws:kms (KMS key arn:aws:kms:eu-west-1:111122223333:key/k1), bucket key on; blocked encryption types: SSE-C\n' +
    '  to allow them, keeping the default encryption: sse3 bucket sse-c s3://bkt --allow\n');

  const unconfirmed = await sse3(['bucket', 'sse-c', 's3://bkt', '--allow', '--json']);
  assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
  assert.equal(unconfirmed.error().code, 'USAGE');
  assert.match(unconfirmed.error().message, /no terminal to confirm it/);
  assert.equal(unconfirmed.error().hint, 'confirm with --yes');
  assert.deepEqual(s3.seen((r) => r.method === 'PUT' && r.query.has('encryption')), [], 'nothing changed without a confirmation');

  const allowed = await sse3(['bucket', 'sse-c', 's3://bkt', '--allow', '--yes', '--json']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.deepEqual(allowed.json(), { ok: true, url: 's3://bkt', bucket: 'bkt', state: 'allowed', blocked: false, changed: true,
    rules: [{ sseAlgorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1', bucketKeyEnabled: true,
      blockedEncryptionTypes: ['NONE'] }] });
  const sent = s3.seen((r) => r.method === 'PUT' && r.query.has('encryption'));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].body.toString('utf8'), `<?xml version="1.0" encoding="UTF-8"?>${configuration('NONE')}`,
    'the same rule, with NONE in place of SSE-C');
  assert.equal((await sse3(['put', file, 's3://bkt/f', '--key', key.ref])).code, 0);
  const again = await sse3(['bucket', 'sse-c', 's3://bkt', '--allow']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.out, /^bucket s3:\/\/bkt allows SSE-C writes\n.*blocked encryption types: NONE\n {2}nothing to change: no request was made\n$/);
});

/** A blocked bucket on the test's server (or one that blocks nothing), whose configuration PutBucketEncryption replaces. */
function awsBlock(s3: Awaited<ReturnType<typeof hostileSetup>>['s3'], blocked = 'SSE-C'): (set?: string) => string {
  let stored = configuration(blocked);
  s3.script = (r) => {
    if (r.query.has('encryption')) {
      if (r.method === 'PUT') {
        stored = r.body.toString('utf8');
        return { status: 200, headers: {}, body: Buffer.alloc(0) };
      }
      return xmlAnswer(200, stored);
    }
    if (r.method === 'PUT' && r.headers['x-amz-server-side-encryption-customer-algorithm'] && stored.includes('>SSE-C<')) {
      return errorAnswer(403, 'AccessDenied', 'Access Denied');
    }
    return undefined;
  };
  return (set) => {
    if (set) stored = configuration(set);
    return stored;
  };
}

test('on a terminal: --allow asks first, naming the bucket; no keeps the block, yes lifts it',
  { skip: !haveTmux && 'tmux not installed', timeout: 60_000 }, async (t) => {
    const { s3, home } = await hostileSetup(t);
    const stored = awsBlock(s3);
    const env = { SSE3_HOME: home.env.SSE3_HOME!, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1',
      TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const answer of ['n', 'y']) {
      const tmux = new Tmux(['bash', '--norc', '--noprofile', '-c', `node ${BIN} ${s3.args.join(' ')} bucket sse-c s3://bkt --allow; ` +
        'echo "EXIT=$?"; read -r _'], { env, cwd: home.dir, width: 200, height: 20 });
      try {
        await waitFor('the question', () => /allow SSE-C writes to bucket bkt \(its default encryption is kept\)\? \[y\/N\]/.test(tmux.screen()),
          20_000, 50);
        tmux.keys(answer, 'Enter');
        await waitFor('the end', () => /EXIT=\d+/.test(tmux.screen()), 20_000, 50);
        const screen = tmux.screen();
        assert.match(screen, /EXIT=0/);
        if (answer === 'n') {
          assert.match(screen, /not confirmed: nothing was changed/);
          assert.match(stored(), />SSE-C</, 'the block stays');
        } else {
          assert.match(screen, /✓ bucket s3:\/\/bkt now allows SSE-C writes/);
          assert.doesNotMatch(stored(), />SSE-C</);
        }
      } finally {
        await tmux.close();
      }
    }
  });

test('a server that does not implement GetBucketEncryption: said plainly, exit 0, and --allow sends nothing', async (t) => {
  const { s3, sse3 } = await hostileSetup(t);
  const said = await sse3(['bucket', 'sse-c', 's3://bkt']);
  assert.equal(said.code, 0, said.stderr);
  assert.equal(said.out, 'the server does not implement GetBucketEncryption (it answered HTTP 501 NotImplemented): it has no SSE-C block ' +
    'to show or lift for s3://bkt\n');
  const allow = await sse3(['bucket', 'sse-c', 's3://bkt', '--allow', '--yes', '--json']);
  assert.equal(allow.code, 0, allow.stderr);
  assert.deepEqual(allow.json(), { ok: true, url: 's3://bkt', bucket: 'bkt', state: 'unsupported', blocked: null, rules: [],
    changed: false, answer: 'HTTP 501 NotImplemented' });
  assert.deepEqual(s3.seen((r) => r.method === 'PUT'), []);
});

test('every command that writes with a key, refused by the block, says so with the command that lifts it', async (t) => {
  const { s3, home, key, sse3, put } = await hostileSetup(t);
  const block = awsBlock(s3, 'NONE');
  await put('enc', randomBytes(100));
  // A plain object, as another tool stored it.
  s3.objects.set('bkt/plain', [{ versionId: 'null', body: randomBytes(50), metadata: {}, tags: {}, contentType: 'text/plain',
    etag: 'e1', lastModified: new Date() }]);
  const other = await makeKeyFile(home, 'other.key');
  const work = join(home.dir, 'work');
  mkdirSync(join(work, 'tree'), { recursive: true });
  writeFileSync(join(work, 'tree', 'a'), randomBytes(10));
  writeFileSync(join(work, 'f'), randomBytes(10));
  block('SSE-C');
  const hint = 'sse3 bucket sse-c s3://bkt --allow';
  for (const args of [['put', 'f', 's3://bkt/p'], ['cp', 'f', 's3://bkt/c'], ['mv', 'f', 's3://bkt/m'], ['sync', 'tree', 's3://bkt/s/'],
    ['cp', 's3://bkt/enc', 's3://bkt/copy'], ['rotate', 's3://bkt/enc', '--to', other.ref], ['adopt', 's3://bkt/plain', '--encrypt-plain']]) {
    const r = await sse3([...args, '--key', key.ref], { cwd: work });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /bucket bkt blocks SSE-C writes/, `${args.join(' ')} names the block: ${r.stderr}`);
    assert.ok(r.stderr.includes(hint), `${args.join(' ')} names ${hint}: ${r.stderr}`);
  }
});
