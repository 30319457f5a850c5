// A locked keyring, and one name stored twice: said in words with what to do, on a keyring of the test's own (a private
// bus and gnome-keyring from scripts/with-keyring.sh, so locking it touches no other test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, newBucket, newHome, randomName } from './harness.js';

const WITH_KEYRING = new URL('../../../scripts/with-keyring.sh', import.meta.url).pathname;
const haveKeyring = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

/** Each sse3 run of the script leaves NAME.rc, NAME.out and NAME.err in the working folder. */
const SCRIPT = `set -eu
step() { name=$1; shift; rc=0; node "$BIN" "$@" > "$name.out" 2> "$name.err" || rc=$?; echo "$rc" > "$name.rc"; }
lock() {
  dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \\
    org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login > /dev/null
}
printf 'some data' > f
node "$BIN" keygen "keychain:$NAME" > /dev/null
node "$BIN" put f "s3://$BUCKET/f" --key "keychain:$NAME" > /dev/null
lock
step keys keys
step put put f "s3://$BUCKET/g" --key "keychain:$NAME"
step get get "s3://$BUCKET/f" back
step verify verify "s3://$BUCKET"
step keygen keygen "keychain:$NAME-2"
`;

/** The same name stored a second time beside sse3's entry (another attribute, as another tool or collection would). */
const DUPLICATE = `set -eu
step() { name=$1; shift; rc=0; node "$BIN" "$@" > "$name.out" 2> "$name.err" || rc=$?; echo "$rc" > "$name.rc"; }
node "$BIN" keygen "keychain:$NAME" > /dev/null
printf 'c29tZXRoaW5nIGVsc2UgZW50aXJlbHkgMzIgYnl0ZXMhIQ==' | secret-tool store --label=copy service sse3 username "$NAME" origin other
step twice put f "s3://$BUCKET/f" --key "keychain:$NAME"
`;

function inOwnKeyring(script: string, dir: string, env: NodeJS.ProcessEnv) {
  writeFileSync(join(dir, 'scenario.sh'), script);
  const r = spawnSync('bash', [WITH_KEYRING, 'bash', join(dir, 'scenario.sh')], { cwd: join(dir, 'work'),
    env: { ...process.env, ...env, BIN }, encoding: 'utf8', timeout: 170_000 });
  assert.equal(r.status, 0, r.stderr);
  const work = join(dir, 'work');
  return (name: string) => ({ code: Number(readFileSync(join(work, `${name}.rc`), 'utf8')),
    out: readFileSync(join(work, `${name}.out`), 'utf8'), err: readFileSync(join(work, `${name}.err`), 'utf8') });
}

test('a locked keyring: every command says the keychain is locked and how to unlock it; none prompts',
  { skip: !haveKeyring && 'no D-Bus session (run through npm test)', timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('locked');
    const step = inOwnKeyring(SCRIPT, home.dir, { ...home.env, BUCKET: bucket, NAME: randomName('kc-locked') });
    for (const name of ['keys', 'put', 'get', 'verify', 'keygen']) {
      const r = step(name);
      assert.match(r.err + r.out, /the keychain is locked/, `${name}: ${r.out}${r.err}`);
      assert.match(r.err + r.out, /unlock it, then run the command again/, `${name}: the way to unlock it`);
      assert.doesNotMatch(r.err + r.out, /start a Secret Service keyring/, name);
    }
    // keys lists what it could read, and says the keychain was not among it.
    assert.equal(step('keys').out, '', 'stdout holds only keys');
    assert.match(step('keys').err, /^no keys found .*; 1 source\(s\) could not be read \(see the warning\(s\) above\)\n$/m);
    for (const name of ['put', 'get', 'keygen']) assert.equal(step(name).code, 3, `${name}: ${step(name).err}`);
    assert.notEqual(step('verify').code, 0);
  });

test('one keychain name stored twice: said in words with how to resolve it, never a raw dump',
  { skip: !haveKeyring && 'no D-Bus session (run through npm test)', timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('twice');
    writeFileSync(join(home.dir, 'work', 'f'), 'data');
    const name = randomName('kc-twice');
    const r = inOwnKeyring(DUPLICATE, home.dir, { ...home.env, BUCKET: bucket, NAME: name })('twice');
    assert.equal(r.code, 3, r.err);
    assert.equal(r.err, `error: keychain entry "${name}" is stored 2 times (service sse3, account "${name}", in one keyring or ` +
      'several): sse3 cannot tell which one is the key\n' +
      `hint: see them with: secret-tool search --all service sse3 username ${name} — keep the one that is the key and delete the ` +
      'others (e.g. in "Passwords and Keys", Seahorse), or give the key as file:PATH or env:VAR\n');
  });
