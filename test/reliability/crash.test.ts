// kill -9 at every stage sse3 can be caught in: SSE3_FAULT makes the process SIGKILL itself at a named point
// (src/faults.ts), and a get is killed from outside once its temporary file exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fileSha256, makeKeyFile, manifestExport, manifestRows, MiB, newBucket, newHome, ok, partFiles, run, serverObjects,
  serverTags, serverUploads, sha256, start, waitFor, workDir, workFiles, type Home,
} from './support.js';
import { tempFileOwner } from '../../src/core/transfer/tempfiles.js';

async function bigFile(home: Home, name: string, size: number): Promise<string> {
  const data = randomBytes(size);
  writeFileSync(join(workDir(home), name), data);
  return sha256(data);
}

/** Put with a fault point: the process must die by its own SIGKILL, not exit. */
async function putKilledAt(fault: string, home: Home, src: string, url: string, keyRef: string) {
  const r = await run(['put', src, url, '--key', keyRef, '--part-size', '5', '--concurrency', '2'],
    { home, env: { SSE3_FAULT: fault } });
  assert.equal(r.signal, 'SIGKILL', `put with SSE3_FAULT=${fault} was expected to be killed; exit ${r.code}: ${r.stderr}`);
  return r;
}

for (const [fault, nextRun] of [['after-part-2', 'the rerun put'], ['before-complete', 'an unrelated verify']] as const) {
  test(`kill -9 at ${fault}: no manifest row, the upload stays listed, ${nextRun} aborts it, the rerun put succeeds`,
    { timeout: 120_000 }, async () => {
      const home = newHome();
      const bucket = await newBucket('crash');
      const key = await makeKeyFile(home, 'k.key');
      const digest = await bigFile(home, 'big.bin', 23 * MiB + 17);
      const url = `s3://${bucket}/big.bin`;
      await putKilledAt(fault, home, 'big.bin', url, key.ref);

      assert.deepEqual(await manifestRows(home), [], 'nothing recorded for an object that was never written');
      assert.equal((await serverObjects(bucket)).has('big.bin'), false, 'no object committed');
      const left = await serverUploads(bucket);
      assert.equal(left.length, 1, 'the killed upload is still on the server right after the kill');
      const pending = (await manifestExport(home)).pendingUploads;
      assert.equal(pending.length, 1, 'the manifest remembers the upload it could not finish');
      assert.equal(pending[0].uploadId, left[0].UploadId);

      if (fault === 'after-part-2') {
        const again = await ok(['put', 'big.bin', url, '--key', key.ref, '--part-size', '5', '--json'], { home });
        assert.equal(again.json().sha256, digest);
        assert.deepEqual(await serverUploads(bucket), [], 'the rerun aborted the killed upload');
      } else {
        // Any run against the endpoint cleans up, even one that has nothing to do with the object.
        await ok(['verify'], { home });
        assert.deepEqual(await serverUploads(bucket), [], 'the next run aborted the killed upload');
        await ok(['put', 'big.bin', url, '--key', key.ref, '--part-size', '5'], { home });
        assert.deepEqual(await serverUploads(bucket), []);
      }
      assert.deepEqual((await manifestExport(home)).pendingUploads, []);
      const rows = await manifestRows(home);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].sha256, digest);
      assert.equal(rows[0].size, 23 * MiB + 17);
      await ok(['get', url, 'back.bin'], { home });
      assert.equal(fileSha256(join(workDir(home), 'back.bin')), digest);
    });
}

