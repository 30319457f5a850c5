// Human output (no --json), for every command, on success and on failure: results and ✓ lines on stdout; ✗ lines,
// summaries, "nothing to do" and errors on stderr; -q drops ✓ lines and summaries, never a result or a failure; a
// failure line names its object once; a batch stopped by a signal ends with the one interruption line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient, type Home, makeKeyFile, newBucket, newHome, ok, overwriteEncrypted, putData, run, type RunResult, start,
  waitFor,
} from './harness.js';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const FAILURE = /^✗ /;

/**
 * One command run twice, without and with -q. `args` gets whether -q is on, for commands that need a fresh target each
 * run. out: what every stdout line is; kept: whether those lines are results (-q keeps them) or ✓ lines (-q drops
 * them). failures: the ✗ lines on stderr, each naming its object once (`names`). notes: summaries and "nothing to do"
 * lines on stderr, which -q drops. A failing command says `error:` on stderr, never on stdout.
 */
interface Case {
  args: (quiet: boolean) => string[];
  code: number;
  out?: RegExp;
  kept?: boolean;
  failures?: Array<{ line: RegExp; names: string }>;
  notes?: RegExp[];
}

function checkPlacement(c: Case, r: RunResult, quiet: boolean): void {
  const what = `sse3 ${c.args(quiet).join(' ')}${quiet ? ' -q' : ''}`;
  const detail = `${what}\n--- stdout\n${r.out}--- stderr\n${r.stderr}`;
  assert.equal(r.code, c.code, detail);
  const out = lines(r.out);
  const err = lines(r.stderr);
  assert.ok(!out.some((l) => FAILURE.test(l) || /^(error|hint|warning):/.test(l)), `no failure, error or warning on stdout: ${detail}`);
  if (c.out && (!quiet || c.kept)) {
    assert.ok(out.length > 0, `its results on stdout: ${detail}`);
    for (const l of out) assert.match(l, c.out, detail);
  } else {
    assert.deepEqual(out, [], `nothing on stdout: ${detail}`);
  }
  const failed = err.filter((l) => FAILURE.test(l));
  assert.equal(failed.length, c.failures?.length ?? 0, `its ✗ lines on stderr: ${detail}`);
  for (const f of c.failures ?? []) {
    const line = failed.find((l) => f.line.test(l));
    assert.ok(line, `${f.line} on stderr: ${detail}`);
    assert.equal(line.split(f.names).length - 1, 1, `the failure line names ${f.names} once: ${line}`);
  }
  for (const note of c.notes ?? []) {
    if (quiet) assert.ok(!err.some((l) => note.test(l)), `-q drops ${note}: ${detail}`);
    else assert.ok(err.some((l) => note.test(l)), `${note} on stderr: ${detail}`);
  }
  if (quiet) assert.ok(!err.some((l) => /^✓ /.test(l)) && !out.some((l) => /^✓ /.test(l)), `-q drops ✓ lines: ${detail}`);
  if (c.code !== 0) assert.match(r.stderr, /^error: /m, detail);
}

async function checkCase(home: Home, c: Case): Promise<void> {
  const plain = await run(c.args(false), { home });
  checkPlacement(c, plain, false);
  const quiet = await run([...c.args(true), '-q'], { home });
  checkPlacement(c, quiet, true);
  // -q never hides a failure: the same ✗ lines and the same error.
  const failuresOf = (r: RunResult) => lines(r.stderr).filter((l) => FAILURE.test(l) || /^error: /.test(l)).sort();
  assert.deepEqual(failuresOf(quiet), failuresOf(plain), `${c.args(true).join(' ')}: -q keeps every failure`);
}

