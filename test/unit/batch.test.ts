import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead, runBatch } from '../../src/core/runtime/batch.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A source that counts what was taken from it, and items that finish in a shuffled order. */
function tracked(n: number, small: (i: number) => boolean = () => false) {
  const state = { taken: 0, done: 0, running: 0, maxRunning: 0, maxHeld: 0 };
  async function* source() {
    for (let i = 0; i < n; i++) {
      await tick();
      state.taken++;
      state.maxHeld = Math.max(state.maxHeld, state.taken - state.done);
      yield { i, small: small(i) };
    }
  }
  const work = async (item: { i: number }) => {
    state.running++;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    for (let k = 0; k < 40 + (item.i * 7) % 13; k++) await tick();
    state.running--;
    state.done++;
    return item.i;
  };
  return { state, source, work };
}

test('runBatch over an async source holds no more than what runs plus the one item waiting for room', async () => {
  const { state, source, work } = tracked(300);
  const seen: number[] = [];
  const s = await runBatch(source(), work, (o) => seen.push(o.result!), { jobs: 4 });
  assert.equal(s.ok, 300);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
  assert.equal(state.maxRunning, 4);
  assert.ok(state.maxHeld <= 4 + 1, `held ${state.maxHeld}`);
});

test('runBatch behind readAhead holds at most the read-ahead bound more', async () => {
  const { state, source, work } = tracked(300);
  const s = await runBatch(readAhead(source(), 16), work, () => undefined, { jobs: 4 });
  assert.equal(s.ok, 300);
  assert.ok(state.maxHeld <= 4 + 1 + 16, `held ${state.maxHeld}`);
  assert.ok(state.maxHeld > 4 + 1, 'the read-ahead did read ahead');
});

test('runBatch runs smallJobs small items at once, jobs large ones, and a mix within the same budget', async () => {
  const small = tracked(200, () => true);
  await runBatch(small.source(), small.work, () => undefined, { jobs: 4, smallJobs: 16, isSmall: (x) => x.small });
  assert.equal(small.state.maxRunning, 16);
  assert.ok(small.state.maxHeld <= 17, `held ${small.state.maxHeld}`);

  const large = tracked(100);
  await runBatch(large.source(), large.work, () => undefined, { jobs: 4, smallJobs: 16, isSmall: (x) => x.small });
  assert.equal(large.state.maxRunning, 4);

  // One large item takes the room of four small ones: never more than 3 large + 4 small, or 2 large + 8 small, ...
  const mixed = tracked(300, (i) => i % 3 !== 0);
  let load = 0;
  let maxLoad = 0;
  await runBatch(mixed.source(), async (item) => {
    load += item.small ? 1 : 4;
    maxLoad = Math.max(maxLoad, load);
    const r = await mixed.work(item);
    load -= item.small ? 1 : 4;
    return r;
  }, () => undefined, { jobs: 4, smallJobs: 16, isSmall: (x) => x.small });
  assert.ok(maxLoad <= 16, `load ${maxLoad}`);
  assert.ok(mixed.state.maxRunning > 4, 'small items ran beside large ones');
});

test('runBatch ordered: outcomes come in the items\' order while they run in parallel, and at most jobs wait or run', async () => {
  const { state, source, work } = tracked(200);
  const seen: number[] = [];
  let reportedBefore = 0;
  const s = await runBatch(source(), work, (o) => {
    seen.push(o.result!);
    reportedBefore = Math.max(reportedBefore, state.taken - seen.length);
  }, { jobs: 4, ordered: true });
  assert.equal(s.ok, 200);
  assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i), 'in the order of the items');
  assert.equal(state.maxRunning, 4, 'in parallel');
  // An item finished early keeps its slot until the ones before it are reported: taken but unreported stays within jobs.
  assert.ok(reportedBefore <= 4, `unreported ${reportedBefore}`);
  assert.ok(state.maxHeld <= 4 + 1, `held ${state.maxHeld}`);
});

test('runBatch ordered: a failure is reported in its place, and counted with the worst exit status', async () => {
  const order: string[] = [];
  const s = await runBatch([3, 2, 1, 0], async (n) => {
    for (let k = 0; k < n * 5; k++) await tick();
    if (n === 2) throw new Sse3Error('INTEGRITY', 'bad');
    return n;
  }, (o) => order.push(o.error ? `error ${o.item}` : `ok ${o.result}`), { jobs: 4, ordered: true, resultExitCode: (n) => (n === 1 ? ExitCode.KEY : 0) });
  assert.deepEqual(order, ['ok 3', 'error 2', 'ok 1', 'ok 0']);
  assert.deepEqual(s, { ok: 2, failed: 2, exitCode: ExitCode.INTEGRITY });
});
