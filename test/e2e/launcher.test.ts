// bin/sse3.js under a Node that has a compile cache (>= 22.1): the cache sse3 uses is a folder of its own that
// no other user can write to, never the predictable shared one in the temporary folder, where another user can
// plant compiled code that Node would run as the victim. And under a Node too old for sse3: one line saying so.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync,
  writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertNoSecrets, BIN, type ProgramResult, rememberSecret, runProgram, tempDir } from './harness.js';
import { AS_OTHER, needsOtherUser, OTHER, sse3ForOthers } from './other-user.js';

const ATTACK = new URL('../fixtures/compile-cache-attack.js', import.meta.url).pathname;
const MARKER = 'ATTACKER-CODE-RAN';
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * sse3, Node 24 and the attack, where the other user can read them (the checkout, and Node 24 in its .cache/, may be
 * in a folder only its owner may enter). The victim runs the same sse3, under the same Node.
 */
function installed(): { bin: string; bundle: string; node24: string; attack: string } {
  const node24 = process.env.SSE3_TEST_NODE24;
  assert.ok(node24, 'SSE3_TEST_NODE24 is not set: run the tests through scripts/test.sh (it installs Node 24)');
  const shared = sse3ForOthers([node24, ATTACK]);
  return { bin: shared.bin, bundle: shared.bundle, node24: shared.extra(node24), attack: shared.extra(ATTACK) };
}

/** A machine's shared temporary folder (1777, as /tmp) and the victim's home, in a folder removed after the test. */
interface Machine {
  shared: string;
  home: string;
  dir: string;
}

function newMachine(t: TestContext): Machine {
  const dir = tempDir('sse3-launcher-');
  // The other user must reach the shared folder, as everyone reaches /tmp.
  chmodSync(dir, 0o755);
  const shared = join(dir, 'tmp');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  return { shared, home, dir };
}

