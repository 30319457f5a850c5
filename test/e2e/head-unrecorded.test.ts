// head of an object whose record has no SHA-256 yet (found, not written, by sse3): it says so, rather than an empty hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeKeyFile, newBucket, newHome, ok, overwriteEncrypted } from './harness.js';

test('head says "sha256 not recorded" (JSON null) for a record without a SHA-256', async () => {
  const home = newHome();
  const bucket = await newBucket('head');
  const key = await makeKeyFile(home, 'h.key');
  // Written by another S3 client under a key of the key folder: head finds and records the key, but reads no content.
  await overwriteEncrypted(bucket, 'found.bin', randomBytes(500), key.raw);
  const url = `s3://${bucket}/found.bin`;
  const json = (await ok(['head', url, '--json'], { home })).json();
  assert.equal(json.keyFoundBy, 'search');
  assert.equal(json.manifest.fingerprint, key.fingerprint, 'recorded under the key that opened it');
  assert.equal(json.manifest.sha256, null);
  const human = await ok(['head', url], { home });
  assert.match(human.out, /^ {2}manifest {7}key \S+, 500 B, sha256 not recorded, written /m);
  assert.doesNotMatch(human.out, /sha256 …/);
});
