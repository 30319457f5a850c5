import { existsSync, promises as fs, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Sse3Error } from '../errors.js';

// The manifest's safety net, without SQLite here (the store hands over its backup): rolling copies, and a damaged
// manifest moved aside (never deleted) so a new one can be made.

/** Backups kept; older ones are removed once a newer one is complete. */
export const BACKUPS_KEPT = 7;
/** A new rolling backup when the newest one is older than this. */
export const BACKUP_EVERY_MS = 24 * 60 * 60 * 1000;

export const backupDir = (manifestFile: string): string => join(dirname(manifestFile), 'backups');

const BACKUP_NAME = /^manifest-\d{8}T\d{6}(\d{3})?Z\.db$/;

export interface BackupFile {
  path: string;
  mtimeMs: number;
}

/** The manifest's backups, newest first. */
export function listBackups(manifestFile: string): BackupFile[] {
  const dir = backupDir(manifestFile);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: BackupFile[] = [];
  for (const n of names.filter((name) => BACKUP_NAME.test(name))) {
    try {
      files.push({ path: join(dir, n), mtimeMs: statSync(join(dir, n)).mtimeMs });
    } catch { /* removed meanwhile */ }
  }
  return files.sort((a, b) => b.mtimeMs - a.mtimeMs || b.path.localeCompare(a.path));
}

/** What can make a backup: the store, through SQLite's online backup (consistent while others write). */
export interface Backupable {
  count(): number;
  backupTo(path: string): Promise<void>;
}

/**
 * Copy the manifest into backups/ when the newest backup is older than a day (or always, with force), then keep
 * the newest BACKUPS_KEPT. An empty manifest is not backed up: it would only push good backups out. The copy is
 * made under a temporary name and renamed when complete, so a killed run never leaves half a backup.
 */
export async function rollBackup(store: Backupable, manifestFile: string, opts: { force?: boolean; now?: number } = {})
  : Promise<string | undefined> {
  const now = opts.now ?? Date.now();
  const existing = listBackups(manifestFile);
  if (!opts.force && existing.length && now - existing[0].mtimeMs < BACKUP_EVERY_MS) return undefined;
  if (store.count() === 0) return undefined;
  const dir = backupDir(manifestFile);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
  const path = join(dir, `manifest-${stamp}.db`);
  const partial = join(dir, `.partial-${process.pid}-${stamp}.db`);
  try {
    await store.backupTo(partial);
    await fs.rename(partial, path);
  } finally {
    await fs.rm(partial, { force: true });
  }
  for (const old of listBackups(manifestFile).slice(BACKUPS_KEPT)) await fs.rm(old.path, { force: true });
  return path;
}

/** SQLite's answers for a file that is not (or no longer) a sound database. */
export function isDamage(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT_'));
}

/** The error for a damaged manifest: which file, and the way back. */
export function damagedManifest(manifestFile: string, e: unknown, newestBackup?: string): Sse3Error {
  const detail = (e as Error)?.message ?? String(e);
  const restore = newestBackup
    ? `restore the newest backup with: sse3 manifest import ${newestBackup}, or rebuild from the objects' tags with: ` +
      'sse3 manifest rebuild s3://BUCKET (for each bucket)'
    : 'rebuild it from the objects\' tags with: sse3 manifest rebuild s3://BUCKET (for each bucket), or import an export ' +
      'with: sse3 manifest import FILE';
  return new Sse3Error('MANIFEST_DAMAGED', `the manifest ${manifestFile} is damaged (${detail}); nothing was changed`,
    `${restore}; either moves the damaged file aside first (it is never deleted)`, { cause: e });
}

/** Move a damaged manifest (and its WAL and shared-memory files) aside, so a new one can be made; returns where. */
export function moveAside(manifestFile: string, now = Date.now()): string {
  const aside = `${manifestFile}.damaged-${new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '')}`;
  for (const suffix of ['-wal', '-shm', '']) {
    if (existsSync(manifestFile + suffix)) renameSync(manifestFile + suffix, aside + suffix);
  }
  return aside;
}
