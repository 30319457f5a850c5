// Runs the built sse3 binary as a user would, against the local Ceph RGW started by scripts/test.sh.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ManifestEntry } from '../../src/manifest/entry.js';
import { tempDir } from '../support/tempdir.js';
import { waitFor } from '../support/wait.js';

export { tempDir } from '../support/tempdir.js';
export { promisesSettled, waitFor } from '../support/wait.js';

export const BIN = new URL('../../../bin/sse3.js', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** stdout as text */
  out: string;
  /** stdout as one JSON value (a one-result command's line, or an error line alone). */
  json: () => any;
  /** stdout's JSON lines (--json), each parsed. */
  lines: () => any[];
  /** Of a many-result command's lines, the items: neither the summary nor the error line. */
  items: () => any[];
  /** The `summary` of the {"summary": …} line. */
  summary: () => any;
  /** The `error` of the last line, {"ok": false, "error": …}. */
  error: () => any;
}

/** stdout's JSON lines, as RunResult gives them. */
export function jsonOutput(stdout: string): Pick<RunResult, 'json' | 'lines' | 'items' | 'summary' | 'error'> {
  const lines = () => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const isError = (j: any) => j.ok === false && j.error && Object.keys(j).length === 2;
  return {
    json: () => JSON.parse(stdout),
    lines,
    items: () => lines().filter((j) => !('summary' in j) && !isError(j)),
    summary: () => lines().find((j) => 'summary' in j)?.summary,
    error: () => lines().at(-1)?.error,
  };
}

/**
 * The result of one sse3 run, once its stdout and stderr are scanned for every key the tests made (throws if one is
 * there), and stderr for Node's own warnings about its API (on Node 22, node:sqlite's), which mean nothing to a user.
 */
export function scannedResult(args: string[], code: number | null, signal: NodeJS.Signals | null, stdout: Buffer,
  stderr: string): RunResult {
  assertNoSecrets(stdout, `stdout of sse3 ${args.join(' ')}`);
  assertNoSecrets(stderr, `stderr of sse3 ${args.join(' ')}`);
  assert.doesNotMatch(stderr, /ExperimentalWarning/, `sse3 ${args.join(' ')} showed Node's warning`);
  return { code, signal, stdout, stderr, out: stdout.toString(), ...jsonOutput(stdout.toString()) };
}

/** Every key material string a test has produced; no sse3 output may ever contain one. */
const secrets = new Set<string>();
export function rememberSecret(raw: Buffer): void {
  // Unpadded base64 also finds the padded form, and a key quoted inside a reference (file:KEY) or a path.
  secrets.add(raw.toString('base64').replace(/=+$/, ''));
  secrets.add(raw.toString('hex'));
  secrets.add(raw.toString('hex').toUpperCase());
  secrets.add(raw.toString('base64url'));
  // A text secret (the guide's 32 characters) is its own bytes.
  secrets.add(raw.toString('latin1'));
}

/** A key written as text (the 32 characters `aws s3 cp --sse-c-key` users type), whose bytes are the key. */
export function rememberSecretText(text: string): void {
  secrets.add(text);
  rememberSecret(Buffer.from(text));
}

export function assertNoSecrets(text: string | Buffer, where: string): void {
  const s = text.toString('latin1');
  for (const secret of secrets) assert.ok(!s.includes(secret), `key material appeared in ${where}`);
}

export interface Home {
  dir: string;
  keyDir: string;
  env: NodeJS.ProcessEnv;
}

/** A private SSE3_HOME (manifest + key folder) and working folder for one test, removed when the test ends. */
export function newHome(): Home {
  const dir = tempDir('sse3-e2e-');
  mkdirSync(join(dir, 'work'));
  return { dir, keyDir: join(dir, 'home', 'keys'), env: { SSE3_HOME: join(dir, 'home') } };
}

/**
 * Node loader hook that reports every module specifier the process resolves, on stderr; and, as it exits, whether it
 * loaded node:sqlite (sse3 loads it with process.getBuiltinModule, which no loader hook sees).
 */
