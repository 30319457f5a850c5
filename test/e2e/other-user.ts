// Another local user on the same machine for the tests: uid 61234 through setpriv, acting inside a temporary folder
// the test makes (never real accounts or system folders), with a sticky world-writable folder in it standing in for /tmp.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, newBucket, newHome, putData, tempDir, waitFor } from './harness.js';

export const OTHER = 61234;
const AS_OTHER = ['setpriv', `--reuid=${OTHER}`, `--regid=${OTHER}`, '--clear-groups'];
/** Tests of another user need root (to switch to it) and setpriv. */
export const needsOtherUser = (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) && 'needs root and setpriv';

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

