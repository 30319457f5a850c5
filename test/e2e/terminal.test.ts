// What a person at a terminal sees (through tmux, a real pseudo-terminal) and what a script sees (pipes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, makeKeyFile, newBucket, newHome, ok, requireEnv, run, serverUploads, start, waitFor } from './harness.js';
import { haveTmux, Tmux } from './tmux.js';

const ESC = /\x1b\[/;
/** A command run by bash in a terminal; frames() samples the screen (with colours) until a pattern shows. */
function tmuxRun(command: string, env: Record<string, string>, cwd: string) {
  // After the command, the shell waits for a line that never comes: the pane, and its screen, stay until close().
  const tmux = new Tmux(['bash', '--norc', '--noprofile', '-c', `${command}; echo "EXIT=$?"; read -r _`],
    { env, cwd, width: 150, height: 30 });
  return {
    type: (...keys: string[]) => tmux.keys(...keys),
    async frames(until: RegExp, ms = 60_000): Promise<string[]> {
      const seen: string[] = [];
      try {
        await waitFor(`the screen to show ${until}`, () => {
          seen.push(tmux.screen({ escapes: true }));
          return until.test(seen.at(-1)!);
        }, ms, 50);
      } catch {
        assert.fail(`never saw ${until}:\n${seen.at(-1)}`);
      }
      return seen;
    },
    close: () => tmux.close(),
  };
}

const rgwEnv = () => ({
  AWS_ENDPOINT_URL: requireEnv('AWS_ENDPOINT_URL'), AWS_CA_BUNDLE: requireEnv('AWS_CA_BUNDLE'),
  AWS_ACCESS_KEY_ID: requireEnv('AWS_ACCESS_KEY_ID'), AWS_SECRET_ACCESS_KEY: requireEnv('AWS_SECRET_ACCESS_KEY'),
  AWS_REGION: 'us-east-1', TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin',
});

test('on a terminal: a progress bar with bytes, rate and ETA while putting, a coloured ✓ at the end',
  { skip: !haveTmux && 'tmux not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'tty.key');
    writeFileSync(join(home.dir, 'work', 'big.bin'), randomBytes(48 * 1024 * 1024));
    const t = tmuxRun(`node ${BIN} put big.bin s3://${bucket}/big.bin --key ${key.ref} --part-size 5 --concurrency 1`,
      { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME! }, join(home.dir, 'work'));
    try {
      const frames = await t.frames(/EXIT=\d+/);
      const last = frames.at(-1)!;
      assert.match(last, /EXIT=0/);
      const bar = frames.find((f) => /put big\.bin\s+.*█.*\d+(\.\d+)? MiB\/48\.0 MiB\s+[\d.]+ (MiB|KiB|B)\/s\s+ETA \d+s/.test(f));
      assert.ok(bar, `no progress bar seen in ${frames.length} frames; last:\n${last}`);
      assert.match(last, /\x1b\[32m✓/, 'green ✓ on a colour terminal');
      assert.doesNotMatch(last.split('\n').filter((l) => l.includes('put big.bin ')).join(''), /ETA/, 'the bar is cleared at the end');
    } finally {
      await t.close();
    }
  });

test('on a terminal: red errors, and none with NO_COLOR or --no-color',
  { skip: !haveTmux && 'tmux not installed', timeout: 60_000 }, async () => {
    const home = newHome();
    const cases: Array<[string, Record<string, string>, boolean]> = [['', {}, true], ['', { NO_COLOR: '1' }, false],
      ['--no-color', {}, false]];
    for (const [extra, env, coloured] of cases) {
      const t = tmuxRun(`node ${BIN} get s3://nobucket-x/k out --key env:NOT_SET ${extra}`,
        { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME!, ...env }, join(home.dir, 'work'));
      try {
        const screen = (await t.frames(/EXIT=\d+/)).at(-1)!;
        assert.match(screen, /error:.*NOT_SET is not set/);
        assert.equal(/\x1b\[31m/.test(screen), coloured, `colour with ${extra || JSON.stringify(env)}:\n${screen}`);
      } finally {
        await t.close();
      }
    }
  });

test('piped: no bars, spinners or escape codes; FORCE_COLOR brings colour back', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'p.key');
  writeFileSync(join(home.dir, 'work', 'f'), randomBytes(20 * 1024 * 1024));
  const put = await ok(['put', 'f', `s3://${bucket}/f`, '--key', key.ref], { home });
  assert.doesNotMatch(put.stderr + put.out, ESC);
  assert.equal(put.stderr, '');
  const head = await ok(['head', `s3://${bucket}/f`], { home });
  assert.doesNotMatch(head.stderr + head.out, ESC);
  const forced = await run(['get', 's3://nobucket-x/k', 'o', '--key', key.ref], { home, env: { FORCE_COLOR: '1' } });
  assert.match(forced.stderr, /\x1b\[31merror:/);
  const quiet = await ok(['put', 'f', `s3://${bucket}/g`, '--key', key.ref, '--quiet'], { home });
  assert.equal(quiet.out + quiet.stderr, '');
});

test('errors are one red line and a hint, never a stack trace unless --debug', async () => {
  const home = newHome();
  const r = await run(['get', 's3://bucket/k', 'o', '--key', 'env:NOT_SET_ANYWHERE'], { home });
  assert.equal(r.code, 3);
  assert.deepEqual(r.stderr.trim().split('\n').map((l) => l.split(':')[0]), ['error', 'hint']);
  const d = await run(['get', 's3://bucket/k', 'o', '--key', 'env:NOT_SET_ANYWHERE', '--debug'], { home });
  assert.match(d.stderr, /\n\s+at /, 'a stack with --debug');
});

test('--json errors: one JSON document on stdout with a stable code and the exit status', async () => {
  const home = newHome();
  const r = await run(['get', 's3://bucket/k', 'o', '--key', 'env:NOT_SET_ANYWHERE', '--json'], { home });
  assert.equal(r.code, 3);
  assert.deepEqual(r.json(), { ok: false, error: { code: 'KEY_ENV', message: 'environment variable NOT_SET_ANYWHERE is not set',
    hint: 'export NOT_SET_ANYWHERE with the base64 of a 32-byte key, e.g. from: sse3 keygen file:PATH', exitCode: 3 } });
});

// SIGINT (Ctrl-C) and SIGTERM (a supervisor's stop) abort the same way; the status tells them apart, as shells do.
for (const [signal, code, said] of [['SIGINT', 130, 'interrupted'], ['SIGTERM', 143, 'terminated (SIGTERM)']] as const) {
  test(`${signal} during a get: exit ${code} and no file, partial or temporary, is left`, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'c.key');
    writeFileSync(join(home.dir, 'work', 'big'), randomBytes(64 * 1024 * 1024));
    await ok(['put', 'big', `s3://${bucket}/big`, '--key', key.ref], { home });
    const work = join(home.dir, 'work');
    const get = start(['get', `s3://${bucket}/big`, 'copy'], { home });
    // Interrupt once the temporary file exists (the download is under way).
    await waitFor('the download\'s temporary file', () => readdirSync(work).some((n) => n.endsWith('.part')), 30_000, 5);
    get.child.kill(signal);
    const { code: status, stderr } = await get.done;
    assert.equal(status, code, stderr);
    assert.equal(stderr, `error: ${said}; nothing partial was kept\n`, 'sse3\'s own message only');
    assert.deepEqual(readdirSync(work), ['big']);
  });
}

