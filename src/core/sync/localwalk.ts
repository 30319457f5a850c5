import { type Dirent, promises as fs, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8 } from './keyorder.js';
import { tempFileOwner } from '../transfer/tempfiles.js';
import { type FileStamp, stampOf } from '../../local/files.js';

/** A regular file (or, when following links, a symbolic link to one) and what stat said about it. */
export interface LocalFileEntry extends FileStamp {
  kind: 'file';
  /** Path relative to the walked folder, '/'-separated: the object key's tail. */
  rel: string;
  path: string;
}

/** Something that is not a readable regular file: reported, and never read, overwritten or deleted by a sync. */
export interface LocalSkip {
  kind: 'skip';
  /** A folder's rel ends in '/' and stands for everything under it. */
  rel: string;
  path: string;
  reason: string;
  subtree: boolean;
  /** An sse3 temporary download file, and the PID of the process that made it. */
  tempOwner?: number;
}

export type LocalWalkEntry = LocalFileEntry | LocalSkip;

export interface WalkOptions {
  /** Follow symbolic links to files and folders (loop-safe); otherwise links are skipped. */
  followSymlinks: boolean;
  /** false leaves a path out unread (folders are asked with a trailing '/', so a left-out folder is never read). */
  include?: (rel: string) => boolean;
}

interface Child {
  name: string;
  /** A folder sorts by its name plus '/': that is where its files' keys fall among its siblings'. */
  sortKey: string;
  type: 'file' | 'dir' | 'skip';
  reason?: string;
  /** Known when a link was followed to find what it points at. */
  stats?: Stats;
  tempOwner?: number;
}

/** Files stat'ed between two turns of the event loop. */
const STAT_BATCH = 256;

/**
 * Every file under root in S3 key order (UTF-8 bytes of the relative path), one folder in memory at a time. Ordering
 * each folder's entries by name alone would be wrong: the files of folder "a" have keys "a/…", which sort after a
 * sibling file "a-b" ('-' is 0x2D, '/' 0x2F) and before "a0". So a folder sorts among its siblings as "name/", and
 * since no other sibling's key can start with "name/", its whole subtree lands exactly there.
 */
export async function* walkLocalSorted(root: string, opts: WalkOptions): AsyncGenerator<LocalWalkEntry> {
  const st = await fs.stat(root);
  yield* walkFolder(root, '', new Set([identity(st)]), opts);
}

const identity = (st: Stats) => `${st.dev}:${st.ino}`;

async function* walkFolder(dir: string, prefix: string, ancestors: Set<string>, opts: WalkOptions): AsyncGenerator<LocalWalkEntry> {
  let dirents: Dirent<Buffer>[];
  try {
    dirents = await fs.readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    if (prefix === '') throw e;
    yield { kind: 'skip', rel: prefix, path: dir, reason: `folder cannot be read (${(e as NodeJS.ErrnoException).code})`, subtree: true };
    return;
  }
  const classified = dirents.map((d) => classify(dir, d, opts));
  const children = (classified.some((c) => c instanceof Promise) ? await Promise.all(classified) : classified as Child[])
    .filter((c) => !opts.include || opts.include(prefix + c.sortKey));
  children.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));

  for (let i = 0; i < children.length; i++) {
    // Synchronous stat is several times cheaper than the thread pool's; the loop lets other work in now and then.
    if (i % STAT_BATCH === STAT_BATCH - 1) await new Promise((r) => setImmediate(r));
    const c = children[i];
    const path = join(dir, c.name);
    const rel = prefix + c.name;
    if (c.type === 'skip') {
      yield { kind: 'skip', rel: prefix + c.sortKey, path, reason: c.reason!, subtree: c.sortKey.endsWith('/'), tempOwner: c.tempOwner };
    } else if (c.type === 'file') {
      let st: Stats | undefined;
      try {
        st = c.stats ?? statSync(path);
      } catch (e) {
        yield { kind: 'skip', rel, path, reason: `cannot be read (${(e as NodeJS.ErrnoException).code})`, subtree: false };
        continue;
      }
      if (!st.isFile()) yield { kind: 'skip', rel, path, reason: 'changed into something else than a file', subtree: false };
      else yield { kind: 'file', rel, path, ...stampOf(st) };
    } else {
      const st = c.stats ?? await fs.stat(path).catch(() => undefined);
      const id = st && identity(st);
      if (!id) {
        yield { kind: 'skip', rel: `${rel}/`, path, reason: 'folder cannot be read', subtree: true };
      } else if (ancestors.has(id)) {
        yield { kind: 'skip', rel: `${rel}/`, path, reason: 'leads back to a folder it is in (a symbolic link loop)', subtree: true };
      } else {
        ancestors.add(id);
        yield* walkFolder(path, `${rel}/`, ancestors, opts);
        ancestors.delete(id);
      }
    }
  }
}

function classify(dir: string, d: Dirent<Buffer>, opts: WalkOptions): Child | Promise<Child> {
  // Only links need a look at what they point to; everything else is known from the folder listing.
  const name = d.name.toString('utf8');
  const skip = (reason: string, sortKey = name): Child => ({ name, sortKey, type: 'skip', reason });
  // S3 keys are UTF-8: a name that is not cannot be stored under its own name.
  if (!Buffer.from(name, 'utf8').equals(d.name)) return skip('name is not valid UTF-8');
  if (d.isDirectory()) return { name, sortKey: `${name}/`, type: 'dir' };
  if (d.isFile()) {
    const tempOwner = tempFileOwner(name);
    return tempOwner === undefined ? { name, sortKey: name, type: 'file' }
      : { name, sortKey: name, type: 'skip', reason: 'temporary file of an sse3 download', tempOwner };
  }
  if (!d.isSymbolicLink()) return skip('not a regular file (device, FIFO or socket)');
  return classifyLink(join(dir, name), name, opts);
}

async function classifyLink(path: string, name: string, opts: WalkOptions): Promise<Child> {
  const skip = (reason: string, sortKey = name): Child => ({ name, sortKey, type: 'skip', reason });
  const target = await fs.stat(path).catch(async (e: NodeJS.ErrnoException) => {
    const link = await fs.readlink(path).catch(() => '?');
    return e.code === 'ELOOP' ? 'a symbolic link that leads back to itself' : `a symbolic link to ${link}, which does not exist`;
  });
  if (typeof target === 'string') return skip(target);
  if (!opts.followSymlinks) return skip('symbolic link (not followed)', target.isDirectory() ? `${name}/` : name);
  if (target.isDirectory()) return { name, sortKey: `${name}/`, type: 'dir', stats: target };
  if (target.isFile()) return { name, sortKey: name, type: 'file', stats: target };
  return skip('symbolic link to something else than a file or folder');
}
