// Backing up, handing over and retiring keys: keys export (to a file, to a pipe, never to a terminal unasked) and
// keys rm (never a key the manifest or the latest whole-bucket scan says is needed; confirmed first), with file keys
// and keychain keys under the real gnome-keyring the suite runs; aws-cli is the independent reader of what the export
// wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient, assertNoSecrets, AWS_CLI, BIN, type Home, makeKeyFile, newBucket, newHome, ok, putData, randomName, rememberSecret, run,
  runAws, waitFor } from './harness.js';
import { haveTmux, Tmux } from './tmux.js';

const haveKeyring = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

/** keys export --to - into a pipe: stdout is the key (not scanned), stderr is scanned as every output is. */
function exportToPipe(home: Home, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'keys', 'export', ...args], { cwd: join(home.dir, 'work'),
      env: { ...process.env, ...home.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        assertNoSecrets(err, `stderr of sse3 keys export ${args.join(' ')}`);
        resolve({ code, stdout: Buffer.concat(out), stderr: err });
      } catch (e) {
        reject(e);
      }
    });
  });
}

test('keys export to a file: 0600, the key in the form asked for, never over an existing file; aws-cli opens with the copy',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('export');
    const key = await makeKeyFile(home, 'k.key');
    const data = randomBytes(2000);
    await putData(home, `s3://${bucket}/doc`, data, key.ref);

    const copy = join(home.dir, 'backup', 'k.copy');
    const r = await ok(['keys', 'export', key.ref, '--to', `file:${copy}`, '--json'], { home });
    assert.deepEqual(r.json(), { ok: true, ref: key.ref, to: `file:${copy}`, fingerprint: key.fingerprint, format: 'raw' });
    assert.match(r.stderr, new RegExp(`warning: ${copy} is key ${key.fingerprint} itself: whoever reads it can read every object`));
    assert.deepEqual(readFileSync(copy), key.raw);
    assert.equal(statSync(copy).mode & 0o777, 0o600);
    assert.equal(statSync(join(home.dir, 'backup')).mode & 0o777, 0o700);

    if (AWS_CLI) {
      const got = join(home.dir, 'work', 'aws.out');
      const a = await runAws(['s3api', 'get-object', '--bucket', bucket, '--key', 'doc', '--sse-customer-algorithm', 'AES256',
        '--sse-customer-key', `fileb://${copy}`, got]);
      assert.equal(a.code, 0, a.stderr);
      assert.deepEqual(readFileSync(got), data, 'the exported raw file is the key aws-cli needs');
    }

    // Never over a file: not another key, not anything.
    writeFileSync(join(home.dir, 'taken'), 'mine');
    for (const target of [copy, join(home.dir, 'taken')]) {
      const before = readFileSync(target);
      const again = await run(['keys', 'export', key.ref, '--to', `file:${target}`], { home });
      assert.equal(again.code, 3, again.stderr);
      assert.match(again.stderr, /already exists; sse3 never overwrites a key file/);
      assert.deepEqual(readFileSync(target), before);
    }

    // Every form is read back by keys import as the same key.
    for (const format of ['base64', 'hex'] as const) {
      const path = join(home.dir, `k.${format}`);
      await ok(['keys', 'export', key.ref, '--to', `file:${path}`, '--format', format], { home });
      const text = readFileSync(path, 'utf8');
      assert.equal(text, `${format === 'hex' ? key.raw.toString('hex') : key.raw.toString('base64')}\n`);
      const back = (await ok(['keys', 'import', `file:${join(home.dir, `back-${format}.key`)}`, '--from', path, '--json'], { home })).json();
      assert.deepEqual([back.fingerprint, back.format], [key.fingerprint, format]);
    }
    const text = await run(['keys', 'export', key.ref, '--to', `file:${join(home.dir, 'k.txt')}`, '--format', 'text'], { home });
    assert.equal(text.code, 2);
    assert.match(text.stderr, /is not a text secret/);
    assert.ok(!existsSync(join(home.dir, 'k.txt')), 'nothing written');
  });

