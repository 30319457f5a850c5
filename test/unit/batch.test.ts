import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead, runBatch } from '../../src/core/runtime/batch.js';

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
