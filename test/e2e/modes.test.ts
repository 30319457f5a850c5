// Files a download creates hold decrypted data: readable by their owner only (0600), whatever the umask lets others
// read; a file a download replaces keeps its own mode. get and cp -r alike; sync down restores the mode an upload
// recorded instead (sync-modes.test.ts), and follows this rule for objects that record none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, putData } from './harness.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

test('a downloaded plaintext is created 0600 by get, cp -r and sync down under a umask that lets others read; a replaced file keeps its mode',
  { timeout: 120_000 }, async (t) => {
    // The usual umask: what sse3 runs under is what its parent has. Under 022 a new file would otherwise be 0644.
    const umask = process.umask(0o022);
    t.after(() => { process.umask(umask); });
    const home = newHome();
    t.after(() => rmSync(home.dir, { recursive: true, force: true }));
    const bucket = await newBucket('modes');
    const key = await makeKeyFile(home, 'k.key');
    for (const name of ['d/a', 'd/sub/b']) await putData(home, `s3://${bucket}/${name}`, randomBytes(200), key.ref);
    const work = join(home.dir, 'work');

    await ok(['get', `s3://${bucket}/d/a`, 'new'], { home });
    assert.equal(modeOf(join(work, 'new')), 0o600, 'get: a new file');
    writeFileSync(join(work, 'kept'), 'old');
    chmodSync(join(work, 'kept'), 0o640);
    await ok(['get', `s3://${bucket}/d/a`, 'kept'], { home });
    assert.equal(modeOf(join(work, 'kept')), 0o640, 'get: a replaced file keeps its mode');

    await ok(['cp', '-r', `s3://${bucket}/d/`, 'tree'], { home });
    for (const f of ['a', 'sub/b']) assert.equal(modeOf(join(work, 'tree', f)), 0o600, `cp -r: ${f}`);

    const down = join(home.dir, 'down');
    mkdirSync(down);
    await ok(['sync', `s3://${bucket}/d/`, down], { home });
    // put recorded the mode of the file it uploaded (written under umask 022): sync restores that one.
    for (const f of ['a', 'sub/b']) assert.equal(modeOf(join(down, f)), 0o644, `sync: ${f}, the recorded mode`);
  });
