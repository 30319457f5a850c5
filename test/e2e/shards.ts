// What the tests of --shard share: a bucket of many small SSE-C objects, the server's count of versions per object
// and their current tags (asked with the admin client, never through sse3), and sse3 runs that can be killed mid-way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, ok, serverVersions, start } from './harness.js';

/** `count` small files (keys spread over a few folders) uploaded with sse3 cp -r under `keyRef`; their keys. */
export async function uploadMany(home: Home, bucket: string, count: number, keyRef: string): Promise<string[]> {
  const dir = join(home.dir, 'many');
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `d${i % 7}/obj-${String(i).padStart(5, '0')}.bin`;
    mkdirSync(join(dir, `d${i % 7}`), { recursive: true });
    writeFileSync(join(dir, key), randomBytes(16 + (i % 50)));
    keys.push(key);
  }
  await ok(['cp', '-r', dir, `s3://${bucket}/`, '--key', keyRef, '--json', '-q'], { home, killAfterMs: 600_000 });
  return keys.sort();
}

/** Versions per key, from the server's own listing (a rotation adds one version in a versioned bucket). */
export async function versionCounts(bucket: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const v of (await serverVersions(bucket)).versions) counts.set(v.Key!, (counts.get(v.Key!) ?? 0) + 1);
  return counts;
}

/** Every object of the bucket has exactly `versions` versions: each rotation so far wrote each object once, none skipped. */
export async function assertEachRotated(bucket: string, keys: string[], versions: number, what: string): Promise<void> {
  const counts = await versionCounts(bucket);
  assert.deepEqual([...counts.keys()].sort(), keys, `${what}: the bucket holds the objects uploaded`);
  const off = [...counts].filter(([, n]) => n !== versions);
  assert.deepEqual(off.slice(0, 5), [], `${what}: ${off.length} object(s) without exactly ${versions} versions`);
}

/** sse3 started without waiting, its stdout's JSON lines readable while it runs, so a test can kill it mid-way. */
export function startWatched(args: string[], home: Home, env: NodeJS.ProcessEnv = {}) {
  const running = start(args, { home, env, killAfterMs: 900_000 });
  const itemsSoFar = () => running.stdoutSoFar().split('\n').filter((l) => l.startsWith('{"ok":true')).length;
  return { ...running, itemsSoFar };
}
