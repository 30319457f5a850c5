// The gateway itself fails: radosgw killed in the middle of a transfer and started again, or frozen with SIGSTOP.
// The gateway is found through scripts/rgw.sh (SSE3_RGW_DIR) and signalled by its recorded PID only; every test
// leaves it running and answering, whatever happened, because later tests and files need it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fileSha256, gatewayAnswers, gatewayPid, makeKeyFile, manifestExport, manifestRows, MiB, newBucket, newHome, ok,
  partFiles, restartGateway, run, type RunResult, serverObjects, serverUploads, sha256, start, waitFor, workDir,
  type Home,
} from '../support.js';

const haveGateway = Boolean(process.env.SSE3_RGW_DIR);
const skip = !haveGateway && 'SSE3_RGW_DIR is not set (run through npm run test:reliability)';

/** Whatever a test did to the gateway, the next one finds it up. */
async function ensureGatewayUp(): Promise<void> {
  if (await gatewayAnswers()) return;
  restartGateway();
  await waitFor('the gateway to answer after a restart', () => gatewayAnswers(), 60_000, 200);
}

/**
 * How long a command may take to give up on a frozen gateway with --timeout 2: the README promises at most about
 * 6 x the timeout (3 attempts, a stalled TLS handshake counting twice), plus start-up.
 */
const BOUND_MS = 16_000;

function cont(pid: number): void {
  try { process.kill(pid, 'SIGCONT'); } catch { /* already gone: ensureGatewayUp restarts it */ }
}

async function seeded(home: Home, bucket: string, name: string, size: number, keyRef: string): Promise<string> {
  const data = randomBytes(size);
  writeFileSync(join(workDir(home), name), data);
  await ok(['put', name, `s3://${bucket}/${name}`, '--key', keyRef, '--part-size', '16'], { home });
  return sha256(data);
}

/** Checks shared by both outage tests: whatever the put's outcome, nothing is lost and nothing is left behind. */
async function assertNothingLost(home: Home, bucket: string, url: string, data: Buffer, put: RunResult): Promise<void> {
  if (put.code === 5) {
    assert.match(put.stderr, /^error: (cannot reach the S3 server|the server did not answer in time)/m);
    assert.match(put.stderr, /^hint: /m);
    assert.deepEqual(await manifestRows(home), [], 'a failed put records nothing');
    assert.equal((await serverObjects(bucket)).has('large.bin'), false, 'and commits nothing');
    // The abort may not have reached the dead gateway: then the upload stays on record for the next run.
    const pending = (await manifestExport(home)).pendingUploads;
    const onServer = await serverUploads(bucket);
    for (const u of onServer) {
      assert.ok(pending.some((p) => p.uploadId === u.UploadId), `upload ${u.UploadId} left on the server is not on record`);
    }
    await ok(['verify'], { home });
    assert.deepEqual(await serverUploads(bucket), [], 'the next run aborted the upload the failed put left');
    assert.deepEqual((await manifestExport(home)).pendingUploads, []);
    const again = await ok(['put', 'large.bin', url, '--key', `file:${join(home.keyDir, 'k.key')}`, '--part-size', '16', '--json'],
      { home });
    assert.equal(again.json().sha256, sha256(data));
  } else {
    assert.equal(put.code, 0, `put exited ${put.code} (${put.signal}): ${put.stderr}`);
    assert.equal(put.json().sha256, sha256(data));
  }
  // Either way: one row that matches the object the server holds, and no upload left behind.
  await ok(['verify'], { home });
  assert.deepEqual(await serverUploads(bucket), []);
  assert.deepEqual((await manifestExport(home)).pendingUploads, []);
  const rows = await manifestRows(home);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].sha256, sha256(data));
  assert.equal((await serverObjects(bucket)).get('large.bin'), data.length);
  await ok(['get', url, 'back.bin'], { home });
  assert.equal(fileSha256(join(workDir(home), 'back.bin')), sha256(data));
}