test('keys export --to -: the key on a pipe, in base64 unless asked otherwise, with a warning and the result on stderr', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const piped = await exportToPipe(home, [key.ref, '--to', '-']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.toString(), `${key.raw.toString('base64')}\n`);
  assert.match(piped.stderr, new RegExp(`warning: what sse3 writes to stdout is key ${key.fingerprint} itself`));
  assert.match(piped.stderr, new RegExp(`exported key ${key.ref} to stdout \\(base64\\)`));

  const json = await exportToPipe(home, [key.ref, '--to', '-', '--format', 'raw', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(json.stdout, key.raw);
  const doc = json.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(doc, [{ ok: true, ref: key.ref, to: '-', fingerprint: key.fingerprint, format: 'raw' }]);

  // What keys import reads: the pipe carries the key into another store.
  const into = join(home.dir, 'piped.key');
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" keys export "${key.ref}" --to - 2>/dev/null | ` +
    `"${process.execPath}" "${BIN}" keys import "file:${into}" --from - --json`], { env: { ...process.env, ...home.env } });
  assert.equal(r.status, 0, r.stderr.toString());
  assertNoSecrets(r.stdout, 'the import at the end of the pipe');
  assert.equal(JSON.parse(r.stdout.toString()).fingerprint, key.fingerprint);
  assert.deepEqual(readFileSync(into), key.raw);
});

test('keys export refuses what it cannot do, writing nothing and never echoing a key', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const cases: Array<[string[], number, RegExp]> = [
    [[key.ref], 2, /say where the copy of the key goes: --to file:PATH, or --to - for stdout/],
    [[key.ref, '--to', 'keychain:elsewhere'], 2, /--to takes file:PATH or -, not keychain:/],
    [[key.ref, '--to', 'env:SOMEWHERE'], 2, /--to takes file:PATH or -, not env:/],
    [[`file:${join(home.dir, 'nothing.key')}`, '--to', `file:${join(home.dir, 'out.key')}`], 3, /does not exist/],
    [['keychain', '--to', '-'], 2, /not a key reference/],
    // A key typed where a reference goes is refused and never shown.
    [[`file:${randomBytes(32).toString('base64')}`, '--to', '-'], 2, /holds what looks like a key itself/],
  ];
  rememberSecret(Buffer.from(cases[5][0][0].slice('file:'.length), 'base64'));
  for (const [args, code, message] of cases) {
    const r = await run(['keys', 'export', ...args], { home });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.out, '', 'nothing on stdout');
  }
  assert.ok(!existsSync(join(home.dir, 'out.key')));
});

/** A command in a terminal (tmux); the screen once `until` shows on it. */
async function onTerminal(home: Home, command: string, steps: Array<[RegExp, string?]>): Promise<string> {
  const t = new Tmux(['bash', '--norc', '--noprofile', '-c', `${command}; echo "EXIT=$?"; read -r _`],
    { env: { SSE3_HOME: home.env.SSE3_HOME!, TERM: 'xterm-256color', NO_COLOR: '1' }, cwd: join(home.dir, 'work'), width: 200, height: 30 });
  try {
    let screen = '';
    for (const [until, answer] of steps) {
      await waitFor(`the screen to show ${until}`, () => until.test(screen = t.screen()), 30_000, 50);
      if (answer !== undefined) t.keys(answer, 'Enter');
    }
    return screen;
  } finally {
    await t.close();
  }
}

