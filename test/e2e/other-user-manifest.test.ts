// Another local user (test/e2e/other-user.ts) and the manifest: it names every object, its key's fingerprint and its
// plaintext SHA-256, so neither it nor its backups may be readable by anyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, stoppedAt } from './harness.js';
import { asOther, modeOf, needsOtherUser, OTHER } from './other-user.js';

const skip = needsOtherUser;

test('the manifest and its backups are 0600 in a home that already existed; a home open to others is warned about once', { skip }, async (t) => {
  const home = newHome();
  chmodSync(home.dir, 0o755);
  const sse3Home = home.env.SSE3_HOME!;
  mkdirSync(sse3Home, { mode: 0o755 });
  const key = await makeKeyFile(home, 'k.key');
  const bucket = await newBucket('users');
  writeFileSync(join(home.dir, 'work', 'x'), 'data');
  const put = await ok(['put', 'x', `s3://${bucket}/x`, '--key', key.ref, '--json'], { home });
  const manifest = join(sse3Home, 'manifest.db');
  assert.match(asOther(['cat', manifest]).stderr, /Permission denied/);
  assert.equal(modeOf(manifest), '0600');
  assert.equal(put.json().ok, true, 'stdout is the JSON document alone');
  assert.deepEqual(put.stderr.split('\n').filter(Boolean), [`warning: the sse3 home ${sse3Home} is open to group or others (mode ` +
    `0755); it holds the record of your objects and keys: run chmod 700 ${sse3Home}`]);

  // While a run has it open: its -wal and -shm, and the day's backup it made.
  const get = await stoppedAt(t, 'download-written', home, ['get', `s3://${bucket}/x`, 'y']);
  const [backup] = readdirSync(join(sse3Home, 'backups'));
  for (const file of [`${manifest}-wal`, `${manifest}-shm`, join(sse3Home, 'backups', backup)]) {
    assert.equal(modeOf(file), '0600', file);
    assert.match(asOther(['cat', file]).stderr, /Permission denied/, file);
  }
  const { code, stderr } = await get.resume();
  assert.equal(code, 0, stderr);

  // An installation made before: its files are closed to others when the manifest is next opened.
  chmodSync(manifest, 0o644);
  chmodSync(join(sse3Home, 'backups', backup), 0o644);
  chmodSync(join(sse3Home, 'backups'), 0o755);
  chmodSync(sse3Home, 0o700);
  const list = await ok(['manifest', 'list'], { home });
  assert.equal(list.stderr, '', 'a home of the user\'s own: no warning');
  assert.deepEqual([manifest, join(sse3Home, 'backups', backup), join(sse3Home, 'backups')].map(modeOf), ['0600', '0600', '0700']);

  chownSync(sse3Home, OTHER, OTHER);
  const owned = await ok(['manifest', 'list', '--json'], { home });
  owned.out.trim().split('\n').forEach((line) => JSON.parse(line));
  assert.deepEqual(owned.stderr.split('\n').filter(Boolean), [`warning: the sse3 home ${sse3Home} is owned by uid ${OTHER}, not by ` +
    'you (root, uid 0): that user can read and change your manifest; use a folder of your own: mkdir -m 700 DIR and set SSE3_HOME=DIR']);
});
