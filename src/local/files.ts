import { promises as fs, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { Sse3Error } from '../errors.js';

/** Local files as sse3 reads and writes them: errors in words and change stamps (what a download may write to: destination.ts). */

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EFBIG: 'the file is too large for this file system',
  EIO: 'input/output error',
  ENXIO: 'no such device',
  EPIPE: 'the reading end was closed',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is busy',
};

const ERRNO_HINTS: Record<string, string> = {
  ENOSPC: 'free some space, or choose another place', EDQUOT: 'free some space, or choose another place',
  EACCES: 'check the permissions of the file and its folder', EPERM: 'check the permissions and attributes of the file and its folder',
  EROFS: 'choose a place on a writable file system',
};

/** A local I/O failure as one sentence with the path: "no space left on device while writing PATH". */
export function localIoError(e: unknown, doing: 'writing' | 'reading' | 'creating' | 'opening' | 'removing', path: string): Sse3Error {
  if (e instanceof Sse3Error) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const words = (code && ERRNO_WORDS[code]) ?? code ?? (e as Error)?.message ?? String(e);
  return new Sse3Error('LOCAL_IO', `${words} while ${doing} ${path}`, code ? ERRNO_HINTS[code] : undefined, { cause: e });
}

/**
 * mkdir -p with its failure in words. Node's recursive mkdir reports a read-only file system (and other failures)
 * as ENOENT; the first missing folder is then created on its own to learn the real reason.
 */
export async function makeFolders(path: string, mode?: number): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true, mode });
  } catch (e) {
    let missing = path;
    while (dirname(missing) !== missing && !(await fs.stat(dirname(missing)).then(() => true, () => false))) missing = dirname(missing);
    const reason = await fs.mkdir(missing, { mode }).then(() => e, (real: unknown) => real);
    throw localIoError(reason, 'creating', missing);
  }
}

/**
 * What tells a file changed: its size, modification and status-change times, and which file it is (its inode), as
 * stat gives them (times in milliseconds with their fraction). Writing a file changes its ctime, which no tool can
 * set back, so an edit that restored the mtime still shows. The one shape for this: an upload's check that its file
 * did not change while it was read, sync's local walk, and the hash cache that remembers a file's SHA-256 under it.
 */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export const stampOf = (st: Stats): FileStamp => ({ size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });

export const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;

/** File times are recorded in whole milliseconds: fine enough to see edits, and they survive utimes() unchanged. */
export const wholeMs = (mtimeMs: number): number => Math.round(mtimeMs);

/**
 * A local file being uploaded, open from start to end so it is one file throughout. It must still match the stamp
 * it had when chosen after its last byte was sent — size, modification and status-change times, and identity —
 * or the upload is abandoned: a file rewritten while it was being read would be stored torn.
 */
export class OpenFile {
  private constructor(readonly path: string, readonly stamp: FileStamp, private readonly handle: fs.FileHandle) {}

  static async open(source: { path: string; stamp: FileStamp }): Promise<OpenFile> {
    const handle = await fs.open(source.path, 'r').catch((e) => { throw localIoError(e, 'reading', source.path); });
    const file = new OpenFile(source.path, source.stamp, handle);
    try {
      await file.assertUnchanged();
    } catch (e) {
      await file.close();
      throw e;
    }
    return file;
  }

  /** Fill buf from position; a file that ends early has changed. */
  async read(buf: Buffer, position: number): Promise<void> {
    for (let at = 0; at < buf.length;) {
      const { bytesRead } = await this.handle.read(buf, at, buf.length - at, position + at)
        .catch((e) => { throw localIoError(e, 'reading', this.path); });
      if (bytesRead === 0) throw fileChanged(this.path);
      at += bytesRead;
    }
  }

  /** The open file and the file at its path are still the file that was chosen, unchanged. */
  async assertUnchanged(): Promise<void> {
    const [open, named] = await Promise.all([this.handle.stat(), fs.stat(this.path).catch(() => undefined)]);
    if (!sameStamp(stampOf(open), this.stamp) || !named || !sameStamp(stampOf(named), this.stamp)) throw fileChanged(this.path);
  }

  close(): Promise<void> {
    return this.handle.close().catch(() => undefined);
  }
}

export const fileChanged = (path: string) => new Sse3Error('LOCAL_IO', `${path} changed while it was being uploaded; nothing was stored`,
  'upload it again once nothing is writing to it');

/** Write all of buf at the handle's current position (or at `position`), however the system splits it. */
export async function writeAll(handle: fs.FileHandle, buf: Uint8Array, position?: number): Promise<void> {
  for (let done = 0; done < buf.length;) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position === undefined ? null : position + done);
    done += bytesWritten;
  }
}