test('colour is decided per stream: manifest list > file on a terminal writes no escape codes; a terminal stdout gets colour',
  { skip: !haveTmux && 'tmux not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'list.key');
    writeFileSync(join(home.dir, 'work', 'f'), 'data');
    await ok(['put', 'f', `s3://${bucket}/f`, '--key', key.ref], { home });
    const env = { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME! };
    const toFile = tmuxRun(`node ${BIN} manifest list > listed.txt`, env, join(home.dir, 'work'));
    try {
      assert.match((await toFile.frames(/EXIT=\d+/)).at(-1)!, /EXIT=0/);
    } finally {
      await toFile.close();
    }
    const listed = readFileSync(join(home.dir, 'work', 'listed.txt'), 'utf8');
    assert.match(listed, new RegExp(`s3://${bucket}/f .*key ${key.fingerprint}`));
    assert.doesNotMatch(listed, ESC, 'no escape codes in the file, though stderr is a terminal');

    // The other way round: stdout on the terminal, stderr to a file.
    const toTerminal = tmuxRun(`node ${BIN} manifest list 2> err.txt`, env, join(home.dir, 'work'));
    try {
      const screen = (await toTerminal.frames(/EXIT=\d+/)).at(-1)!;
      assert.match(screen, new RegExp(`\x1b\\[[0-9;]*m${key.fingerprint}`), `the fingerprint in colour on the terminal:\n${screen}`);
    } finally {
      await toTerminal.close();
    }
  });

test('Ctrl-C during get -: exit 130, and the message says what went to stdout is incomplete', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'c.key');
  writeFileSync(join(home.dir, 'work', 'big'), randomBytes(64 * 1024 * 1024));
  await ok(['put', 'big', `s3://${bucket}/big`, '--key', key.ref], { home });
  const get = start(['get', `s3://${bucket}/big`, '-'], { home });
  // Interrupt once the first bytes arrived: sse3 handles the signal at its event loop's next turn, and the rest of the
  // 64 MiB cannot come over the network without such turns, so the download is still under way then.
  get.child.stdout!.once('data', () => get.child.kill('SIGINT'));
  const { code, stderr } = await get.done;
  assert.equal(code, 130, stderr);
  assert.equal(stderr, 'error: interrupted; what already went to stdout is incomplete\n');
});

