// A sweep of wrong input: every key source with every kind of bad key, malformed s3:// URLs, plain-HTTP endpoints
// from every place an endpoint can come from, objects that are not SSE-C, and wrong keys. Each case must end in
// the documented exit status (2 usage, 3 key, 4 integrity/encryption, 1 other) with one `error:` line and the
// hint sse3 gives, create nothing, and never echo key material (the harness scans every output for every
// remembered key; bad values a user may have typed are checked here as well).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  adminClient, fileSha256, type Home, makeKeyFile, manifestRows, MiB, newBucket, newHome, ok, rememberSecret, run,
  type RunResult, serverObjects, sha256, start, workDir, workFiles,
} from './support.js';

interface Expect {
  code: number;
  /** The `error:` line (without the prefix). */
  error: RegExp;
  /** The `hint:` line; false when sse3 gives none for this error. */
  hint: RegExp | false;
  /** The --json error code. */
  errorCode?: string;
}

interface Case {
  label: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  expect: Expect;
  /** Values the output must not contain (a bad key may still be a real key with a typo). */
  secret?: string[];
}

/** `get … -` writes object data to stdout: no JSON document may be mixed into it. */
const toStdout = (c: Case) => c.args.includes('-') && (c.args[0] === 'get' || c.args[0] === 'cp');

/**
 * Runs with --json, so one run checks both channels: stderr has exactly the error line and the hint line, stdout
 * exactly the JSON error document, and both agree with the exit status.
 */
function checkFailure(c: Case, r: RunResult): void {
  const where = `${c.label}: sse3 ${c.args.join(' ')}`;
  assert.equal(r.signal, null, `${where} was killed (${r.signal})`);
  assert.equal(r.code, c.expect.code, `${where} exited ${r.code}, expected ${c.expect.code}\n${r.stderr}`);
  // The words; with object data on stdout the JSON lines are on stderr too (after the words), apart.
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
  assert.match(lines[0] ?? '', /^error: /, `${where}: first stderr line\n${r.stderr}`);
  assert.match(lines[0], c.expect.error, `${where}: error line`);
  if (c.expect.hint) {
    assert.equal(lines.length, 2, `${where}: one error line and one hint line\n${r.stderr}`);
    assert.match(lines[1], /^hint: /, where);
    assert.match(lines[1], c.expect.hint, `${where}: hint line`);
  } else {
    assert.equal(lines.length, 1, `${where}: exactly one error line, no hint\n${r.stderr}`);
  }
  if (toStdout(c)) {
    assert.equal(r.out, '', `${where}: nothing on stdout when it carries data`);
    checkJsonError(where, r.stderr, r.code, lines, c);
  } else {
    checkJsonError(where, r.out, r.code, lines, c);
  }
  for (const s of c.secret ?? []) {
    assert.ok(!r.stderr.includes(s) && !r.out.includes(s), `${where}: the bad key value was echoed`);
  }
}

/** The error's JSON line, the last line of the JSON (text): it agrees with the words and the exit status. */
function checkJsonError(where: string, text: string, code: number | null, lines: string[], c?: Case): void {
  const doc = JSON.parse(text.trim().split('\n').at(-1)!);
  assert.equal(doc.ok, false, where);
  assert.equal(doc.error.exitCode, code, `${where}: JSON exitCode`);
  assert.equal(`error: ${doc.error.message}`, lines[0], `${where}: JSON message`);
  assert.equal(doc.error.hint === null ? false : `hint: ${doc.error.hint}`, lines[1] ?? false, `${where}: JSON hint`);
  if (c?.expect.errorCode) assert.equal(doc.error.code, c.expect.errorCode, `${where}: JSON code`);
}

/** Run cases a few at a time (each is a short-lived process), checking each, and that none left a file behind. */
async function sweep(home: Home, cases: Case[], parallel = 4): Promise<void> {
  const before = workFiles(home);
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const r = await run([...c.args, '--json'], { home, env: c.env, killAfterMs: 60_000 });
      checkFailure(c, r);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  assert.deepEqual(workFiles(home), before, 'no case created or removed a file in the working folder');
}

/** A loopback TCP listener that counts connections: proof that nothing was sent. */
async function listener(): Promise<{ port: number; sockets: Socket[]; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => { sockets.push(s); s.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, sockets, server };
}

const rawKey = (): Buffer => {
  const k = randomBytes(32);
  rememberSecret(k);
  return k;
};

/** Bytes that cannot be mistaken for base64 text, of a given length. */
function binary(n: number): Buffer {
  const b = randomBytes(n);
  if (n > 0) b[0] = 0;
  // sse3 ignores one trailing newline of a key file: a random last byte 0x0a (1 in 256) would make it a byte shorter.
  if (n > 1 && b[n - 1] === 0x0a) b[n - 1] = 0;
  // Too short to scan for: any two hex digits would match unrelated output.
  if (n >= 16) rememberSecret(b);
  return b;
}

