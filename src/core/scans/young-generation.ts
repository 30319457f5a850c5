import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The most V8's young generation (its "new space", where each request's short-lived objects live) may grow to while
 * a bucket-wide scan runs. V8 doubles it whenever enough of it has survived collections since it last grew, up to
 * 128 MiB on 64-bit Node.js 24: a scan of many tiny objects keeps nothing per object, yet every request's objects
 * that are still in flight at a collection count as survivors, so the longer the scan, the larger the young generation
 * — and the process's peak memory grew with the number of objects scanned (heap snapshots of a 40,000-object scan taken
 * a quarter and three quarters in held the same 15 MB; the young generation alone had grown to 128 MiB). At 8 MiB a
 * collection still finds all but a few MiB dead, so bounding it costs little time.
 */
export const SCAN_YOUNG_GENERATION_BYTES = 8 * 1024 * 1024;

/** V8's own factor (--semi-space-growth-factor): restored when the last scan ends. */
const V8_GROWTH_FACTOR = 2;

let scansRunning = 0;
/** The growth factor this module last gave V8 (undefined: V8's own, untouched). */
let factorSet: number | undefined;

const youngGenerationBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

const setGrowthFactor = (factor: number) => {
  if (factorSet === factor) return;
  setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  factorSet = factor;
};

/**
 * Bound the young generation while a scan runs. Its size can only be capped when the process starts (a flag of
 * node's); what V8 reads each time it grows it is the growth factor, so while it is at `bytes` or more the factor is 1
 * and it grows no more. V8 may also shrink it (when little survives): below `bytes` its own factor is given back, or
 * what is in flight would be promoted to the old generation and grow that instead. `check` is cheap (one statistics
 * call): call it for every item scanned; `end` gives V8 its own factor back once no scan runs (a command that scans and
 * then transfers data keeps V8's own sizing for that).
 */
export function boundYoungGeneration(bytes = SCAN_YOUNG_GENERATION_BYTES): { check: () => void; end: () => void } {
  scansRunning++;
  let ended = false;
  const check = () => {
    if (!ended) setGrowthFactor(youngGenerationBytes() < bytes ? V8_GROWTH_FACTOR : 1);
  };
  check();
  return {
    check,
    end: () => {
      if (ended) return;
      ended = true;
      if (--scansRunning === 0 && factorSet !== undefined) setGrowthFactor(V8_GROWTH_FACTOR);
    },
  };
}
