// Another local user (test/e2e/other-user.ts) and key files: whoever owns a key file chooses the key, so sse3 uses only
// the user's own, as ssh does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, rememberSecret, run } from './harness.js';
import { asOther, modeOf, needsOtherUser, OTHER, place, withObject } from './other-user.js';

const skip = needsOtherUser;

test('a key file another user owns is refused, given with --key or found in the key folder', { skip }, async (t) => {
  const { home, bucket } = await withObject();
  const { shared } = place();
  const raw = randomBytes(32);
  rememberSecret(raw);
  const planted = join(shared, 'k.key');
  assert.equal(asOther(['sh', '-c', 'umask 077 && cat > "$0"', planted], raw).status, 0);
  assert.equal(modeOf(planted), '0600');
  writeFileSync(join(home.dir, 'work', 'x'), 'data');
  const put = await run(['put', 'x', `s3://${bucket}/x`, '--key', `file:${planted}`], { home });
  assert.equal(put.code, 3, put.stderr);
  assert.equal(put.stderr, `error: key file ${planted} is owned by uid ${OTHER}, not by you (root, uid 0); refusing to use it ` +
    `(whoever owns a key file chooses the key)\nhint: if you made that key, make the file yours (as root: chown 0 ${planted}); ` +
    'otherwise use a key of your own\n');
  // Nothing recorded for the object x: "nothing at", exit 1 (an object named, not a folder).
  const listed = await run(['manifest', 'list', `s3://${bucket}/x`], { home });
  assert.deepEqual([listed.code, listed.out], [1, ''], listed.stderr);
  assert.match(listed.stderr, new RegExp(`^error: nothing at s3://${bucket}/x in the manifest$`, 'm'));

  // The key folder's file that opens t/out.bin, now another user's: it is not used, and the reason is said.
  chownSync(join(home.keyDir, 'k.key'), OTHER, OTHER);
  const get = await run(['get', `s3://${bucket}/t/out.bin`, 'out.bin'], { home });
  assert.equal(get.code, 3, get.stderr);
  assert.match(get.stderr, new RegExp(`key file ${home.keyDir}/k\\.key is owned by uid ${OTHER}, not by you`));
  assert.equal(existsSync(join(home.dir, 'work', 'out.bin')), false);
  const keys = await ok(['keys', 'list'], { home });
  assert.match(keys.stderr, new RegExp(`warning: key file ${home.keyDir}/k\\.key is owned by uid ${OTHER}`));
});