function keyFile(home: Home, name: string, content: Buffer | string, mode = 0o600): string {
  const path = join(home.dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

const haveKeyring = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS)
  && (process.env.PATH ?? '').split(':').some((d) => existsSync(join(d, 'secret-tool')));

function keychainStore(name: string, value: string): void {
  execFileSync('secret-tool', ['store', '--label', `sse3 test ${name}`, 'service', 'sse3', 'username', name], { input: value });
}

function keychainClear(name: string): void {
  try { execFileSync('secret-tool', ['clear', 'service', 'sse3', 'username', name]); } catch { /* not there */ }
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

test('key sources: wrong lengths, bad base64 and empty values from file:, env: and keychain: are exit 3 and create nothing',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('badkey');
    writeFileSync(join(workDir(home), 'f'), 'payload');
    const put = (ref: string) => ['put', 'f', `s3://${bucket}/f`, '--key', ref];
    const emptyHint = /hint: (a key file holds 32 raw bytes or their base64|it must hold the base64 of 32 bytes)/;
    const base64Hint = /hint: a key is 32 random bytes; its base64 is 44 characters ending in "=" — make one with: sse3 keygen/;
    const envError = (name: string) => new RegExp(`environment variable ${name} ` +
      '(holds \\d+ (characters|bytes), which is no key format sse3 knows|is the base64 of \\d+ bytes, not of 32)$');
    const envHint = /hint: set it to the base64 of a 32-byte key \(44 characters\), 64 hex digits or a 32-character text secret/;
    const cases: Case[] = [];

    for (const n of [0, 1, 16, 31, 33, 64]) {
      const path = keyFile(home, `raw-${n}.key`, binary(n));
      cases.push({ label: `raw file of ${n} bytes`, args: put(`file:${path}`), expect: n === 0
        ? { code: 3, error: new RegExp(`key file ${path} is empty$`), hint: emptyHint, errorCode: 'KEY_FORMAT' }
        : { code: 3, error: new RegExp(`key file ${path} holds ${n} bytes of binary data, not a 32-byte key$`),
          hint: /make one with: sse3 keygen file:PATH/, errorCode: 'KEY_FORMAT' } });
    }

    const badTexts: Array<[string, string]> = [];
    for (const n of [16, 31, 33]) {
      const b = randomBytes(n);
      rememberSecret(b);
      badTexts.push([`base64 of ${n} bytes`, b.toString('base64')]);
    }
    const k = rawKey();
    badTexts.push(['base64url of 32 bytes', k.toString('base64url')]);
    badTexts.push(['base64 of 32 bytes without padding', k.toString('base64').replace(/=+$/, '')]);
    badTexts.push(['hex of 32 bytes', k.toString('hex')]);
    badTexts.push(['base64 with a character outside the alphabet', k.toString('base64').replace(/^./, '*')]);
    badTexts.push(['text that is not base64 at all', 'this is not a key, it is a sentence!']);
    badTexts.push(['two keys on two lines', `${k.toString('base64')}\n${k.toString('base64')}`]);

    for (const [what, text] of badTexts) {
      const chars = text.trim().length;
      const error = (source: string) => new RegExp(`${source} is not the base64 of a 32-byte key \\(${chars} characters\\)$`);
      const path = keyFile(home, `text-${cases.length}.key`, text + '\n');
      cases.push({ label: `file: ${what}`, args: put(`file:${path}`), secret: [text],
        expect: { code: 3, error: error(`key file ${path}`), hint: base64Hint, errorCode: 'KEY_FORMAT' } });
      // A variable may also hold 64 hex digits (or a 32-character text secret), as keys import reads them.
      if (what === 'hex of 32 bytes') continue;
      cases.push({ label: `env: ${what}`, args: put('env:SSE3_TEST_BAD_KEY'), env: { SSE3_TEST_BAD_KEY: text }, secret: [text],
        expect: { code: 3, error: envError('SSE3_TEST_BAD_KEY'), hint: envHint, errorCode: 'KEY_FORMAT' } });
    }

    for (const [what, value] of [['empty', ''], ['only white space', ' \n\t ']]) {
      cases.push({ label: `env: ${what}`, args: put('env:SSE3_TEST_EMPTY'), env: { SSE3_TEST_EMPTY: value },
        expect: { code: 3, error: /environment variable SSE3_TEST_EMPTY is empty$/, hint: /hint: it must hold the base64 of 32 bytes/,
          errorCode: 'KEY_FORMAT' } });
    }
    const ws = keyFile(home, 'whitespace.key', '\n  \n');
    cases.push({ label: 'file of white space only', args: put(`file:${ws}`),
      expect: { code: 3, error: new RegExp(`key file ${ws} is empty$`), hint: emptyHint, errorCode: 'KEY_FORMAT' } });
    cases.push({ label: 'env: unset', args: put('env:SSE3_TEST_UNSET_VAR'), env: { SSE3_TEST_UNSET_VAR: undefined },
      expect: { code: 3, error: /environment variable SSE3_TEST_UNSET_VAR is not set$/, hint: /export SSE3_TEST_UNSET_VAR/,
        errorCode: 'KEY_ENV' } });
    // SSE3_KEY is what put falls back to without --key: a bad one must be refused the same way.
    cases.push({ label: 'SSE3_KEY malformed, no --key', args: ['put', 'f', `s3://${bucket}/f`], env: { SSE3_KEY: 'bm90IGEga2V5' },
      expect: { code: 3, error: envError('SSE3_KEY'), hint: envHint } });

    for (const ref of ['file:', 'env:', 'keychain:', 'env:1BAD', 'env:BAD-NAME', 'keyfile:/x', '/path/to/key', 'FILE:/x']) {
      cases.push({ label: `reference "${ref}"`, args: put(ref),
        expect: { code: 2, error: /not a key reference: "|not an environment variable name: "/,
          hint: /a key reference is file:PATH, env:VAR or keychain:NAME/, errorCode: 'USAGE' } });
    }

    await sweep(home, cases);
    assert.deepEqual([...(await serverObjects(bucket)).keys()], [], 'nothing was uploaded');
    assert.equal(existsSync(join(home.env.SSE3_HOME!, 'manifest.db')), false, 'key errors are found before the manifest is opened');
  });

test('key files that cannot be read, and key files with loose modes, are exit 3 with what to do', { timeout: 120_000 }, async () => {
  const home = newHome();
  const bucket = await newBucket('badkey');
  writeFileSync(join(workDir(home), 'f'), 'payload');
  const put = (ref: string) => ['put', 'f', `s3://${bucket}/f`, '--key', ref];
  const cases: Case[] = [];
  // Tests run as root, for whom chmod 000 does not make a file unreadable: a folder and a dangling symlink are
  // what cannot be read as a key file here.
  const dir = join(home.dir, 'a-folder');
  mkdirSync(dir);
  cases.push({ label: 'a folder', args: put(`file:${dir}`),
    expect: { code: 3, error: new RegExp(`key file ${dir} is not a regular file$`), hint: /32 raw bytes/, errorCode: 'KEY_FILE' } });
  const dangling = join(home.dir, 'dangling.key');
  symlinkSync(join(home.dir, 'nowhere'), dangling);
  cases.push({ label: 'a dangling symlink', args: put(`file:${dangling}`),
    expect: { code: 3, error: new RegExp(`key file ${dangling} is a symbolic link to a file that does not exist$`), hint: /./,
      errorCode: 'KEY_FILE' } });
  const missing = join(home.dir, 'missing.key');
  cases.push({ label: 'a missing file', args: put(`file:${missing}`),
    expect: { code: 3, error: new RegExp(`key file ${missing} does not exist$`), hint: new RegExp(`sse3 keygen file:${missing}$`),
      errorCode: 'KEY_FILE' } });
  cases.push({ label: 'a path through a file', args: put(`file:${join(workDir(home), 'f', 'k.key')}`),
    expect: { code: 3, error: /key file .*\/f\/k\.key cannot be opened: ENOTDIR$|does not exist$/, hint: false, errorCode: 'KEY_FILE' } });

  for (const mode of [0o640, 0o604, 0o660, 0o666, 0o700 | 0o004, 0o620]) {
    const m = mode.toString(8).padStart(4, '0');
    const path = keyFile(home, `loose-${m}.key`, rawKey(), mode);
    cases.push({ label: `mode ${m}`, args: put(`file:${path}`),
      expect: { code: 3, error: new RegExp(`key file ${path} is accessible by group or others \\(mode ${m}\\); refusing to use it$`),
        hint: new RegExp(`^hint: run: chmod 600 ${path}$`), errorCode: 'KEY_FILE' } });
  }
  // The same files are refused for reading too.
  const loose = keyFile(home, 'loose-get.key', rawKey(), 0o640);
  cases.push({ label: 'mode 0640 for get', args: ['get', `s3://${bucket}/f`, 'out', '--key', `file:${loose}`],
    expect: { code: 3, error: /is accessible by group or others \(mode 0640\)/, hint: /chmod 600/, errorCode: 'KEY_FILE' } });
  await sweep(home, cases);
  assert.deepEqual([...(await serverObjects(bucket)).keys()], []);
  assert.deepEqual(await manifestRows(home), []);

  // A key with a loose mode in the key folder is not used silently when get looks for a key by itself.
  const good = await makeKeyFile(home, 'good.key');
  await ok(['put', 'f', `s3://${bucket}/f`, '--key', good.ref], { home });
  chmodSync(good.path, 0o644);
  await sweep(home, [{ label: 'key folder entry with mode 0644', args: ['get', `s3://${bucket}/f`, 'out'],
    expect: { code: 3, error: new RegExp(`needs the key with fingerprint ${good.fingerprint}, which sse3 cannot find ` +
      `\\(could not use: key file ${good.path} is accessible by group or others \\(mode 0644\\); refusing to use it: ` +
      `run: chmod 600 ${good.path}\\)$`), hint: /^hint: if the key is among those sse3 could not use, do what is said there; otherwise pass it/,
    errorCode: 'NO_KEY' } }]);
  // verify says the same on the object's line, not only "key not available here".
  const verified = await run(['verify', `s3://${bucket}`, '--json'], { home });
  assert.equal(verified.code, 3, verified.stderr);
  assert.match(verified.stdout + verified.stderr, new RegExp(`run: chmod 600 ${good.path}`));
});

test('a FIFO as key file is refused, not waited on', {
  timeout: 60_000,
}, async () => {
  const home = newHome();
  const fifo = join(home.dir, 'key.fifo');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(join(workDir(home), 'f'), 'x');
  const p = start(['put', 'f', 's3://bucket-never-reached/f', '--key', `file:${fifo}`, '--json'], { home, killAfterMs: 5_000 });
  checkFailure({ label: 'FIFO', args: [], expect: { code: 3, error: new RegExp(`key file ${fifo} is not a regular file$`), hint: /32 raw bytes/ } },
    await p.done);
});

test('a dangling symlink as key file: the hint does not suggest a keygen that must fail', {
}, async () => {
  const home = newHome();
  const dangling = join(home.dir, 'dangling.key');
  symlinkSync(join(home.dir, 'gone', 'target.key'), dangling);
  const r = await run(['put', 'f', 's3://bucket/f', '--key', `file:${dangling}`], { home });
  assert.equal(r.code, 3);
  const hint = /^hint: create one with: (sse3 keygen .*)$/m.exec(r.stderr);
  if (hint) {
    const k = await run(['keygen', `file:${dangling}`], { home });
    assert.equal(k.code, 0, `the hint's own command fails: ${k.stderr}`);
  }
});

test('a file: path starting with ~/ means the home folder, as in the README and --help examples', {
}, async () => {
  const home = newHome();
  const env = { HOME: home.dir };
  const r = await run(['keygen', 'file:~/tilde.key', '--json'], { home, env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(workDir(home), '~')), false, 'no folder named ~ in the current folder');
  assert.equal(existsSync(join(home.dir, 'tilde.key')), true, 'the key is in $HOME');
});

test('an empty --key is a usage error, not a silent switch to SSE3_KEY', {
  timeout: 60_000,
}, async () => {
  const home = newHome();
  const bucket = await newBucket('badkey');
  writeFileSync(join(workDir(home), 'f'), 'x');
  const r = await run(['put', 'f', `s3://${bucket}/f`, '--key', '', '--json'], { home, env: { SSE3_KEY: rawKey().toString('base64') } });
  assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}${r.out}`);
  assert.deepEqual([...(await serverObjects(bucket)).keys()], []);
});

test('a key pasted in place of a reference is refused for every key option, without echoing it',
  { timeout: 120_000 }, async () => {
  const home = newHome();
  writeFileSync(join(workDir(home), 'f'), 'x');
  const k = rawKey();
  const cases: Case[] = [];
  for (const pasted of [k.toString('base64'), k.toString('hex'), k.toString('hex').toUpperCase()]) {
    for (const args of [['put', 'f', 's3://bucket/f', '--key', pasted], ['get', 's3://bucket/f', 'out', '--key', pasted],
      ['head', 's3://bucket/f', '--key', pasted], ['cp', 's3://bucket/f', 's3://bucket/g', '--source-key', pasted],
      ['cp', 'f', 's3://bucket/f', '--key', pasted], ['rotate', 's3://bucket/f', '--to', pasted],
      ['rotate', 's3://bucket/f', '--to', 'env:X', '--from', pasted]]) {
      cases.push({ label: `${args[0]} ${args.at(-2)}`, args, secret: [pasted], env: { X: rawKey().toString('base64') },
        expect: { code: 2, error: /that looks like a key itself: keys are never taken from the command line/,
          hint: /consider that key exposed/, errorCode: 'USAGE' } });
    }
  }
  await sweep(home, cases);
});

test('keychain: a missing entry, entries holding a wrong-length or empty key, and an unavailable keychain are exit 3',
  { skip: !haveKeyring && 'no Secret Service (run through npm run test:reliability)', timeout: 120_000 }, async () => {
    const home = newHome();
    writeFileSync(join(workDir(home), 'f'), 'x');
    const put = (ref: string) => ['put', 'f', 's3://bucket-never-reached/f', '--key', ref];
    const suffix = randomBytes(4).toString('hex');
    const entries: Array<[string, string, Expect]> = [];
    for (const n of [16, 31, 33]) {
      const b = randomBytes(n);
      rememberSecret(b);
      const name = `sse3-rel-${n}-${suffix}`;
      entries.push([name, b.toString('base64'), { code: 3, error: new RegExp(`keychain entry ${name} is not the base64 of a 32-byte key`),
        hint: /make one with: sse3 keygen/, errorCode: 'KEY_FORMAT' }]);
    }
    const blank = `sse3-rel-blank-${suffix}`;
    entries.push([blank, ' ', { code: 3, error: new RegExp(`keychain entry ${blank} is empty$`), hint: /base64 of 32 bytes/,
      errorCode: 'KEY_FORMAT' }]);
    try {
      for (const [name, value] of entries) keychainStore(name, value);
      const cases: Case[] = entries.map(([name, value, expect]) => ({ label: `keychain ${name}`, args: put(`keychain:${name}`),
        secret: value.trim() ? [value] : [], expect }));
      const missing = `sse3-rel-missing-${suffix}`;
      cases.push({ label: 'missing entry', args: put(`keychain:${missing}`),
        expect: { code: 3, error: new RegExp(`no keychain entry "${missing}" \\(service sse3\\)$`),
          hint: new RegExp(`create it with: sse3 keygen keychain:${missing}$`), errorCode: 'KEYCHAIN' } });
      cases.push({ label: 'unavailable keychain: keygen', args: ['keygen', `keychain:${missing}`], env: noBus(home),
        expect: unavailable });
      await sweep(home, cases);
    } finally {
      for (const [name] of entries) keychainClear(name);
    }
  });

const noBus = (home: Home) => ({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home.dir, 'no-such-bus')}` });
const unavailable = { code: 3, error: /the OS keychain is not available/, hint: /start a Secret Service keyring .* or use a key file/,
  errorCode: 'KEYCHAIN' };

