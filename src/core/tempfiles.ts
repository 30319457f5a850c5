import { randomBytes } from 'node:crypto';
import { promises as fs, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process.js';

/**
 * Downloads are written to a hidden temporary file beside the destination and
 * renamed into place only once verified, so a failed or interrupted transfer
 * never leaves a partial file under the real name.
 */
const live = new Set<string>();

const PATTERN = (base: string) => new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.sse3-(\\d+)-[0-9a-f]+\\.part$`);

export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.sse3-${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

export const trackTemp = (path: string): void => { live.add(path); };
export const untrackTemp = (path: string): void => { live.delete(path); };

/** Called from signal handlers: synchronous on purpose. */
export function removeLiveTempFiles(): void {
  for (const path of live) {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
  live.clear();
}

/** Remove temporary files that a killed sse3 process left for this destination. */
export async function removeStaleTempFiles(dest: string): Promise<number> {
  const re = PATTERN(basename(dest));
  let removed = 0;
  let names: string[];
  try {
    names = await fs.readdir(dirname(dest));
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) {
      await fs.unlink(join(dirname(dest), name)).then(() => { removed++; }, () => undefined);
    }
  }
  return removed;
}
