import { type ExitCode, exitCodeOf, worstExitCode } from '../../errors.js';

export interface ItemOutcome<T, R> {
  item: T;
  result?: R;
  error?: Error;
}

export interface BatchSummary {
  ok: number;
  failed: number;
  /** The most severe exit status among the items (0 when every item was OK). */
  exitCode: ExitCode;
}

/** Objects smaller than this are "small" for a batch's parallelism: their time goes to round trips, not bytes. */
export const SMALL_OBJECT = 1024 * 1024;

/** Small objects in flight by default (--jobs not given): as many as the HTTPS agent keeps sockets. */
export const SMALL_OBJECT_JOBS = 32;

export interface BatchOptions<R, T = unknown> {
  /** Items at most in flight at once. */
  jobs: number;
  /**
   * Small items (isSmall) at most in flight at once, when more than `jobs`: each takes jobs/smallJobs of a slot,
   * so a batch of small objects runs smallJobs at once and a mixed one stays within the same budget.
   */
  smallJobs?: number;
  isSmall?: (item: T) => boolean;
  signal?: AbortSignal;
  /** For results that are not OK although nothing was thrown (verify's statuses): their exit status, else 0. */
  resultExitCode?: (result: R) => ExitCode;
  /**
   * Report outcomes in the items' order (a listing stays sorted while its items run in parallel). An item keeps its
   * slot until its outcome is reported, so at most `jobs` outcomes are running or waiting for those before them.
   */
  ordered?: boolean;
}

/** An item started: its share of the batch's capacity, and its outcome once it has one (ordered batches wait for it). */
interface Slot<T, R> {
  weight: number;
  outcome?: ItemOutcome<T, R>;
}

/**
 * Run fn over items with at most `jobs` at once (`smallJobs` when all are small), taking the next item from the
 * source only when it can start: an async source is read no further ahead than what runs. One item's failure does not
 * stop the others; every outcome is reported through onDone as it happens (in the items' order when `ordered`), and
 * the summary carries the exit status of the most severe problem.
 */
export async function runBatch<T, R>(items: AsyncIterable<T> | Iterable<T>, fn: (item: T) => Promise<R>,
  onDone: (o: ItemOutcome<T, R>) => void, opts: BatchOptions<R, T>): Promise<BatchSummary> {
  const running = new Set<Promise<void>>();
  // Whole numbers: a large item weighs smallJobs, a small one jobs, and jobs × smallJobs may be in flight.
  const jobs = Math.max(1, opts.jobs);
  const smallJobs = Math.max(jobs, opts.smallJobs ?? jobs);
  const capacity = jobs * smallJobs;
  let load = 0;
  const summary: BatchSummary = { ok: 0, failed: 0, exitCode: 0 };
  const waiting: Array<Slot<T, R>> = [];
  const report = (slot: Slot<T, R>) => {
    load -= slot.weight;
    const o = slot.outcome!;
    const code = o.error ? exitCodeOf(o.error) : opts.resultExitCode?.(o.result!) ?? 0;
    if (!o.error && code === 0) summary.ok++;
    else { summary.failed++; summary.exitCode = worstExitCode([summary.exitCode, code]); }
    onDone(o);
  };
  const finished = (slot: Slot<T, R>, outcome: ItemOutcome<T, R>) => {
    slot.outcome = outcome;
    if (!opts.ordered) return report(slot);
    while (waiting[0]?.outcome) report(waiting.shift()!);
  };
  try {
    for await (const item of items as AsyncIterable<T>) {
      if (opts.signal?.aborted) break;
      const slot: Slot<T, R> = { weight: opts.isSmall?.(item) ? jobs : smallJobs };
      while (running.size && load + slot.weight > capacity) await Promise.race(running);
      load += slot.weight;
      if (opts.ordered) waiting.push(slot);
      const p: Promise<void> = fn(item).then((result) => finished(slot, { item, result }), (error: Error) => finished(slot, { item, error }))
        .finally(() => { running.delete(p); });
      running.add(p);
    }
  } finally {
    // Also when the item source fails (a listing cut off): what was started is finished and reported first.
    await Promise.all(running);
  }
  return summary;
}

/**
 * Pull up to `max` items from a source ahead of the consumer, calling onTaken for each as it is taken: a batch can
 * then show how much work is known ahead of what runs, with memory bounded by `max` items. A failure of the source
 * reaches the consumer after the items taken before it.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, max: number, onTaken?: (item: T) => void): AsyncGenerator<T> {
  const buffer: T[] = [];
  let head = 0;
  let done = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  const pump = (async () => {
    try {
      for await (const item of source) {
        if (stopped) return;
        buffer.push(item);
        onTaken?.(item);
        wake?.();
        while (buffer.length - head >= max && !stopped) await new Promise<void>((r) => { room = r; });
      }
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      wake?.();
    }
  })();
  try {
    for (;;) {
      if (head < buffer.length) {
        const item = buffer[head];
        buffer[head++] = undefined as T;
        if (head > 1024 && head * 2 > buffer.length) {
          buffer.splice(0, head);
          head = 0;
        }
        room?.();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((r) => { wake = r; });
      wake = undefined;
    }
  } finally {
    stopped = true;
    room?.();
    await pump;
  }
}

/**
 * Run fn over items with at most `jobs` in flight, results yielded in the items' order (a listing stays sorted while
 * its lookups run in parallel). The first failure is thrown.
 */
export async function* mapInOrder<T, R>(items: AsyncIterable<T> | Iterable<T>, jobs: number, fn: (item: T) => Promise<R>)
  : AsyncGenerator<R> {
  const window: Array<Promise<R>> = [];
  for await (const item of items as AsyncIterable<T>) {
    const p = fn(item);
    p.catch(() => undefined); // awaited in order below
    window.push(p);
    if (window.length >= Math.max(1, jobs)) yield await window.shift()!;
  }
  while (window.length) yield await window.shift()!;
}