async function startLargePut(prefix: string) {
  const home = newHome();
  const bucket = await newBucket(prefix);
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(96 * MiB);
  writeFileSync(join(workDir(home), 'large.bin'), data);
  const url = `s3://${bucket}/large.bin`;
  // One 5 MiB part at a time, so the upload is still going when the gateway dies.
  const put = start(['put', 'large.bin', url, '--key', key.ref, '--part-size', '5', '--concurrency', '1', '--timeout', '5', '--json'],
    { home });
  await waitFor('the multipart upload to start', async () => (await serverUploads(bucket)).length > 0, 60_000, 20);
  return { home, bucket, key, data, url, put };
}

test('radosgw killed (SIGKILL) mid-put and restarted at once: the put succeeds through retries or exits 5; nothing is lost',
  { skip, timeout: 180_000 }, async () => {
    let t: Awaited<ReturnType<typeof startLargePut>> | undefined;
    try {
      t = await startLargePut('srvkill');
      process.kill(gatewayPid(), 'SIGKILL');
      restartGateway();
    } finally {
      await ensureGatewayUp();
    }
    await assertNothingLost(t.home, t.bucket, t.url, t.data, await t.put.done);
  });

test('radosgw killed (SIGKILL) mid-put and down until the put gives up: exit 5, then the next run cleans up',
  { skip, timeout: 180_000 }, async () => {
    let t: Awaited<ReturnType<typeof startLargePut>> | undefined;
    let put: RunResult;
    try {
      t = await startLargePut('srvdown');
      process.kill(gatewayPid(), 'SIGKILL');
      // While it is down, other commands fail fast with exit 5 too.
      const h = await run(['head', t.url, '--timeout', '2'], { home: t.home, killAfterMs: 60_000 });
      assert.equal(h.code, 5, h.stderr);
      assert.match(h.stderr, /^error: cannot reach the S3 server \(ECONNREFUSED\) during \w+ of /m);
      put = await t.put.done;
      assert.equal(put.code, 5, `put with the gateway down exited ${put.code} (${put.signal}): ${put.stderr}`);
    } finally {
      await ensureGatewayUp();
    }
    assert.ok((await serverUploads(t.bucket)).length > 0, 'the upload the failed put could not abort is still on the server');
    await assertNothingLost(t.home, t.bucket, t.url, t.data, put);
  });

test('radosgw frozen (SIGSTOP): head and get with --timeout 2 fail with exit 5 in bounded time; all works after SIGCONT',
  { skip, timeout: 180_000 }, async (t) => {
    const home = newHome();
    const bucket = await newBucket('srvstop');
    const key = await makeKeyFile(home, 'k.key');
    const digest = await seeded(home, bucket, 'small.bin', 300_000, key.ref);
    const url = `s3://${bucket}/small.bin`;
    const pid = gatewayPid();
    const bound = BOUND_MS;
    process.kill(pid, 'SIGSTOP');
    try {
      for (const args of [['head', url], ['get', url, 'out.bin']]) {
        const t0 = Date.now();
        const r = await run([...args, '--timeout', '2'], { home, killAfterMs: 90_000 });
        const elapsed = Date.now() - t0;
        t.diagnostic(`${args[0]} with the gateway frozen gave up after ${elapsed} ms`);
        assert.equal(r.code, 5, `${args[0]}: ${r.signal ?? ''} ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^error: the server did not answer in time during ${args[0]} of ${url.replace(/[./]/g, '\\$&')}$`, 'm'));
        assert.match(r.stderr, /^hint: .*--timeout SECONDS/m);
        assert.ok(elapsed < bound, `${args[0]} took ${elapsed} ms with --timeout 2`);
        assert.ok(elapsed >= 2_000, `${args[0]} gave up after ${elapsed} ms, before the timeout`);
      }
      assert.equal(existsSync(join(workDir(home), 'out.bin')), false, 'no file from a get that timed out');
      assert.deepEqual(partFiles(workDir(home)), [], 'and no temporary file');
    } finally {
      cont(pid);
      await ensureGatewayUp();
    }
    const h = (await ok(['head', url, '--json', '--timeout', '5'], { home })).json();
    assert.equal(h.keyMatches, true);
    await ok(['get', url, 'out.bin', '--timeout', '5'], { home });
    assert.equal(fileSha256(join(workDir(home), 'out.bin')), digest);
    assert.equal(gatewayPid(), pid, 'the same gateway process recovered: nothing was restarted');
  });