/** sse3 under Node 24 as the victim (this test's uid), with the machine's TMPDIR and the victim's HOME. */
async function victim(m: Machine, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProgramResult> {
  const base = { ...process.env };
  for (const name of ['NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'XDG_CACHE_HOME', 'SSE3_KEY']) delete base[name];
  const { node24, bin } = installed();
  const r = await runProgram([node24, bin, ...args],
    { env: { ...base, HOME: m.home, TMPDIR: m.shared, SSE3_HOME: join(m.home, 'sse3'), ...env } });
  // Not quoted in the message: the planted code printed a key.
  assert.ok(!`${r.stdout}${r.stderr}`.includes(MARKER), `the other user's code ran in sse3 ${args.join(' ')}`);
  assertNoSecrets(r.stdout, `stdout of sse3 ${args.join(' ')}`);
  assertNoSecrets(r.stderr, `stderr of sse3 ${args.join(' ')}`);
  return r;
}

/** Files below a folder (relative paths), or [] when it does not exist. */
const filesBelow = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

/**
 * sse3 keeps one cache, of the Node and the bundle it runs (a folder named after both), and Node's version tag folder
 * in it holds at least one entry. Returns that folder's name.
 */
function assertCacheUsed(folder: string): string {
  const ours = readdirSync(folder);
  assert.equal(ours.length, 1, `one cache in ${folder}: ${ours.join(', ')}`);
  const tags = readdirSync(join(folder, ours[0]));
  assert.equal(tags.length, 1, `one Node version's cache in ${join(folder, ours[0])}`);
  assert.ok(readdirSync(join(folder, ours[0], tags[0])).length > 0, `sse3 wrote its compile cache to ${folder}`);
  return ours[0];
}

test('a compile cache another user planted in the shared temporary folder never runs in sse3',
  { skip: needsOtherUser, timeout: 120_000 }, async (t) => {
    const m = newMachine(t);
    // The other user plants, for this uid, code that prints SSE3_KEY in place of the CLI and of the completer.
    const { node24, attack, bundle } = installed();
    const planted = await runProgram([...AS_OTHER, node24, attack, m.shared, String(process.getuid!()), MARKER,
      'SSE3_KEY', join(bundle, 'cli.js'), join(bundle, 'complete.js')], { env: { PATH: process.env.PATH } });
    assert.equal(planted.code, 0, planted.stderr);
    const attackerFolder = planted.stdout.trim();
    const before = filesBelow(join(m.shared, 'node-compile-cache'));
    assert.equal(readdirSync(attackerFolder).length, 2, 'the other user planted two entries');

    const key = randomBytes(32);
    rememberSecret(key);
    const keys = await victim(m, ['keys'], { SSE3_KEY: key.toString('base64') });
    assert.equal(keys.code, 0, keys.stderr);
    assert.match(keys.stdout, /env:SSE3_KEY/);
    const completed = await victim(m, ['__complete', 'bash', 'sse3 ge'], { SSE3_KEY: key.toString('base64') });
    assert.equal(completed.code, 0, completed.stderr);
    assert.deepEqual(completed.stdout.trim().split('\n'), ['get']);

    assert.deepEqual(filesBelow(join(m.shared, 'node-compile-cache')), before, 'sse3 wrote nothing into the other user\'s folder');
    // sse3's own cache: ~/.cache/sse3, private to the user.
    const own = join(m.home, '.cache', 'sse3');
    const st = lstatSync(own);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, process.getuid!());
    assertCacheUsed(join(own, 'compile-cache'));
  });

test('the compile cache is kept under XDG_CACHE_HOME when it is set', { timeout: 60_000 }, async (t) => {
  const m = newMachine(t);
  const xdg = join(m.dir, 'xdg-cache');
  const r = await victim(m, ['--help'], { XDG_CACHE_HOME: xdg });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: sse3 /);
  assert.equal(lstatSync(join(xdg, 'sse3')).mode & 0o777, 0o700);
  assertCacheUsed(join(xdg, 'sse3', 'compile-cache'));
  assert.deepEqual(filesBelow(join(m.shared, 'node-compile-cache')), [], 'nothing in the shared temporary folder');
  assert.ok(!existsSync(join(m.home, '.cache')), 'nothing in ~/.cache');
});

test('a cache folder others can write to, owned by another user or that is a symbolic link: sse3 starts without a cache',
  { skip: needsOtherUser, timeout: 120_000 }, async (t) => {
    const m = newMachine(t);
    const elsewhere = join(m.dir, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    const cases: Array<[string, (folder: string) => void]> = [
      ['group- and world-writable', (folder) => { mkdirSync(folder); chmodSync(folder, 0o777); }],
      ['group-writable', (folder) => { mkdirSync(folder); chmodSync(folder, 0o770); }],
      ['owned by another user', (folder) => { mkdirSync(folder, { mode: 0o700 }); chownSync(folder, OTHER, OTHER); }],
      ['a symbolic link to a private folder', (folder) => symlinkSync(elsewhere, folder)],
    ];
    for (const [what, make] of cases) {
      const xdg = join(m.dir, `xdg-${what.replace(/\W+/g, '-')}`);
      mkdirSync(xdg, { mode: 0o700 });
      make(join(xdg, 'sse3'));
      const r = await victim(m, ['--version'], { XDG_CACHE_HOME: xdg });
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), VERSION, what);
      const r2 = await victim(m, ['__complete', 'bash', 'sse3 ge'], { XDG_CACHE_HOME: xdg });
      assert.equal(r2.code, 0, `${what}: ${r2.stderr}`);
      assert.deepEqual(filesBelow(join(xdg, 'sse3')), [], `${what}: nothing written into it`);
      assert.deepEqual(filesBelow(elsewhere), [], `${what}: nothing written through it`);
      assert.deepEqual(filesBelow(join(m.shared, 'node-compile-cache')), [], `${what}: no cache in the shared temporary folder either`);
      assert.ok(!existsSync(join(m.home, '.cache')), `${what}: nor in ~/.cache`);
    }
  });

/** A Node binary scripts/test.sh installed for these tests. */
function nodeFromTestScript(variable: 'SSE3_TEST_NODE_TOO_OLD' | 'SSE3_TEST_NODE_OLDEST' | 'SSE3_TEST_NODE24'): string {
  const node = process.env[variable];
  assert.ok(node, `${variable} is not set: run the tests through scripts/test.sh (it installs that Node)`);
  return node;
}

