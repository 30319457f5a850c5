import { constants, promises as fs, type Stats } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { Sse3Error } from '../errors.js';
import { faultPoint } from '../faults.js';
import { localIoError } from './files.js';
import { describeMe, describeUser, isSharedFolder, ownedByMeOrRoot } from './owner.js';

/**
 * Where a download writes. A regular file (or a name not taken yet) is written through a temporary file renamed
 * into place; a symbolic link is followed to its final target, which is what gets replaced (the link stays).
 * A character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written directly: renaming over it
 * would replace the device itself.
 *
 * Another user may have put a FIFO, a device or a link where a download goes (in /tmp, say), to receive the
 * plaintext or to have it replace one of the user's own files. So sse3 writes into a FIFO or device, and follows a
 * link, only when it is the user's own (or root's), and never one found in a world-writable folder such as /tmp.
 */
export type LocalDestination = { kind: 'file'; path: string } | DeviceDestination;

export interface DeviceDestination {
  kind: 'device';
  /** As the user named it, for messages. */
  path: string;
  what: 'FIFO' | 'character device';
  /** What is opened: the device itself (with O_NOFOLLOW), or, with follow, a link only the kernel can follow. */
  open: string;
  follow: boolean;
  /** The device or FIFO that was checked: the descriptor opened must be this one. */
  dev: number;
  ino: number;
}

/** Links followed at most before giving up, as the kernel does. */
const MAX_LINKS = 40;

const kindOf = (st: { isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean }) =>
  st.isDirectory() ? 'folder' : st.isBlockDevice() ? 'block device' : st.isSocket() ? 'socket' : 'special file';

/**
 * What a download to `path` writes to, every link on the way and the device at its end checked (assertTrusted).
 * devices: false for recursive downloads, which write regular files only (a FIFO nobody reads would stall them).
 */
export async function downloadDestination(path: string, opts: { devices: boolean }): Promise<LocalDestination> {
  let at = path;
  let node = await lstatIfAny(at, path);
  if (!node) return { kind: 'file', path };
  for (let links = 0; node.isSymbolicLink(); links++) {
    if (links === MAX_LINKS) throw localIoError(Object.assign(new Error('too many links'), { code: 'ELOOP' }), 'opening', path);
    await assertTrusted(path, at, node, 'symbolic link');
    const next = resolvePath(dirname(at), await fs.readlink(at));
    const target = await lstatIfAny(next, path);
    if (!target) return beyondLink(path, at, opts);
    at = next;
    node = target;
  }
  if (node.isFile()) return { kind: 'file', path: at };
  return special(path, at, node, false, opts);
}

async function lstatIfAny(at: string, path: string): Promise<Stats | undefined> {
  return fs.lstat(at).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw localIoError(e, 'opening', path);
  });
}

/**
 * A link whose target has no name to look at: a dangling link, or one only the kernel can follow (/proc/self/fd/1,
 * behind /dev/stdout, to a pipe).
 */
async function beyondLink(path: string, link: string, opts: { devices: boolean }): Promise<LocalDestination> {
  const st = await fs.stat(link).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw localIoError(e, 'opening', path);
    const to = await fs.readlink(link).catch(() => '?');
    throw new Sse3Error('USAGE', `${path} is a symbolic link to ${to}, which does not exist`,
      'create the file it points to (sse3 then replaces it), or remove the link');
  });
  if (st.isFile()) return { kind: 'file', path: await fs.realpath(link) };
  return special(path, link, st, true, opts);
}

async function special(path: string, at: string, st: Stats, follow: boolean, opts: { devices: boolean }): Promise<LocalDestination> {
  if (st.isFIFO() || st.isCharacterDevice()) {
    const what = st.isFIFO() ? 'FIFO' : 'character device';
    if (!opts.devices) {
      throw new Sse3Error('USAGE', `${path} is a ${what}; a recursive download writes regular files only`,
        'move it out of the way, or get this object on its own');
    }
    await assertTrusted(path, at, st, what);
    return { kind: 'device', path, what, open: at, follow, dev: st.dev, ino: st.ino };
  }
  throw new Sse3Error('USAGE', `${path} is a ${kindOf(st)}; sse3 writes downloads to regular files, character devices and FIFOs only`,
    'choose a file name, or - for stdout');
}

/** A link to follow, or a FIFO or device to write into: the user's own (or root's), and not in a shared folder. */
async function assertTrusted(path: string, at: string, st: Stats, what: string): Promise<void> {
  const where = at === path ? path : `${path} (through ${at})`;
  if (!ownedByMeOrRoot(st)) {
    throw new Sse3Error('USAGE', `${where} is a ${what} owned by ${describeUser(st.uid)}, not by ${describeMe()}: sse3 writes into ` +
      'a FIFO or device, or through a symbolic link, only when it is yours (another user may have put it there to receive your data)',
    'remove it if you did not make it, or choose another destination');
  }
  const folder = dirname(at);
  const fst = await fs.stat(folder).catch((e) => { throw localIoError(e, 'opening', path); });
  if (isSharedFolder(fst)) {
    throw new Sse3Error('USAGE', `${where} is a ${what} in ${folder}, a folder every user can write to (as /tmp): sse3 never ` +
      'writes through one there, since anyone could have put it there',
    'download to a regular file there, or use a FIFO or link in a folder of your own');
  }
}

const replaced = (dest: DeviceDestination) => new Sse3Error('USAGE',
  `${dest.path} was replaced by something else while sse3 opened it; nothing was written to it`,
  'check who else can write to its folder, and try again');

/** The descriptor opened is the device or FIFO that was checked, and still the user's own. */
async function opened(handle: fs.FileHandle, dest: DeviceDestination): Promise<fs.FileHandle> {
  try {
    const st = await handle.stat();
    if (st.dev !== dest.dev || st.ino !== dest.ino || !(st.isFIFO() || st.isCharacterDevice()) || !ownedByMeOrRoot(st)) {
      throw replaced(dest);
    }
    return handle;
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw localIoError(e, 'opening', dest.path);
  }
}

/**
 * Open a character device or FIFO for writing. Opening a FIFO waits for a reader, as a shell redirection does; Ctrl-C
 * stops the wait (sse3 becomes the FIFO's reader for a moment, which lets the pending open return).
 */
export async function openDevice(dest: DeviceDestination, signal?: AbortSignal): Promise<fs.FileHandle> {
  const noFollow = dest.follow ? 0 : constants.O_NOFOLLOW;
  faultPoint('device-open');
  const opening = fs.open(dest.open, constants.O_WRONLY | constants.O_NOCTTY | noFollow).then((h) => opened(h, dest), (e) => {
    // O_NOFOLLOW refuses a link put in the device's place since it was checked.
    throw (e as NodeJS.ErrnoException).code === 'ELOOP' && noFollow ? replaced(dest) : localIoError(e, 'opening', dest.path);
  });
  if (!signal) return opening;
  return new Promise<fs.FileHandle>((resolve, reject) => {
    const onAbort = () => {
      opening.then((h) => h.close(), () => undefined);
      fs.open(dest.open, constants.O_RDONLY | constants.O_NONBLOCK | noFollow).then((h) => h.close(), () => undefined);
      reject(new Sse3Error('INTERRUPTED', `interrupted while waiting for a reader of ${dest.path}`));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    opening.then((h) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) h.close().catch(() => undefined);
      else resolve(h);
    }, (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}
