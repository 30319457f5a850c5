// sse3 in a pipe whose reader stops early (sse3 ls | head -2): it ends quietly, as git or cat does, with exit 141.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestStore, newEntry } from '../../src/manifest/store.js';
import { BIN, type Home, makeKeyFile, newBucket, newHome, ok, putData, requireEnv, type RunResult, scannedResult, waitFor } from './harness.js';
import { haveTmux, Tmux } from './tmux.js';

/** 128 + SIGPIPE (13): what a shell reports for git or cat stopped by a reader that went away. */
const READER_CLOSED = 141;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * `sse3 ARGS | READER` run by bash, with the exit status of sse3 itself (PIPESTATUS) and what the reader printed.
 * With `closedFirst`, the reader (a real head, taking nothing) has exited before sse3 starts, through a FIFO: the
 * first thing sse3 writes meets a pipe nobody reads, whatever the size of its output.
 */
function piped(home: Home, args: string[], reader: string, opts: { closedFirst?: boolean } = {})
  : Promise<RunResult & { read: Buffer }> {
  const dir = home.dir;
  const script = opts.closedFirst
    ? `mkfifo "$D/fifo"; ${reader} < "$D/fifo" > "$D/read" & exec 3> "$D/fifo"; wait $!; ` +
      `"$NODE" "$SSE3" "$@" 2> "$D/err" >&3; echo $? > "$D/status"`
    : `"$NODE" "$SSE3" "$@" 2> "$D/err" | ${reader} > "$D/read"; echo "\${PIPESTATUS[0]}" > "$D/status"`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', ...args], { cwd: join(dir, 'work'), stdio: 'ignore',
      env: { ...process.env, ...home.env, D: dir, NODE: process.execPath, SSE3: BIN } });
    child.on('error', reject);
    child.on('close', () => {
      try {
        const read = readFileSync(join(dir, 'read'));
        const r = scannedResult(args, Number(readFileSync(join(dir, 'status'), 'utf8')), null, read,
          readFileSync(join(dir, 'err'), 'utf8'));
        resolve({ ...r, read });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Nothing but the FIFO and the captured streams beside the work folder, and nothing in it: no temporary file is left. */
function assertNothingLeft(home: Home, expectedWork: string[] = []): void {
  assert.deepEqual(readdirSync(join(home.dir, 'work')).sort(), expectedWork.sort(), 'no temporary file left in the work folder');
  const parts = readdirSync(home.dir, { recursive: true }).map(String).filter((f) => f.endsWith('.part'));
  assert.deepEqual(parts, [], 'no temporary file left anywhere in the home');
}

test('a reader that closed the pipe ends every command quietly: no stack, no error line, exit 141', async () => {
  const home = newHome();
  const bucket = await newBucket('pipe');
  const key = await makeKeyFile(home, 'pipe.key');
  for (const name of ['a.txt', 't/b.txt', 't/c.txt']) await putData(home, `s3://${bucket}/${name}`, randomBytes(100), key.ref);
  const commands = [['ls', '-r', `s3://${bucket}`], ['ls', '--json', `s3://${bucket}/`], ['ls'], ['manifest', 'list'],
    ['manifest', 'export'], ['verify'], ['verify', '--json'], ['head', `s3://${bucket}/a.txt`], ['help', 'put'], ['--help'],
    ['keys'], ['completion', 'bash'], ['get', `s3://${bucket}/a.txt`, '-'], ['cat', `s3://${bucket}/a.txt`]];
  for (const args of commands) {
    const r = await piped(home, args, 'head -c 0', { closedFirst: true });
    assert.equal(r.stderr, '', `sse3 ${args.join(' ')} | head: nothing on stderr (no stack, no error line)`);
    assert.equal(r.code, READER_CLOSED, `sse3 ${args.join(' ')} | head`);
  }
  assertNothingLeft(home);
  // The manifest is whole, and still knows every object.
  const rows = (await ok(['manifest', 'list', '--json'], { home })).out.split('\n').filter((l) => l.includes('"key"'));
  assert.equal(rows.length, 3);
});

test('get … - | head -c 1000: the first 1000 bytes, then a quiet exit 141, nothing half-written left behind', async () => {
  const home = newHome();
  const bucket = await newBucket('pipe');
  const key = await makeKeyFile(home, 'pipe.key');
  // Far more than a pipe holds: sse3 is still writing when head has had its 1000 bytes and gone.
  const data = randomBytes(6 * 1024 * 1024);
  await putData(home, `s3://${bucket}/big.bin`, data, key.ref);
  for (const args of [['get', `s3://${bucket}/big.bin`, '-'], ['cat', `s3://${bucket}/big.bin`]]) {
    const r = await piped(home, args, 'head -c 1000');
    assert.equal(r.read.length, 1000);
    assert.ok(r.read.equals(data.subarray(0, 1000)), 'head got the object\'s first 1000 bytes');
    assert.equal(r.stderr, '', 'no stack, no error line');
    assert.equal(r.code, READER_CLOSED);
    assertNothingLeft(home);
  }
  // A download to a file beside it is untouched by what happened to the pipe.
  const back = await ok(['get', `s3://${bucket}/big.bin`, 'back.bin', '--json'], { home });
  assert.equal(back.json().verified, true);
  assert.equal(sha(readFileSync(join(home.dir, 'work', 'back.bin'))), sha(data));
});

test('manifest list | head -3 over thousands of rows: three lines, a quiet exit 141', async () => {
  const home = newHome();
  const m = new ManifestStore(join(home.dir, 'home', 'manifest.db'));
  m.deferRecords(5000, 1000);
  for (let i = 0; i < 5000; i++) {
    m.record(newEntry({ endpoint: 'https://s3.example.com', bucket: 'many', key: `photos/${i}.jpg` },
      { fingerprint: randomBytes(10).toString('hex'), size: i, sha256: randomBytes(32).toString('hex'), etag: randomBytes(16).toString('hex') }));
  }
  m.close();
  const r = await piped(home, ['manifest', 'list'], 'head -3');
  assert.equal(r.read.toString().split('\n').filter(Boolean).length, 3);
  assert.equal(r.stderr, '');
  assert.equal(r.code, READER_CLOSED);
  const e = await piped(home, ['manifest', 'export'], 'head -c 100');
  assert.equal(e.read.length, 100);
  assert.deepEqual([e.stderr, e.code], ['', READER_CLOSED]);
});

test('on a terminal: get … - | head -c 1000 with its progress bar ends quietly, exit 141, the cursor shown again',
  { skip: !haveTmux && 'tmux not installed', timeout: 120_000 }, async () => {
    const home = newHome();
    const bucket = await newBucket('pipe');
    const key = await makeKeyFile(home, 'pipe.key');
    await putData(home, `s3://${bucket}/big.bin`, randomBytes(24 * 1024 * 1024), key.ref);
    const env = { AWS_ENDPOINT_URL: requireEnv('AWS_ENDPOINT_URL'), AWS_CA_BUNDLE: requireEnv('AWS_CA_BUNDLE'),
      AWS_ACCESS_KEY_ID: requireEnv('AWS_ACCESS_KEY_ID'), AWS_SECRET_ACCESS_KEY: requireEnv('AWS_SECRET_ACCESS_KEY'),
      AWS_REGION: 'us-east-1', TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin', SSE3_HOME: home.env.SSE3_HOME! };
    // The shell waits for a line that never comes after the command: the pane, and its screen, stay until close().
    const tmux = new Tmux(['bash', '--norc', '--noprofile', '-c', `"${process.execPath}" "${BIN}" get s3://${bucket}/big.bin - ` +
      `| head -c 1000 > first.bin; echo "EXIT=\${PIPESTATUS[0]}"; read -r _`], { env, cwd: join(home.dir, 'work'), width: 120, height: 20 });
    try {
      let screen = '';
      await waitFor('the pipeline to end', () => /EXIT=\d+/.test(screen = tmux.screen()), 60_000);
      assert.match(screen, /EXIT=141/);
      assert.doesNotMatch(screen, /error|EPIPE|at .*\.js/i, `nothing but the exit status on the terminal:\n${screen}`);
      assert.ok(tmux.cursorVisible(), 'the cursor the progress bar hid is shown again');
      assert.equal(readFileSync(join(home.dir, 'work', 'first.bin')).length, 1000);
    } finally {
      await tmux.close();
    }
  });
