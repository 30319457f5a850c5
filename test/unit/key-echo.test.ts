// Nothing typed that looks like a key is printed back: the one likeness rule and how a typed value is shown
// (src/keys/likeness.ts), Output's filter of the words typed, aws-cli's SSE-C flags, and — in process, for every
// command and position of the sweep (test/support/key-echo.ts) — everything the command line parser says.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parse } from '../../src/cli/usage.js';
import { type CommandSpec, complete, runCompletion } from '../../src/completion/complete.js';
import { alias } from '../../src/commands/manifest-admin.js';
import { ExitCode, Sse3Error } from '../../src/errors.js';
import type { CommandRun } from '../../src/options.js';
import { resolveEndpoint } from '../../src/s3/client.js';
import { keyShapedParts, looksLikeKey, NOT_SHOWN, shown, typedKeysPattern, withoutKeys } from '../../src/keys/likeness.js';
import { Output } from '../../src/output/output.js';
import { ENCODINGS, FORMS, freshSecret, placed, type Secret, sweepCases, traces } from '../support/key-echo.js';

/** No AWS config or credentials file. */
const NO_SHARED_CONFIG = { configFile: {}, credentialsFile: {} };

const fillers = { keyRef: 'file:/nonexistent-sse3/k.key', newKeyRef: 'file:/nonexistent-sse3/new.key', file: 'f', folder: 'd',
  s3: 's3://sse3-sweep-bucket/obj' };

const holds = (text: string, s: Secret) => traces(s).some((t) => text.toLowerCase().includes(t.toLowerCase()));

test('every encoding of a key, in every form a word can hold it, is found, and shown() leaves it out', () => {
  for (let i = 0; i < 25; i++) {
    for (const encoding of ENCODINGS) {
      for (const form of FORMS) {
        const s = freshSecret(encoding, form !== 'bare');
        const word = placed(form, s.value);
        assert.ok(looksLikeKey(word), `${encoding} as ${form}: ${word}`);
        assert.ok(!holds(shown(word), s), `${encoding} as ${form}: ${shown(word)}`);
        assert.ok(shown(word).includes(NOT_SHOWN), word);
        // As an option written with "=", after dashes, and as a file's name (which holds no "/").
        const name = freshSecret(encoding, true);
        for (const around of [`--sse-c-key=${s.value}`, `--${s.value}`, `${name.value}.key`, `file:~/keys/${name.value}.key`]) {
          assert.ok(!holds(shown(around), around.includes('.key') ? name : s), `${encoding} in ${around}: ${shown(around)}`);
        }
      }
    }
  }
});

test('shown(): quoted, control characters and marks that reorder text escaped, names kept; a whole key is not quoted at all', () => {
  assert.equal(shown('s3://bucket/photos/2026/a.jpg'), '"s3://bucket/photos/2026/a.jpg"');
  assert.equal(shown('a\u001b[31mred\u0007\nb"c\\d\u009b\u202e'), '"a\\u001b[31mred\\u0007\\nb\\"c\\\\d\\u009b\\u202e"');
  assert.equal(shown('production-backups-2026'), '"production-backups-2026"');
  const key = freshSecret('hex', false).value;
  assert.equal(shown(key), NOT_SHOWN);
  assert.equal(shown(`s3://b/dir/${key}/f`), `"s3://b/dir/${NOT_SHOWN}/f"`);
  assert.equal(withoutKeys(`a ${key} b`), `a ${NOT_SHOWN} b`);
  // The parts of an encoded key that is inside a longer word: the whole key, never a piece of it.
  const b64 = freshSecret('base64', false).value;
  assert.deepEqual(keyShapedParts(`dir/${b64}/f`).sort((a, b) => b.length - a.length)[0], b64);
});

test('names that are not keys are not taken for keys, also as parts of paths and URLs', () => {
  for (const t of ['s3://team-backups/2026/photos/IMG_2026_0001.jpg', 'https://s3.eu-west-1.amazonaws.com', 'when_required',
    '--endpoint-url=https://minio.lan:9000', 'file:~/.config/sse3/keys/production-backups-2026.key', '0123456789abcdef0123',
    'd41d8cd98f00b204e9800998ecf8427e', '--sse-c-key', 'KEYCHAIN_ENTRY_FOR_THE_NIGHTLY_JOB']) {
    assert.deepEqual(keyShapedParts(t), [], t);
    assert.equal(shown(t), `"${t}"`);
  }
});

