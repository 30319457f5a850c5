// Runs inside the private D-Bus session with gnome-keyring that scripts/with-keyring.sh provides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, makeKeyFile, newBucket, newHome, ok, randomName, rememberSecret, run, jsonOutput } from './harness.js';

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

    // The back-up line keygen prints for a keychain key is a command that works.
    const second = randomName('kc');
    const said = await ok(['keygen', `keychain:${second}`], { home });
    const line = /sse3 keys export (keychain:\S+) --to file:PATH/.exec(said.stdout + said.stderr);
    assert.ok(line, said.stdout + said.stderr);
    const copy = join(home.dir, 'backup.key');
    await ok(['keys', 'export', line[1], '--to', `file:${copy}`], { home });
    rememberSecret(readFileSync(copy));
    assert.equal(readFileSync(copy).toString('base64'), secretToolLookup(second).trim());
    execFileSync('secret-tool', ['clear', 'service', 'sse3', 'username', second]);

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

const WITH_KEYRING = new URL('../../../scripts/with-keyring.sh', import.meta.url).pathname;

test('a verify of many keychain-keyed objects lists the keychain once: Secret Service searches counted on a private bus',
  { skip: (!haveKeyring || !existsSync('/usr/bin/dbus-monitor')) && 'needs a D-Bus session and dbus-monitor', timeout: 180_000 },
  async () => {
    const home = newHome();
    const bucket = await newBucket();
    const count = 24;
    const tree = join(home.dir, 'work', 'tree');
    mkdirSync(tree);
    for (let i = 0; i < count; i++) writeFileSync(join(tree, `f${i}`), randomBytes(100 + i));
    // A bus and keyring of its own, so that only the verify below talks to the Secret Service while it is watched.
    const script = `set -eu
# Wait until the monitor's log shows $1 (polled, at most 30 s), or fail saying what did not come.
await_log() {
  for i in $(seq 300); do grep -q "$1" mon.log && return 0; sleep 0.1; done
  echo "timed out waiting for $2 in the dbus-monitor log" >&2
  exit 1
}
node "$BIN" keygen "keychain:$NAME" >/dev/null
node "$BIN" cp -r tree "s3://$BUCKET/" --key "keychain:$NAME" -q
dbus-monitor --session "type='method_call',member='SearchItems'" "type='method_call',member='GetId'" > mon.log 2>&1 &
mon=$!
await_log NameAcquired 'the monitor to be on the bus'
node "$BIN" verify "s3://$BUCKET" --jobs 8 --json > verify.json || echo "verify exit $?" >&2
# A call of our own after the verify: once the monitor has printed it, it has printed every call before it.
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null
await_log member=GetId 'the GetId call sent after the verify'
kill "$mon"
`;
    writeFileSync(join(home.dir, 'count.sh'), script);
    const r = spawnSync('bash', [WITH_KEYRING, 'bash', join(home.dir, 'count.sh')], {
      cwd: join(home.dir, 'work'),
      env: { ...process.env, ...home.env, BIN, BUCKET: bucket, NAME: randomName('kc-once') },
      encoding: 'utf8', timeout: 170_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const verify = jsonOutput(readFileSync(join(home.dir, 'work', 'verify.json'), 'utf8')).summary();
    assert.equal(verify.counts.ok, count, 'every object was verified with the keychain key');
    const log = readFileSync(join(home.dir, 'work', 'mon.log'), 'utf8');
    assert.match(log, /member=GetId/, 'the monitor saw the calls');
    assert.equal(log.match(/member=SearchItems/g)?.length ?? 0, 1, `one keychain listing for ${count} objects, 8 at a time`);
  });
