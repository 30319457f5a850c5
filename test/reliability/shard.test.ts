// Four workers, each with a home of its own, re-key one bucket with --shard: every object rotated exactly once (a
// versioned bucket shows it: one more version per object, never two), one worker killed with SIGKILL mid-run and
// finished by its rerun with --resume, verify split the same way counting every version once, and a fresh home's
// manifest pull seeing every change. Then 1, 2 and 4 workers rotate the same objects, timed for the record (not
// asserted: the machine's two cores are shared with the RGW).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { makeKeyFile, newBucket, newHome, ok, type Home, waitFor } from './support.js';
import { assertEachRotated, startWatched, uploadMany } from '../e2e/shards.js';

// 1,000 in the suite (four uploads' worth of time on a shared two-core machine); SSE3_SHARD_OBJECTS=4000 for the full run.
const OBJECTS = Number(process.env.SSE3_SHARD_OBJECTS ?? 1000);
const WORKERS = 4;

type Key = Awaited<ReturnType<typeof makeKeyFile>>;

const rotateArgs = (bucket: string, to: Key, from: Key, shard: string) =>
  ['rotate', `s3://${bucket}`, '--recursive', '--to', to.ref, '--key', from.ref, '--shard', shard, '--json', '-q'];

/**
 * A worker's run as a job engine would leave it: when it ended with objects the server did not answer for in time
 * (exit 5 on every failed item: the shared RGW under load), it is run again with --resume in its home, as a job engine
 * restarts a failed task; what the server said is kept for the test's diagnostics. Any other failure fails the test.
 */
async function finished(r: Awaited<ReturnType<typeof ok>>, args: string[], home: Home, said: string[]) {
  if (r.code === 0) return { run: r, retried: 0 };
  const failed = r.items().filter((item: any) => item.ok === false);
  assert.ok(failed.length && failed.every((item: any) => item.error.exitCode === 5), r.stderr);
  said.push(...new Set(failed.map((item: any) => item.error.message as string)));
  return { run: await ok([...args, '--resume'], { home, timeoutMs: 1_800_000 }), retried: failed.length };
}

/**
 * `count` workers, fresh homes, rotating the bucket from one key to another; their summaries, the wall time, and how
 * many objects failed because the server did not answer in time (the shared RGW under load). A worker with such
 * failures is run again with --resume in its home, as a job engine restarts a failed task; the time includes it.
 */
