// Exit statuses are sse3's contract with scripts (README: Exit codes): each error code's status, and the status of a
// batch that met several problems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ErrorCode, ExitCode, exitCodeOf, isSse3Error, Sse3Error, worstExitCode } from '../../src/errors.js';

test('each error code exits with the status the README gives its kind of problem', () => {
  const byStatus: Record<number, ErrorCode[]> = {
    1: ['SSEC_BLOCKED', 'NO_BUCKET', 'NO_OBJECT', 'ACCESS_DENIED', 'CREDENTIALS', 'CLOCK_SKEW', 'LOCAL_IO', 'MANIFEST_DAMAGED', 'S3', 'BATCH', 'KEY_IN_USE'],
    2: ['USAGE', 'BAD_URL', 'INSECURE_ENDPOINT'],
    3: ['KEY_FILE', 'KEY_FORMAT', 'KEY_ENV', 'KEYCHAIN', 'KEY_EXISTS', 'NO_KEY', 'WRONG_KEY'],
    4: ['NOT_ENCRYPTED', 'INTEGRITY'],
    5: ['UNREACHABLE', 'TLS', 'CUT_SHORT'],
    130: ['INTERRUPTED'],
  };
  assert.equal(ExitCode.TERMINATED, 143, 'SIGTERM: 128 + 15, as shells report it');
  for (const [status, codes] of Object.entries(byStatus)) {
    for (const code of codes) assert.equal(new Sse3Error(code, 'x').exitCode, Number(status), code);
  }
});

test('an Sse3Error carries its code, message, hint and cause; a batch may give it the status of its worst item', () => {
  const cause = new Error('ENOSPC');
  const e = new Sse3Error('LOCAL_IO', 'no space left on device while writing f', 'free some space', { cause });
  assert.deepEqual([e.name, e.code, e.message, e.hint, e.cause, e.exitCode], ['Sse3Error', 'LOCAL_IO',
    'no space left on device while writing f', 'free some space', cause, ExitCode.FAILED]);
  assert.ok(e instanceof Error);
  assert.equal(new Sse3Error('BATCH', '2 of 5 failed', undefined, { exitCode: ExitCode.KEY }).exitCode, 3);
});

test('exitCodeOf: an Sse3Error\'s own status (with a batch\'s override); anything else thrown is a plain failure', () => {
  assert.equal(exitCodeOf(new Sse3Error('WRONG_KEY', 'x')), 3);
  assert.equal(exitCodeOf(new Sse3Error('BATCH', 'x', undefined, { exitCode: ExitCode.INTEGRITY })), 4);
  for (const other of [new Error('boom'), new TypeError('t'), 'text', undefined, null, { exitCode: 4, code: 'INTEGRITY' }]) {
    assert.equal(exitCodeOf(other), 1, String(other));
  }
  assert.equal(isSse3Error(new Sse3Error('S3', 'x')), true);
  assert.equal(isSse3Error({ code: 'S3', exitCode: 1 }), false, 'a look-alike is not one');
});

test('worstExitCode: terminated (SIGTERM), interrupted, then 4 before 3 before 5 before 2 before 1; successes count for nothing', () => {
  const { OK, FAILED, USAGE, KEY, INTEGRITY, UNREACHABLE, INTERRUPTED, TERMINATED } = ExitCode;
  assert.equal(worstExitCode([]), OK);
  assert.equal(worstExitCode([OK, OK]), OK);
  assert.equal(worstExitCode([OK, FAILED, OK]), FAILED);
  const order = [TERMINATED, INTERRUPTED, INTEGRITY, KEY, UNREACHABLE, USAGE, FAILED];
  for (const [i, worse] of order.entries()) {
    for (const milder of order.slice(i + 1)) {
      assert.equal(worstExitCode([milder, worse, OK]), worse, `${worse} over ${milder}`);
      assert.equal(worstExitCode([worse, milder]), worse, `${worse} over ${milder}, in either order`);
    }
  }
  assert.equal(worstExitCode(new Set([UNREACHABLE, KEY])), KEY, 'any iterable');
});
