import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fingerprintOf } from '../../src/keys/key.js';
import { takeEnvKey } from '../../src/keys/env.js';
import { MemoryKeychain } from '../../src/keys/keychain.js';
import { discoverKeys, loadKey } from '../../src/keys/sources.js';
import { tempDir } from '../support/tempdir.js';

test('a key variable leaves the environment when read, and every later read in the process still finds it', async (t) => {
  const keyDir = tempDir('sse3-unit-');
  const [a, b] = [randomBytes(32), randomBytes(32)];
  const env: NodeJS.ProcessEnv = { SSE3_KEY: a.toString('base64'), MYKEY: b.toString('base64'), OTHER: 'stays' };
  const ctx = { env, keychain: new MemoryKeychain() };

  for (let i = 0; i < 2; i++) {
    const found = await discoverKeys(keyDir, ctx);
    assert.deepEqual(found.keys.map((k) => [k.ref, k.key.fingerprint]), [['env:SSE3_KEY', fingerprintOf(a)]], `search ${i + 1}`);
    assert.equal((await loadKey({ kind: 'env', name: 'MYKEY' }, ctx)).fingerprint, fingerprintOf(b), `load ${i + 1}`);
  }
  assert.deepEqual(env, { OTHER: 'stays' });
  // A variable never set stays unset; one set again later is taken again (the newer value).
  assert.equal(takeEnvKey(env, 'UNSET'), undefined);
  Object.assign(env, { SSE3_KEY: b.toString('base64') });
  assert.equal(takeEnvKey(env, 'SSE3_KEY'), b.toString('base64'));
  assert.equal(takeEnvKey(env, 'SSE3_KEY'), b.toString('base64'));
  assert.deepEqual(env, { OTHER: 'stays' });
});
