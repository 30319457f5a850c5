// Shared by the reliability tests: processes that can be killed mid-flight, the manifest and server state as
// assertions see them, and control of the test gateway (scripts/rgw.sh) for the server-fault tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext, type TestOptions } from 'node:test';
import { tempFileOwner } from '../../src/core/transfer/tempfiles.js';
import { adminClient, assertNoSecrets, BIN, type Home, newHome as harnessHome, ok, requireEnv, type RunResult }
  from '../e2e/harness.js';

export * from '../e2e/harness.js';

const homes: Home[] = [];

/** harness.newHome, removed when the test ends: these tests move hundreds of MiB per run through /tmp. */
export function newHome(): Home {
  const home = harnessHome();
  homes.push(home);
  return home;
}

function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home.dir, { recursive: true, force: true });
}

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const MiB = 1024 * 1024;

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
export const fileSha256 = (path: string): string => sha256(readFileSync(path));
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const workDir = (home: Home): string => join(home.dir, 'work');
export const workFiles = (home: Home): string[] => readdirSync(workDir(home)).sort();

/** Temporary download files in a folder, by the naming rule of src/core/transfer/tempfiles.ts. */
export const partFiles = (dir: string): string[] => readdirSync(dir).filter((n) => tempFileOwner(n) !== undefined);

export interface ManifestRow {
  endpoint: string; bucket: string; key: string; versionId: string; fingerprint: string;
  size: number; sha256: string; etag: string; createdAt: string;
}

/** `sse3 manifest list --json` (NDJSON, one row per recorded object version). */
export async function manifestRows(home: Home, scope?: string): Promise<ManifestRow[]> {
  const r = await ok(['manifest', 'list', '--json', ...(scope ? [scope] : [])], { home });
  return r.out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ManifestRow)
    .filter((row) => !('summary' in row));
}

export interface ManifestExport {
  objects: ManifestRow[];
  pendingRotations: Array<{ bucket: string; key: string; oldFingerprint: string; newFingerprint: string; state: string; pid: number }>;
  pendingUploads: Array<{ bucket: string; key: string; uploadId: string; fingerprint: string; pid: number }>;
}

export async function manifestExport(home: Home): Promise<ManifestExport> {
  return (await ok(['manifest', 'export'], { home })).json() as ManifestExport;
}

/** Multipart uploads the server still holds for a bucket (what a killed client would leave billed). */
export async function serverUploads(bucket: string): Promise<Array<{ Key?: string; UploadId?: string }>> {
  const { ListMultipartUploadsCommand } = await import('@aws-sdk/client-s3');
  const r = await (await adminClient()).send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return r.Uploads ?? [];
}

/** Objects the server lists under a bucket, by key (listing needs no SSE-C key). */
export async function serverObjects(bucket: string): Promise<Map<string, number>> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const r = await (await adminClient()).send(new ListObjectsV2Command({ Bucket: bucket }));
  return new Map((r.Contents ?? []).map((o) => [o.Key!, o.Size ?? 0]));
}

export async function serverTags(bucket: string, key: string): Promise<Record<string, string>> {
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const r = await (await adminClient()).send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((r.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
}

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<RunResult>;
}

/**
 * Start sse3 without waiting for it, so a test can kill it (or the server) mid-flight. Output is scanned for
 * key material exactly as harness.run does.
 */
export function start(args: string[], opts: { home?: Home; env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): Running {
  const env = { ...process.env, ...opts.home?.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.home ? workDir(opts.home) : undefined, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  // A hung sse3 must fail the test, not the whole run.
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      try {
        assertNoSecrets(stdout, `stdout of sse3 ${args.join(' ')}`);
        assertNoSecrets(err, `stderr of sse3 ${args.join(' ')}`);
      } catch (e) {
        reject(e);
        return;
      }
      resolve({ code, signal, stdout, stderr: err, out: stdout.toString(), json: () => JSON.parse(stdout.toString()) });
    });
  });
  return { child, pid: child.pid!, done };
}

/** Poll until probe returns a value (not undefined/false), or fail after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway. node --test runs two test files at once (scripts/test.sh), and a test that stops radosgw would
// break whatever the other file is doing. So every test that needs the gateway holds a shared lock for its
// duration, and a test that stops or hangs it holds the exclusive one: the suite stays parallel except while
// the gateway is deliberately broken. Locks name their owner's PID, so a killed test run cannot wedge the next.

const lockDir = (): string => {
  // Beside the gateway it guards, so it goes when the cluster's folder goes.
  const dir = process.env.SSE3_RGW_DIR ? join(process.env.SSE3_RGW_DIR, 'test-locks')
    : join(tmpdir(), `sse3-reliability-gateway-${sha256(requireEnv('AWS_ENDPOINT_URL')).slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while a live process holds the exclusive lock; a dead holder's lock is removed. */
