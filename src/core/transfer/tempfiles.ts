import { randomBytes } from 'node:crypto';
import { promises as fs, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ownedByMe } from '../../local/owner.js';
import { processAlive } from '../runtime/process.js';

/**
 * Downloads are written to a hidden temporary file beside the destination and
 * renamed into place only once verified, so a failed or interrupted transfer
 * never leaves a partial file under the real name.
 */

/**
 * The temporary files being written right now, for the signal handler to remove (removeLiveTempFiles). Process-wide
 * on purpose: a signal reaches the process, not a session. Each download takes its file out again when it ends, however
 * it ends, so nothing stays in it from one transfer to the next.
 */
const live = new Set<string>();

/**
 * The one naming rule of temporary files: `.sse3-PID-RANDOM.part`. It does not repeat the destination's name, so a
 * name of up to 255 bytes (the usual limit) still has a temporary name (27 bytes at most) the file system takes; the
 * PID tells a later run whether the process that made it is gone. Earlier versions of sse3 put the destination's
 * name in front (`.NAME.sse3-PID-RANDOM.part`): those are recognised too, so their leftovers are cleaned up.
 */
const ANY_TEMP = /^\.(?:.+\.)?sse3-(\d+)-[0-9a-f]+\.part$/;

/** The PID of the sse3 process that made a temporary file of this name, or undefined for any other name. */
export function tempFileOwner(name: string): number | undefined {
  const m = ANY_TEMP.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.sse3-${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

/**
 * Create a temporary file (O_EXCL) readable and writable by the user only: a download must not be readable by
 * anyone else while it is written, whatever the umask or the folder. Opened for reading too: the hash reads it back.
 */
export const openTempFile = (path: string): Promise<fs.FileHandle> => fs.open(path, 'wx+', 0o600);

/**
 * The permissions of a file a download creates where none was: readable and writable by the user only (less what the
 * umask takes away), whatever the umask allows others — a downloaded plaintext must not be readable by other users of
 * the machine. A file whose object records a mode (sync down) gets that mode instead (finishTempFile).
 */
export const newFileMode = (): number => 0o600 & ~process.umask();

/** What a download gives the file it writes, when the object records it: its modification time and permission bits. */
export interface FileStampToSet {
  mtimeMs?: number;
  /** 0o777 bits only: set-user-ID and the like are never restored from an object. */
  mode?: number;
}

/**
 * Before the rename into place: the permissions the file will have under its name (the recorded ones — a restored
 * tree is the tree uploaded — else those of the regular file it replaces, else newFileMode()) and the modification
 * time, set through the open file.
 */
export async function finishTempFile(handle: fs.FileHandle, dest: string, stamp: FileStampToSet): Promise<void> {
  if (stamp.mode !== undefined) {
    await handle.chmod(stamp.mode & 0o777);
  } else {
    const replaced = await fs.lstat(dest).catch(() => undefined);
    await handle.chmod(replaced?.isFile() ? replaced.mode & 0o777 : newFileMode());
  }
  if (stamp.mtimeMs !== undefined) await handle.utimes(new Date(), stamp.mtimeMs / 1000);
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

/**
 * Remove the temporary files that killed sse3 processes of this user left in the folder of this destination. A
 * folder is cleared once (`swept` holds the folders already cleared, for the session): a batch writing 10,000 files
 * into one folder must not read that folder 10,000 times. Another user's files are never touched, whatever their name
 * says (a shared folder need not be sticky).
 */
export async function removeStaleTempFiles(dest: string, swept: Set<string>): Promise<number> {
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
    if (pid === undefined || pid === process.pid || processAlive(pid)) continue;
    const path = join(dir, name);
    const st = await fs.lstat(path).catch(() => undefined);
    if (st?.isFile() && ownedByMe(st)) await fs.unlink(path).then(() => { removed++; }, () => undefined);
  }
  return removed;
}
