// NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for Node programs: sse3 still checks them, since a key
// sent over unverified TLS is as exposed as one sent over http://. The gateway's own CA is left out here, so its
// certificate is untrusted; NODE_NO_WARNINGS=1 hides Node's one warning line, as a user's environment may.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, makeKeyFile, newBucket, newHome, ok, putData, run } from './harness.js';

test('with NODE_TLS_REJECT_UNAUTHORIZED=0, put, get and head still refuse an untrusted certificate', { timeout: 120_000 }, async (t) => {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  const key = await makeKeyFile(home, 'k.key');
  const bucket = await newBucket('tls');
  const data = randomBytes(2048);
  await putData(home, `s3://${bucket}/there`, data, key.ref);
  const file = join(home.dir, 'work', 'new');
  writeFileSync(file, data);
  const work = join(home.dir, 'work');
  const before = readdirSync(work).sort();

  const untrusting = { AWS_CA_BUNDLE: undefined, NODE_EXTRA_CA_CERTS: undefined, NODE_TLS_REJECT_UNAUTHORIZED: '0',
    NODE_NO_WARNINGS: '1' };
  for (const args of [
    ['get', `s3://${bucket}/there`, join(work, 'back'), '--key', key.ref],
    ['head', `s3://${bucket}/there`, '--key', key.ref],
    ['put', file, `s3://${bucket}/new`, '--key', key.ref],
  ]) {
    const r = await run([...args, '--json'], { home, env: untrusting });
    assert.equal(r.code, 5, `sse3 ${args[0]}: exit ${r.code}: ${r.out}${r.stderr}`);
    const error = r.json().error;
    assert.equal(error.code, 'TLS', `sse3 ${args[0]}`);
    assert.match(error.message, /TLS certificate is not trusted/);
    assert.match(error.hint, /NODE_TLS_REJECT_UNAUTHORIZED=0/);
  }
  // Nothing came back and nothing was stored.
  assert.deepEqual(readdirSync(work).sort(), before);
  assert.ok(!existsSync(join(work, 'back')));
  const s3 = await import('@aws-sdk/client-s3');
  const listed = await (await adminClient()).send(new s3.ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(listed.Contents?.map((o) => o.Key), ['there']);
  // With the CA the same get works: the refusal was the certificate check.
  await ok(['get', `s3://${bucket}/there`, join(work, 'back'), '--key', key.ref], { home, env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } });
});
