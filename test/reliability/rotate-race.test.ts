// Two rotations of one object at once, from one sse3 home, to different keys: whatever the timing, the object ends
// under the key of the rotation that reported success last, the manifest says so, nothing is left journalled, the
// content is intact, and a rotation that lost says so in words (exit 1) — never a raw server error, never a journal
// entry that a later rotate --resume would apply over what came after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fileSha256, makeKeyFile, manifestExport, manifestRows, MiB, newBucket, newHome, ok, type RunResult, sha256, start, workDir,
} from './support.js';

const ROUNDS = 20;

test(`two rotations of one object at once, ${ROUNDS} times: the last to succeed holds the object, on record, nothing pending`,
  { timeout: 900_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('rotrace');
    const url = `s3://${bucket}/contended`;
    const [k0, ka, kb] = await Promise.all(['k0', 'ka', 'kb'].map((n) => makeKeyFile(home, n)));
    const won = { first: 0, second: 0, both: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round a multipart object (streamed range by range), else one PUT; the second rotation starts
      // 0 to 300 ms after the first, so the two meet at every step: before, during and after the other's write.
      const data = randomBytes(round % 2 ? 6 * MiB + round : 100_000 + round);
      writeFileSync(join(workDir(home), 'data'), data);
      await ok(['put', 'data', url, '--key', k0.ref, '--part-size', '5'], { home });
      const finished: string[] = [];
      const rotate = (name: string, to: string): Promise<RunResult> => {
        const r = start(['rotate', url, '--to', to, '--part-size', '5', '--json'], { home });
        return r.done.then((d) => {
          finished.push(name);
          return d;
        });
      };
      const first = rotate('first', ka.ref);
      await new Promise((resolve) => setTimeout(resolve, (round % 5) * 75));
      const [a, b] = await Promise.all([first, rotate('second', kb.ref)]);
      const label = `round ${round + 1}`;
      const results = { first: a, second: b };
      for (const [name, r] of Object.entries(results)) {
        assert.ok(r.code === 0 || r.code === 1, `${label}: ${name} exited ${r.code}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /HTTP 4\d\d|InvalidArgument|MD5 hash/, `${label}: ${name} passed on a raw server error`);
        if (r.code === 0) assert.equal(r.json().status, 'rotated', `${label}: ${name}`);
        else assert.match(r.stderr, /^error: (another rotation changed .* first|.* is still being rotated by another sse3).*\nhint: \S/m, label);
      }
      const succeeded = finished.filter((name) => results[name as 'first' | 'second'].code === 0);
      assert.ok(succeeded.length > 0, `${label}: neither rotation succeeded:\n${a.stderr}\n${b.stderr}`);
      if (succeeded.length === 2) won.both++;
      else won[succeeded[0] as 'first' | 'second']++;
      const expected = succeeded.at(-1) === 'first' ? ka.fingerprint : kb.fingerprint;

      const head = (await ok(['head', url, '--json'], { home })).json();
      assert.deepEqual([head.fingerprint, head.keyMatches], [expected, true], `${label}: the object opens with the last winner's key`);
      const rows = await manifestRows(home, `s3://${bucket}`);
      assert.deepEqual(rows.map((r) => r.fingerprint), [expected], `${label}: the manifest says so`);
      assert.deepEqual((await manifestExport(home)).pendingRotations, [], `${label}: nothing left journalled`);
      const resumed = (await ok(['rotate', '--resume', '--json'], { home })).json();
      assert.deepEqual([resumed.settled, resumed.redone, resumed.unresolved], [[], [], []], `${label}: rotate --resume has nothing to do`);
      await ok(['get', url, 'back', '--json'], { home });
      assert.equal(fileSha256(join(workDir(home), 'back')), sha256(data), `${label}: the content is intact`);
    }
    // The figures of the run, for the record (which side won depends on the timing, not on the code).
    console.log(`# ${ROUNDS} rounds: first-started won ${won.first}, second-started won ${won.second}, both succeeded in turn ${won.both}`);
  });
