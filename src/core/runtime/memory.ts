import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Everything sse3 asks of V8's memory management, in one place: collections at the points where it knows most of what
 * it allocated is dead, and the size of the young generation (V8's "new space", where short-lived objects live).
 * Each is a tuning: where the runtime does not offer it, nothing happens and memory behaves as it always did.
 */

type Gc = (options?: { type: 'major' | 'minor' }) => void;
let v8Gc: Gc | null | undefined;

/**
 * V8's gc(). It exists only in a context made while the expose-gc flag is on: one is made for it and the flag turned
 * off again, so neither sse3's own context nor any later one gets a global gc.
 */
function gc(): Gc | null {
  if (v8Gc !== undefined) return v8Gc;
  try {
    setFlagsFromString('--expose-gc');
    const found = runInNewContext('gc') as unknown;
    v8Gc = typeof found === 'function' ? (found as Gc) : null;
  } catch {
    v8Gc = null;
  } finally {
    try {
      setFlagsFromString('--no-expose-gc');
    } catch {
      // nothing to turn off
    }
  }
  return v8Gc;
}

/**
 * A full garbage collection. V8 collects its old generation only once that has grown past a limit set from the
 * machine's memory (often over 100 MiB), so a streaming walk of a million names, which holds little but allocates a
 * lot that lives just long enough to be promoted, would show a peak RSS far above what it uses. Called now and then
 * by such loops, it keeps the peak near what is really live.
 */
export function collectGarbage(): void {
  gc()?.();
}

/**
 * Received data is garbage as soon as it is written or copied on, and without help it stays in memory long after that.
 * Every chunk Node reads from a TLS socket (16 KiB) is a buffer of its own whose bytes live outside the JavaScript heap:
 * they are freed only when the small object that holds them is collected. The young generation holding those objects
 * fills slowly (a few hundred bytes per chunk), so V8 collects them only once about 64 MiB of such bytes piled up — a
 * download's peak memory grew by that much whatever the number of ranges in flight. A young-generation collection after
 * every RECLAIM_EVERY bytes received keeps that pile at a few MiB; it costs well under a millisecond, as nearly
 * everything in the young generation is dead by then.
 */
const RECLAIM_EVERY = 4 * 1024 * 1024;
let receivedSinceCollection = 0;

/** Note bytes received (and soon dropped); every RECLAIM_EVERY of them, the young generation is collected. */
export function received(bytes: number): void {
  receivedSinceCollection += bytes;
  if (receivedSinceCollection < RECLAIM_EVERY) return;
  receivedSinceCollection = 0;
  gc()?.({ type: 'minor' });
}

/**
 * The young generation's size. Its cap can only be set when node starts; what V8 reads each time it would grow the
 * space is the growth factor (--semi-space-growth-factor, 2 by default), so that is what sse3 sets: 1 while the space
 * should grow no more. Transfers hold it at 1 for the rest of the process (keepYoungGenerationSmall); scans hold it at
 * 1 only while the space is at its bound (boundScanMemory), since V8 may shrink it and a space held small below
 * what is in flight promotes that to the old generation instead.
 */
const V8_GROWTH_FACTOR = 2;
let factorSet: number | undefined;
let transfersStarted = false;
let scansRunning = 0;

const setGrowthFactor = (factor: number) => {
  if (factorSet === factor) return;
  try {
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
    factorSet = factor;
  } catch {
    // A runtime without the flag: the space grows as it always did.
  }
};

/** One of V8's heap spaces, from statistics already taken or taken now. */
const spaceOf = (name: string, stats = getHeapSpaceStatistics()) => stats.find((s) => s.space_name === name);

/**
 * Transfers: the young generation stays at the size it has when the first one starts. V8 doubles it each time it finds
 * much of it alive, and the start of a transfer (loading the SDK, answers parsed) does that up to 16 MiB per half; after
 * that the chunks received pile up in it unreclaimed for longer, and the space itself is held. Measured on a 512 MiB
 * get: peak RSS 145 MiB with growth, 103 MiB without.
 */
export function keepYoungGenerationSmall(): void {
  transfersStarted = true;
  setGrowthFactor(1);
}

/**
 * The most the young generation may grow to while a bucket-wide scan runs. A scan of many tiny objects keeps nothing
 * per object, yet every request's objects still in flight at a collection count as survivors, so the longer the scan,
 * the larger V8 made the space (up to 128 MiB on 64-bit Node.js 24) — and peak memory grew with the number of objects
 * scanned (heap snapshots of a 40,000-object scan taken a quarter and three quarters in held the same 15 MB; the young
 * generation alone had grown to 128 MiB). At 8 MiB a collection still finds all but a few MiB dead.
 */
export const SCAN_YOUNG_GENERATION_BYTES = 8 * 1024 * 1024;

/**
 * What a scan lets its old generation grow by, past what its last full collection left, before it collects in full.
 * Every request still in flight at a young-generation collection is promoted with what it holds (its socket's data, its
 * parsed answer), and V8 first collects the old generation once that reached a limit of its own: on a 10,000-object
 * keys usage, at 34 MB of old generation beside 15 MB live, and the process kept the memory it had then (peak RSS 158
 * to 171 MiB; 130 to 134 MiB with these collections).
 */
export const SCAN_OLD_GENERATION_SLACK = 8 * 1024 * 1024;

/**
 * The growth past `live` old-generation bytes after which a scan collects in full: SCAN_OLD_GENERATION_SLACK, or a
 * quarter of the live bytes when that is more, so a process whose live data does grow collects after each quarter
 * more, not each 8 MB (which would cost time in the square of its size).
 */
export const scanOldGenerationSlack = (live: number): number => Math.max(SCAN_OLD_GENERATION_SLACK, live / 4);

/**
 * Bound the heap while a scan runs: `check` (one statistics call; call it for every item scanned) holds the young
 * generation's growth factor at 1 while the space is at `bytes` or more, and gives V8 its own below; it also collects in
 * full when the old generation grew by scanOldGenerationSlack since the last full collection. `end` gives V8 its own
 * factor back once no scan runs, unless transfers have started (they keep theirs).
 */
export function boundScanMemory(bytes = SCAN_YOUNG_GENERATION_BYTES): { check: () => void; end: () => void } {
  scansRunning++;
  let ended = false;
  /** The old generation's bytes in use after the last full collection (or the least seen since: V8 collects too). */
  let oldAfterCollection = Infinity;
  const check = () => {
    if (ended) return;
    const stats = getHeapSpaceStatistics();
    const young = spaceOf('new_space', stats)?.space_size ?? 0;
    const old = spaceOf('old_space', stats)?.space_used_size ?? 0;
    if (!transfersStarted) setGrowthFactor(young < bytes ? V8_GROWTH_FACTOR : 1);
    oldAfterCollection = Math.min(oldAfterCollection, old);
    if (old - oldAfterCollection < scanOldGenerationSlack(oldAfterCollection)) return;
    collectGarbage();
    oldAfterCollection = spaceOf('old_space')?.space_used_size ?? 0;
  };
  check();
  return {
    check,
    end: () => {
      if (ended) return;
      ended = true;
      if (--scansRunning === 0 && !transfersStarted && factorSet !== undefined) setGrowthFactor(V8_GROWTH_FACTOR);
    },
  };
}