test('every command: results and ✓ lines on stdout, ✗ lines, summaries and errors on stderr; -q keeps results and failures',
  { timeout: 300_000 }, async () => {
    const home = newHome();
    const work = join(home.dir, 'work');
    const bucket = await newBucket('streams');
    const key = await makeKeyFile(home, 'k.key');
    const other = await makeKeyFile(home, 'other.key');
    // A key sse3 does not find by itself: what it encrypted fails without --key.
    const away = await makeKeyFile(home, 'away.key', { inKeyDir: false });
    const b = `s3://${bucket}`;
    for (const name of ['a.txt', 'b.txt']) await putData(home, `${b}/set/${name}`, randomBytes(100), key.ref);
    await putData(home, `${b}/set/away.txt`, randomBytes(100), away.ref);
    // The home remembers the file a key was used from: removed, the key is nowhere sse3 looks.
    rmSync(away.path);
    for (const name of ['fine/one', 'gone/two', 'rm/plain-1', 'rm/plain-2', 'rm/quiet-1', 'rm/quiet-2', 'rm/r-plain/x', 'rm/r-quiet/x']) {
      await putData(home, `${b}/${name}`, randomBytes(30), key.ref);
    }
    const s3 = await import('@aws-sdk/client-s3');
    await (await adminClient()).send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: 'gone/two' }));
    // Written by another S3 client under a key sse3 has nowhere: adopt finds no key for it.
    await overwriteEncrypted(bucket, 'foreign/x', randomBytes(40), randomBytes(32));
    writeFileSync(join(work, 'f'), randomBytes(64));
    writeFileSync(join(work, 'import.key'), randomBytes(32));
    mkdirSync(join(work, 'up'));
    writeFileSync(join(work, 'up', 'u1'), randomBytes(10));
    writeFileSync(join(work, 'manifest.json'), (await ok(['manifest', 'export'], { home })).out);
    const q = (quiet: boolean) => (quiet ? 'q' : 'p');
    const NO_KEY = { line: /✗ .*away\.txt.*(needs the key|key)/, names: `${b}/set/away.txt` };

    const cases: Case[] = [
      // Keys.
      { args: (x) => ['keygen', `file:${join(home.dir, `new-${q(x)}.key`)}`], code: 0, out: /^(✓ new key |  )/ },
      { args: () => ['keygen', key.ref], code: 3 },
      // The keychain (shared by the tests that run at once) may add entries of its own.
      { args: () => ['keys'], code: 0, out: /^(file|keychain):\S+ +[0-9a-f]{20} /, kept: true },
      { args: (x) => ['keys', 'import', `file:${join(home.dir, `imp-${q(x)}.key`)}`, '--from', 'import.key'], code: 0,
        out: /^(✓ imported key |  )/ },
      { args: () => ['keys', 'import', `file:${join(home.dir, 'never.key')}`, '--from', 'no-such-file'], code: 1 },
      { args: () => ['keys', 'usage', b], code: 0, out: /[0-9a-f]{20}|object version\(s\)|no sse3-fp tag/, kept: true },
      { args: () => ['keys', 'usage', key.fingerprint, `${b}/set/`], code: 0, out: /^s3:\/\//, kept: true,
        notes: [/^key [0-9a-f]{20} is needed by 2 object/] },
      // Single objects.
      { args: (x) => ['put', 'f', `${b}/put/${q(x)}`, '--key', key.ref], code: 0, out: /^✓ put / },
      { args: () => ['put', 'no-such-file', `${b}/put/never`, '--key', key.ref], code: 1 },
      { args: (x) => ['get', `${b}/set/a.txt`, `got-${q(x)}`], code: 0, out: /^✓ get / },
      { args: (x) => ['get', `${b}/set/away.txt`, `never-${q(x)}`], code: 3 },
      { args: () => ['head', `${b}/set/a.txt`], code: 0, out: /^(s3:\/\/|  )/, kept: true },
      { args: () => ['head', `${b}/set/nothing-here`], code: 1 },
      { args: (x) => ['cp', 'f', `${b}/cp/${q(x)}`, '--key', key.ref], code: 0, out: /^✓ put / },
      { args: () => ['ls', `${b}/set/`], code: 0, out: /sse-c/, kept: true },
      { args: () => ['ls', 's3://no-such-bucket-here'], code: 1 },
      { args: (x) => ['rm', `${b}/rm/${x ? 'quiet-1' : 'plain-1'}`], code: 0, out: /^✓ deleted /, notes: [/^1 deleted, 0 failed$/] },
      { args: () => ['rm', '--dry-run', '-r', `${b}/rm/`], code: 0, out: /^\(dry run\) would delete /, kept: true,
        notes: [/^dry run: \d+ object version\(s\) would be deleted/] },
      { args: (x) => ['rm', '-r', '--yes', `${b}/rm/r-${x ? 'quiet' : 'plain'}/`], code: 0, out: /^✓ deleted /, notes: [/^1 deleted, 0 failed$/] },
      { args: () => ['rm', '-r', '--yes', `${b}/nothing/`], code: 0, notes: [/^nothing to delete under /] },
      // Batches: the ✓ lines of what went well on stdout, a ✗ line for what did not on stderr, the summary on stderr.
      { args: (x) => ['cp', '-r', `${b}/set/`, `down-${q(x)}`], code: 3, out: /^✓ s3:\/\/.*(a|b)\.txt → /, failures: [NO_KEY],
        notes: [/^2 ok, 1 failed/] },
      { args: (x) => ['cp', '-r', 'up', `${b}/up-${q(x)}/`, '--key', key.ref], code: 0, out: /^✓ .*u1 → /, notes: [/^1 ok, 0 failed/] },
      { args: () => ['cp', '-r', `${b}/nothing/`, 'down-none'], code: 0, notes: [/^nothing under .* to copy/] },
      { args: (x) => ['sync', `${b}/set/`, `sync-${q(x)}`], code: 3, out: /^✓ download /, failures: [NO_KEY], notes: [/ 1 failed, /] },
      { args: () => ['sync', '--dry-run', 'up', `${b}/sync-up/`, '--key', key.ref], code: 0, out: /^· would upload /, kept: true,
        notes: [/^dry run, nothing changed/] },
      { args: () => ['verify', `${b}/fine/`], code: 0, out: /^✓ OK /, notes: [/^1 object version\(s\) checked: 1 OK, 0 not OK$/] },
      { args: () => ['verify', `${b}/gone/`], code: 1, failures: [{ line: /^✗ object missing +s3:\/\//, names: `${b}/gone/two` }],
        notes: [/^1 object version\(s\) checked: 0 OK, 1 not OK$/] },
      { args: () => ['verify', `${b}/nothing/`], code: 0, notes: [/nothing to verify$/] },
      { args: () => ['adopt', `${b}/foreign/`], code: 3, failures: [{ line: /^✗ no key +s3:\/\//, names: `${b}/foreign/x` }],
        notes: [/0 adopted, 0 already known, 0 plain, 1 without a key here/] },
      { args: () => ['adopt', `${b}/fine/`], code: 0, out: /^= known /, notes: [/0 adopted, 1 already known/] },
      { args: () => ['rotate', `${b}/set/a.txt`, '--to', other.ref], code: 0, out: /^(✓ (rotated|s3:\/\/.* already rotated)|  )/ },
      { args: () => ['rotate', '-r', `${b}/set/`, '--to', other.ref], code: 3, out: /^(✓ (rotated|s3:\/\/.* already rotated))/,
        failures: [NO_KEY], notes: [/^2 ok, 1 failed/] },
      { args: () => ['rotate', '-r', `${b}/nothing/`, '--to', other.ref], code: 0, notes: [/^nothing under .* to rotate/] },
      // The manifest.
      { args: () => ['manifest', 'list', `${b}/set/`], code: 0, out: /^s3:\/\/.* key [0-9a-f]{20} /, kept: true },
      { args: () => ['manifest', 'list', `${b}/nothing/`], code: 0, notes: [/^the manifest has no entries under /] },
      { args: () => ['manifest', 'export'], code: 0, out: /./, kept: true },
      { args: () => ['manifest', 'import', 'manifest.json'], code: 0, out: /^✓ imported / },
      { args: () => ['manifest', 'import', 'no-such-file.json'], code: 1 },
      { args: () => ['manifest', 'alias'], code: 0, notes: [/^no endpoint aliases$/] },
      { args: () => ['manifest', 'rebuild', b], code: 0, out: /^✓ rebuilt / },
      { args: () => ['manifest', 'pull', b], code: 0, out: /^✓ pulled / },
      { args: () => ['manifest', 'pull', 's3://no-such-bucket-here'], code: 1 },
      { args: () => ['completion', 'bash'], code: 0, out: /./, kept: true },
    ];
    for (const c of cases) await checkCase(home, c);
  });

test('get -: the data alone on stdout; its ✓ line on stderr, which -q drops', async () => {
  const home = newHome();
  const bucket = await newBucket('streams-data');
  const key = await makeKeyFile(home, 'k.key');
  const data = randomBytes(500);
  await putData(home, `s3://${bucket}/d`, data, key.ref);
  const plain = await ok(['get', `s3://${bucket}/d`, '-'], { home });
  assert.deepEqual(plain.stdout, data);
  assert.match(plain.stderr, /^✓ get s3:\/\/.* → stdout /m);
  const quiet = await ok(['get', `s3://${bucket}/d`, '-', '-q'], { home });
  assert.deepEqual(quiet.stdout, data);
  assert.equal(quiet.stderr, '');
});

// A batch stopped by Ctrl-C or SIGTERM: the one interruption line and the signal's status, whatever was in flight.
for (const [signal, code, said, command] of [['SIGINT', 130, 'interrupted', 'cp'], ['SIGTERM', 143, 'terminated (SIGTERM)', 'sync']] as const) {
  test(`${command} stopped with ${signal} mid-run: "${said}; nothing partial was kept", exit ${code}, no line per item cut short`,
    async () => {
      const home = newHome();
      const bucket = await newBucket('streams-stop');
      const key = await makeKeyFile(home, 'k.key');
      const dir = join(home.dir, 'work', 'many');
      mkdirSync(dir);
      const count = 400;
      for (let i = 0; i < count; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}`), randomBytes(2000 + i));
      const args = command === 'cp' ? ['cp', '-r', 'many', `s3://${bucket}/p/`] : ['sync', 'many', `s3://${bucket}/p/`];
      const running = start([...args, '--key', key.ref], { home });
      await waitFor('20 files copied', () => lines(running.stdoutSoFar()).length >= 20 || running.child.exitCode !== null, 60_000);
      running.child.kill(signal);
      const { code: status, out, stderr: err } = await running.done;
      assert.equal(status, code, err);
      assert.ok(lines(out).length < count, `stopped mid-run (${lines(out).length} of ${count} done)`);
      for (const l of lines(out)) assert.match(l, /^✓ /);
      assert.equal(err, `error: ${said}; nothing partial was kept\n`, 'the one interruption line, nothing per item cut short');
    });
}
