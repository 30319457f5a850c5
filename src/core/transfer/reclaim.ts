import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

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

/**
 * The young generation's size stays at its smallest while transfers run. V8 doubles it each time it finds much of it
 * alive, and the start of a transfer (loading the SDK, answers parsed) does that up to 16 MiB per half; after that the
 * chunks received pile up in it unreclaimed for longer, and the space itself is held. Measured on a 512 MiB get: peak
 * RSS 145 MiB with growth, 103 MiB without. The flag is read each time V8 would grow the space, so setting it once a
 * session starts its first transfer is enough.
 */
export function keepYoungGenerationSmall(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // A runtime without the flag: it grows as it always did.
  }
}

type Collect = () => void;

let collector: Collect | null | undefined;
let sinceLast = 0;

/** Note bytes received (and soon dropped); every RECLAIM_EVERY of them, the young generation is collected. */
export function received(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < RECLAIM_EVERY) return;
  sinceLast = 0;
  (collector ??= minorCollector())?.();
}

/**
 * V8's gc() asked for a young-generation collection. The function exists only in a context made while the expose-gc
 * flag is on: one is made for it and the flag turned off again, so neither sse3's own context nor any later one gets a
 * global gc. A runtime without it (null) just collects as it always did.
 */
function minorCollector(): Collect | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return null;
    return () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' });
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
