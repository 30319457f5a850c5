import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapInOrder } from '../../src/core/runtime/batch.js';

/** A task whose end the test decides: started when fn is called, finished by resolve() or reject(). */
interface Task {
  item: number;
  resolve: (v: string) => void;
  reject: (e: Error) => void;
}

/** fn for mapInOrder whose tasks the test finishes by hand, in any order; started lists them as they start. */
function manual() {
  const started: Task[] = [];
  const fn = (item: number) => new Promise<string>((resolve, reject) => { started.push({ item, resolve, reject }); });
  return { started, fn };
}

/** Let every settled promise's reactions run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('mapInOrder starts `jobs` items at once, hands results out in order however they finish, and starts the next as each is taken', async () => {
  const { started, fn } = manual();
  const results = mapInOrder([0, 1, 2, 3, 4, 5], 3, fn);
  await settle();
  assert.deepEqual(started.map((t) => t.item), [0, 1, 2], 'the first three start before any result is asked for');

  // Finished backwards: nothing can be handed out until item 0 is done.
  started[2].resolve('r2');
  started[1].resolve('r1');
  const first = results.next();
  await settle();
  assert.deepEqual(started.map((t) => t.item), [0, 1, 2], 'no fourth item while the first result is still awaited');
  started[0].resolve('r0');
  assert.deepEqual(await first, { done: false, value: 'r0' });
  await settle();
  assert.deepEqual(started.map((t) => t.item), [0, 1, 2, 3], 'taking a result started the next item before the consumer asked again');

  assert.deepEqual(await results.next(), { done: false, value: 'r1' });
  assert.deepEqual(await results.next(), { done: false, value: 'r2' });
  await settle();
  assert.deepEqual(started.map((t) => t.item), [0, 1, 2, 3, 4, 5]);
  for (const t of started.slice(3)) t.resolve(`r${t.item}`);
  const rest: string[] = [];
  for await (const r of results) rest.push(r);
  assert.deepEqual(rest, ['r3', 'r4', 'r5']);
});

test('mapInOrder hands a failure out in its place, after the results before it, and a consumer that stops starts nothing more', async () => {
  const { started, fn } = manual();
  const results = mapInOrder([0, 1, 2, 3, 4, 5, 6, 7], 2, fn);
  await settle();
  started[1].reject(new Error('item 1 failed'));
  started[0].resolve('r0');
  assert.deepEqual(await results.next(), { done: false, value: 'r0' });
  await assert.rejects(results.next(), /item 1 failed/);
  await settle();
  assert.deepEqual(started.map((t) => t.item), [0, 1, 2], 'after the failure nothing new started');
  assert.deepEqual(await results.next(), { done: true, value: undefined });
});

test('mapInOrder takes from an async source only as items start, passes on its failure after the items before it, and closes it when stopped', async () => {
  let taken = 0;
  let closed = false;
  async function* source(failAt?: number) {
    try {
      for (let i = 0; i < 100; i++) {
        if (i === failAt) throw new Error(`listing failed at ${i}`);
        taken++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  const doubled = mapInOrder(source(), 4, async (i) => i * 2);
  const got: number[] = [];
  for await (const r of doubled) {
    got.push(r);
    if (got.length === 3) break;
  }
  assert.deepEqual(got, [0, 2, 4]);
  assert.ok(taken <= 3 + 4, `taken ${taken}: no further ahead than the window`);
  assert.equal(closed, true, 'the source was closed when the consumer stopped');

  const failing = mapInOrder(source(3), 2, async (i) => i);
  const before: number[] = [];
  await assert.rejects(async () => { for await (const r of failing) before.push(r); }, /listing failed at 3/);
  assert.deepEqual(before, [0, 1, 2], 'every item taken before the failure came out first');
});

test('mapInOrder over nothing ends at once, and a jobs of 0 still runs one at a time', async () => {
  const none: number[] = [];
  for await (const r of mapInOrder([], 4, async (i: number) => i)) none.push(r);
  assert.deepEqual(none, []);
  const { started, fn } = manual();
  const one = mapInOrder([7, 8], 0, fn);
  await settle();
  assert.deepEqual(started.map((t) => t.item), [7]);
  started[0].resolve('r7');
  assert.deepEqual(await one.next(), { done: false, value: 'r7' });
  await settle();
  started[1].resolve('r8');
  assert.deepEqual(await one.next(), { done: false, value: 'r8' });
  assert.deepEqual(await one.next(), { done: true, value: undefined });
});
