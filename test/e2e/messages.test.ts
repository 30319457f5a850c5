// Honest messages: S3's part limits refused before any request, local disk errors said in words with the path,
// errors naming the command that met them, and NDJSON that always ends with its summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, putData, requireEnv, run } from './harness.js';
import { needsOtherUser, sse3ForOthers } from './other-user.js';

const MiB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;

/** A port nothing listens on: a request that left sse3 would fail with ECONNREFUSED (exit 5), not a usage error. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

test('--part-size outside 5 MiB … 5 GiB, or more than 10,000 parts for the size, is refused before any request (exit 2)', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const work = join(home.dir, 'work');
  writeFileSync(join(work, 'small'), randomBytes(1000));
  // 60 GiB without using the space: 5 MiB parts would make 12,288 of them.
  execFileSync('truncate', ['-s', '60G', join(work, 'huge')]);
  const endpoint = ['--endpoint-url', `https://127.0.0.1:${await closedPort()}`];
  const cases: Array<[string[], RegExp]> = [
    [['put', 'small', 's3://bucket/k', '--part-size', '4'], /--part-size 4 MiB is out of range: S3 takes parts of 5 MiB to 5 GiB/],
    [['put', 'small', 's3://bucket/k', '--part-size', '5121'], /--part-size 5121 MiB is out of range/],
    [['cp', 'small', 's3://bucket/k', '--part-size', '1'], /--part-size 1 MiB is out of range/],
    [['rotate', 's3://bucket/k', '--to', key.ref, '--part-size', '4'], /--part-size 4 MiB is out of range/],
    [['put', 'huge', 's3://bucket/k', '--part-size', '5'], /--part-size 5 MiB would cut 64424509440 bytes into 12288 parts; S3 allows at most 10,000/],
    [['cp', 'huge', 's3://bucket/k', '--part-size', '6'], /would cut 64424509440 bytes into 10240 parts/],
  ];
  for (const [args, message] of cases) {
    const r = await run([...args, ...(args[0] === 'rotate' ? [] : ['--key', key.ref]), ...endpoint], { home });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const hinted = await run(['put', 'huge', 's3://bucket/k', '--part-size', '5', '--key', key.ref, ...endpoint], { home });
  assert.match(hinted.stderr, /hint: pass --part-size 7 or more, or leave it out and sse3 picks one/);
});

test('manifest list --json ends with its summary, also when there is nothing to list', async () => {
  const home = newHome();
  assert.equal((await ok(['manifest', 'list', '--json'], { home })).out, '{"summary":{"ok":true,"entries":0}}\n');
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'k.key');
  await putData(home, `s3://${bucket}/a`, randomBytes(10), key.ref);
  await putData(home, `s3://${bucket}/b`, randomBytes(10), key.ref);
  const lines = (await ok(['manifest', 'list', '--json'], { home })).out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.key ?? l.summary), ['a', 'b', { ok: true, entries: 2 }]);
});

/** A tmpfs mounted in a temporary folder for the duration of fn. */
async function withTmpfs(dir: string, options: string, fn: () => Promise<void>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  try {
    await fn();
  } finally {
    execFileSync('umount', [dir]);
  }
}

test('a full or read-only disk is said in words with the path, and no partial file is left',
  { skip: !isRoot && 'mounting a tmpfs needs root' }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'k.key');
    await putData(home, `s3://${bucket}/obj`, randomBytes(3 * MiB), key.ref);
    const full = join(home.dir, 'full');
    await withTmpfs(full, 'size=1m', async () => {
      const r = await run(['get', `s3://${bucket}/obj`, join(full, 'obj')], { home });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: no space left on device while writing ${full}/obj\\nhint: free some space`));
      assert.deepEqual(readdirSync(full), [], 'no partial or temporary file');
    });
    const readOnly = join(home.dir, 'ro');
    await withTmpfs(readOnly, 'ro,size=1m', async () => {
      const r = await run(['get', `s3://${bucket}/obj`, join(readOnly, 'obj')], { home });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: read-only file system while writing ${readOnly}/obj\\n`));
      const k = await run(['keygen', `file:${join(readOnly, 'keys', 'new.key')}`], { home });
      assert.equal(k.code, 1, k.stderr);
      assert.match(k.stderr, new RegExp(`^error: read-only file system while creating ${readOnly}/keys\\n`));
      const k2 = await run(['keygen', `file:${join(readOnly, 'new.key')}`], { home });
      assert.match(k2.stderr, new RegExp(`^error: read-only file system while creating ${readOnly}/new.key\\n`));
    });
  });

test('permission denied is said in words with the path (sse3 run as an unprivileged user)',
  { skip: needsOtherUser }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'k.key');
    await putData(home, `s3://${bucket}/obj`, randomBytes(1000), key.ref);
    // nobody may enter the test's folder and has a home of its own, but may not write to work/ or read secret.txt.
    chmodSync(home.dir, 0o755);
    const own = join(home.dir, 'nobody');
    mkdirSync(own, { mode: 0o700 }); // an sse3 home of nobody's own (one open to others gets a warning)
    chownSync(own, 65534, 65534);
    writeFileSync(join(home.dir, 'work', 'secret.txt'), 'x', { mode: 0o600 });
    // The test CA may sit in a folder only root may enter.
    writeFileSync(join(own, 'ca.pem'), readFileSync(requireEnv('AWS_CA_BUNDLE')));
    const env = { SSE3_HOME: own, HOME: own, K: readFileSync(key.path).toString('base64'), AWS_CONFIG_FILE: join(own, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(own, 'credentials'), AWS_CA_BUNDLE: join(own, 'ca.pem') };
    // sse3 from a copy nobody may read: the checkout may be in a folder only its owner may enter.
    const { bin } = sse3ForOthers();
    const asNobody = (args: string[]) => run(args,
      { home, env, bin, wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    const g = await asNobody(['get', `s3://${bucket}/obj`, join(home.dir, 'work', 'obj'), '--key', 'env:K']);
    assert.equal(g.code, 1, g.stderr);
    assert.match(g.stderr, new RegExp(`^error: permission denied while writing ${home.dir}/work/obj\\nhint: check the permissions`));
    const p = await asNobody(['put', join(home.dir, 'work', 'secret.txt'), `s3://${bucket}/s`, '--key', 'env:K']);
    assert.equal(p.code, 1, p.stderr);
    assert.match(p.stderr, new RegExp(`^error: permission denied while reading ${home.dir}/work/secret.txt\\n`));
  });

test('head says "head" in its errors, never "get" (a hung server while reading the key fingerprint tag)', async () => {
  const home = newHome();
  const sockets: Socket[] = [];
  const hung = createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  try {
    const r = await run(['head', 's3://bucket/x', '--timeout', '1', '--endpoint-url', `https://127.0.0.1:${(hung.address() as { port: number }).port}`],
      { home, killAfterMs: 60_000 });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /the server did not answer in time during head of s3:\/\/bucket\/x/);
    assert.doesNotMatch(r.stderr, /\bget\b/);
  } finally {
    for (const s of sockets) s.destroy();
    hung.close();
  }
});