const RESOLVE_LOGGER = 'data:text/javascript,import{register}from"node:module";register("data:text/javascript,' +
  'export async function resolve(s,c,n){console.error(\\"sse3-test-resolve \\"+s);return n(s,c)}");' +
  'process.on("exit",()=>{if(process.moduleLoadList.includes("NativeModule sqlite"))console.error("sse3-test-resolve node:sqlite")})';

/**
 * Run sse3 and return the bare package names it loaded (e.g. "commander", "@aws-sdk/client-s3"), and "node:sqlite"
 * when it loaded SQLite (the one built-in module named: the others cost nothing to load).
 */
export async function packagesLoaded(args: string[], opts: RunOptions = {}): Promise<{ result: RunResult; packages: string[] }> {
  const result = await run(args, { ...opts, nodeArgs: ['--import', RESOLVE_LOGGER] });
  const packages = [...result.stderr.matchAll(/^sse3-test-resolve (\S+)$/gm)].map((m) => m[1])
    .filter((s) => !s.startsWith('.') && (!s.startsWith('node:') || s === 'node:sqlite') && !s.startsWith('file:'));
  return { result, packages: [...new Set(packages)] };
}

export interface RunOptions {
  home?: Home;
  env?: NodeJS.ProcessEnv;
  /** Fed to stdin, which is then closed; run gives an empty one, start none at all (/dev/null) unless given. */
  input?: Buffer | string;
  cwd?: string;
  /** SIGKILL after this long (default 2 minutes): a hung sse3 fails its test, not the whole run. */
  killAfterMs?: number;
  noBaseEnv?: boolean;
  nodeArgs?: string[];
  bin?: string;
  /** A command that runs node, e.g. ['setpriv', '--reuid=65534', …] to run sse3 as another user. */
  wrap?: string[];
}