test('keychain unavailable: reading a keychain: key says the keychain is unavailable, not that the entry is missing', {
  timeout: 60_000,
}, async () => {
  const home = newHome();
  writeFileSync(join(workDir(home), 'f'), 'x');
  await sweep(home, [['put', 'f', 's3://bucket-never-reached/f', '--key', 'keychain:backups'],
    ['get', 's3://bucket-never-reached/f', 'out', '--key', 'keychain:backups']]
    .map((args) => ({ label: `unavailable keychain: ${args[0]}`, args, env: noBus(home), expect: unavailable })));
});

// ---------------------------------------------------------------------------------------------------------------
// URLs and endpoints: found before anything is sent

test('malformed s3:// URLs and bucket names are exit 2 for every command, before anything is sent or created',
  { timeout: 120_000 }, async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(workDir(home), 'f'), 'x');
  const l = await listener();
  const env = { AWS_ENDPOINT_URL: `https://127.0.0.1:${l.port}` };
  const badUrl = { code: 2, error: /not an s3:\/\/ URL: "|does not name a valid bucket|names no object|names a folder, not an object/, hint: /write it as s3:\/\/BUCKET\/KEY/,
    errorCode: 'BAD_URL' };
  const cpLocal = { code: 2, error: /one side of cp must be an s3:\/\/ URL/, hint: /for local copies use cp\(1\)/, errorCode: 'USAGE' };
  // get and put take a presigned https:// link in place of s3://: an http:// one, or an https:// URL with no signature,
  // is refused as a link, also before anything is sent.
  const asLink = (url: string) => (url.startsWith('http://')
    ? { code: 2, error: /refusing to send an SSE-C key over plain HTTP/, hint: /ask for an https:\/\/ link/, errorCode: 'INSECURE_ENDPOINT' }
    : url.startsWith('https://') ? { code: 2, error: /is not a presigned S3 link/, hint: /sse3 presign/, errorCode: 'USAGE' } : badUrl);
  const urls = ['s3://', 's3:///k', 's3://b', 's3://b/k'.replace('s3', 'S3'), 's3:/b/k', 'http://b/k', 'https://bucket/k', 'bucket/k',
    's3://my!bucket/k', 's3://bad bucket/k', 's3://-bucket/k', 's3://.bucket/k', 's3://bu*ck/k', 's3://buck?et/k',
    's3://bucket#1/k', `s3://${'a'.repeat(256)}/k`, 's3://bücket/k', 's3:// bucket/k'];
  const cases: Case[] = [];
  try {
    // Every URL through get; a few of each kind through every other command that takes one.
    for (const url of urls) cases.push({ label: `get ${url}`, args: ['get', url, 'out', '--key', key.ref], env, expect: asLink(url) });
    for (const url of ['s3://', 's3://b/k'.replace('s3', 'S3'), 'http://b/k', 's3://my!bucket/k', 's3://b']) {
      const s3ish = url.startsWith('s3://');
      cases.push(
        { label: `head ${url}`, args: ['head', url, '--key', key.ref], env, expect: badUrl },
        { label: `put ${url}`, args: ['put', 'f', url, '--key', key.ref], env, expect: asLink(url) },
        { label: `cp to ${url}`, args: ['cp', 'f', url, '--key', key.ref], env, expect: s3ish ? badUrl : cpLocal },
        { label: `cp from ${url}`, args: ['cp', url, 'out', '--key', key.ref], env, expect: s3ish ? badUrl : cpLocal },
        { label: `rotate ${url}`, args: ['rotate', url, '--to', key.ref], env, expect: badUrl },
        { label: `verify ${url}`, args: ['verify', url], env, expect: badUrl },
        { label: `manifest list ${url}`, args: ['manifest', 'list', url], env, expect: badUrl },
        { label: `manifest rebuild ${url}`, args: ['manifest', 'rebuild', url], env, expect: badUrl },
        { label: `adopt ${url}`, args: ['adopt', url, '--key', key.ref], env, expect: badUrl },
        { label: `ls ${url}`, args: ['ls', url], env, expect: badUrl },
        { label: `rm ${url}`, args: ['rm', url, '--recursive', '--yes'], env, expect: badUrl },
      );
    }
    // A URL that names a bucket but no object, where an object is needed.
    for (const url of ['s3://bucket', 's3://bucket/', 's3://bucket/dir/']) {
      cases.push({ label: `get ${url}`, args: ['get', url, 'out', '--key', key.ref], env, expect: badUrl },
        { label: `head ${url}`, args: ['head', url, '--key', key.ref], env, expect: badUrl });
    }
    cases.push({ label: 'put from stdin to a bucket', args: ['put', '-', 's3://bucket/', '--key', key.ref], env,
      expect: { code: 2, error: /reading stdin needs a full object name/, hint: /sse3 put - s3:\/\/bucket\/NAME/, errorCode: 'USAGE' } });
    await sweep(home, cases);
    assert.equal(l.sockets.length, 0, 'no connection was made for a malformed URL');
    assert.deepEqual(await manifestRows(home), []);
  } finally {
    l.server.close();
  }
});

