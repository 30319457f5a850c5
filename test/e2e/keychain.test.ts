// Runs inside the private D-Bus session with gnome-keyring that scripts/with-keyring.sh provides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyFile, newBucket, newHome, ok, randomName, rememberSecret, run } from './harness.js';

const haveKeyring = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

function secretToolLookup(name: string): string {
  return execFileSync('secret-tool', ['lookup', 'service', 'sse3', 'username', name]).toString();
}

test('keychain: keygen stores a key in the Secret Service; put/get use it, by ref and through the manifest',
  { skip: !haveKeyring && 'no D-Bus session (run through npm test)' }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const name = randomName('kc');
    const gen = (await ok(['keygen', `keychain:${name}`, '--json'], { home })).json();
    const stored = secretToolLookup(name).trim();
    rememberSecret(Buffer.from(stored, 'base64'));
    assert.equal(Buffer.from(stored, 'base64').length, 32);
    assert.match(gen.fingerprint, /^[0-9a-f]{20}$/);

    const again = await run(['keygen', `keychain:${name}`], { home });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /already exists/);
    assert.equal(secretToolLookup(name).trim(), stored, 'never overwritten');

    const data = randomBytes(3 * 1024 * 1024 + 11);
    writeFileSync(join(home.dir, 'work', 'kc.bin'), data);
    await ok(['put', 'kc.bin', `s3://${bucket}/kc.bin`, '--key', `keychain:${name}`], { home });
    await ok(['get', `s3://${bucket}/kc.bin`, 'a.bin', '--key', `keychain:${name}`], { home });
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'a.bin')), data);
    // Without --key: the manifest's fingerprint is found among the keychain entries of service sse3.
    const got = (await ok(['get', `s3://${bucket}/kc.bin`, 'b.bin', '--json'], { home })).json();
    assert.equal(got.keySource, `keychain entry ${name}`);
    assert.deepEqual(readFileSync(join(home.dir, 'work', 'b.bin')), data);
  });

test('keychain: a missing entry is exit 3 with the keygen hint',
  { skip: !haveKeyring && 'no D-Bus session (run through npm test)' }, async () => {
    const home = newHome();
    const r = await run(['put', '-', 's3://bucket/x', '--key', 'keychain:sse3-test-does-not-exist'], { home, input: 'x' });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /no keychain entry "sse3-test-does-not-exist"/);
    assert.match(r.stderr, /sse3 keygen keychain:sse3-test-does-not-exist/);
  });

test('keychain unavailable (no Secret Service on the bus): exit 3, says to use a file or env key', async () => {
  const home = newHome();
  const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home.dir, 'no-bus')}` };
  const r = await run(['keygen', 'keychain:nothing'], { home, env });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /keychain is not available/);
  assert.match(r.stderr, /key file|env:VAR/);
  // get without --key still works from the key folder when the keychain is unavailable.
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'f.key');
  writeFileSync(join(home.dir, 'work', 'f'), 'file key');
  await ok(['put', 'f', `s3://${bucket}/f`, '--key', key.ref], { home, env });
  await ok(['get', `s3://${bucket}/f`, 'g'], { home, env });
  assert.equal(readFileSync(join(home.dir, 'work', 'g'), 'utf8'), 'file key');
});