test('radosgw frozen (SIGSTOP) in the middle of a get: exit 5 within the timeout bound, no partial file',
  {
    skip, timeout: 180_000,
  }, async (t) => {
    const home = newHome();
    const bucket = await newBucket('srvstop');
    const key = await makeKeyFile(home, 'k.key');
    const size = 128 * MiB;
    const digest = await seeded(home, bucket, 'big.bin', size, key.ref);
    const url = `s3://${bucket}/big.bin`;
    const dir = workDir(home);
    const bound = BOUND_MS;
    const pid = gatewayPid();
    // Killed at the bound plus a margin, so a get that never gives up fails this test instead of hanging the run.
    const get = start(['get', url, 'out.bin', '--timeout', '2'], { home, killAfterMs: 120_000 });
    let stoppedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    try {
      await waitFor('the get\'s temporary file', () => partFiles(dir).some((n) => {
        try { return statSync(join(dir, n)).size > 0; } catch { return false; }
      }), 60_000, 2);
      process.kill(pid, 'SIGSTOP');
      stoppedAt = Date.now();
      timer = setTimeout(() => get.child.kill('SIGKILL'), bound + 5_000);
      const r = await get.done;
      const elapsed = Date.now() - stoppedAt;
      t.diagnostic(`get with the gateway frozen mid-download ended after ${elapsed} ms (exit ${r.code}, signal ${r.signal})`);
      assert.equal(r.signal, null, `get did not give up within ${bound + 5_000} ms of the gateway freezing`);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /^error: the server did not answer in time during get of /m);
      assert.ok(elapsed < bound, `get took ${elapsed} ms to give up with --timeout 2`);
      assert.equal(existsSync(join(dir, 'out.bin')), false, 'no partial file under the real name');
      assert.deepEqual(partFiles(dir), [], 'the failed get removed its temporary file');
    } finally {
      clearTimeout(timer);
      cont(pid);
      if (get.child.exitCode === null && get.child.signalCode === null) get.child.kill('SIGKILL');
      await get.done.catch(() => undefined);
      await ensureGatewayUp();
    }
    await ok(['get', url, 'out.bin', '--timeout', '10'], { home });
    assert.equal(fileSha256(join(dir, 'out.bin')), digest);
    assert.deepEqual(partFiles(dir), []);
  });

test('radosgw frozen (SIGSTOP) in the middle of a multipart file upload: exit 5 within the timeout bound; nothing lost',
  { skip, timeout: 180_000 }, async (t) => {
    const home = newHome();
    const bucket = await newBucket('srvstopput');
    const key = await makeKeyFile(home, 'k.key');
    const data = randomBytes(96 * MiB);
    writeFileSync(join(workDir(home), 'large.bin'), data);
    const url = `s3://${bucket}/large.bin`;
    const pid = gatewayPid();
    // Parts streamed from disk are retried by sse3 itself: the same bound as every other request must hold for them.
    const put = start(['put', 'large.bin', url, '--key', key.ref, '--part-size', '5', '--concurrency', '2', '--timeout', '2', '--json'],
      { home, killAfterMs: 120_000 });
    let stoppedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let r: RunResult;
    try {
      await waitFor('the multipart upload to start', async () => (await serverUploads(bucket)).length > 0, 60_000, 20);
      process.kill(pid, 'SIGSTOP');
      stoppedAt = Date.now();
      timer = setTimeout(() => put.child.kill('SIGKILL'), BOUND_MS + 5_000);
      r = await put.done;
      const elapsed = Date.now() - stoppedAt;
      t.diagnostic(`put with the gateway frozen mid-upload ended after ${elapsed} ms (exit ${r.code}, signal ${r.signal})`);
      assert.equal(r.signal, null, `put did not give up within ${BOUND_MS + 5_000} ms of the gateway freezing`);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /^error: the server did not answer in time during put of /m);
      assert.ok(elapsed < BOUND_MS, `put took ${elapsed} ms to give up with --timeout 2`);
    } finally {
      clearTimeout(timer);
      cont(pid);
      if (put.child.exitCode === null && put.child.signalCode === null) put.child.kill('SIGKILL');
      await put.done.catch(() => undefined);
      await ensureGatewayUp();
    }
    await assertNothingLost(home, bucket, url, data, r!);
  });