test('kill -9 at after-complete: the object is committed and no upload is left; a rerun put records it with its SHA-256',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('crash');
    const key = await makeKeyFile(home, 'k.key');
    const size = 12 * MiB + 3;
    const digest = await bigFile(home, 'done.bin', size);
    const url = `s3://${bucket}/done.bin`;
    await putKilledAt('after-complete', home, 'done.bin', url, key.ref);

    assert.equal((await serverObjects(bucket)).get('done.bin'), size, 'the object was committed before the kill');
    assert.deepEqual(await serverUploads(bucket), [], 'a completed upload is not left on the server');
    // Until a run against the server records the object it became, the upload stays on record with its checksum.
    const pending = (await manifestExport(home)).pendingUploads;
    assert.deepEqual(pending.map((u) => (u as { completing?: { sha256: string } }).completing?.sha256), [digest]);

    await ok(['put', 'done.bin', url, '--key', key.ref, '--part-size', '5'], { home });
    assert.deepEqual((await manifestExport(home)).pendingUploads, []);
    const rows = await manifestRows(home);
    assert.equal(rows.length, 1);
    assert.deepEqual({ fp: rows[0].fingerprint, size: rows[0].size, sha256: rows[0].sha256 },
      { fp: key.fingerprint, size, sha256: digest });
    assert.equal((await serverTags(bucket, 'done.bin'))['sse3-sha256'], digest);
    const g = await ok(['get', url, 'back.bin', '--json'], { home });
    assert.equal(g.json().checksumSource, 'manifest');
    assert.equal(fileSha256(join(workDir(home), 'back.bin')), digest);
    await ok(['verify', '--deep'], { home });
  });

test('kill -9 at after-complete: the next run against the endpoint records the committed object',
  {
    timeout: 120_000,
  }, async () => {
    const home = newHome();
    const bucket = await newBucket('crash');
    const key = await makeKeyFile(home, 'k.key');
    const size = 12 * MiB + 5;
    const digest = await bigFile(home, 'done.bin', size);
    const url = `s3://${bucket}/done.bin`;
    await putKilledAt('after-complete', home, 'done.bin', url, key.ref);
    assert.equal((await serverObjects(bucket)).get('done.bin'), size);

    // Correct means: the object sse3 committed is on record after the next run, with the SHA-256 sse3 computed,
    // so get checks it and verify --deep covers it, without the user re-uploading anything.
    await ok(['verify'], { home });
    const rows = await manifestRows(home);
    assert.equal(rows.length, 1, 'the committed object is recorded by the next run');
    assert.deepEqual({ fp: rows[0].fingerprint, size: rows[0].size, sha256: rows[0].sha256 },
      { fp: key.fingerprint, size, sha256: digest });
    assert.equal((await serverTags(bucket, 'done.bin'))['sse3-fp'], key.fingerprint, 'the tag names the key');
    const g = await ok(['get', url, 'back.bin', '--json'], { home });
    assert.equal(g.json().verified, true, 'the download is checked against the SHA-256 computed at upload');
  });

test('kill -9 of get mid-download: no destination file; the rerun removes the stale .part file and succeeds',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('crash');
    const key = await makeKeyFile(home, 'k.key');
    const size = 64 * MiB;
    const digest = await bigFile(home, 'src.bin', size);
    const url = `s3://${bucket}/src.bin`;
    await ok(['put', 'src.bin', url, '--key', key.ref, '--part-size', '16'], { home });

    const dir = workDir(home);
    const get = start(['get', url, 'out.bin', '--json'], { home });
    // Killed once the temporary file holds some data but long before 64 MiB arrived.
    const part = await waitFor('the get\'s temporary file', () => partFiles(dir).find((n) => {
      try { return statSync(join(dir, n)).size > 0; } catch { return false; }
    }), 60_000, 2);
    process.kill(get.pid, 'SIGKILL');
    const killed = await get.done;
    assert.equal(killed.signal, 'SIGKILL', `get finished before it could be killed (exit ${killed.code})`);
    assert.equal(tempFileOwner(part), get.pid, 'the temp file names its process');

    assert.equal(existsSync(join(dir, 'out.bin')), false, 'a killed get never leaves a file under the real name');
    const stale = partFiles(dir);
    assert.ok(stale.length <= 1, `at most the killed run's temp file remains: ${stale}`);
    if (stale.length) assert.ok(statSync(join(dir, stale[0])).size < size, 'the leftover is partial');

    const again = await ok(['get', url, 'out.bin', '--json'], { home });
    assert.equal(again.json().verified, true);
    assert.equal(fileSha256(join(dir, 'out.bin')), digest);
    assert.deepEqual(partFiles(dir), [], 'no temporary file left after the rerun');
    assert.deepEqual(workFiles(home), ['out.bin', 'src.bin']);
  });

/** Does key REF open the object? (head with --key reports whether the server's key MD5 matches.) */
async function opensWith(home: Home, url: string, ref: string): Promise<boolean> {
  const r = await run(['head', url, '--key', ref, '--json'], { home });
  if (r.code === 3) {
    assert.equal(r.json().error.code, 'WRONG_KEY', r.stderr);
    return false;
  }
  assert.equal(r.code, 0, r.stderr);
  return r.json().keyMatches === true;
}

