import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeS3Error, type ErrorContext, errnoCode, s3ErrorName, serverText, statusOf } from '../../src/s3/errors.js';
import { describeWriteFailure } from '../../src/s3/write-failure.js';
import { isTransient, isUnanswered } from '../../src/s3/retry.js';
import { AnswerTooLarge } from '../../src/s3/caps.js';
import { Sse3Error } from '../../src/errors.js';
import { SseCKey } from '../../src/keys/key.js';
import { uploadObject } from '../../src/core/transfer/upload.js';
import { ManifestStore } from '../../src/manifest/store.js';
import { networkError, S3Error, S3Twin, timeoutError } from '../support/s3-twin.js';

const get = (over: Partial<ErrorContext> = {}): ErrorContext => ({ op: 'get', url: 's3://b/k', ...over });
/** An error as the SDK (or sse3's own requests) throws a server's answer. */
const answered = (name: string, status: number, message = name) =>
  Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status } });
/** A socket error the way the SDK wraps it: the code on the cause. */
const wrapped = (code: string) => Object.assign(new Error('request failed'), { cause: Object.assign(new Error(code), { code }) });

test('the shape of an error: status, S3 name, and the system code however deep the SDK wraps it', () => {
  assert.equal(statusOf(answered('NoSuchKey', 404)), 404);
  assert.equal(statusOf(networkError()), undefined);
  assert.equal(s3ErrorName(answered('SlowDown', 503)), 'SlowDown');
  assert.equal(s3ErrorName(timeoutError()), 'TimeoutError');
  assert.equal(errnoCode(networkError('EPIPE')), 'EPIPE');
  assert.equal(errnoCode(wrapped('ECONNREFUSED')), 'ECONNREFUSED');
  assert.equal(errnoCode({ cause: { cause: { cause: { code: 'EAI_AGAIN' } } } }), 'EAI_AGAIN');
  assert.equal(errnoCode({ code: 42, cause: { code: 'ETIMEDOUT' } }), 'ETIMEDOUT', 'only a string is a system code');
  assert.equal(errnoCode(new Error('plain')), undefined);
  // The retry policy reads the same code: a wrapped network failure is worth another attempt, and was never answered.
  assert.equal(isTransient(wrapped('ECONNRESET')), true);
  assert.equal(isUnanswered(wrapped('ECONNRESET')), true);
  assert.equal(isTransient(answered('AccessDenied', 403)), false);
});

test('no answer: interrupted, an answer too large, an untrusted certificate, a timeout, an unreachable server', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'INTERRUPTED', /^get of s3:\/\/b\/k was interrupted$/],
    [new AnswerTooLarge(64 * 1024), 'S3', /answer to get of s3:\/\/b\/k is larger than 64 KiB/],
    [wrapped('SELF_SIGNED_CERT_IN_CHAIN'), 'TLS', /TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)/],
    [timeoutError(), 'UNREACHABLE', /did not answer in time during get of s3:\/\/b\/k/],
    [networkError('ETIMEDOUT'), 'UNREACHABLE', /did not answer in time/],
    [wrapped('ECONNREFUSED'), 'UNREACHABLE', /cannot reach the S3 server \(ECONNREFUSED\) during get/],
  ];
  for (const [error, code, message] of cases) {
    const e = describeS3Error(error, get());
    assert.equal(e.code, code, String(message));
    assert.match(e.message, message);
  }
  assert.equal(describeS3Error(timeoutError(), get()).exitCode, 5);
});

test('credentials missing or refused, and what is not there', () => {
  assert.equal(describeS3Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'Error' }), get()).code,
    'CREDENTIALS');
  assert.match(describeS3Error(answered('SignatureDoesNotMatch', 403), get()).message, /rejected the credentials \(SignatureDoesNotMatch\)/);
  assert.equal(describeS3Error(answered('NoSuchBucket', 404), get({ op: 'list' })).code, 'NO_BUCKET');
  assert.equal(describeS3Error(answered('NoSuchVersion', 404), get()).code, 'NO_OBJECT');
  // A HEAD's 404 has no body to name it: on an object it is the object that is missing, on a listing it is not.
  const bare404 = Object.assign(new Error('UnknownError'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  assert.equal(describeS3Error(bare404, get({ op: 'head' })).code, 'NO_OBJECT');
  assert.equal(describeS3Error(bare404, get({ op: 'list' })).code, 'S3');
});

test('a read refused for its key: the wrong key (named when the manifest knows the right one), no key, or a key where none applies', () => {
  const sent = 'aaaa1111';
  const refused = describeS3Error(answered('InvalidArgument', 400), get({ sentFingerprint: sent }));
  assert.equal(refused.code, 'WRONG_KEY');
  assert.equal(refused.exitCode, 3);
  assert.match(refused.message, /the server refused key aaaa1111 for s3:\/\/b\/k \(HTTP 400 InvalidArgument\)/);
  assert.match(refused.hint!, /no record of this object/);
  const known = describeS3Error(answered('AccessDenied', 403), get({ sentFingerprint: sent, expectedFingerprint: 'bbbb2222' }));
  assert.match(known.message, /^key aaaa1111 does not open s3:\/\/b\/k; it was encrypted with key bbbb2222$/);
  assert.equal(describeS3Error(answered('InvalidRequest', 400), get()).code, 'NO_KEY');
  const plain = describeS3Error(answered('InvalidRequest', 400, 'The encryption parameters are not applicable to this object.'),
    get({ op: 'copy', sentFingerprint: sent }));
  assert.equal(plain.code, 'NOT_ENCRYPTED');
  assert.match(plain.message, /is not encrypted with SSE-C, so a key does not apply to it: The encryption parameters/);
  // A write's 403 is access, not a key: only reads are refused for their key.
  assert.equal(describeS3Error(answered('AccessDenied', 403), { op: 'put', url: 's3://b/k', sentFingerprint: sent }).code, 'ACCESS_DENIED');
});