/** bin/sse3.js run as a user types it, through its #! line (/usr/bin/env node), with `node` on PATH being `node`. */
function typed(node: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProgramResult> {
  return runProgram([BIN, ...args], { env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}`, ...env } });
}

test('on a Node.js older than sse3 needs, sse3 says in one line which version it needs and exits 1, whatever the command',
  { timeout: 60_000 }, async () => {
    const old = nodeFromTestScript('SSE3_TEST_NODE_TOO_OLD');
    const oldVersion = execFileSync(old, ['--version']).toString().trim().replace(/^v/, '');
    const dir = tempDir('sse3-old-node-');
    for (const args of [['--version'], ['__complete', 'bash', 'sse3 ge'], ['keys'], ['get', 's3://bucket/key', join(dir, 'out')]]) {
      const r = await typed(old, args, { SSE3_HOME: join(dir, 'home'), XDG_CACHE_HOME: join(dir, 'cache') });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
      assert.match(r.stderr, /^error: sse3 needs Node\.js 22\.13 or newer, and \S+ is Node\.js (\S+): install Node\.js 24 LTS \(or 22\.13\+\) and run sse3 with it\n$/,
        args.join(' '));
      assert.ok(r.stderr.includes(`Node.js ${oldVersion}:`), `the message names the Node it ran on: ${r.stderr}`);
    }
    assert.deepEqual(filesBelow(dir), [], 'nothing made: no home, no cache, no output file');
  });

test('the oldest Node.js sse3 accepts is the one package.json\'s engines names, and it runs sse3', { timeout: 60_000 }, async () => {
  const oldest = nodeFromTestScript('SSE3_TEST_NODE_OLDEST');
  const engines = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;
  const refused = await typed(nodeFromTestScript('SSE3_TEST_NODE_TOO_OLD'), ['--version']);
  const needed = /needs Node\.js (\S+) or newer/.exec(refused.stderr)?.[1];
  assert.equal(engines, `>=${needed}`, 'the launcher and package.json name the same oldest Node');
  assert.equal(execFileSync(oldest, ['--version']).toString().trim(), `v${needed}.0`);
  const dir = tempDir('sse3-oldest-node-');
  const r = await typed(oldest, ['--version'], { XDG_CACHE_HOME: join(dir, 'cache') });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), VERSION);
  assert.equal(r.stderr, '');
});

test('the compile cache of another Node or of an older install of sse3 is removed when sse3 first starts with a new one',
  { timeout: 60_000 }, async (t) => {
    const dir = tempDir('sse3-cache-prune-');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const caches = join(dir, 'cache', 'sse3', 'compile-cache');
    // What Node itself made there before sse3 kept a folder per Node and bundle.
    mkdirSync(join(caches, 'v24.0.0-x64-0a1b2c3d-0'), { recursive: true });
    writeFileSync(join(caches, 'v24.0.0-x64-0a1b2c3d-0', 'stale'), 'old compiled code');
    const help = async (node: string) => {
      const r = await typed(node, ['--help'], { XDG_CACHE_HOME: join(dir, 'cache'), SSE3_HOME: join(dir, 'home') });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: sse3 /);
    };
    await help(nodeFromTestScript('SSE3_TEST_NODE_OLDEST'));
    const under22 = assertCacheUsed(caches);
    assert.match(under22, /^v22\.13\.0-/);
    await help(nodeFromTestScript('SSE3_TEST_NODE24'));
    const under24 = assertCacheUsed(caches);
    assert.match(under24, /^v24\./);
    // The same Node and bundle again: the same cache, used as it is.
    await help(nodeFromTestScript('SSE3_TEST_NODE24'));
    assert.equal(assertCacheUsed(caches), under24);
    // A new install replaces dist/bundle: its files, and so the folder's time, are new.
    const bundle = new URL('../../../dist/bundle', import.meta.url).pathname;
    const { atime, mtime } = statSync(bundle);
    t.after(() => utimesSync(bundle, atime, mtime));
    utimesSync(bundle, atime, new Date(mtime.getTime() + 60_000));
    await help(nodeFromTestScript('SSE3_TEST_NODE24'));
    assert.notEqual(assertCacheUsed(caches), under24);
  });
