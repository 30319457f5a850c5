import { Sse3Error } from '../errors.js';

export interface ItemOutcome<T, R> {
  item: T;
  result?: R;
  error?: Sse3Error | Error;
}

/**
 * Run fn over items with at most `limit` at once. One item's failure does not
 * stop the others; every outcome is reported through onDone as it happens.
 */
export async function runBatch<T, R>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<R>,
  onDone: (o: ItemOutcome<T, R>) => void, signal?: AbortSignal): Promise<{ ok: number; failed: number }> {
  const running = new Set<Promise<void>>();
  let ok = 0;
  let failed = 0;
  for await (const item of items as AsyncIterable<T>) {
    if (signal?.aborted) break;
    while (running.size >= Math.max(1, limit)) await Promise.race(running);
    const p: Promise<void> = fn(item).then(
      (result) => { ok++; onDone({ item, result }); },
      (error) => { failed++; onDone({ item, error }); },
    ).finally(() => { running.delete(p); });
    running.add(p);
  }
  await Promise.all(running);
  return { ok, failed };
}
