// Nothing typed that looks like a key is ever printed back. A fresh key-shaped value (a 32-character text secret,
// base64, base64url, hex) goes into every argument position and option value of every command — the whole word, an
// s3:// URL's key segment or bucket, a path component, a URL path segment — and the built sse3 runs with it; its stdout,
// stderr and JSON are scanned for the value in every encoding the harness knows. The positions come from the Commander
// program (test/support/key-echo.ts), so a new command or option is swept without being added here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EchoCase, ENCODINGS, type Fillers, FORMS, freshSecret, placed, positions, type Secret, sweepCases } from '../support/key-echo.js';
import { type Home, makeKeyFile, newBucket, newHome, rememberSecret, rememberSecretText, run, workDir } from './support.js';

const remember = (s: Secret) => (Buffer.from(s.value).equals(s.raw) ? rememberSecretText(s.value) : rememberSecret(s.raw));

async function fillers(home: Home, bucket: string): Promise<Fillers> {
  const key = await makeKeyFile(home, 'k.key');
  const work = workDir(home);
  writeFileSync(join(work, 'f'), 'payload');
  mkdirSync(join(work, 'd'));
  writeFileSync(join(work, 'd', 'f'), 'payload');
  return { keyRef: key.ref, newKeyRef: `file:${join(home.dir, 'new.key')}`, file: 'f', folder: 'd', s3: `s3://${bucket}/obj` };
}

/**
 * Runs the cases a few at a time and returns what went wrong in each: the value printed back (the harness's scan
 * fails the run), a crash, or a bug report. Every case is run, so one failure lists them all.
 */
async function sweep(home: Home, cases: EchoCase[], envOf: (i: number) => NodeJS.ProcessEnv, parallel = 12): Promise<string[]> {
  const failures: string[] = [];
  const queue = cases.map((c, i) => ({ c, json: i % 2 === 0, env: envOf(i) }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { c, json, env } = next;
      const args = json ? [...c.args, '--json'] : c.args;
      try {
        const r = await run(args, { home, env, killAfterMs: 60_000 });
        if (r.signal !== null || r.code === null) failures.push(`${c.label}: killed (${r.signal})`);
        else if (/unexpected error/.test(r.stderr)) failures.push(`${c.label}: ${r.stderr.split('\n')[0]}`);
      } catch (e) {
        failures.push(`${c.label}${json ? ' (--json)' : ''}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return failures;
}

test('a key-shaped value in any argument or option of any command is never printed back', { timeout: 1_800_000 }, async (t) => {
  const home = newHome();
  const f = await fillers(home, 'sse3-sweep-bucket');
  const cases = sweepCases(f, remember);
  const count = (pick: (c: EchoCase) => string) => new Set(cases.map(pick)).size;
  t.diagnostic(`${cases.length} runs: ${positions(f).length} positions of ${count((c) => c.args[0])} top-level words × ` +
    `${FORMS.length} forms, ${ENCODINGS.length} encodings`);
  // Nothing is written anywhere. Every other pair of runs goes to a closed port (every command meets its own checks, then
  // "cannot reach"), the rest to the gateway, where the fillers' bucket does not exist (its own answers: no such bucket).
  const closed = { AWS_ENDPOINT_URL: 'https://127.0.0.1:1', AWS_ENDPOINT_URL_S3: undefined };
  const failures = await sweep(home, cases, (i) => (Math.floor(i / 2) % 2 ? closed : {}));
  if (failures.length) assert.fail(`${failures.length} of ${cases.length} runs printed a key-shaped value back or failed:\n${failures.join('\n')}`);
});

test('against the real gateway: a key-shaped value in an s3:// URL is never printed back in what the server answered', {
  timeout: 600_000,
}, async () => {
  const home = newHome();
  const bucket = await newBucket('sweep');
  const f = await fillers(home, bucket);
  // Only the reading commands: a write would store an object under that name, which listings then rightly show.
  const reading = (args: string[]) => !['put', 'cp', 'sync', 'keygen'].includes(args[0]) && !args.includes('import');
  const cases: EchoCase[] = [];
  for (const p of positions(f).filter((p) => /<(src|target|scope|scopes)>$/.test(p.label) && reading(p.args('x')))) {
    for (const encoding of ENCODINGS) {
      for (const form of ['s3-key', 's3-bucket'] as const) {
        const secret = freshSecret(encoding, true);
        remember(secret);
        const word = form === 's3-key' ? `s3://${bucket}/dir/${secret.value}/f` : placed(form, secret.value);
        cases.push({ label: `${p.label} ← ${encoding} as ${form}`, args: p.args(word), secret, encoding, form });
      }
    }
  }
  assert.ok(cases.length > 50, `${cases.length} cases`);
  const failures = await sweep(home, cases, () => ({}));
  if (failures.length) assert.fail(`${failures.length} of ${cases.length} runs printed a key-shaped value back or failed:\n${failures.join('\n')}`);
});
