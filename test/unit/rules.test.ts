// The small rules every command shares: one place decides each, so each is tested once here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ExitCode, worstExitCode } from '../../src/errors.js';
import { parseScope } from '../../src/core/session/scope.js';
import { keyEcho } from '../../src/core/keyed.js';
import { SseCKey } from '../../src/keys/key.js';
import { ManifestStore, newEntry, prefixSuccessor } from '../../src/manifest/store.js';
import { objectKeyFor } from '../../src/s3/url.js';
import { isTransient, RETRY_ATTEMPTS } from '../../src/s3/retry.js';
import { sse3RetryStrategy } from '../../src/s3/sdk-client.js';
import { Sse3Error } from '../../src/errors.js';

test('a batch exits with its most severe item: 4 > 3 > 5 > 1, and 0 when nothing failed', () => {
  assert.equal(worstExitCode([]), ExitCode.OK);
  assert.equal(worstExitCode([1, 5, 3, 1]), ExitCode.KEY);
  assert.equal(worstExitCode([1, 5, 4, 3]), ExitCode.INTEGRITY);
  assert.equal(worstExitCode([1, 5]), ExitCode.UNREACHABLE);
  assert.equal(worstExitCode([0, 1, 0]), ExitCode.FAILED);
});

test('scope: s3://b/x and s3://b/x/ both mean the folder x/; s3://b is the whole bucket', () => {
  assert.deepEqual(parseScope('s3://bkt/x'), { bucket: 'bkt', prefix: 'x/' });
  assert.deepEqual(parseScope('s3://bkt/x/'), { bucket: 'bkt', prefix: 'x/' });
  assert.deepEqual(parseScope('s3://bkt'), { bucket: 'bkt', prefix: '' });
  assert.deepEqual(parseScope('s3://bkt/'), { bucket: 'bkt', prefix: '' });
});

test('manifest prefix queries hold exactly the keys under the folder, outside the BMP too', () => {
  const m = new ManifestStore(':memory:');
  const keys = ['2026/a', '2026/😀/deep', '2026/\uffff', '2026-old/a', '20260/b', '2026', '2027/a', '2026/'];
  for (const key of keys) {
    m.record(newEntry({ endpoint: 'e', bucket: 'b', key }, { fingerprint: 'f'.repeat(20), size: 1 }));
  }
  const under = (prefix: string) => m.list({ bucket: 'b', prefix }).map((e) => e.key).sort();
  assert.deepEqual(under('2026/'), ['2026/', '2026/a', '2026/\uffff', '2026/😀/deep'].sort());
  assert.deepEqual(under('2026/😀'), ['2026/😀/deep']);
  assert.equal(prefixSuccessor('a/'), 'a0');
  assert.equal(prefixSuccessor('a\ud7ff'), 'a\ue000', 'surrogates are skipped');
  assert.equal(prefixSuccessor(''), undefined);
});

test('keyEcho: ours only with AES256 and our key MD5; another MD5 or none is another key; no algorithm is plaintext', () => {
  const key = new SseCKey(randomBytes(32), 't');
  assert.equal(keyEcho({ SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: key.keyMd5 }, key), 'ours');
  assert.equal(keyEcho({ SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: 'x' }, key), 'other');
  assert.equal(keyEcho({ SSECustomerAlgorithm: 'AES256' }, key), 'other');
  assert.equal(keyEcho({}, key), 'plain');
});

test('a folder destination takes the source name; any other is the object name', () => {
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: 'd/' }, 'f.txt'), { bucket: 'b', key: 'd/f.txt' });
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: '' }, 'f.txt'), { bucket: 'b', key: 'f.txt' });
  assert.deepEqual(objectKeyFor({ bucket: 'b', key: 'd/g' }, 'f.txt'), { bucket: 'b', key: 'd/g' });
});

test('the retry policy retries the network, timeouts, 5xx and cut-short bodies, never 4xx or aborts', () => {
  const s3 = (status: number, name = 'X') => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  assert.equal(isTransient(s3(503, 'SlowDown')), true);
  assert.equal(isTransient(s3(500)), true);
  assert.equal(isTransient(s3(400, 'InvalidArgument')), false);
  assert.equal(isTransient(s3(403)), false);
  assert.equal(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
  assert.equal(isTransient(Object.assign(new Error('t'), { name: 'TimeoutError' })), true);
  assert.equal(isTransient(Object.assign(new Error('a'), { name: 'AbortError' })), false);
  assert.equal(isTransient(new Sse3Error('CUT_SHORT', 'cut')), true);
  assert.equal(isTransient(new Sse3Error('INTEGRITY', 'bad')), false);
  // Another request on the same object was in progress: try again (Ceph RGW's answer to two tag writes at once).
  assert.equal(isTransient(s3(409, 'OperationAborted')), true);
  assert.equal(isTransient(s3(409, 'ConditionalRequestConflict')), true);
  assert.equal(isTransient(s3(409, 'BucketAlreadyExists')), false);
});

test('the SDK\'s requests follow the same policy: a 409 OperationAborted, a client error to the SDK, is retried', async () => {
  const { ConfiguredRetryStrategy } = await import('@smithy/core/retry');
  const strategy = sse3RetryStrategy(ConfiguredRetryStrategy, RETRY_ATTEMPTS);
  const s3 = (status: number, name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  const retried = async (error: Error) => {
    const token = await strategy.acquireInitialRetryToken('PutObjectTagging');
    return strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR', error: error as never }).then(() => true, () => false);
  };
  assert.equal(await retried(s3(409, 'OperationAborted')), true);
  assert.equal(await retried(s3(403, 'AccessDenied')), false);
  assert.equal(await retried(s3(404, 'NoSuchKey')), false);
});
