// manifest rebuild over a bucket this home has recorded: what only this home knows (file times, checksums) stays, and the
// report says what changed — nothing, or the one object another writer replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Home, makeKeyFile, manifestRows, newBucket, newHome, ok, putData } from './harness.js';

const rows = async (home: Home) => (await manifestRows(home)).sort((a, b) => (a.key < b.key ? -1 : 1));

test('manifest rebuild of a fully recorded bucket adds nothing, keeps file times, and counts an object replaced elsewhere as updated',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('rebuild');
    const k = await makeKeyFile(home, 'k');
    const src = join(home.dir, 'src');
    mkdirSync(src);
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      writeFileSync(join(src, name), randomBytes(200));
      utimesSync(join(src, name), 1_700_000_000 + i, 1_700_000_000 + i);
    }
    await ok(['sync', src, `s3://${bucket}/`, '--key', k.ref], { home });
    const before = await rows(home);
    assert.deepEqual(before.map((r) => r.mtimeMs), [1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000]);

    const same = await ok(['manifest', 'rebuild', `s3://${bucket}`, '--json'], { home });
    assert.deepEqual(same.json(), { ok: true, scope: `s3://${bucket}/`, added: 0, updated: 0, unchanged: 3, untagged: 0, denied: 0,
      movedAside: null });
    const after = await rows(home);
    assert.deepEqual(after.map((r) => [r.key, r.fingerprint, r.sha256, r.mtimeMs]), before.map((r) => [r.key, r.fingerprint, r.sha256, r.mtimeMs]));

    // A teammate replaces b: rebuild records it as it is now.
    const mate = newHome();
    const mateKey = await makeKeyFile(mate, 'k2');
    await putData(mate, `s3://${bucket}/b`, randomBytes(300), mateKey.ref);
    const changed = await ok(['manifest', 'rebuild', `s3://${bucket}`], { home });
    assert.match(changed.out, new RegExp(`rebuilt 3 entries from s3://${bucket}/: 0 added, 1 updated, 2 unchanged`));
    const now = await rows(home);
    assert.deepEqual(now.map((r) => [r.key, r.fingerprint === mateKey.fingerprint, r.mtimeMs]),
      [['a', false, 1_700_000_000_000], ['b', true, null], ['c', false, 1_700_000_002_000]]);
  });