test('http:// endpoints from the flag, the environment and AWS config profiles are refused before any connection',
  { timeout: 120_000 }, async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(workDir(home), 'f'), 'x');
  const l = await listener();
  const http = `http://127.0.0.1:${l.port}`;
  const config = join(home.dir, 'aws-config');
  writeFileSync(config, [
    '[default]', `endpoint_url = ${http}`,
    '[profile plainhttp]', `endpoint_url = ${http}`,
    '[profile plainhttp2]', 'region = eu-west-1', `endpoint_url = ${http.replace('http', 'HTTP')}`,
  ].join('\n') + '\n');
  const noEnvEndpoint = { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_PROFILE: undefined };
  const sources: Array<{ what: string; args: string[]; env: NodeJS.ProcessEnv; from: string }> = [
    { what: '--endpoint-url', args: ['--endpoint-url', http], env: {}, from: '--endpoint-url' },
    { what: '--endpoint-url in capitals', args: ['--endpoint-url', http.replace('http', 'HTTP')], env: {}, from: '--endpoint-url' },
    { what: 'AWS_ENDPOINT_URL', args: [], env: { ...noEnvEndpoint, AWS_ENDPOINT_URL: http }, from: 'AWS_ENDPOINT_URL' },
    { what: 'AWS_ENDPOINT_URL_S3', args: [], env: { ...noEnvEndpoint, AWS_ENDPOINT_URL_S3: http }, from: 'AWS_ENDPOINT_URL_S3' },
    { what: 'AWS_ENDPOINT_URL_S3 over an https AWS_ENDPOINT_URL', args: [], env: { AWS_ENDPOINT_URL_S3: http },
      from: 'AWS_ENDPOINT_URL_S3' },
    { what: '--profile', args: ['--profile', 'plainhttp'], env: { ...noEnvEndpoint, AWS_CONFIG_FILE: config },
      from: 'endpoint_url of profile plainhttp' },
    { what: 'AWS_PROFILE', args: [], env: { ...noEnvEndpoint, AWS_CONFIG_FILE: config, AWS_PROFILE: 'plainhttp2' },
      from: 'endpoint_url of profile plainhttp2' },
    { what: 'the default profile', args: [], env: { ...noEnvEndpoint, AWS_CONFIG_FILE: config }, from: 'endpoint_url of profile default' },
  ];
  const cases: Case[] = [];
  try {
    for (const [i, s] of sources.entries()) {
      const expect = { code: 2, error: new RegExp(`refusing to send an SSE-C key over plain HTTP \\(${s.from} is ${http}\\)`, 'i'),
        hint: /use the server's https:\/\/ endpoint; a key that was ever sent over http:\/\/ must be considered exposed — rotate it/,
        errorCode: 'INSECURE_ENDPOINT' };
      for (const args of [['put', 'f', 's3://bucket/f', '--key', key.ref], ['get', 's3://bucket/f', 'out', '--key', key.ref],
        ['head', 's3://bucket/f', '--key', key.ref], ['cp', 'f', 's3://bucket/f', '--key', key.ref],
        ['cp', 's3://bucket/f', 's3://bucket/g', '--key', key.ref], ['rotate', 's3://bucket/f', '--to', key.ref], ['verify'],
        ['manifest', 'rebuild', 's3://bucket'], ['adopt', 's3://bucket', '--key', key.ref], ['ls'], ['ls', 's3://bucket'],
        ['rm', 's3://bucket/f'], ['rm', 's3://bucket', '--recursive', '--yes']]
        .filter((a) => i === 0 || ['put', 'get', 'verify', 'adopt', 'ls', 'rm'].includes(a[0]))) {
        cases.push({ label: `${args[0]} with ${s.what}`, args: [...args, ...s.args], env: s.env, expect });
      }
    }
    for (const [endpoint, error, hint] of [['ftp://127.0.0.1/', /--endpoint-url must be an https:\/\/ URL/, false],
      ['not a url', /--endpoint-url is not a URL: "not a url"/, /e\.g\. --endpoint-url https:\/\//]] as const) {
      cases.push({ label: `endpoint ${endpoint}`, args: ['head', 's3://bucket/f', '--key', key.ref, '--endpoint-url', endpoint],
        expect: { code: 2, error, hint, errorCode: 'USAGE' } });
    }
    cases.push({ label: 'a profile that does not exist', args: ['head', 's3://bucket/f', '--key', key.ref, '--profile', 'nope'],
      env: { ...noEnvEndpoint, AWS_CONFIG_FILE: config },
      expect: { code: 2, error: /profile "nope" is not in the AWS config or credentials file/, hint: /aws configure list-profiles/,
        errorCode: 'USAGE' } });
    await sweep(home, cases);
    assert.equal(l.sockets.length, 0, 'not one connection reached the plain-HTTP endpoint');
  } finally {
    l.server.close();
  }
});