test('other refusals: access, a request not implemented, and any other answer with the server\'s words made safe to print', () => {
  assert.equal(describeS3Error(answered('AccessDenied', 403, 'no'), get({ op: 'delete' })).message, 'access denied during delete of s3://b/k: no');
  assert.match(describeS3Error(answered('NotImplemented', 501), get({ op: 'tagging' })).message, /does not implement this tagging request/);
  const odd = describeS3Error(answered('Weird\u001b[31mName', 409, `line one\nline two\u0007${'x'.repeat(300)}`), get({ op: 'put' }));
  assert.equal(odd.code, 'S3');
  assert.doesNotMatch(odd.message, /[\u0000-\u001f]/, 'no control character reaches the terminal');
  assert.match(odd.message, /^put of s3:\/\/b\/k failed: Weird \[31mName \(HTTP 409\): line one line two x+…$/);
  assert.equal(serverText(' a\r\nb '), 'a b');
  const mine = new Sse3Error('USAGE', 'already said');
  assert.equal(describeS3Error(mine, get()), mine, 'an error sse3 already said passes through');
});

test('a refused write names a bucket that blocks SSE-C, and is said plainly when it does not or the configuration cannot be read', async () => {
  const key = new SseCKey(randomBytes(32), 'test');
  const forbidden = (op: string) => (op === 'PutObject' || op === 'CreateMultipartUpload' ? new S3Error('AccessDenied', 403) : undefined);
  const put = (twin: S3Twin, size: number) => uploadObject({ io: { conn: twin.connection(), manifest: new ManifestStore(':memory:') },
    target: { bucket: 'b', key: 'k', sseKey: key }, source: { kind: 'stream', body: Readable.from([randomBytes(size)]) },
    tuning: { partSize: 5 * 1024 * 1024 } });
  const blocking = { Rules: [{ BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] };
  for (const size of [10, 6 * 1024 * 1024]) {
    const blocked = new S3Twin({ errorFor: forbidden, bucketEncryption: blocking });
    await assert.rejects(put(blocked, size), (e: Sse3Error) => e.code === 'SSEC_BLOCKED' && /bucket b blocks SSE-C writes/.test(e.message));
    assert.ok(blocked.requests.some((q) => q.op === 'GetBucketEncryption'));
    await assert.rejects(put(new S3Twin({ errorFor: forbidden }), size), (e: Sse3Error) => e.code === 'ACCESS_DENIED');
  }

  // The configuration itself unreadable: the refusal is said as it came.
  const unreadable = new S3Twin({ errorFor: (op) => (op === 'GetBucketEncryption' ? new S3Error('AccessDenied', 403) : undefined) });
  const e = await describeWriteFailure(unreadable.connection().client, { bucket: 'b', url: 's3://b/k' }, answered('AccessDenied', 403));
  assert.equal(e.code, 'ACCESS_DENIED');
  assert.match(e.message, /^access denied during put of s3:\/\/b\/k/);
  // Only a 403 makes sse3 look at the configuration.
  const twin = new S3Twin({ bucketEncryption: blocking });
  assert.equal((await describeWriteFailure(twin.connection().client, { bucket: 'b', url: 's3://b/k' }, answered('SlowDown', 503))).code, 'S3');
  assert.deepEqual(twin.requests, []);
});

test('a request refused for its time is named for what it is: never a wrong key, never denied access', () => {
  const sent = 'aaaa1111';
  for (const ctx of [get({ sentFingerprint: sent }), { op: 'put' as const, url: 's3://b/k', sentFingerprint: sent }]) {
    const skewed = describeS3Error(answered('RequestTimeTooSkewed', 403), ctx);
    assert.equal(skewed.code, 'CLOCK_SKEW');
    assert.equal(skewed.exitCode, 1);
    assert.match(skewed.message, /refused the time of the request .*RequestTimeTooSkewed.*clock/);
  }
  // A HEAD's answer has no body to name it: a refusal after a clock correction is the clock's, as the SDK marks it.
  const head = Object.assign(answered('Forbidden', 403), { $metadata: { httpStatusCode: 403, clockSkewCorrected: true } });
  assert.equal(describeS3Error(head, get({ op: 'head', sentFingerprint: sent })).code, 'CLOCK_SKEW');
  assert.equal(describeS3Error(answered('Forbidden', 403), get({ op: 'head', sentFingerprint: sent })).code, 'WRONG_KEY');
});