async function rotateWith(count: number, bucket: string, from: Key, to: Key) {
  const started = process.hrtime.bigint();
  const homes = Array.from({ length: count }, () => newHome());
  const args = (i: number) => rotateArgs(bucket, to, from, `${i}/${count}`);
  const said: string[] = [];
  const first = await Promise.all(homes.map((home, i) => startWatched(args(i), home).done));
  const runs = await Promise.all(first.map((r, i) => finished(r, args(i), homes[i], said)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summaries = runs.map((r) => r.run.summary());
  return { seconds, retried: runs.reduce((n, r) => n + r.retried, 0), said, summaries };
}

test(`${WORKERS} workers rotate ${OBJECTS} objects once each; a killed one finishes with --resume; verify and pull see it all`,
  { timeout: 3_600_000 }, async (t) => {
    const setup = newHome();
    const keys: Key[] = [];
    for (let i = 0; i < 5; i++) keys.push(await makeKeyFile(setup, `k${i}.key`));
    const bucket = await newBucket('shards', true);
    const uploadStart = Date.now();
    const objects = await uploadMany(setup, bucket, OBJECTS, keys[0].ref);
    t.diagnostic(`uploaded ${OBJECTS} objects in ${((Date.now() - uploadStart) / 1000).toFixed(1)} s`);

    // Four workers at once; worker 2 is killed (SIGKILL) once it has rotated some of its shard, rotations in flight.
    const homes: Home[] = Array.from({ length: WORKERS }, () => newHome());
    const workers = homes.map((home, i) => startWatched(rotateArgs(bucket, keys[1], keys[0], `${i}/${WORKERS}`), home));
    const victim = 2;
    await waitFor('worker 2 to rotate 40 objects', () => workers[victim].itemsSoFar() >= 40, 600_000);
    workers[victim].child.kill('SIGKILL');
    const results = await Promise.all(workers.map((w) => w.done));
    assert.equal(results[victim].signal, 'SIGKILL');
    const said: string[] = [];
    const survivors = await Promise.all(results.map((r, i) => i === victim ? undefined :
      finished(r, rotateArgs(bucket, keys[1], keys[0], `${i}/${WORKERS}`), homes[i], said)));
    if (said.length) t.diagnostic(`the server did not answer in time for some objects, done by their worker's rerun: ${said.join('; ')}`);
    const rerun = await ok([...rotateArgs(bucket, keys[1], keys[0], `${victim}/${WORKERS}`), '--resume'], { home: homes[victim],
      timeoutMs: 1_800_000 });
    const summaries = [...survivors.flatMap((r) => r ? [r.run.summary()] : []), rerun.summary()];
    assert.deepEqual(summaries.map((s) => s.shard).sort(), ['0/4', '1/4', '2/4', '3/4']);
    assert.equal(summaries.reduce((n, s) => n + s.succeeded, 0), OBJECTS, 'the shards together hold every object once');
    for (const s of summaries) assert.equal(s.failed, 0);
    const rotatedByRerun = rerun.items().filter((i: any) => i.status === 'rotated').length;
    t.diagnostic(`worker 2: killed after ${workers[victim].itemsSoFar()} objects; its rerun rotated ${rotatedByRerun} more and found ` +
      `${rerun.items().length - rotatedByRerun} already done`);
    await assertEachRotated(bucket, objects, 2, 'after the four workers');

    // A fresh home sees every change from the tags alone; four copies of it verify one shard each.
    const fresh = newHome();
    const pulled = (await ok(['manifest', 'pull', `s3://${bucket}`, '--json'], { home: fresh, timeoutMs: 1_800_000 })).json();
    assert.equal(pulled.listed, OBJECTS * 2);
    const rows = (await ok(['manifest', 'list', `s3://${bucket}`, '--json'], { home: fresh })).items();
    const current = new Map<string, string>();
    for (const r of rows) if (!current.has(r.key)) current.set(r.key, r.fingerprint);
    assert.equal([...current.values()].filter((fp) => fp === keys[1].fingerprint).length, OBJECTS, 'every object is under the new key');
    const verifiers = Array.from({ length: WORKERS }, () => {
      const home = newHome();
      cpSync(fresh.dir, home.dir, { recursive: true });
      return home;
    });
    const verified = await Promise.all(verifiers.map((home, i) => ok(['verify', `s3://${bucket}`, '--shard', `${i}/${WORKERS}`,
      '--key', keys[0].ref, '--key', keys[1].ref, '--json'], { home, timeoutMs: 1_800_000 })));
    const checked = verified.flatMap((r) => r.items().map((i: any) => `${i.key} ${i.versionId}`));
    assert.equal(checked.length, OBJECTS * 2, 'verify across the shards checked every version');
    assert.equal(new Set(checked).size, OBJECTS * 2, 'and none twice');
    assert.deepEqual(verified.map((r) => r.summary().shard), ['0/4', '1/4', '2/4', '3/4']);
    assert.ok(verified.every((r) => r.items().every((i: any) => i.status === 'ok')));

    // 1, 2 and 4 workers re-key the same objects: figures for sizing a job, each run checked like the first.
    for (const [step, count] of [[2, 1], [3, 2], [4, 4]]) {
      const run = await rotateWith(count, bucket, keys[step - 1], keys[step]);
      // A worker run again after failures counts its objects once more ("already" for those done the first time).
      if (!run.retried) assert.equal(run.summaries.reduce((n, s) => n + s.succeeded, 0), OBJECTS);
      await assertEachRotated(bucket, objects, step + 1, `after ${count} worker(s)`);
      const line = `${count} worker(s): ${OBJECTS} objects in ${run.seconds.toFixed(1)} s = ${(OBJECTS / run.seconds).toFixed(1)} objects/s, ` +
        `${(OBJECTS / run.seconds / count).toFixed(1)} objects/s per worker` +
        (run.retried ? `; ${run.retried} object(s) the server did not answer for (${run.said.join('; ')}), done by the worker's rerun with --resume` : '');
      t.diagnostic(line);
      console.log(`shard figures: ${line}`);
    }
  });