test('on a terminal: keys export --to - is refused unless --force; keys rm asks, and only yes removes',
  { skip: !haveTmux && 'tmux not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const key = await makeKeyFile(home, 'k.key');
    const refused = await onTerminal(home, `node ${BIN} keys export ${key.ref} --to -`, [[/EXIT=\d+/]]);
    assert.match(refused, /refusing to write the key to a terminal/);
    assert.match(refused, /EXIT=2/);
    assert.ok(!refused.includes(key.raw.toString('base64')));
    const forced = await onTerminal(home, `node ${BIN} keys export ${key.ref} --to - --force`, [[/EXIT=\d+/]]);
    assert.match(forced, /EXIT=0/);
    assert.ok(forced.includes(key.raw.toString('base64')), 'with --force the key is shown');
    assert.match(forced, /warning: what sse3 writes to stdout is key/);

    const question = new RegExp(`remove key ${key.ref} \\(fingerprint ${key.fingerprint}\\)\\? objects encrypted with it cannot be ` +
      'read without it \\[y/N\\]');
    const declined = await onTerminal(home, `node ${BIN} keys rm ${key.ref}`, [[question, 'n'], [/EXIT=\d+/]]);
    assert.match(declined, /not confirmed: key .* was kept/);
    assert.match(declined, /EXIT=0/);
    assert.deepEqual(readFileSync(key.path), key.raw, 'kept');
    const confirmed = await onTerminal(home, `node ${BIN} keys rm ${key.ref}`, [[question, 'y'], [/EXIT=\d+/]]);
    assert.match(confirmed, new RegExp(`removed key ${key.ref}`));
    assert.match(confirmed, /EXIT=0/);
    assert.ok(!existsSync(key.path), 'removed');
  });

test('keys rm: refused while the manifest records objects under the key, and with --force while the latest whole-bucket scan ' +
  'found it in use; then removed, and only with --yes without a terminal', { timeout: 180_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('retire');
  const key = await makeKeyFile(home, 'old.key');
  const other = await makeKeyFile(home, 'other.key');
  await putData(home, `s3://${bucket}/doc`, randomBytes(100), key.ref);
  await putData(home, `s3://${bucket}/keep`, randomBytes(100), other.ref);

  const recorded = await run(['keys', 'rm', key.ref, '--yes'], { home });
  assert.equal(recorded.code, 1, recorded.stderr);
  assert.match(recorded.stderr, new RegExp(`error: this manifest records 1 object version\\(s\\) under key ${key.fingerprint} \\(in s3://${bucket}\\)`));
  assert.match(recorded.stderr, new RegExp(`hint: see what each bucket really needs: sse3 keys usage ${key.fingerprint} s3://${bucket} --versions`));
  assert.ok(existsSync(key.path));

  // The bucket-wide check finds the key in use: from now on not even --force removes it.
  await ok(['keys', 'usage', `s3://${bucket}`], { home });
  const scanned = await run(['keys', 'rm', key.ref, '--force', '--yes', '--json'], { home });
  assert.equal(scanned.code, 1, scanned.stderr);
  assert.equal(scanned.error().code, 'KEY_IN_USE');
  assert.match(scanned.error().message, new RegExp(`the latest whole-bucket scan found object versions that need key ${key.fingerprint} ` +
    `in s3://${bucket} \\(1 version\\(s\\), scanned .*\\): it is never removed while they may \\(not even with --force\\)`));
  assert.ok(existsSync(key.path));

  // Another client deletes the object: the manifest's record is stale, and the scan stays the latest until the next.
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new DeleteObjectCommand({ Bucket: bucket, Key: 'doc' }));
  assert.equal((await run(['keys', 'rm', key.ref, '--force', '--yes'], { home })).code, 1, 'the latest scan still found it in use');
  // A scan of a prefix is not the whole bucket: it does not replace the bucket's latest scan.
  await ok(['keys', 'usage', `s3://${bucket}/nothing/`], { home });
  assert.equal((await run(['keys', 'rm', key.ref, '--force', '--yes'], { home })).code, 1);
  await ok(['keys', 'usage', key.fingerprint, `s3://${bucket}`, '--versions'], { home });
  // The stale record still refuses without --force; --force now removes the key, and says what still names it.
  assert.equal((await run(['keys', 'rm', key.ref, '--yes'], { home })).code, 1);
  const noYes = await run(['keys', 'rm', key.ref, '--force'], { home });
  assert.equal(noYes.code, 2);
  assert.match(noYes.stderr, /needs a confirmation, and there is no terminal to give it\nhint: confirm with --yes/);
  assert.ok(existsSync(key.path));
  const removed = await ok(['keys', 'rm', key.ref, '--force', '--yes'], { home });
  assert.match(removed.out, new RegExp(`removed key ${key.ref}\n  fingerprint ${key.fingerprint}\n  this manifest still records 1 ` +
    `object version\\(s\\) under it \\(in s3://${bucket}\\)`));
  assert.ok(!existsSync(key.path));
  // The other key: the scan found an object that needs it.
  const needed = await run(['keys', 'rm', other.ref, '--force', '--yes'], { home });
  assert.equal(needed.code, 1);
  assert.ok(existsSync(other.path));
  // rotate of the whole bucket scans it when it has moved everything off a key: that scan is the latest, and it
  // finds the key unneeded, so it may go.
  const next = await makeKeyFile(home, 'next.key');
  await ok(['rotate', `s3://${bucket}`, '--recursive', '--to', next.ref], { home });
  await ok(['keys', 'rm', other.ref, '--yes'], { home });
  assert.ok(!existsSync(other.path));
  assert.equal((await run(['keys', 'rm', next.ref, '--force', '--yes'], { home })).code, 1, 'the rotation\'s scan found next in use');
  const gone = await run(['keys', 'rm', key.ref, '--yes'], { home });
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /does not exist: there is no key to remove/);
});