test('Ctrl-C during a multipart put: exit 130, sse3\'s own message only, the upload aborted', async () => {
  const home = newHome();
  const bucket = await newBucket();
  const key = await makeKeyFile(home, 'c.key');
  writeFileSync(join(home.dir, 'work', 'big'), randomBytes(96 * 1024 * 1024));
  const put = start(['put', 'big', `s3://${bucket}/big`, '--key', key.ref, '--part-size', '5'], { home });
  const uploads = async () => (await serverUploads(bucket)).length;
  // Interrupt once parts are going up (the upload exists on the server).
  await waitFor('the multipart upload on the server', async () => (await uploads()) > 0, 60_000, 10);
  put.child.kill('SIGINT');
  const { code, stderr } = await put.done;
  assert.equal(code, 130, stderr);
  assert.equal(stderr, 'error: interrupted; nothing partial was kept\n');
  assert.equal(await uploads(), 0, 'the multipart upload was aborted');
});

test('on a terminal: a spinner ends in a ✓ line and the command exits (the spinner must not hold stdin)',
  { skip: !haveTmux && 'tmux not installed', timeout: 60_000 }, async () => {
    const home = newHome();
    await makeKeyFile(home, 'spin.key');
    const t = tmuxRun(`node ${BIN} keys list`, { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME! }, join(home.dir, 'work'));
    try {
      const screen = (await t.frames(/EXIT=\d+/, 20_000)).at(-1)!;
      assert.match(screen, /EXIT=0/);
      assert.match(screen, /✓.*looking for keys/);
      assert.match(screen, /spin\.key/);
    } finally {
      await t.close();
    }
  });

test('on a terminal: sync shows a line per file above one display of files and bytes done of the total, rate and ETA',
  { skip: !haveTmux && 'tmux not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket();
    const key = await makeKeyFile(home, 'tty.key');
    const src = join(home.dir, 'work', 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(src, 'sub', `f${i}`), randomBytes(1000));
    writeFileSync(join(src, 'big.bin'), randomBytes(40 * 1024 * 1024));
    const t = tmuxRun(`node ${BIN} sync tree s3://${bucket}/p/ --key ${key.ref} --part-size 5 --concurrency 1 --jobs 2`,
      { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME! }, join(home.dir, 'work'));
    try {
      const frames = (await t.frames(/EXIT=\d+/)).map((f) => f.replace(/\x1b\[[0-9;]*m/g, ''));
      const last = frames.at(-1)!;
      assert.match(last, /EXIT=0/);
      const total = frames.find((f) => /total: \d+\/31 files.*[\d.]+ (MiB|KiB|B)\/[\d.]+ MiB\s+[\d.]+ (MiB|KiB|B)\/s\s+ETA \d+s\s+0 unchanged/.test(f)
        && /✓ upload \S+ → s3:\/\/\S+/.test(f));
      assert.ok(total, `no total line below finished files seen in ${frames.length} frames; last:\n${last}`);
      assert.match(last, /31 uploaded, 0 downloaded, 0 deleted, 0 unchanged, 0 failed, 40\.0 MiB/);
      assert.doesNotMatch(last, /total: /, 'the display is cleared at the end');
    } finally {
      await t.close();
    }
  });

test('on a terminal: rm --recursive asks first, showing the count; only yes deletes',
  { skip: !haveTmux && 'tmux not installed', timeout: 60_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('term-rm');
    const key = await makeKeyFile(home, 'k.key');
    for (const name of ['a', 'b', 'c']) {
      writeFileSync(join(home.dir, 'work', name), randomBytes(10));
      await ok(['put', name, `s3://${bucket}/dir/${name}`, '--key', key.ref], { home });
    }
    const env = { ...rgwEnv(), SSE3_HOME: home.env.SSE3_HOME! };
    for (const [answer, remaining] of [['n', 3], ['y', 0]] as const) {
      const t = tmuxRun(`node ${BIN} rm s3://${bucket}/dir --recursive`, env, join(home.dir, 'work'));
      try {
        await t.frames(new RegExp(`delete 3 object version\\(s\\) under s3://${bucket}/dir/\\? \\[y/N\\]`), 20_000);
        t.type(answer, 'Enter');
        const screen = (await t.frames(/EXIT=\d+/, 20_000)).at(-1)!;
        assert.match(screen, /EXIT=0/);
        if (answer === 'n') assert.match(screen, /not confirmed: nothing was deleted/);
        else assert.match(screen, /3 deleted, 0 failed/);
      } finally {
        await t.close();
      }
      // ls of a folder left empty says nothing is there (exit 1, as aws s3 ls).
      const listed = await run(['ls', `s3://${bucket}/dir`, '--json'], { home });
      assert.equal(listed.code, remaining ? 0 : 1, listed.stderr);
      assert.equal(listed.items().length, remaining, `after answering ${answer}`);
    }
  });
