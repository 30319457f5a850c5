// Another local user on the same machine for the tests: uid 61234 through setpriv, acting inside a temporary folder
// the test makes (never real accounts or system folders), with a sticky world-writable folder in it standing in for /tmp.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync,
  readFileSync, readlinkSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, putData, tempDir, waitFor } from './harness.js';

export const OTHER = 61234;
/** A command's prefix that runs it as the other user. */
export const AS_OTHER = ['setpriv', `--reuid=${OTHER}`, `--regid=${OTHER}`, '--clear-groups'];
/** True when every folder from / down to dir lets other users enter it. */
function othersMayEnter(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * Why tests of another user cannot run here, or false: they need root (to switch to it), setpriv, and a temporary
 * folder the other user may enter, where they make the places both users act in.
 */
export const needsOtherUser: string | false =
  process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv') ? 'needs root and setpriv'
    : !othersMayEnter(tmpdir()) ? `another user cannot enter the temporary folder ${tmpdir()}: set TMPDIR to one they may enter`
      : false;

/** Run a command as the other user: its exit status, stdout and stderr (a refused read is an answer, not an error). */
export function asOther(cmd: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(AS_OTHER[0], [...AS_OTHER.slice(1), ...cmd], { input, stdio: ['pipe', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/**
 * A temporary folder the other user may enter (removed when the test ends), with `shared` in it: sticky and
 * world-writable, as /tmp is.
 */
export function place(): { dir: string; shared: string } {
  const dir = tempDir('sse3-users-');
  chmodSync(dir, 0o755);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return { dir, shared };
}

/** A home of the test's with one object, t/out.bin, in a new bucket, under the key file k.key of its key folder. */
export async function withObject(size = 200 * 1024): Promise<{ home: Home; bucket: string; url: string; data: Buffer }> {
  const home = newHome();
  const bucket = await newBucket('users');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(size);
  await putData(home, `s3://${bucket}/t/out.bin`, data, key.ref);
  return { home, bucket, url: `s3://${bucket}/t/out.bin`, data };
}

export const modeOf = (path: string): string => (lstatSync(path).mode & 0o7777).toString(8).padStart(4, '0');

/** The other user reading a FIFO, as someone waiting for another's download would; returns what they received. */
export function readAsOther(fifo: string): () => Promise<Buffer> {
  const child = spawn(AS_OTHER[0], [...AS_OTHER.slice(1), 'timeout', '60', 'cat', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  let exited = false;
  const done = new Promise<Buffer>((resolve) => child.on('close', () => { exited = true; resolve(Buffer.concat(chunks)); }));
  return async () => {
    // When nothing wrote to the FIFO the reader still waits: a writer that writes nothing lets it see the end. Opening
    // fails until the reader has opened it (or once it has left).
    await waitFor(`the other user to read ${fifo}`, () => {
      if (exited) return true;
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        return true;
      } catch {
        return false;
      }
    }, 60_000, 10);
    return done;
  };
}

const ROOT = new URL('../../../', import.meta.url).pathname;

/** mkdir -p, each folder it makes 0755 (others may enter it) whatever the umask. */
function sharedFolder(path: string): void {
  if (existsSync(path)) return;
  sharedFolder(dirname(path));
  mkdirSync(path);
  chmodSync(path, 0o755);
}

/**
 * Make `to` hold what `from` holds, for every user to read: files are hard links when others may read them already
 * (and the file system allows it), otherwise copies readable by all.
 */
function shareTree(from: string, to: string): void {
  const st = lstatSync(from);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
  } else if (st.isDirectory()) {
    sharedFolder(to);
    for (const name of readdirSync(from)) shareTree(join(from, name), join(to, name));
  } else if (st.isFile()) {
    if (st.mode & 0o004) {
      try {
        linkSync(from, to);
        return;
      } catch { /* another file system: copied */ }
    }
    copyFileSync(from, to);
    chmodSync(to, st.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** The packages sse3 loads at run time (package.json dependencies, and theirs), by name. */
function runtimePackages(): string[] {
  const found = new Set<string>();
  const visit = (name: string) => {
    const manifest = join(ROOT, 'node_modules', name, 'package.json');
    if (found.has(name) || !existsSync(manifest)) return; // an optional dependency for another platform
    found.add(name);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: object; optionalDependencies?: object };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: object };
  for (const dep of Object.keys(own.dependencies)) visit(dep);
  return [...found];
}

let sharedInstall: string | undefined;

/**
 * sse3 as another user can run it: bin/sse3.js and all it loads (the bundle, the completion spec, package.json, the
 * runtime packages) in a temporary folder every user may enter and read, with `extra` files (absolute paths) in its
 * extra/ folder. The checkout itself may sit in a folder only its owner may enter (a clone in /root, mode 700).
 * Made once per test file, removed when its tests have ended.
 */
export function sse3ForOthers(extra: string[] = []): { bin: string; bundle: string; extra: (path: string) => string } {
  if (!sharedInstall) {
    const dir = tempDir('sse3-shared-install-', { scope: 'file' });
    chmodSync(dir, 0o755);
    for (const part of ['bin', 'package.json', 'dist/bundle', 'dist/completion-spec.json']) {
      sharedFolder(dirname(join(dir, part)));
      shareTree(join(ROOT, part), join(dir, part));
    }
    for (const name of runtimePackages()) {
      sharedFolder(dirname(join(dir, 'node_modules', name)));
      shareTree(realpathSync(join(ROOT, 'node_modules', name)), join(dir, 'node_modules', name));
    }
    sharedFolder(join(dir, 'extra'));
    sharedInstall = dir;
  }
  const at = (path: string) => join(sharedInstall!, 'extra', basename(path));
  for (const file of extra) if (!existsSync(at(file))) shareTree(file, at(file));
  return { bin: join(sharedInstall, 'bin', 'sse3.js'), bundle: join(sharedInstall, 'dist', 'bundle'), extra: at };
}