test('keys rm: env: and wrong references are refused; a symbolic link goes, not the key it points at', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const envRef = await run(['keys', 'rm', 'env:SSE3_SOMETHING', '--yes'], { home });
  assert.equal(envRef.code, 2);
  assert.match(envRef.stderr, /env: names a variable, not a stored key/);
  const nothing = await run(['keys', 'rm', 'not-a-ref', '--yes'], { home });
  assert.equal(nothing.code, 2);
  const link = join(home.dir, 'link.key');
  symlinkSync(key.path, link);
  const r = await ok(['keys', 'rm', `file:${link}`, '--yes', '--json'], { home });
  assert.equal(r.json().linkTarget, key.path);
  assert.throws(() => lstatSync(link));
  assert.deepEqual(readFileSync(key.path), key.raw);
});

test('keychain keys: keygen says how to back one up, and that command works; keys rm removes the entry once confirmed',
  { skip: !haveKeyring && 'no D-Bus session (run through npm test)', timeout: 120_000 }, async () => {
    const home = newHome();
    const name = randomName('kc-retire');
    const lookup = () => spawnSync('secret-tool', ['lookup', 'service', 'sse3', 'username', name]);
    const made = await ok(['keygen', `keychain:${name}`], { home });
    const stored = Buffer.from(lookup().stdout.toString().trim(), 'base64');
    rememberSecret(stored);
    const advice = new RegExp(`sse3 keys export keychain:${name} --to file:PATH writes a copy`);
    assert.match(made.out, advice);
    const path = join(home.dir, 'usb', `${name}.key`);
    const line = /sse3 keys export (\S+) --to file:PATH/.exec(made.out)!;
    await ok(['keys', 'export', line[1], '--to', `file:${path}`], { home });
    assert.deepEqual(readFileSync(path), stored, 'the back-up is the keychain key');

    const noYes = await run(['keys', 'rm', `keychain:${name}`], { home });
    assert.equal(noYes.code, 2);
    assert.equal(lookup().status, 0, 'still in the keychain');
    const removed = await ok(['keys', 'rm', `keychain:${name}`, '--yes', '--json'], { home });
    assert.equal(removed.json().removed, true);
    assert.notEqual(lookup().status, 0, 'gone from the keychain');
    const again = await run(['keys', 'rm', `keychain:${name}`, '--yes'], { home });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /no keychain entry .* there is no key to remove/);
    // The back-up brings it back.
    await ok(['keys', 'import', `keychain:${name}`, '--from', path], { home });
    assert.deepEqual(Buffer.from(lookup().stdout.toString().trim(), 'base64'), stored);
    execFileSync('secret-tool', ['clear', 'service', 'sse3', 'username', name]);
  });