/** An Output whose two streams are kept as text. */
function capturedOutput(opts: ConstructorParameters<typeof Output>[0]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (d) => { text += d; });
  stderr.on('data', (d) => { text += d; });
  const out = new Output(opts, stdout as unknown as NodeJS.WriteStream, stderr as unknown as NodeJS.WriteStream);
  return { out, text: () => text };
}

test('Output never writes what looks like a key in the words typed: results, JSON, messages, errors; any case, URL-encoded', () => {
  for (const encoding of ENCODINGS) {
    const s = freshSecret(encoding, true);
    const url = `s3://b/dir/${s.value}/f`;
    for (const json of [false, true]) {
      const { out, text } = capturedOutput({ json, typed: ['get', url] });
      out.result(`✓ ${url}`, { url });
      out.item(url, { url: url.toUpperCase() });
      out.warn(`about ${encodeURIComponent(url)}`);
      out.info(url);
      out.error(new Error(`cannot reach ${url}`));
      assert.ok(!holds(text(), s) && !text().includes(encodeURIComponent(s.value)), `${encoding}, json ${json}: ${text()}`);
      assert.ok(text().includes(NOT_SHOWN));
    }
  }
  assert.equal(typedKeysPattern(['get', 's3://b/k', '--json']), undefined, 'nothing to hide when nothing typed looks like a key');
});

/** What parse() writes on the process's stdout and stderr (usage errors, help), and what it returned. */
async function parsedWithOutput(args: string[]): Promise<{ result: Awaited<ReturnType<typeof parse>>; text: string }> {
  let text = '';
  const writes = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array) => { text += chunk.toString(); return true; }) as typeof stream.write;
    return () => { stream.write = write; };
  });
  try {
    return { result: await parse(['node', 'sse3', ...args]), text };
  } finally {
    for (const restore of writes) restore();
  }
}

test('the command line parser never prints a key-shaped value back, at any position of any command, in any form', async () => {
  const secrets: Secret[] = [];
  const cases = sweepCases(fillers, (s) => secrets.push(s));
  let refused = 0;
  for (const c of cases) {
    for (const args of [c.args, [...c.args, '--json']]) {
      const { result, text } = await parsedWithOutput(args);
      // A line the parser accepts runs the command: that is the sweep of the built binary (test/reliability).
      if (typeof result !== 'number') continue;
      refused++;
      assert.ok(!holds(text, c.secret), `${c.label}: sse3 ${args.join(' ')} printed it back:\n${text}`);
    }
  }
  assert.ok(refused > cases.length / 2, `${refused} usage errors of ${cases.length * 2} lines`);
});

const GUIDE_KEY_FLAGS = ['--sse-c-key', '--sse-customer-key', '--sse-c-copy-source-key', '--copy-source-sse-customer-key'];
const GUIDE_OTHER_FLAGS = ['--sse-c', '--sse-customer-algorithm', '--sse-customer-key-md5', '--sse-c-copy-source'];
const COMMANDS = [[], ['put', 'f', 's3://b/k'], ['get', 's3://b/k'], ['cp', 'f', 's3://b/k'], ['sync', 'd', 's3://b/'], ['keys'],
  ['keys', 'import', 'keychain:x'], ['manifest', 'list'], ['completion', 'bash'], ['rotate', 's3://b/k']];

