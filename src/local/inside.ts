import { promises as fs } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Sse3Error } from '../errors.js';
import { makeFolders } from './files.js';

/**
 * The one rule that keeps a recursive download's writes (cp -r and sync down) inside its destination folder. A path
 * is inside when it is under the folder as written (an object key holding "../" is not) and the folder it goes into
 * really is: the deepest part of that folder that exists already, resolved through every symbolic link, must be the
 * destination's real path or under it. A folder link inside the destination that leads elsewhere is not written
 * through. Only then are the missing folders made. (The file itself may be a link of the user's own: where the
 * download then writes is downloadDestination's decision, local/destination.ts.)
 */
export interface WriteRoot {
  /** The destination as given, absolute and normalised. */
  path: string;
  /** Its real path (that of its deepest existing folder, plus the rest, when it does not exist yet). */
  real: string;
}

export async function writeRoot(path: string): Promise<WriteRoot> {
  const abs = resolve(path);
  return { path: abs, real: (await realFolder(abs)).real };
}

const isUnder = (root: string, path: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** The real path of a folder that may not exist yet: its deepest existing folder resolved, the missing rest appended. */
async function realFolder(path: string): Promise<{ real: string; existing: string }> {
  let existing = path;
  while (!(await fs.stat(existing).then((st) => st.isDirectory(), () => false))) {
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  const real = await fs.realpath(existing).catch(() => existing);
  return { real: join(real, relative(existing, path)), existing };
}

/** Refuse a path that would be written outside the root (as written or through a folder link), then make its folder. */
export async function makeFolderInside(root: WriteRoot, path: string): Promise<void> {
  const abs = resolve(path);
  const folder = dirname(abs);
  if (!isUnder(root.path, abs) || abs === root.path) throw outside(abs, root);
  const { real, existing } = await realFolder(folder);
  if (!isUnder(root.real, real)) throw outside(abs, root, existing);
  await makeFolders(folder);
}

const outside = (path: string, root: WriteRoot, through?: string) =>
  new Sse3Error('LOCAL_IO', `${path} would be written outside ${root.path}${through ? ` (through ${through})` : ''}; not written`);
