import { promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Sse3Error } from '../errors.js';

/** A regular file of a local tree (reached directly or through symbolic links), or something that is not one. */
export interface LocalTreeEntry {
  /** Path below the root, '/'-separated: the key an upload gives it below its prefix. */
  rel: string;
  /** The path as walked (through the links, not resolved). */
  path: string;
  /** The file's own stats (a symbolic link's target's); absent for a problem. */
  stats?: Stats;
  /** Why this entry is not a file that can be read: a dangling link, a link loop, a FIFO or device, an unreadable folder. */
  problem?: string;
}

/** UTF-8 byte order, the order S3 lists keys in. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Every regular file under root, in the byte order of their relative paths (the order of an S3 listing of the
 * same keys, so two sorted streams can be walked side by side). Symbolic links are followed, to files and to
 * folders, as aws-cli does; a link back into a folder being walked is reported as a loop and not followed, so the
 * walk always ends. Dangling links, special files and unreadable folders are reported as problems, never skipped
 * silently.
 */
export async function* walkLocalTree(root: string): AsyncGenerator<LocalTreeEntry> {
  const top = await fs.stat(root).catch((e: NodeJS.ErrnoException) => {
    throw new Sse3Error('LOCAL_IO', `cannot read ${root}: ${e.code === 'ENOENT' ? 'no such folder' : e.code ?? e}`);
  });
  if (!top.isDirectory()) throw new Sse3Error('USAGE', `${root} is not a folder`, 'copy a single file without --recursive');
  yield* walkFolder(root, '', new Set([`${top.dev}:${top.ino}`]));
}

async function* walkFolder(dir: string, prefix: string, ancestors: Set<string>): AsyncGenerator<LocalTreeEntry> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    yield { rel: prefix || '.', path: dir, problem: `cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}` };
    return;
  }
  const entries: Array<{ name: string; path: string; stats?: Stats; problem?: string }> = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      entries.push({ name, path, stats: await fs.stat(path) });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const link = await fs.readlink(path).catch(() => undefined);
      entries.push({ name, path, problem: link === undefined ? `cannot read ${path}: ${code ?? e}`
        : code === 'ELOOP' ? `${path} is a symbolic link that leads back to itself; not followed`
          : `${path} is a symbolic link to ${link}, which does not exist; skipped` });
    }
  }
  // A folder sorts as "name/", so everything in it comes right where its paths belong among its siblings.
  const sortKey = (e: (typeof entries)[number]) => (e.stats?.isDirectory() ? `${e.name}/` : e.name);
  entries.sort((a, b) => byteOrder(sortKey(a), sortKey(b)));
  for (const e of entries) {
    const rel = prefix + e.name;
    if (!e.stats) {
      yield { rel, path: e.path, problem: e.problem };
    } else if (e.stats.isDirectory()) {
      const id = `${e.stats.dev}:${e.stats.ino}`;
      if (ancestors.has(id)) {
        yield { rel, path: e.path, problem: `${e.path} leads back to a folder it is in (a symbolic link loop); not followed` };
        continue;
      }
      yield* walkFolder(e.path, `${rel}/`, new Set([...ancestors, id]));
    } else if (e.stats.isFile()) {
      yield { rel, path: e.path, stats: e.stats };
    } else {
      yield { rel, path: e.path, problem: `${e.path} is not a regular file (a FIFO, socket or device); skipped` };
    }
  }
}
