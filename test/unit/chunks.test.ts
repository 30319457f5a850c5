import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BoundedPool, fixedChunks } from '../../src/core/transfer/pools.js';
import { partSizeFor, MiB } from '../../src/core/transfer/partsize.js';
import { Sse3Error } from '../../src/errors.js';
import { promisesSettled } from '../support/wait.js';

async function sizes(total: number, piece: number, size: number): Promise<number[]> {
  const pieces = [];
  for (let i = 0; i < total; i += piece) pieces.push(Buffer.alloc(Math.min(piece, total - i), i % 251));
  const out = [];
  for await (const c of fixedChunks(Readable.from(pieces), size)) out.push(c.length);
  return out;
}

test('fixedChunks cuts any stream into full parts and one short tail', async () => {
  assert.deepEqual(await sizes(0, 1, 10), [0]);
  assert.deepEqual(await sizes(10, 3, 10), [10]);
  assert.deepEqual(await sizes(25, 7, 10), [10, 10, 5]);
  assert.deepEqual(await sizes(30, 30, 10), [10, 10, 10]);
  assert.deepEqual(await sizes(31, 4, 10), [10, 10, 10, 1]);
});

test('fixedChunks keeps bytes in order', async () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const parts = [];
  for await (const c of fixedChunks(Readable.from([data.subarray(0, 333), data.subarray(333)]), 128)) parts.push(c);
  assert.deepEqual(Buffer.concat(parts), data);
});

test('BoundedPool never runs more than its limit and surfaces the first failure', async () => {
  const pool = new BoundedPool(3);
  let running = 0;
  let peak = 0;
  for (let i = 0; i < 12; i++) {
    await pool.add(async () => {
      running++;
      peak = Math.max(peak, running);
      await promisesSettled(); // every task started so far is running now
      running--;
    });
  }
  await pool.drain();
  assert.equal(peak, 3);

  const failing = new BoundedPool(2);
  await failing.add(async () => { throw new Error('boom'); });
  await assert.rejects(async () => {
    for (let i = 0; i < 5; i++) await failing.add(() => promisesSettled());
    await failing.drain();
  }, /boom/);
});

test('the default part size grows to stay within 10,000 parts; a part size asked for that would exceed them is refused', () => {
  assert.equal(partSizeFor(undefined, undefined), 8 * MiB);
  assert.equal(partSizeFor(undefined, 8 * MiB), 8 * MiB);
  assert.equal(partSizeFor(1024 * MiB, 8 * MiB), 8 * MiB);
  const huge = 200 * 1024 * MiB;
  assert.ok(Math.ceil(huge / partSizeFor(huge, undefined)) <= 10_000);
  assert.equal(partSizeFor(huge, 21 * MiB), 21 * MiB);
  assert.throws(() => partSizeFor(huge, 8 * MiB), (e: Sse3Error) => e.code === 'USAGE' && e.exitCode === 2 &&
    /would cut 214748364800 bytes into 25600 parts; S3 allows at most 10,000/.test(e.message) && /--part-size 21 or more/.test(e.hint!));
  assert.throws(() => partSizeFor(60 * 1024 * 1024 * MiB, undefined), (e: Sse3Error) => e.code === 'USAGE');
});