function exclusiveHeld(dir: string): boolean {
  const path = join(dir, 'exclusive');
  let owner: number;
  try {
    owner = Number(readFileSync(join(path, 'pid'), 'utf8'));
  } catch {
    return false;
  }
  if (owner === process.pid || pidAlive(owner)) return true;
  rmSync(path, { recursive: true, force: true });
  return false;
}

/** Live holders (`shared-PID-N`) or waiters (`waiting-PID-N`) of the shared lock; files of dead processes are removed. */
function liveShared(dir: string, kind: 'shared' | 'waiting' = 'shared'): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${kind}-`)).filter((n) => {
    if (pidAlive(Number(n.split('-')[1]))) return true;
    try { unlinkSync(join(dir, n)); } catch { /* removed by someone else */ }
    return false;
  });
}

let sharedSeq = 0;

async function acquireShared(): Promise<() => void> {
  const dir = lockDir();
  const seq = ++sharedSeq;
  // While we wait, a file says so: the next exclusive test lets us in first, so a run of exclusive tests in one
  // file cannot starve a shared test (and its timeout) in another.
  const waiting = join(dir, `waiting-${process.pid}-${seq}`);
  writeFileSync(waiting, '');
  try {
    for (;;) {
      if (!exclusiveHeld(dir)) {
        const mine = join(dir, `shared-${process.pid}-${seq}`);
        writeFileSync(mine, '');
        // Re-check after announcing ourselves: an exclusive holder that started meanwhile waits for us only if
        // it saw our file, so one of the two must back off.
        if (!exclusiveHeld(dir)) return () => rmSync(mine, { force: true });
        rmSync(mine, { force: true });
      }
      await sleep(100);
    }
  } finally {
    rmSync(waiting, { force: true });
  }
}

async function acquireExclusive(): Promise<() => void> {
  const dir = lockDir();
  const path = join(dir, 'exclusive');
  const others = (n: string) => n.split('-')[1] !== String(process.pid);
  for (;;) {
    if (liveShared(dir, 'waiting').some(others)) {
      await sleep(100);
      continue;
    }
    const staging = mkdtempSync(join(dir, 'staging-'));
    writeFileSync(join(staging, 'pid'), String(process.pid));
    try {
      renameSync(staging, path);
      break;
    } catch {
      rmSync(staging, { recursive: true, force: true });
      exclusiveHeld(dir);
      await sleep(100);
    }
  }
  while (liveShared(dir).some(others)) await sleep(100);
  return () => rmSync(path, { recursive: true, force: true });
}

type TestFn = (t: TestContext) => Promise<void>;

/** A test that does not need the gateway. */
export function localTest(name: string, options: TestOptions, fn: TestFn): void {
  test(name, options, async (t) => {
    try { await fn(t); } finally { removeHomes(); }
  });
}

/** A test that uses the gateway while other test files may use it too. */
export function gatewayTest(name: string, options: TestOptions, fn: TestFn): void {
  test(name, options, async (t) => {
    const release = await acquireShared();
    try { await fn(t); } finally { release(); removeHomes(); }
  });
}

/** A test that stops or hangs the gateway: no other test file talks to it meanwhile. */
export function exclusiveGatewayTest(name: string, options: TestOptions, fn: TestFn): void {
  test(name, options, async (t) => {
    const release = await acquireExclusive();
    try { await fn(t); } finally { release(); removeHomes(); }
  });
}

function rgw(action: 'gateway-pid' | 'restart-gateway'): number {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'rgw.sh'), action, requireEnv('SSE3_RGW_DIR')],
    { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  const pid = Number(out.split('\n').at(-1));
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`rgw.sh ${action} printed no PID: ${out}`);
  return pid;
}

/** The radosgw PID that scripts/rgw.sh recorded for this cluster. */
export const gatewayPid = (): number => rgw('gateway-pid');
/** Stop radosgw whatever its state (killed, stopped, running) and start it again; its new PID. */
export const restartGateway = (): number => rgw('restart-gateway');

/** True when the gateway answers S3 requests again. */
export async function gatewayAnswers(): Promise<boolean> {
  const { ListBucketsCommand } = await import('@aws-sdk/client-s3');
  return (await adminClient()).send(new ListBucketsCommand({})).then(() => true, () => false);
}
