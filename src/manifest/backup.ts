import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Sse3Error } from '../errors.js';
import { SQLITE_CORRUPT, SQLITE_NOTADB, sqliteResultCode } from './sqlite.js';

// The manifest's safety net, without SQLite here (the store makes the copy): rolling backups after the runs that
// changed it, and a damaged manifest moved aside (never deleted) so a new one can be made.

/** Backups kept; older ones are removed once a newer one is complete. */
export const BACKUPS_KEPT = 7;
/**
 * A run that changed the manifest backs it up when it ends, as long as the manifest is at most this big (about 65,000
 * records; the copy then costs well under a tenth of a second), so restoring the newest backup loses nothing but what
 * was written after it.
 */
export const BACKUP_EVERY_RUN_MAX_BYTES = 32 * 1024 * 1024;
/** A bigger manifest is backed up after a run that changed it when the newest backup is older than this. */
export const BACKUP_EVERY_MS = 60 * 60 * 1000;

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

/** What can make a backup: the store, through SQLite (a consistent copy while other sse3 processes write). */
export interface Backupable {
  count(): number;
  backupTo(path: string): void;
}

/** The bytes the manifest holds: its file and the write-ahead log not yet copied into it. */
function manifestBytes(manifestFile: string): number {
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return size(manifestFile) + size(`${manifestFile}-wal`);
}

/**
 * The backup at the end of a run that changed the manifest: always while it is at most BACKUP_EVERY_RUN_MAX_BYTES,
 * else when the newest backup is more than BACKUP_EVERY_MS old.
 */
export function backUpAfterChange(store: Backupable, manifestFile: string, now = Date.now()): string | undefined {
  if (manifestBytes(manifestFile) > BACKUP_EVERY_RUN_MAX_BYTES) {
    const newest = listBackups(manifestFile)[0];
    if (newest && now - newest.mtimeMs < BACKUP_EVERY_MS) return undefined;
  }
  return writeBackup(store, manifestFile, now);
}

/**
 * Copy the manifest into backups/ and keep the newest BACKUPS_KEPT. An empty manifest is not backed up: it would only
 * push good backups out. The copy is made under a temporary name and renamed when complete, so a killed run never
 * leaves half a backup.
 */
export function writeBackup(store: Backupable, manifestFile: string, now = Date.now()): string | undefined {
  if (store.count() === 0) return undefined;
  const dir = backupDir(manifestFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
  const path = join(dir, `manifest-${stamp}.db`);
  const partial = join(dir, `.partial-${process.pid}-${stamp}.db`);
  try {
    store.backupTo(partial);
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
  for (const old of listBackups(manifestFile).slice(BACKUPS_KEPT)) rmSync(old.path, { force: true });
  return path;
}

/** SQLite's answers for a file that is not (or no longer) a sound database. */
export function isDamage(e: unknown): boolean {
  const code = sqliteResultCode(e);
  return code === SQLITE_NOTADB || code === SQLITE_CORRUPT;
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
