// Shell completion as a user meets it: a real bash/zsh/fish in tmux, TAB pressed, screen read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestStore } from '../../src/manifest/store.js';
import { randomBytes } from 'node:crypto';
import { BIN, packagesLoaded, rememberSecret, rememberSecretText, run, tempDir, waitFor } from './harness.js';
import { haveTmux, Tmux } from './tmux.js';

const COMPLETIONS = new URL('../../../completions/', import.meta.url).pathname;
const has = (bin: string) => ['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(join(d, bin)));

/**
 * A private SSE3_HOME with a manifest of a few objects, a key folder, and sse3 on PATH — behind a script that writes
 * down the arguments of every call (one line each, in `calls`) before it runs sse3.
 */
function fixture() {
  const dir = tempDir('sse3-compl-');
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  mkdirSync(bin);
  writeFileSync(join(bin, 'sse3'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(join(bin, 'sse3'), 0o755);
  const m = new ManifestStore(join(home, 'manifest.db'));
  for (const key of ['photos/2026/a.jpg', 'photos/2026/b.jpg', 'photos/readme.txt', 'db.dump']) {
    m.record({ endpoint: 'https://127.0.0.1:8443', bucket: 'backups', key, versionId: '', fingerprint: 'f'.repeat(20), size: 1,
      sha256: 'a'.repeat(64), etag: 'e', createdAt: new Date().toISOString() });
  }
  // Names with spaces and characters a shell treats specially, under another key.
  for (const key of ['my file.txt', 'my photos/a b.jpg', "it's (1).txt"]) {
    m.record({ endpoint: 'https://127.0.0.1:8443', bucket: 'backups', key, versionId: '', fingerprint: '0a1b2c3d4e5f60718293', size: 1,
      sha256: 'a'.repeat(64), etag: 'e', createdAt: new Date().toISOString() });
  }
  m.record({ endpoint: 'https://127.0.0.1:8443', bucket: 'archive', key: 'x', versionId: '', fingerprint: 'f'.repeat(20), size: 1,
    sha256: 'a'.repeat(64), etag: 'e', createdAt: new Date().toISOString() });
  m.close();
  mkdirSync(join(dir, 'work'));
  writeFileSync(join(dir, 'work', 'report-2026.pdf'), 'x');
  writeFileSync(join(dir, 'work', 'my report.pdf'), 'x');
  return { dir, home, bin, calls, work: join(dir, 'work') };
}

function rememberKeyFile(path: string): void {
  rememberSecret(readFileSync(path));
}

/** The prompt every shell below shows (PS1 for bash and zsh, fish_prompt for fish). */
const PROMPT = '$ ';

/** An interactive shell in tmux, as a user at a terminal has it. */
class Shell extends Tmux {
  constructor(shellCommand: string, env: Record<string, string>, cwd: string) {
    super(shellCommand.split(' '), { env, onlyEnv: true, cwd, width: 160, height: 40 });
  }
  async waitFor(re: RegExp, ms = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(`the screen to match ${re}`, () => { last = this.screen(); return re.test(last) && last; }, ms, 50);
    } catch {
      assert.fail(`screen never matched ${re}:\n${last}`);
    }
  }
  async until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
    try {
      await waitFor(what, check, ms, 20);
    } catch {
      assert.fail(`timed out waiting for ${what}; the screen:\n${this.screen()}`);
    }
  }
  /** Clear the screen, and wait until it shows the prompt alone. */
  async clear(): Promise<void> {
    this.keys('clear', 'Enter');
    await this.until('a cleared screen', () => this.screen().trim() === PROMPT.trim() && this.cursor().before === PROMPT);
  }
  /** Type a line, press TAB (twice for a listing), read the screen, then empty the line and clear the screen. */
  async tab(typed: string, expect: RegExp, twice = false): Promise<void> {
    this.keys('-l', typed);
    await this.until(`the shell to echo ${typed}`, () => this.cursor().before.endsWith(typed));
    const typedAt = this.cursor();
    this.keys('Tab');
    if (twice) this.keys('Tab');
    else {
      // A marker typed after the TAB shows whether the shell added a space (finished word) or not (folder, ref prefix):
      // typed once the completion is on the screen (the cursor moved), so the shell reads it after completing.
      await this.until(`the shell to complete ${typed}`, () => this.cursor().at !== typedAt.at);
      this.keys('-l', 'Z');
    }
    await this.waitFor(expect);
    // Ctrl-U empties the line (and ends a completion menu). Keys, not a signal such as Ctrl-C's: read in order even
    // while a completion still runs, never thrown away with an interrupted line.
    this.keys('C-u');
    await this.clear();
  }
}

const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';

const shells: Array<{ name: string; label?: string; bin: string; cmd: string; init: string; needs?: string }> = [
  { name: 'bash', bin: 'bash', cmd: 'bash --norc --noprofile -i', init: `source ${COMPLETIONS}sse3.bash` },
  // As most users have it: the bash-completion package loaded first (its own settings, COMP_WORDBREAKS with ':').
  { name: 'bash', label: 'bash with bash-completion', bin: 'bash', cmd: 'bash --norc --noprofile -i', needs: BASH_COMPLETION,
    init: `source ${BASH_COMPLETION} && source ${COMPLETIONS}sse3.bash` },
  { name: 'zsh', bin: 'zsh', cmd: 'zsh -f -i', init: `autoload -Uz compinit && compinit -u && source ${COMPLETIONS}sse3.zsh` },
  { name: 'fish', bin: 'fish', cmd: 'fish --no-config -i',
    init: `function fish_prompt; printf '${PROMPT}'; end; source ${COMPLETIONS}sse3.fish` },
];

for (const sh of shells) {
  test(`${sh.label ?? sh.name}: TAB completes commands, options, key refs, local files and s3:// paths from the manifest`,
    { skip: (!haveTmux || !has(sh.bin) || (sh.needs !== undefined && !existsSync(sh.needs))) && `${sh.bin}, ${sh.needs ?? 'it'} or tmux not installed`,
      timeout: 90_000 }, async () => {
      const f = fixture();
      // XDG_RUNTIME_DIR: fish keeps its runtime files there, else in the shared /tmp/fish.USER.
      const t = new Shell(sh.cmd, { PATH: `${f.bin}:/usr/bin:/bin`, SSE3_HOME: f.home, HOME: f.dir, XDG_RUNTIME_DIR: f.dir, TERM: 'xterm', PS1: PROMPT,
        SSE3_DEMO_KEY: 'x' }, f.work);
      try {
        // compinit can take many seconds on a busy machine: wait until the shell is back at its prompt.
        t.keys('-l', `${sh.init} && echo sse3-init-done`);
        t.keys('Enter');
        await t.waitFor(/^sse3-init-done/m, 60_000);
        await t.clear();
        await t.tab('sse3 rot', /sse3 rotate Z/);
        await t.tab('sse3 get --version-', /sse3 get --version-id Z/);
        await t.tab('sse3 get s3://back', /sse3 get s3:\/\/backups\/Z/);
        // A word ending in the colon bash splits at: the colon is not doubled.
        await t.tab('sse3 get s3:', /sse3 get s3:\/\/Z/);
        await t.tab('sse3 get --key file:rep', /sse3 get --key file:report-2026\.pdf Z/);
        await t.tab('sse3 get s3://backups/ph', /sse3 get s3:\/\/backups\/photos\/Z/);
        await t.tab('sse3 get s3://backups/photos/2026/', /a\.jpg[\s\S]*b\.jpg/, true);
        await t.tab('sse3 put --key env:SSE3_DE', /sse3 put --key env:SSE3_DEMO_KEY Z/);
        await t.tab('sse3 put --key keych', /sse3 put --key keychain:Z/);
        await t.tab('sse3 put rep', /sse3 put report-2026\.pdf Z/);
        await t.tab('sse3 manifest ', /export[\s\S]*list[\s\S]*rebuild/, true);
        // Names with spaces: escaped as typed, also after a typed "\ " or inside an open quote.
        await t.tab('sse3 get s3://backups/my\\ f', /sse3 get s3:\/\/backups\/my\\ file\.txt Z/);
        await t.tab('sse3 get s3://backups/my\\ p', /sse3 get s3:\/\/backups\/my\\ photos\/Z/);
        await t.tab('sse3 get s3://backups/my\\ photos/a', /sse3 get s3:\/\/backups\/my\\ photos\/a\\ b\.jpg Z/);
        await t.tab("sse3 get 's3://backups/my f", sh.name === 'bash' ? /sse3 get 's3:\/\/backups\/my file\.txt'Z/
          : /sse3 get 's3:\/\/backups\/my file\.txt' Z/);
        await t.tab('sse3 get s3://backups/it', /sse3 get s3:\/\/backups\/it\\'s\\ \\\(1\\\)\.txt Z/);
        await t.tab('sse3 put my\\ r', /sse3 put my\\ report\.pdf Z/);
        await t.tab('sse3 put my', /sse3 put my\\ report\.pdf Z/);
        // rotate --fingerprint offers the fingerprints the manifest records.
        await t.tab('sse3 rotate --fingerprint 0', /sse3 rotate --fingerprint 0a1b2c3d4e5f60718293 Z/);
        await t.tab('sse3 rotate --fingerprint ', /0a1b2c3d4e5f60718293[\s\S]*f{20}/, true);

        // A key typed by mistake goes to sse3 in its environment, never as an argument (ps shows those to every user).
        const secret = randomBytes(24).toString('base64url');
        rememberSecretText(secret);
        const callsBefore = readFileSync(f.calls, 'utf8').split('\n').length;
        t.keys('-l', `sse3 get s3://backups/${secret}`);
        await t.until('the shell to echo the line', () => t.cursor().before.endsWith(secret));
        t.keys('Tab');
        await t.until('sse3 __complete to run', () => readFileSync(f.calls, 'utf8').split('\n').length > callsBefore);
        t.keys('C-u');
        await t.clear();
        const calls = readFileSync(f.calls, 'utf8').trim().split('\n');
        assert.deepEqual([...new Set(calls)], [`__complete ${sh.name}`], 'sse3 was called with no word of the line');
      } finally {
        await t.close();
      }
    });
}

test('sse3 completion prints each shell\'s script; an unknown shell is a usage error', async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await run(['completion', shell]);
    assert.equal(r.code, 0);
    assert.match(r.out, /__complete/);
  }
  const bad = await run(['completion', 'tcsh']);
  assert.equal(bad.code, 2);
});

