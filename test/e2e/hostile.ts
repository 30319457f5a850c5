// The built sse3 against a misbehaving S3 server of the tests' own (test/support/hostile-s3.ts): a private home with
// a key, the server, and what a hostile answer may never leave behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { HostileS3 } from '../support/hostile-s3.js';
import { type Home, makeKeyFile, newHome, ok, run, type RunResult } from './harness.js';

export interface HostileSetup {
  s3: HostileS3;
  home: Home;
  key: Awaited<ReturnType<typeof makeKeyFile>>;
  /** A folder for downloads, empty at first. */
  dest: string;
  /** Run sse3 in the home, pointed at the server (--endpoint-url, --ca-bundle). */
  sse3: (args: string[], opts?: Parameters<typeof run>[1]) => Promise<RunResult>;
  /** sse3 put of data to s3://bkt/NAME under the home's key (the server answering honestly), returning the put's JSON. */
  put: (name: string, data: Buffer) => Promise<any>;
  /** The manifest's rows (sse3 manifest list --json). */
  rows: () => Promise<any[]>;
}

/** A server and a home for one test, both removed when it ends. */
export async function hostileSetup(t: TestContext, opts: { versioned?: boolean } = {}): Promise<HostileSetup> {
  const s3 = await HostileS3.start(opts);
  const home = newHome();
  t.after(async () => {
    await s3.close();
    rmSync(home.dir, { recursive: true, force: true });
  });
  const key = await makeKeyFile(home, 'k.key');
  const dest = join(home.dir, 'dest');
  mkdirSync(dest);
  const sse3 = (args: string[], o: Parameters<typeof run>[1] = {}) => run([...s3.args, ...args], { home, ...o });
  const put = async (name: string, data: Buffer) => {
    const file = join(home.dir, `up-${randomBytes(4).toString('hex')}`);
    writeFileSync(file, data);
    const r = await ok([...s3.args, 'put', file, `s3://bkt/${name}`, '--key', key.ref, '--json'], { home });
    rmSync(file);
    return r.json();
  };
  const rows = async () => (await ok(['manifest', 'list', '--json'], { home })).out.split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l)).filter((r) => !r.summary);
  return { s3, home, key, dest, sse3, put, rows };
}

/** A refused answer: the exit status, one error line naming the object with a hint, and nothing in the destination folder. */
export function assertRefused(r: RunResult, opts: { code: number; url: string; dest?: string; message?: RegExp }): void {
  assert.equal(r.code, opts.code, `exit ${r.code}, expected ${opts.code}: ${r.stderr}`);
  const error = /^error: (.*)$/m.exec(r.stderr)?.[1] ?? '';
  assert.ok(error.includes(opts.url), `the error names ${opts.url}: ${r.stderr}`);
  if (opts.message) assert.match(error, opts.message);
  assert.match(r.stderr, /^hint: \S/m, 'and says what to do');
  if (opts.dest) assert.deepEqual(readdirSync(opts.dest), [], 'nothing left in the destination folder, temporary files included');
}
