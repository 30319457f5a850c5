// Another local user on the same machine for the tests: uid 61234 through setpriv, acting inside a temporary folder
// the test makes (never real accounts or system folders), with a sticky world-writable folder in it standing in for /tmp.
import type { TestContext } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, type Home, makeKeyFile, newBucket, newHome, putData } from './harness.js';

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
export function place(t: TestContext): { dir: string; shared: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sse3-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return { dir, shared };
}

/** A home of the test's (removed when it ends). */
export function ownHome(t: TestContext): Home {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  return home;
}

/** A home of the test's with one object, t/out.bin, in a new bucket, under the key file k.key of its key folder. */
export async function withObject(t: TestContext, size = 200 * 1024): Promise<{ home: Home; bucket: string; url: string; data: Buffer }> {
  const home = ownHome(t);
  const bucket = await newBucket('users');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(size);
  await putData(home, `s3://${bucket}/t/out.bin`, data, key.ref);
  return { home, bucket, url: `s3://${bucket}/t/out.bin`, data };
}

export const modeOf = (path: string): string => (lstatSync(path).mode & 0o7777).toString(8).padStart(4, '0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The process is stopped (SIGSTOP), as an SSE3_FAULT=NAME:stop point leaves it. */
function isStopped(pid: number | undefined): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] === 'T';
  } catch {
    return false;
  }
}

/**
 * sse3 run until it stops itself at a fault point (SSE3_FAULT=POINT:stop); `resume` lets it go on and gives its exit
 * status and stderr. It is killed when the test ends, should the test fail before resuming it.
 */
export async function stoppedAt(t: TestContext, point: string, home: Home, args: string[])
  : Promise<{ resume(): Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: join(home.dir, 'work'),
    env: { ...process.env, ...home.env, SSE3_FAULT: `${point}:stop` }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  t.after(() => { child.kill('SIGKILL'); });
  await until(`sse3 ${args[0]} to stop at ${point}`, () => isStopped(child.pid));
  return {
    async resume() {
      child.kill('SIGCONT');
      return { code: await exited, stderr };
    },
  };
}

/** The other user reading a FIFO, as someone waiting for another's download would; returns what they received. */
export function readAsOther(fifo: string): () => Promise<Buffer> {
  const child = spawn(AS_OTHER[0], [...AS_OTHER.slice(1), 'timeout', '60', 'cat', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  let exited = false;
  const done = new Promise<Buffer>((resolve) => child.on('close', () => { exited = true; resolve(Buffer.concat(chunks)); }));
  return async () => {
    // When nothing wrote to the FIFO the reader still waits: a writer that writes nothing lets it see the end.
    while (!exited) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        break;
      } catch {
        await sleep(10); // the reader has not opened it yet, or has just left
      }
    }
    return done;
  };
}