test('an http:// endpoint from a "services" section of the AWS config is refused before any connection', {
  timeout: 60_000,
}, async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  writeFileSync(join(workDir(home), 'f'), 'x');
  const l = await listener();
  const config = join(home.dir, 'aws-config');
  writeFileSync(config, ['[default]', 'services = local-s3', '[services local-s3]', 's3 =',
    `  endpoint_url = http://127.0.0.1:${l.port}`].join('\n') + '\n');
  try {
    const r = await run(['put', 'f', 's3://bucket/f', '--key', key.ref, '--timeout', '1'],
      { home, env: { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_PROFILE: undefined, AWS_CONFIG_FILE: config } });
    const connections = l.sockets.length;
    assert.equal(connections, 0, `the key was sent to a plain-HTTP endpoint (${connections} connections)`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /refusing to send an SSE-C key over plain HTTP/);
  } finally {
    l.server.close();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Objects that are not SSE-C, and wrong keys

async function plainObject(bucket: string, key: string, body: string): Promise<void> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await (await adminClient()).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

test('objects that are not SSE-C: get and cp download them with a warning, rotate leaves them, head shows them, a copy encrypts them',
  { timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('plain');
    const key = await makeKeyFile(home, 'k.key');
    const body = 'stored without encryption';
    await plainObject(bucket, 'plain.txt', body);
    const url = `s3://${bucket}/plain.txt`;
    const warning = new RegExp(`^warning: ${url.replace(/[./]/g, '\\$&')} is not encrypted \\(a plain object, no SSE-C key\\): ` +
      'downloaded as it is; integrity not verified$', 'm');
    // With a key that does not apply, or none (nothing recorded, no tag: a HEAD without one tells it is plain).
    for (const args of [['get', url, 'out', '--key', key.ref], ['get', url, '-', '--key', key.ref], ['get', url, 'out'], ['get', url, '-'],
      ['cp', url, 'out', '--source-key', key.ref], ['cp', url, 'out', '--key', key.ref], ['cp', url, 'out']]) {
      const r = await run(args, { home });
      assert.equal(r.code, 0, `sse3 ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, warning, `sse3 ${args.join(' ')} says it is not encrypted`);
      if (args[2] === '-') assert.equal(r.out, body);
      else assert.equal(readFileSync(join(workDir(home), 'out'), 'utf8'), body);
      rmSync(join(workDir(home), 'out'), { force: true });
    }
    for (const args of [['rotate', url, '--to', key.ref, '--json'], ['rotate', url, '--from', key.ref, '--to', key.ref, '--json']]) {
      const r = await ok(args, { home });
      assert.deepEqual([r.json().status, r.json().oldFingerprint], ['plain', null], `sse3 ${args.join(' ')}: left as it is`);
    }
    assert.deepEqual(await manifestRows(home), []);
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    assert.equal((await (await adminClient()).send(new HeadObjectCommand({ Bucket: bucket, Key: 'plain.txt' }))).SSECustomerAlgorithm,
      undefined, 'still plain on the server');

    for (const args of [['head', url, '--json'], ['head', url, '--json', '--key', key.ref]]) {
      const h = (await ok(args, { home })).json();
      assert.equal(h.sse.algorithm, null, 'shown as not encrypted');
      assert.equal(h.manifest, null);
      assert.equal(h.keyMatches, null, 'a key cannot "match" an unencrypted object');
    }

    // A copy from a plain source always ends encrypted, with the plaintext's SHA-256 on record.
    const c = (await ok(['cp', url, `s3://${bucket}/encrypted.txt`, '--key', key.ref, '--json'], { home })).json();
    assert.equal(c.sha256, sha256(body));
    const h = (await ok(['head', `s3://${bucket}/encrypted.txt`, '--json'], { home })).json();
    assert.equal(h.sse.algorithm, 'AES256');
    assert.equal(h.keyMatches, true);
    await assert.rejects((await adminClient()).send(new HeadObjectCommand({ Bucket: bucket, Key: 'encrypted.txt' })),
      'without the key the copy cannot be read');
    const rows = await manifestRows(home);
    assert.deepEqual(rows.map((r) => [r.key, r.fingerprint]), [['encrypted.txt', key.fingerprint]]);
    assert.deepEqual(workFiles(home), []);
  });

test('wrong keys: get, head, cp and rotate are exit 3 naming both fingerprints; nothing written, nothing recorded',
  { timeout: 180_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('wrongkey');
    const right = await makeKeyFile(home, 'right.key');
    const wrong = await makeKeyFile(home, 'wrong.key', { inKeyDir: false });
    const other = await makeKeyFile(home, 'other.key', { inKeyDir: false });
    const small = randomBytes(1000);
    const large = randomBytes(6 * MiB + 1);
    writeFileSync(join(workDir(home), 'small'), small);
    writeFileSync(join(workDir(home), 'large'), large);
    await ok(['put', 'small', `s3://${bucket}/small`, '--key', right.ref], { home });
    await ok(['put', 'large', `s3://${bucket}/large`, '--key', right.ref, '--part-size', '5'], { home });
    const rowsBefore = await manifestRows(home);
    const cases: Case[] = [];
    for (const name of ['small', 'large']) {
      const url = `s3://${bucket}/${name}`;
      const wrongKey = { code: 3, error: new RegExp(`key ${wrong.fingerprint} does not open ${url.replace(/[./]/g, '\\$&')}; ` +
        `it was encrypted with key ${right.fingerprint}$`), hint: new RegExp(`find the key with fingerprint ${right.fingerprint}`),
      errorCode: 'WRONG_KEY' };
      cases.push(
        { label: `get ${name} --key wrong`, args: ['get', url, 'out', '--key', wrong.ref], expect: wrongKey },
        { label: `get ${name} --key wrong to stdout`, args: ['get', url, '-', '--key', wrong.ref], expect: wrongKey },
        { label: `head ${name} --key wrong`, args: ['head', url, '--key', wrong.ref], expect: wrongKey },
        { label: `cp ${name} to a file --source-key wrong`, args: ['cp', url, 'out', '--source-key', wrong.ref], expect: wrongKey },
        { label: `rotate ${name} --from wrong`, args: ['rotate', url, '--from', wrong.ref, '--to', other.ref],
          expect: { code: 3, error: new RegExp(`key ${wrong.fingerprint} does not open ${url.replace(/[./]/g, '\\$&')}$`),
            hint: /pass the key that encrypted it with --from REF/, errorCode: 'WRONG_KEY' } },
        // SSE3_KEY is searched first, but a key that does not have the recorded fingerprint is never sent.
        { label: `get ${name} with only a wrong SSE3_KEY`, args: ['get', url, 'out'],
          env: { SSE3_KEY: wrong.raw.toString('base64'), SSE3_HOME: join(home.dir, 'home-without-keys') },
          expect: { code: 3, error: /sse3 has no record of which key encrypted|needs the key with fingerprint/, hint: /--key/,
            errorCode: 'NO_KEY' } },
      );
    }
    await sweep(home, cases);
    // Rotating to the key an object already has is not a mistake to refuse: it is done already, and nothing is written.
    for (const name of ['small', 'large']) {
      const same = await ok(['rotate', `s3://${bucket}/${name}`, '--to', right.ref, '--json'], { home });
      assert.equal(same.json().status, 'already', name);
    }
    assert.deepEqual(readdirSync(workDir(home)).filter((n) => n.includes('.part')), [], 'no temporary file left');
    assert.deepEqual(await manifestRows(home), rowsBefore, 'the manifest is unchanged');
    for (const [name, data] of [['small', small], ['large', large]] as const) {
      await ok(['get', `s3://${bucket}/${name}`, `${name}.back`], { home });
      assert.equal(fileSha256(join(workDir(home), `${name}.back`)), sha256(data), `${name} is intact`);
    }
  });

test('wrong source key for an s3 → s3 copy names the key that encrypted the source', {
  timeout: 60_000,
}, async () => {
  const home = newHome();
  const bucket = await newBucket('wrongkey');
  const right = await makeKeyFile(home, 'right.key');
  const wrong = await makeKeyFile(home, 'wrong.key', { inKeyDir: false });
  writeFileSync(join(workDir(home), 'f'), 'copy me');
  await ok(['put', 'f', `s3://${bucket}/f`, '--key', right.ref], { home });
  const r = await run(['cp', `s3://${bucket}/f`, `s3://${bucket}/g`, '--source-key', wrong.ref, '--key', right.ref, '--json'], { home });
  checkFailure({ label: 'cp s3 → s3 --source-key wrong', args: ['cp'], expect: { code: 3,
    error: new RegExp(`key ${wrong.fingerprint} does not open .*; it was encrypted with key ${right.fingerprint}$`),
    hint: new RegExp(right.fingerprint), errorCode: 'WRONG_KEY' } }, r);
  assert.equal((await serverObjects(bucket)).has('g'), false);
});


test('keys import: a key on the command line, empty input, wrong lengths and bad encodings are refused; nothing is stored',
  { timeout: 60_000 }, async () => {
  const home = newHome();
  const target = `file:${join(home.keyDir, 'imported.key')}`;
  const secret = randomBytes(24).toString('base64');
  rememberSecret(Buffer.from(secret));
  const format = (found: RegExp) => ({ code: 3, error: found, hint: /accepted: 32 raw bytes .* or 64 hex digits/, errorCode: 'KEY_FORMAT' });
  const cases: Case[] = [
    { label: 'key as argument', args: ['keys', 'import', target, secret], secret: [secret],
      expect: { code: 2, error: /keys are never taken from the command line/, hint: /consider a key typed as an argument exposed/, errorCode: 'USAGE' } },
    { label: 'key as --from', args: ['keys', 'import', target, '--from', secret], secret: [secret],
      expect: { code: 2, error: /looks like a key itself/, hint: /consider that key exposed/, errorCode: 'USAGE' } },
    { label: 'empty stdin', args: ['keys', 'import', target, '--from', '-'], expect: format(/standard input is empty/) },
    { label: 'empty file', args: ['keys', 'import', target, '--from', keyFile(home, 'empty', '')], expect: format(/empty is empty/) },
    { label: '31 bytes', args: ['keys', 'import', target, '--from', keyFile(home, 'k31', binary(31))], expect: format(/holds 31 bytes/) },
    { label: '33 bytes', args: ['keys', 'import', target, '--from', keyFile(home, 'k33', binary(33))], expect: format(/holds 33 bytes/) },
    { label: 'bad base64', args: ['keys', 'import', target, '--format', 'base64', '--from', keyFile(home, 'b64', `${'%'.repeat(43)}=\n`)],
      expect: format(/is not base64/) },
    { label: 'bad hex', args: ['keys', 'import', target, '--format', 'hex', '--from', keyFile(home, 'hex', `${'x'.repeat(64)}\n`)],
      expect: format(/is not hex/) },
    { label: 'a folder', args: ['keys', 'import', target, '--from', home.dir],
      expect: { code: 2, error: /is a folder, not a key file/, hint: false, errorCode: 'USAGE' } },
  ];
  await sweep(home, cases);
  assert.equal(existsSync(join(home.keyDir, 'imported.key')), false, 'nothing stored');
});

test('adopt, ls and rm on a bucket that does not exist say so (exit 1) and record nothing', { timeout: 60_000 }, async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k.key');
  const missing = { code: 1, error: /bucket of s3:\/\/no-such-bucket-sse3\/.* does not exist/, hint: /check the bucket name and endpoint/,
    errorCode: 'NO_BUCKET' };
  await sweep(home, [
    { label: 'adopt', args: ['adopt', 's3://no-such-bucket-sse3', '--key', key.ref], expect: missing },
    { label: 'ls', args: ['ls', 's3://no-such-bucket-sse3/dir/'], expect: missing },
    { label: 'ls -r', args: ['ls', 's3://no-such-bucket-sse3', '--recursive'], expect: missing },
    { label: 'rm -r', args: ['rm', 's3://no-such-bucket-sse3/dir', '--recursive', '--yes'], expect: missing },
  ]);
  assert.deepEqual(await manifestRows(home), []);
});
