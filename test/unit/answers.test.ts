// What a server's answer must say before sse3 believes it, and how much of one it reads whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { answeredSpan, checkAnsweredVersion } from '../../src/core/transfer/answers.js';
import { answerCap, AnswerTooLarge, capAnswers, LISTING_BYTES, SMALL_ANSWER_BYTES } from '../../src/s3/caps.js';
import { serverText } from '../../src/s3/errors.js';
import { Sse3Error } from '../../src/errors.js';

const url = 's3://b/k';
const integrity = (fn: () => unknown) => assert.throws(fn, (e) => e instanceof Sse3Error && e.code === 'INTEGRITY' && e.message.startsWith(url));

test('answeredSpan: exactly the bytes asked for, with a Content-Length of that many', () => {
  const first = { start: 0, end: 8 * 1024 * 1024 - 1 };
  assert.deepEqual(answeredSpan({ ContentRange: 'bytes 0-39/40', ContentLength: 40 }, first, url), { size: 40, length: 40 });
  assert.deepEqual(answeredSpan({ ContentRange: 'bytes 0-8388607/9000000', ContentLength: 8388608 }, first, url),
    { size: 9000000, length: 8388608 });
  // A server that ignores Range answers the whole object: fine from byte 0, and for the empty object (asked whole).
  assert.deepEqual(answeredSpan({ ContentLength: 40 }, first, url), { size: 40, length: 40 });
  assert.deepEqual(answeredSpan({ ContentLength: 0 }, { start: 0 }, url), { size: 0, length: 0 });
  // A later range, of an object whose size the first answer told.
  assert.deepEqual(answeredSpan({ ContentRange: 'bytes 8388608-8999999/9000000', ContentLength: 611392 },
    { start: 8388608, end: 8999999, size: 9000000 }, url), { size: 9000000, length: 611392 });

  integrity(() => answeredSpan({ ContentRange: 'bytes 0-39/40', ContentLength: 74 }, first, url)); // the finding: a longer body
  integrity(() => answeredSpan({ ContentRange: 'bytes 0-39/40' }, first, url)); // no Content-Length (chunked)
  integrity(() => answeredSpan({ ContentRange: 'bytes 0-39/40', ContentLength: 39 }, first, url));
  integrity(() => answeredSpan({ ContentRange: 'bytes 5-44/45', ContentLength: 40 }, first, url)); // another start
  integrity(() => answeredSpan({ ContentRange: 'bytes 0-19/40', ContentLength: 20 }, first, url)); // ends early
  integrity(() => answeredSpan({ ContentRange: 'bytes 0-39/30', ContentLength: 40 }, first, url)); // past the object's end
  integrity(() => answeredSpan({ ContentRange: 'bytes */40', ContentLength: 40 }, first, url));
  integrity(() => answeredSpan({ ContentRange: `bytes 0-39/${'9'.repeat(30)}`, ContentLength: 40 }, first, url));
  integrity(() => answeredSpan({ ContentRange: 'bytes 8388608-8999999/9000001', ContentLength: 611392 },
    { start: 8388608, end: 8999999, size: 9000000 }, url)); // the object's size changed
  integrity(() => answeredSpan({ ContentLength: 611392 }, { start: 8388608, end: 8999999, size: 9000000 }, url)); // Range ignored
  integrity(() => answeredSpan({ ContentLength: -1 }, first, url));
  // A hostile Content-Range is described, not printed.
  assert.throws(() => answeredSpan({ ContentRange: `\x1b[2J${'x'.repeat(5000)}`, ContentLength: 1 }, first, url),
    (e) => e instanceof Error && e.message.length < 300 && !e.message.includes('\x1b'));
});

test('checkAnsweredVersion: the version asked for, where "null" is an unversioned object\'s', () => {
  const loc = { bucket: 'b', key: 'dir/k' };
  checkAnsweredVersion(undefined, { VersionId: 'v2' }, loc);
  checkAnsweredVersion('v1', { VersionId: 'v1' }, loc);
  checkAnsweredVersion('null', {}, loc);
  checkAnsweredVersion('null', { VersionId: 'null' }, loc);
  assert.throws(() => checkAnsweredVersion('v1', { VersionId: 'v2' }, loc),
    (e) => e instanceof Sse3Error && e.code === 'INTEGRITY' && /asked for version v1, the server answered with version v2/.test(e.message)
      && /sse3 ls --versions s3:\/\/b\/dir\/$/.test(e.hint ?? ''));
  assert.throws(() => checkAnsweredVersion('v1', {}, loc), /answered with no version id/);
});

test('answer caps: object data is not capped, listings get 16 MiB, tags, errors and the rest 64 KiB', () => {
  assert.equal(answerCap('GetObjectCommand', 206), undefined);
  assert.equal(answerCap('GetObjectCommand', 403), SMALL_ANSWER_BYTES);
  assert.equal(answerCap('ListObjectVersionsCommand', 200), LISTING_BYTES);
  assert.equal(answerCap('ListObjectVersionsCommand', 500), SMALL_ANSWER_BYTES);
  assert.equal(answerCap('GetObjectTaggingCommand', 200), SMALL_ANSWER_BYTES);
  assert.equal(answerCap('CompleteMultipartUploadCommand', 200), SMALL_ANSWER_BYTES);
});

test('capAnswers: a capped body is handed on as a stream of the same bytes; over its cap it is not read on', async () => {
  const answer = (statusCode: number, bytes: number) => {
    let read = 0;
    const body = new Readable({ read() { read += 16 * 1024; this.push(read > bytes ? null : Buffer.alloc(16 * 1024, 'x')); } });
    return { response: { statusCode, body }, read: () => read };
  };
  const through = async (commandName: string, a: ReturnType<typeof answer>) => capAnswers(async () => a, { commandName })({});
  const small = answer(200, 32 * 1024);
  const out = (await through('GetObjectTaggingCommand', small)).response as { body: Readable };
  const chunks: Buffer[] = [];
  for await (const c of out.body) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).length, 32 * 1024);

  const huge = answer(200, 1024 * 1024 * 1024);
  await assert.rejects(through('GetObjectTaggingCommand', huge), (e) => e instanceof AnswerTooLarge && e.limit === SMALL_ANSWER_BYTES);
  assert.ok(huge.read() <= SMALL_ANSWER_BYTES + 64 * 1024, `read ${huge.read()} bytes of a 1 GiB answer`);

  // An error document over its cap is dropped: the status still tells what happened.
  const error = (await through('ListObjectsV2Command', answer(403, 1024 * 1024))).response as { statusCode: number; body: Readable };
  assert.equal(error.statusCode, 403);
  for await (const c of error.body) assert.equal((c as Buffer).length, 0);

  // Object data passes untouched.
  const data = answer(200, 1024 * 1024);
  assert.equal(((await through('GetObjectCommand', data)).response as { body: unknown }).body, data.response.body);
});

test('serverText: what a server wrote is shown cut short, without control characters', () => {
  assert.equal(serverText('Access Denied'), 'Access Denied');
  assert.equal(serverText('\x1b]0;title\x07\x1b[2Jtext\r\nmore'), ']0;title [2Jtext more');
  assert.equal(serverText('y'.repeat(5000)).length, 201);
});