for (const fault of ['rotate-journalled', 'rotate-written'] as const) {
  test(`kill -9 of rotate at ${fault}: every object always opens with a recorded key; rotate --resume finishes`,
    { timeout: 180_000 }, async () => {
      const home = newHome();
      const bucket = await newBucket('crashrot');
      // Both keys in the key folder: --resume finds them by the fingerprints the journal holds.
      const oldKey = await makeKeyFile(home, 'old.key');
      const newKey = await makeKeyFile(home, 'new.key');
      const names = ['r/a.txt', 'r/b.txt', 'r/c.txt'];
      const digests = new Map<string, string>();
      for (const n of names) {
        const data = randomBytes(50_000 + n.charCodeAt(2));
        digests.set(n, sha256(data));
        writeFileSync(join(workDir(home), 'f'), data);
        await ok(['put', 'f', `s3://${bucket}/${n}`, '--key', oldKey.ref], { home });
      }

      const killed = await run(['rotate', `s3://${bucket}/r/`, '--recursive', '--to', newKey.ref, '--jobs', '1'],
        { home, env: { SSE3_FAULT: fault } });
      assert.equal(killed.signal, 'SIGKILL', `rotate was expected to be killed; exit ${killed.code}: ${killed.stderr}`);

      const before = await manifestExport(home);
      assert.equal(before.pendingRotations.length, 1, 'the rotation in flight is journalled');
      const journalled = before.pendingRotations[0];
      assert.deepEqual([journalled.oldFingerprint, journalled.newFingerprint], [oldKey.fingerprint, newKey.fingerprint]);
      // Right after the kill: whichever key opens each object is on record (its manifest row or the open journal entry).
      for (const n of names) {
        const url = `s3://${bucket}/${n}`;
        const opener = await opensWith(home, url, oldKey.ref) ? oldKey : await opensWith(home, url, newKey.ref) ? newKey : undefined;
        assert.ok(opener, `${n} opens with neither key`);
        const recorded = new Set(before.objects.filter((o) => o.key === n).map((o) => o.fingerprint));
        if (journalled.key === n) { recorded.add(journalled.oldFingerprint); recorded.add(journalled.newFingerprint); }
        assert.ok(recorded.has(opener.fingerprint), `${n} opens with ${opener.fingerprint}, which is not on record`);
      }
      if (fault === 'rotate-written') {
        assert.equal(await opensWith(home, `s3://${bucket}/${journalled.key}`, newKey.ref), true, 'the write landed before the kill');
      } else {
        assert.equal(await opensWith(home, `s3://${bucket}/${journalled.key}`, oldKey.ref), true, 'nothing was written before the kill');
      }

      const resumed = await ok(['rotate', '--resume', '--json'], { home });
      const report = resumed.json();
      assert.equal(report.ok, true);
      assert.equal(report.settled.length, 1);
      assert.equal(report.settled[0].outcome, fault === 'rotate-written' ? 'new-key' : 'old-key');

      const after = await manifestExport(home);
      assert.deepEqual(after.pendingRotations, [], 'no rotation left open');
      assert.equal(after.objects.find((o) => o.key === journalled.key)?.fingerprint, newKey.fingerprint,
        'the interrupted object ends under the new key');
      assert.equal((await serverTags(bucket, journalled.key))['sse3-fp'], newKey.fingerprint, 'and its tag says so');
      for (const n of names) {
        const url = `s3://${bucket}/${n}`;
        const row = after.objects.find((o) => o.key === n);
        assert.ok(row, `${n} is recorded`);
        assert.equal(row.sha256, digests.get(n), `${n}: the recorded SHA-256 survived the crash`);
        const h = (await ok(['head', url, '--json'], { home })).json();
        assert.equal(h.fingerprint, row.fingerprint);
        assert.equal(h.keyMatches, true, `${n} opens with the key the manifest records`);
        const g = (await ok(['get', url, 'back', '--json'], { home })).json();
        assert.equal(g.verified, true);
        assert.equal(fileSha256(join(workDir(home), 'back')), digests.get(n), `${n} content`);
      }
      await ok(['verify', `s3://${bucket}`, '--deep'], { home });
    });
}
