// A batch that writes its manifest rows in groups, interrupted (Ctrl-C) or killed mid-run: never a row for an object
// that was not written, every row opens with its key, Ctrl-C writes every row of what it reported done, and what a
// kill -9 lost is recovered from the objects' tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  makeKeyFile, manifestRows, newBucket, newHome, ok, serverObjects, start, waitFor, type Home,
} from './support.js';

/** sse3 with --json, its stdout readable while it runs (the NDJSON line of each object done). */
function watched(args: string[], home: Home) {
  const running = start(args, { home });
  const okUrls = () => running.stdoutSoFar().split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { ok?: boolean; url?: string }).filter((j) => j.ok && j.url).map((j) => j.url!);
  return { ...running, okUrls };
}

// SIGTERM stops as Ctrl-C does (rows of what was reported done written on the way out), with its own status, 143.
const STOP_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
  test(`cp -r of small files stopped with ${signal} mid-run: rows only for written objects, all consistent, none lost for good`,
    {}, async () => {
      const home = newHome();
      const bucket = await newBucket('rows');
      const key = await makeKeyFile(home, 'k.key');
      const dir = join(home.dir, 'src');
      mkdirSync(dir);
      const count = 400;
      for (let i = 0; i < count; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}.txt`), randomBytes(50 + i));
      const cp = watched(['cp', '-r', dir, `s3://${bucket}/p/`, '--key', key.ref, '--json'], home);
      await waitFor('40 objects copied', () => cp.okUrls().length >= 40 || cp.child.exitCode !== null, 60_000);
      cp.child.kill(signal);
      const { code } = await cp.done;
      if (signal !== 'SIGKILL') assert.equal(code, STOP_STATUS[signal], cp.stderrSoFar());
      const reported = cp.okUrls();
      assert.ok(reported.length >= 40 && reported.length < count, `stopped mid-run (${reported.length} of ${count} done)`);

      const rows = await manifestRows(home, `s3://${bucket}`);
      const objects = await serverObjects(bucket);
      for (const row of rows) assert.equal(objects.get(row.key), row.size, `${row.key}: a row only for an object written, of its size`);
      await ok(['verify', `s3://${bucket}`], { home });
      if (signal !== 'SIGKILL') {
        // Rows waiting to be written are written on the way out: everything reported done is recorded.
        const recorded = new Set(rows.map((r) => `s3://${r.bucket}/${r.key}`));
        assert.deepEqual(reported.filter((u) => !recorded.has(u)), []);
      }
      // What a kill lost (at most the last group) comes back from the objects' tags.
      await ok(['manifest', 'rebuild', `s3://${bucket}`], { home });
      const after = await manifestRows(home, `s3://${bucket}`);
      assert.deepEqual(after.map((r) => [r.key, r.size]).sort(), [...objects.entries()].sort());
      await ok(['verify', `s3://${bucket}`], { home });
    });
}
