import { Sse3Error } from '../errors.js';

// aws-cli's SSE-C flags, as the usual SSE-C guide types them (`aws s3 cp … --sse-c AES256 --sse-c-key $secret`), and
// their s3api names. sse3 takes none of them: it says what to do instead, on every command, before anything else is
// read. The value that follows is never printed (it may be the key).

/** Flags whose value is the key itself. */
const KEY_FLAGS = ['--sse-c-key', '--sse-c-copy-source-key', '--sse-customer-key', '--copy-source-sse-customer-key'];
/** Flags that name the algorithm, or carry the key's MD5: sse3 sends both itself. */
const NEEDLESS_FLAGS = ['--sse-c', '--sse-c-copy-source', '--sse-customer-algorithm', '--copy-source-sse-customer-algorithm',
  '--sse-customer-key-md5', '--copy-source-sse-customer-key-md5'];
/** SSE with keys the server keeps (SSE-S3, SSE-KMS): not what sse3 does. */
const OTHER_SSE_FLAGS = ['--sse', '--server-side-encryption', '--sse-kms-key-id', '--ssekms-key-id'];

const HOW = 'store the key once with: sse3 keys import keychain:NAME --from - (paste it on stdin), then pass --key keychain:NAME; ' +
  'a key file is --key file:PATH';

/** A key flag given a file (aws-cli's fileb:// reads raw bytes, file:// text): nothing was exposed, only the form differs. */
const FROM_FILE = (flag: string) => new Sse3Error('USAGE', `${flag} is aws-cli's: sse3 takes a key file as --key file:PATH ` +
  '(32 raw bytes, as fileb:// reads them, or their base64; mode 0600)',
'a text secret in a file (file://) is brought in once with: sse3 keys import keychain:NAME --from PATH, then --key keychain:NAME');

/**
 * The error for one of aws-cli's SSE flags (the word as typed, maybe with "=VALUE"; `next` is the word after it), or
 * undefined for any other word.
 */
export function guideFlagError(word: string, next?: string): Sse3Error | undefined {
  const [flag, ...rest] = word.split('=');
  const value = rest.length ? rest.join('=') : next;
  if (KEY_FLAGS.includes(flag)) {
    if (value && /^fileb?:\/\//.test(value)) return FROM_FILE(flag);
    return new Sse3Error('USAGE', `${flag} is aws-cli's: sse3 never takes a key on the command line, and a key typed on one ` +
      'should be considered exposed (it is in your shell history, and ps shows it to every user while the command runs)', HOW);
  }
  if (NEEDLESS_FLAGS.includes(flag)) {
    return new Sse3Error('USAGE', `${flag} is aws-cli's and not needed: sse3 always uses SSE-C with AES256, and sends the key's ` +
      'MD5 itself', 'leave it out; the key is chosen with --key file:PATH, env:VAR or keychain:NAME');
  }
  if (OTHER_SSE_FLAGS.includes(flag)) {
    return new Sse3Error('USAGE', `${flag} is aws-cli's: sse3 encrypts only with SSE-C (AES256 under your own key), never ` +
      'with keys the server keeps (SSE-S3, SSE-KMS)', 'leave it out, and choose the key with --key file:PATH, env:VAR or keychain:NAME');
  }
  return undefined;
}

/**
 * aws-cli's SSE flags among the words (the options before a "--"), as an error: a key flag's before any other, since
 * `--sse-c AES256 --sse-c-key $secret` put a key on the command line.
 */
export function guideFlagIn(words: readonly string[]): Sse3Error | undefined {
  const errors = words.map((w, i) => ({ key: KEY_FLAGS.includes(w.split('=')[0]), error: guideFlagError(w, words[i + 1]) }));
  return (errors.find((e) => e.key) ?? errors.find((e) => e.error))?.error;
}
