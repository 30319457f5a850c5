// sse3 keys import: keys made the way SSE-C guides make them come under sse3's care, and open what aws-cli wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CLI, newBucket, newHome, ok, rememberSecret, run, runAws } from './harness.js';

/** A text secret as the guide makes one: 32 printable characters. */
const textSecret = () => randomBytes(24).toString('base64');

test('keys import: text secret, raw, base64 and hex, from a file or stdin; 0600 raw file; fingerprint, never the key', async () => {
  const home = newHome();
  const secret = textSecret();
  const raw = randomBytes(32);
  rememberSecret(Buffer.from(secret));
  rememberSecret(raw);
  const write = (name: string, content: string | Buffer) => {
    const path = join(home.dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const inputs: Array<[string, string[], Buffer | string | undefined, Buffer, string]> = [
    ['text.key', ['--from', write('secret.txt', `${secret}\n`)], undefined, Buffer.from(secret), 'text'],
    ['stdin.key', ['--from', '-'], secret, Buffer.from(secret), 'text'],
    ['raw.key', ['--from', write('sse-c.key', raw)], undefined, raw, 'raw'],
    ['b64.key', ['--from', write('k.b64', `${raw.toString('base64')}\n`)], undefined, raw, 'base64'],
    ['hex.key', ['--from', '-', '--format', 'hex'], raw.toString('hex'), raw, 'hex'],
  ];
  const fingerprints = new Map<string, string>();
  for (const [name, args, input, expected, format] of inputs) {
    const path = join(home.keyDir, name);
    const r = await ok(['keys', 'import', `file:${path}`, ...args, '--json'], { home, input });
    const doc = r.json();
    assert.equal(doc.ok, true);
    assert.equal(doc.ref, `file:${path}`);
    assert.equal(doc.format, format, name);
    assert.match(doc.fingerprint, /^[0-9a-f]{20}$/);
    assert.deepEqual(readFileSync(path), expected, `${name} holds the 32 key bytes`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    fingerprints.set(name, doc.fingerprint);
  }
  assert.equal(fingerprints.get('text.key'), fingerprints.get('stdin.key'));
  assert.equal(fingerprints.get('raw.key'), fingerprints.get('hex.key'));
  assert.equal(fingerprints.get('raw.key'), fingerprints.get('b64.key'));
  const human = await ok(['keys', 'import', `file:${join(home.dir, 'h.key')}`, '--from', '-'], { home, input: secret });
  assert.match(human.out, new RegExp(`imported key file:.*h.key \\(text\\)\\n  fingerprint ${fingerprints.get('text.key')}`));

  const listed = (await ok(['keys', '--json'], { home })).json();
  // Keychain entries of other tests may be listed too: only the key folder is this test's.
  assert.deepEqual(listed.keys.filter((k: { ref: string }) => k.ref.startsWith('file:')).map((k: { fingerprint: string }) => k.fingerprint)
    .sort(), [...fingerprints.values()].sort(), '`sse3 keys` alone lists the imported keys of the key folder');
});

test('keys import never overwrites a key file, and refuses bad input with what it found, storing nothing', async () => {
  const home = newHome();
  const target = join(home.keyDir, 'k.key');
  const first = randomBytes(32);
  rememberSecret(first);
  await ok(['keys', 'import', `file:${target}`, '--from', '-'], { home, input: first });
  const second = randomBytes(32);
  rememberSecret(second);
  const again = await run(['keys', 'import', `file:${target}`, '--from', '-'], { home, input: second });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /already exists; sse3 never overwrites a key file/);
  assert.deepEqual(readFileSync(target), first);

  const secret = textSecret();
  rememberSecret(Buffer.from(secret));
  const cases: Array<[string, string[], Buffer | string, number, RegExp]> = [
    ['key as an argument', [secret], '', 2, /keys are never taken from the command line/],
    ['key as --from', ['--from', secret], '', 2, /looks like a key itself/],
    ['no --from', [], secret, 2, /--from FILE, or --from - for stdin/],
    ['empty stdin', ['--from', '-'], '', 3, /standard input is empty/],
    ['31 bytes', ['--from', '-'], randomBytes(31), 3, /holds 31 bytes, which is no key format/],
    ['33 bytes', ['--from', '-'], Buffer.concat([randomBytes(32), Buffer.from([7])]), 3, /holds 33 bytes/],
    ['31 characters', ['--from', '-'], `${secret.slice(1)}\n`, 3, /holds 31 characters and a newline/],
    ['bad base64', ['--from', '-', '--format', 'base64'], `${'*'.repeat(43)}=`, 3, /is not base64/],
    ['short base64', ['--from', '-', '--format', 'base64'], randomBytes(30).toString('base64'), 3, /base64 of 30 bytes/],
    ['bad hex', ['--from', '-', '--format', 'hex'], 'z'.repeat(64), 3, /is not hex/],
    ['short hex', ['--from', '-'], randomBytes(31).toString('hex'), 3, /holds 62 characters/],
    ['env target', ['--from', '-'], secret, 2, /env: cannot be an import target/],
    ['missing file', ['--from', join(home.dir, 'nope')], '', 1, /cannot read .*nope: no such file/],
  ];
  for (const [what, args, input, code, message] of cases) {
    const ref = what === 'env target' ? 'env:X' : `file:${join(home.keyDir, 'new.key')}`;
    const r = await run(['keys', 'import', ref, ...args], { home, input });
    assert.equal(r.code, code, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^error: .*\nhint: /m, what);
    assert.match(r.stderr, message, what);
    assert.equal(existsSync(join(home.keyDir, 'new.key')), false, `${what}: nothing stored`);
  }
  assert.match((await run(['keys', 'import', `file:${join(home.keyDir, 'new.key')}`, '--from', '-'], { home, input: randomBytes(31) })).stderr,
    /accepted: 32 raw bytes .*base64 of 32 bytes \(44 characters\) or 64 hex digits/);
  assert.deepEqual(readdirSync(home.keyDir), ['k.key']);
  const misplaced = await run(['keys', secret], { home });
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /unknown keys command \(not shown: it looks like a key\)/);
  assert.match((await run(['keys', 'lsit'], { home })).stderr, /unknown keys command "lsit"\nhint: try: sse3 keys list/);
  // Which words are hidden is the one key-likeness rule every command uses, not the length of the word.
  for (const word of [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')]) {
    rememberSecret(Buffer.from(word));
    assert.match((await run(['keys', word], { home })).stderr, /unknown keys command \(not shown: it looks like a key\)/);
  }
  const long = 'importing-the-old-backup-keys-from-the-usb-stick';
  assert.match((await run(['keys', long], { home })).stderr, new RegExp(`unknown keys command "${long}"`));
});

test('keys import into the keychain: never overwrites the entry', async () => {
  const home = newHome();
  const name = `imp-${randomBytes(4).toString('hex')}`;
  const raw = randomBytes(32);
  rememberSecret(raw);
  const r = (await ok(['keys', 'import', `keychain:${name}`, '--from', '-', '--json'], { home, input: raw.toString('base64') })).json();
  assert.equal(r.format, 'base64');
  const listed = (await ok(['keys', 'list', '--json'], { home })).json();
  assert.ok(listed.keys.some((k: { ref: string; fingerprint: string }) => k.ref === `keychain:${name}` && k.fingerprint === r.fingerprint));
  const other = randomBytes(32);
  rememberSecret(other);
  const again = await run(['keys', 'import', `keychain:${name}`, '--from', '-'], { home, input: other });
  assert.equal(again.code, 3);
  assert.match(again.stderr, /already exists; sse3 never overwrites a key/);
});

test('an imported text secret opens what aws s3 cp --sse-c-key $secret wrote', { skip: !AWS_CLI && 'aws-cli not installed' }, async () => {
  const home = newHome();
  const bucket = await newBucket('imp');
  const secret = textSecret();
  rememberSecret(Buffer.from(secret));
  const data = randomBytes(3000);
  writeFileSync(join(home.dir, 'file.txt'), data);
  const put = await runAws(['s3', 'cp', join(home.dir, 'file.txt'), `s3://${bucket}/file.txt`, '--sse-c', 'AES256', '--sse-c-key', secret]);
  assert.equal(put.code, 0, put.stderr);
  const key = join(home.keyDir, 'guide.key');
  await ok(['keys', 'import', `file:${key}`, '--from', '-'], { home, input: `${secret}\n` });
  await ok(['get', `s3://${bucket}/file.txt`, 'back', '--key', `file:${key}`], { home });
  assert.deepEqual(readFileSync(join(home.dir, 'work', 'back')), data);
});