test('completion answers offline without loading the AWS SDK or Commander; SQLite only for s3:// paths', async () => {
  const f = fixture();
  // An unreachable endpoint: completion must not care.
  const env = { SSE3_HOME: f.home, AWS_ENDPOINT_URL: 'https://127.0.0.1:1' };
  const s3 = await packagesLoaded(['__complete', 'bash', 'sse3 get s3://backups/'], { env });
  assert.equal(s3.result.code, 0);
  assert.deepEqual(s3.result.out.trim().split('\n'), ['s3://backups/db.dump ', "s3://backups/it\\'s\\ \\(1\\).txt ",
    's3://backups/my\\ file.txt ', 's3://backups/my\\ photos/', 's3://backups/photos/'], 'escaped for bash');
  assert.deepEqual(s3.packages, ['node:sqlite']);
  const words = await packagesLoaded(['__complete', 'bash', 'sse3 get --'], { env });
  assert.match(words.result.out, /--version-id/);
  assert.deepEqual(words.packages, []);
});

test('--version, --help and keygen load neither the AWS SDK nor SQLite', async () => {
  const dir = tempDir('sse3-start-');
  for (const args of [['--version'], ['--help'], ['put', '--help'], ['keygen', `file:${join(dir, 'k')}`]]) {
    const { result, packages } = await packagesLoaded(args, { env: { SSE3_HOME: dir } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!packages.some((p) => p.startsWith('@aws-sdk') || p === 'node:sqlite'), `${args.join(' ')} loaded ${packages.join(', ')}`);
  }
  rememberKeyFile(join(dir, 'k'));
});

test('the manual page (man sse3) documents every command and option --help and completion know, and man reads it cleanly',
  { skip: !has('man') && 'man not installed' }, () => {
    const page = new URL('../../man/sse3.1', import.meta.url).pathname;
    const r = spawnSync('man', ['--warnings', '-P', 'cat', '-l', page], { env: { ...process.env, MANWIDTH: '200' } });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stderr.toString(), '', 'no roff warnings');
    const text = r.stdout.toString();
    const spec = JSON.parse(readFileSync(new URL('../../completion-spec.json', import.meta.url), 'utf8')) as Spec;
    const walk = (cmd: Spec, path: string[]): void => {
      for (const o of cmd.options) {
        for (const flag of o.flags) if (flag !== '-h' && flag !== '--help') assert.ok(text.includes(flag), `${path.join(' ')} ${flag}`);
      }
      for (const sub of cmd.commands) {
        assert.match(text, new RegExp(`^ *${[...path, sub.name].join(' ')} `, 'm'), [...path, sub.name].join(' '));
        walk(sub, [...path, sub.name]);
      }
    };
    walk(spec, ['sse3']);
    for (const code of [0, 1, 2, 3, 4, 5, 130, 143]) assert.match(text, new RegExp(`^ *${code}\\b`, 'm'), `exit status ${code}`);
  });

interface Spec { name: string; options: Array<{ flags: string[] }>; commands: Spec[] }