test('aws-cli\'s SSE-C flags, on every command, before or after its words, with the value apart or after "=": exit 2, the ' +
  'sse3 way, never the value', async () => {
  for (const command of COMMANDS) {
    for (const flag of [...GUIDE_KEY_FLAGS, ...GUIDE_OTHER_FLAGS]) {
      const s = freshSecret('text', false);
      const value = flag.endsWith('-key') ? s.value : 'AES256';
      for (const args of [[...command, flag, value], [...command, `${flag}=${value}`], [flag, value, ...command],
        [...command, flag, value, '--json']]) {
        const { result, text } = await parsedWithOutput(args);
        assert.equal(result, ExitCode.USAGE, args.join(' '));
        assert.ok(!holds(text, s), `${args.join(' ')} printed the value:\n${text}`);
        assert.match(text, new RegExp(`${flag} is aws-cli's`), args.join(' '));
        if (GUIDE_KEY_FLAGS.includes(flag)) {
          assert.match(text, /should be considered exposed \(it is in your shell history, and ps shows it/, args.join(' '));
          assert.match(text, /sse3 keys import keychain:NAME --from - .*--key keychain:NAME.*--key file:PATH/, args.join(' '));
        } else {
          assert.match(text, /not needed: sse3 always uses SSE-C with AES256/, args.join(' '));
          assert.doesNotMatch(text, /exposed/, args.join(' '));
        }
      }
    }
  }
  // The guide's whole line: the key flag is what is answered, not the algorithm before it.
  const s = freshSecret('text', false);
  const guide = await parsedWithOutput(['cp', 'f', 's3://b/', '--sse-c', 'AES256', '--sse-c-key', s.value]);
  assert.match(guide.text, /--sse-c-key is aws-cli's: .* should be considered exposed/);
  assert.ok(!holds(guide.text, s));
  // A key file given the aws-cli way was never on the command line: only the form differs.
  const { result, text } = await parsedWithOutput(['put', 'f', 's3://b/k', '--sse-c-key', 'fileb://sse-c.key']);
  assert.equal(result, ExitCode.USAGE);
  assert.match(text, /sse3 takes a key file as --key file:PATH/);
  assert.doesNotMatch(text, /exposed|sse-c\.key/);
  // After "--" every word is an operand, even one that looks like a flag.
  assert.notEqual(typeof (await parsedWithOutput(['put', '--key', 'env:K', '--', '--sse-c', 's3://b/k'])).result, 'number');
});

test('an endpoint URL that holds what looks like a key is refused, from the flag, the environment or manifest alias', async () => {
  for (const encoding of ENCODINGS) {
    const s = freshSecret(encoding, true);
    const url = `https://127.0.0.1:9443/${s.value}`;
    const refused = (e: unknown) => e instanceof Sse3Error && e.code === 'USAGE' && /holds what looks like a key/.test(e.message) &&
      !holds(`${e.message} ${e.hint}`, s);
    assert.throws(() => resolveEndpoint(url, {}, 'default', {}, NO_SHARED_CONFIG), refused);
    assert.throws(() => resolveEndpoint(undefined, { AWS_ENDPOINT_URL: url }, 'default', {}, NO_SHARED_CONFIG), refused);
    const run = { out: {} as Output, excessArgs: [] } as unknown as CommandRun;
    await assert.rejects(alias(url, 'https://127.0.0.1:9443', {}, run), refused);
    await assert.rejects(alias('https://127.0.0.1:9443', url, {}, run), refused);
  }
});

test('completion: a word that looks like a key is never completed (nor printed back); the line comes in the environment',
  async (t: TestContext) => {
    const spec = { name: 'sse3', options: [], commands: [{ name: 'get', options: [], commands: [] }] } as CommandSpec;
    for (const encoding of ENCODINGS) {
      for (const form of FORMS) {
        const word = placed(form, freshSecret(encoding, form !== 'bare').value);
        assert.deepEqual(await complete(`sse3 get ${word}`, spec), [], word);
      }
    }
    let printed = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => { printed += chunk; return true; }) as typeof process.stdout.write;
    t.after(() => { process.stdout.write = write; });
    const specFile = new URL('../../completion-spec.json', import.meta.url);
    await runCompletion(['bash'], specFile, { SSE3_COMPLETE_LINE: 'sse3 manifest li', SSE3_COMPLETE_CUR: 'li' });
    await runCompletion(['zsh'], specFile, { SSE3_COMPLETE_LINE: 'sse3 manifest ex' });
    process.stdout.write = write;
    assert.equal(printed, 'list \nexport\n');
  });
