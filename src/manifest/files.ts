import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { currentUid, describeMe, describeUser } from '../local/owner.js';

// The manifest names endpoints, buckets, objects and key fingerprints, with the plaintext SHA-256 of each object
// (enough to confirm a guessed file) and local paths: its files are the user's alone, 0600 in a 0700 home. SQLite
// gives the -wal and -shm files the database's own mode, so a database created 0600 keeps them 0600 too.

let onWarning: ((message: string) => void) | undefined;
let warned = false;

/** Who is told, once per run, that the home folder is open to others (the command line, through its output). */
export function onHomeWarning(listener: ((message: string) => void) | undefined): void {
  onWarning = listener;
}

/**
 * Before SQLite opens the manifest: its folder made (0700) and judged, the database created 0600 when new, and the
 * files of an existing installation (made before sse3 set their modes) closed to group and others.
 */
export function prepareManifestFiles(file: string): void {
  const home = dirname(file);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  warnAboutHome(home);
  createPrivateFile(file);
  const here = (dir: string, keep: (name: string) => boolean) => {
    try {
      return readdirSync(dir).filter(keep).map((name) => join(dir, name));
    } catch {
      return [];
    }
  };
  const backups = join(home, 'backups');
  // The database, its -wal, -shm and -journal, and damaged ones moved aside; every backup, and their folder.
  for (const path of [...here(home, (n) => n.startsWith(basename(file))), backups, ...here(backups, (n) => n.endsWith('.db'))]) {
    closeToOthers(path);
  }
}

/** An empty file only the user may read and write (O_EXCL, never through a link); one already there is left as it is. */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  } catch {
    // Already there (its mode is seen to), or it cannot be made: SQLite says why when it opens it.
  }
}

/** Take group and other permissions off a file or folder of the user's own, through the opened file (no link followed). */
function closeToOthers(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const st = fstatSync(fd);
    if ((st.isFile() || st.isDirectory()) && st.uid === currentUid() && (st.mode & 0o077) !== 0) fchmodSync(fd, st.mode & 0o700);
  } catch {
    // Not ours to change: the home warning says what to do.
  } finally {
    closeSync(fd);
  }
}

/** One line, once per run, when another user owns the home folder or group and others may enter it. */
function warnAboutHome(home: string): void {
  const me = currentUid();
  if (warned || !onWarning || me === undefined) return;
  let st;
  try {
    st = statSync(home);
  } catch {
    return;
  }
  let message: string | undefined;
  if (st.uid !== me) {
    message = `the sse3 home ${home} is owned by ${describeUser(st.uid)}, not by ${describeMe()}: that user can read and change ` +
      'your manifest; use a folder of your own: mkdir -m 700 DIR and set SSE3_HOME=DIR';
  } else if ((st.mode & 0o077) !== 0) {
    message = `the sse3 home ${home} is open to group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); ` +
      `it holds the record of your objects and keys: run chmod 700 ${home}`;
  }
  if (!message) return;
  warned = true;
  onWarning(message);
}
