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

const ANY_TEMP = /^\..+\.sse3-(\d+)-[0-9a-f]+\.part$/;

/** The PID of the sse3 process that made a temporary file of this name, or undefined for any other name. */
export function tempFileOwner(name: string): number | undefined {
  const m = ANY_TEMP.exec(name);
  return m ? Number(m[1]) : undefined;
}

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

/** Folders already cleared of stale temporary files by this process. */
const swept = new Set<string>();

/**
 * Remove the temporary files that killed sse3 processes left in the folder of this destination. A folder is cleared
 * once per process: a batch writing 10,000 files into one folder must not read that folder 10,000 times.
 */
export async function removeStaleTempFiles(dest: string): Promise<number> {
  const dir = dirname(dest);
  if (swept.has(dir)) return 0;
  swept.add(dir);
  let removed = 0;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = tempFileOwner(name);
    if (pid !== undefined && pid !== process.pid && !processAlive(pid)) {
      await fs.unlink(join(dir, name)).then(() => { removed++; }, () => undefined);
    }
  }
  return removed;
}