/** How a child ended, with all it wrote. */
interface Collected { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

/**
 * The one way the tests spawn a program and collect its output: stdout as bytes, stderr as text, both readable while
 * it runs; stdin fed `input` and closed (or /dev/null without one); SIGKILL after killAfterMs (default 2 minutes).
 */
function spawnCollecting(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: Buffer | string;
  killAfterMs?: number }): { child: ChildProcess; closed: Promise<Collected>; stdoutSoFar(): Buffer; stderrSoFar(): string } {
  const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
  const closed = new Promise<Collected>((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
  if (opts.input !== undefined) {
    child.stdin!.on('error', () => { /* the program may exit before reading all input */ });
    child.stdin!.end(opts.input);
  }
  return { child, closed, stdoutSoFar: () => Buffer.concat(out), stderrSoFar: () => err };
}

export interface Running {
  child: ChildProcess;
  pid: number;
  /** Its result once it has ended, output scanned as run's is. */
  done: Promise<RunResult>;
  /** What it has written so far (e.g. the --json lines of the items done), while it runs. */
  stdoutSoFar(): string;
  stderrSoFar(): string;
}

/** Start sse3 without waiting for it, so a test can watch or kill it (or the server) mid-flight. */
export function start(args: string[], opts: RunOptions = {}): Running {
  const base = opts.noBaseEnv ? { PATH: process.env.PATH } : process.env;
  const env = { ...base, ...opts.home?.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const argv = [...(opts.wrap ?? []), process.execPath, ...(opts.nodeArgs ?? []), opts.bin ?? BIN, ...args];
  const spawned = spawnCollecting(argv, { env, input: opts.input, killAfterMs: opts.killAfterMs,
    cwd: opts.cwd ?? (opts.home ? join(opts.home.dir, 'work') : undefined) });
  // A rejection when key material shows: the test that awaits the run fails, with its own name on it.
  const done = spawned.closed.then((r) => scannedResult(args, r.code, r.signal, r.stdout, r.stderr));
  return { child: spawned.child, pid: spawned.child.pid!, done, stdoutSoFar: () => spawned.stdoutSoFar().toString(),
    stderrSoFar: spawned.stderrSoFar };
}

/** Run sse3 to its end, with an empty stdin unless `input` is given. */
export function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return start(args, { ...opts, input: opts.input ?? '' }).done;
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
 * sse3 run until it stops itself at a fault point (SSE3_FAULT=POINT:stop), so the test can change the world around
 * it; fails if sse3 ends without getting there. `resume` lets it go on and gives its result; `signal` sends one first.
 * It is killed when the test ends, should the test fail before resuming it.
 */
export async function stoppedAt(t: TestContext, point: string, home: Home, args: string[])
  : Promise<{ resume(): Promise<RunResult>; signal(name: NodeJS.Signals): void }> {
  // Killed when the test ends, or after 10 minutes: it may stay stopped for as long as the test works around it.
  const running = start(args, { home, env: { SSE3_FAULT: `${point}:stop` }, killAfterMs: 600_000 });
  const { child } = running;
  t.after(() => { child.kill('SIGKILL'); });
  let ended: RunResult | undefined;
  const done = running.done.then((r) => (ended = r));
  await waitFor(`sse3 ${args[0]} to stop at ${point}`, () => {
    if (ended) throw new Error(`sse3 ${args[0]} ended (exit ${ended.code}) without stopping at ${point}: ${ended.stderr}`);
    return isStopped(child.pid);
  }, 120_000);
  return {
    resume() {
      child.kill('SIGCONT');
      return done;
    },
    /** A signal sent while it is stopped: pending until resume() lets it go on, as a signal to a frozen process is. */
    signal(name) {
      child.kill(name);
    },
  };
}

/** Run and require exit 0, showing stderr otherwise. */
export async function ok(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(args, opts);
  assert.equal(r.code, 0, `sse3 ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** keygen into a file of the home's key folder (or a given path); returns the raw key and fingerprint. */
export async function makeKeyFile(home: Home, name: string, opts: { inKeyDir?: boolean; format?: 'raw' | 'base64' } = {})
  : Promise<{ path: string; ref: string; raw: Buffer; fingerprint: string }> {
  const path = opts.inKeyDir === false ? join(home.dir, name) : join(home.keyDir, name);
  const r = await ok(['keygen', `file:${path}`, '--json', ...(opts.format ? ['--format', opts.format] : [])], { home });
  const content = readFileSync(path);
  const raw = content.length === 32 ? content : Buffer.from(content.toString().trim(), 'base64');
  rememberSecret(raw);
  return { path, ref: `file:${path}`, raw, fingerprint: r.json().fingerprint };
}

/** Two homes with the same keys in their key folders (a team shares keys, not manifests). */
export async function team(names: string[]): Promise<{ a: Home; b: Home; keys: Record<string, { ref: string; fingerprint: string; raw: Buffer }> }> {
  const a = newHome();
  const b = newHome();
  const keys: Record<string, { ref: string; fingerprint: string; raw: Buffer }> = {};
  mkdirSync(b.keyDir, { recursive: true });
  for (const n of names) {
    const k = await makeKeyFile(a, `${n}.key`);
    copyFileSync(k.path, join(b.keyDir, `${n}.key`));
    keys[n] = k;
  }
  return { a, b, keys };
}

export const randomName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

let clientPromise: Promise<import('@aws-sdk/client-s3').S3Client> | undefined;
/** A plain SDK client for test setup (buckets, unencrypted objects): never used for what is being tested. */
export function adminClient(): Promise<import('@aws-sdk/client-s3').S3Client> {
  clientPromise ??= (async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const { S3Client } = await import('@aws-sdk/client-s3');
    const { Agent } = await import('node:https');
    return new S3Client({
      endpoint: requireEnv('AWS_ENDPOINT_URL'), region: 'us-east-1', forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: { httpsAgent: new Agent({ ca: readFileSync(requireEnv('AWS_CA_BUNDLE')) }) },
    });
  })();
  return clientPromise;
}

export async function newBucket(prefix = 'e2e', versioned = false): Promise<string> {
  const s3 = await import('@aws-sdk/client-s3');
  const client = await adminClient();
  const bucket = randomName(prefix);
  await client.send(new s3.CreateBucketCommand({ Bucket: bucket }));
  if (versioned) {
    await client.send(new s3.PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  return bucket;
}

/**
 * Replaces an object behind sse3's back with other content, SSE-C encrypted under the same key (raw bytes),
 * as another S3 client would: no sse3 tags, no manifest row.
 */
export async function overwriteEncrypted(bucket: string, key: string, body: Buffer, rawKey: Buffer): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3');
  const r = await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: key, Body: body,
    SSECustomerAlgorithm: 'AES256', SSECustomerKey: rawKey.toString('base64') }));
  assert.equal(r.SSECustomerAlgorithm, 'AES256', 'the server encrypted the overwrite');
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end tests through npm test (it starts the local Ceph RGW)`);
  return v;
}

/** The Debian aws-cli (a pyenv shim may shadow `aws` on PATH). */
export const AWS_CLI = ['/usr/bin/aws', '/usr/local/bin/aws'].find((p) => existsSync(p));

export interface ProgramResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/**
 * Run a program other than sse3 (aws-cli, curl, a shell) to its end, stdin /dev/null, its output as text. Not scanned
 * for key material: a caller that runs sse3 through it scans what sse3 wrote.
 */
export async function runProgram(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; killAfterMs?: number } = {})
  : Promise<ProgramResult> {
  const r = await spawnCollecting(argv, opts).closed;
  return { code: r.code, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr };
}

export function runAws(args: string[]): Promise<ProgramResult> {
  return runProgram([AWS_CLI!, ...args, '--endpoint-url', requireEnv('AWS_ENDPOINT_URL'), '--ca-bundle', requireEnv('AWS_CA_BUNDLE')],
    { env: { ...process.env, AWS_PAGER: '' } });
}

/** Write data to the home's work folder and put it with key ref; returns the put --json result. */
export async function putData(home: Home, url: string, data: Buffer, ref: string, extra: string[] = []): Promise<any> {
  const { rmSync, writeFileSync } = await import('node:fs');
  const file = join(home.dir, 'work', `up-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, data);
  const r = (await ok(['put', file, url, '--key', ref, '--json', ...extra], { home })).json();
  rmSync(file);
  return r;
}

/** Lines of NDJSON text (an sse3 --json output), each parsed. */
export const ndjson = (text: string): any[] => jsonOutput(text).lines();

/**
 * A row of `sse3 manifest list --json`: the manifest's entry itself (as a mapped type, which unlike the interface can
 * be passed where a Record<string, unknown> is asked for).
 */
export type ManifestRow = Pick<ManifestEntry, keyof ManifestEntry>;

/** `sse3 manifest list --json [scope]`: one row per recorded object version (the summary line left out). */
export async function manifestRows(home: Home, scope?: string): Promise<ManifestRow[]> {
  return (await ok(['manifest', 'list', '--json', ...(scope ? [scope] : [])], { home })).items();
}

/** Multipart uploads the server still holds for a bucket (what a stopped or killed client would leave billed). */
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

type Listed = { Key?: string; VersionId?: string };

/** Every version and delete marker the server holds in a bucket (under a prefix), all pages of the listing. */
export async function serverVersions(bucket: string, prefix?: string): Promise<{ versions: Listed[]; deleteMarkers: Listed[] }> {
  const { ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const client = await adminClient();
  const found = { versions: [] as Listed[], deleteMarkers: [] as Listed[] };
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  do {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, ...markers }));
    found.versions.push(...page.Versions ?? []);
    found.deleteMarkers.push(...page.DeleteMarkers ?? []);
    markers = page.IsTruncated ? { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker } : {};
  } while (markers.KeyMarker);
  return found;
}

/** An object's tags (of its current version, or of versionId), as the server holds them. */
export async function serverTags(bucket: string, key: string, versionId?: string): Promise<Record<string, string>> {
  const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
  const r = await (await adminClient()).send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return Object.fromEntries((r.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
}

/** Requests an sse3 run sent, by operation, from the file its SSE3_REQUEST_LOG named (absent: none sent). */
export function requestCounts(logFile: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  for (const op of text.split('\n').filter(Boolean)) counts[op] = (counts[op] ?? 0) + 1;
  return counts;
}
