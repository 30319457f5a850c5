// The OS keychain's failures as sse3 says them (src/keys/keychain.ts): a keychain that cannot be reached is exit 3
// with what to do instead; anything else the keychain refuses is said as it is. Against the real keychain library,
// on a session bus address where nothing listens: nothing is read from, or written to, a real keychain.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OsKeychain } from '../../src/keys/keychain.js';
import { Sse3Error } from '../../src/errors.js';
import { setEnvForTest } from '../support/env.js';
import { tempDir } from '../support/tempdir.js';

const UNAVAILABLE_HINT = 'start a Secret Service keyring (e.g. gnome-keyring) in this session, or use a key file (file:PATH) or env:VAR';

/** The session bus this process would use goes nowhere, until the test ends. */
const withoutKeychain = (t: TestContext) =>
  setEnvForTest(t, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(tempDir('sse3-unit-'), 'no-bus')}` });

const keychainError = (message: RegExp, hint: string | undefined) => (e: unknown) => {
  assert.ok(e instanceof Sse3Error, String(e));
  assert.deepEqual([e.code, e.exitCode, e.hint], ['KEYCHAIN', 3, hint]);
  assert.match(e.message, message);
  assert.ok(e.cause instanceof Error, 'the library\'s own error is kept as the cause');
  assert.ok(e.message.endsWith((e.cause as Error).message), 'and its words end the message');
  return true;
};

test('no keychain to reach: listing is exit 3 saying the keychain is not available, with what to use instead', async (t) => {
  withoutKeychain(t);
  await assert.rejects(new OsKeychain().list(), keychainError(/^the OS keychain is not available \(listing entries\): /, UNAVAILABLE_HINT));
});

test('no keychain to reach: a missing entry is not taken for "no such key", the listing tells', async (t) => {
  withoutKeychain(t);
  await assert.rejects(new OsKeychain().get('sse3-unit-no-such-entry'),
    keychainError(/^the OS keychain is not available \(listing entries\): /, UNAVAILABLE_HINT));
});

test('an entry name the platform refuses is said as the keychain\'s failure, naming the entry, with no keyring advice', async (t) => {
  withoutKeychain(t);
  // Longer than the kernel key description limit (4 KiB) the library checks names against.
  const name = `sse3-unit-${'n'.repeat(5000)}`;
  // Reads go through the listing (no name to refuse there); storing it is where the platform refuses the name.
  await assert.rejects(new OsKeychain().set(name, 'x'), keychainError(new RegExp(`^keychain storing "${name}" failed: `), undefined));
});
