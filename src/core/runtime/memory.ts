import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let fullGc: (() => void) | null | undefined;

/**
 * A full garbage collection. V8 collects its old generation only once that has grown past a limit set from the
 * machine's memory (often over 100 MiB), so a streaming walk of a million names, which holds little but allocates a
 * lot that lives just long enough to be promoted, would show a peak RSS far above what it uses. Called now and then
 * by such loops, it keeps the peak near what is really live. Where the runtime does not allow it, nothing happens.
 */
export function collectGarbage(): void {
  if (fullGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      fullGc = runInNewContext('gc') as () => void;
    } catch {
      fullGc = null;
    }
  }
  fullGc?.();
}
