// Answers sse3 reads whole — tags, listings, error documents — from a server that sends too much or the wrong shape:
// each is bounded in size, sse3's tag values must have their shape, and nothing the server wrote is printed raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorAnswer, type HostileRequest, taggingXml, xmlAnswer } from '../support/hostile-s3.js';
import { newHome, run } from './harness.js';
import { assertRefused, hostileSetup } from './hostile.js';

const isTagRead = (r: HostileRequest) => r.method === 'GET' && r.query.has('tagging');

/** What a user sees is a few lines, whatever the server sent. */
const assertShort = (text: string, what: string) => assert.ok(text.length < 2048, `${what} is ${text.length} characters long`);

/** A second home on the same server, with no record of anything: its key lookups go through the objects' tags. */
function strangerOf(t: { after: (fn: () => void) => void }) {
  const home = newHome();
  t.after(() => rmSync(home.dir, { recursive: true, force: true }));
  return home;
}

test('an sse3-fp tag of 1 MiB is not read, nor printed as a fingerprint (exit 1)', async (t) => {
  const { s3, put, dest } = await hostileSetup(t);
  await put('obj', randomBytes(100));
  const huge = 'a'.repeat(1024 * 1024);
  s3.script = (req) => (isTagRead(req) ? xmlAnswer(200, taggingXml({ 'sse3-fp': huge })) : undefined);
  const home = strangerOf(t);
  for (const args of [['get', 's3://bkt/obj', join(dest, 'obj')], ['head', 's3://bkt/obj'], ['ls', 's3://bkt/']]) {
    const r = await run([...s3.args, ...args], { home });
    assertRefused(r, { code: 1, url: 's3://bkt/', dest, message: /larger than 64 KiB/ });
    assertShort(r.stderr + r.out, `sse3 ${args[0]}'s output`);
  }
});

test('sse3-fp and sse3-sha256 values of another shape are errors naming the object, never shown (exit 4)', async (t) => {
  const { s3, put, dest, key } = await hostileSetup(t);
  const data = randomBytes(100);
  const { sha256 } = await put('obj', data);
  const home = strangerOf(t);
  const fingerprints = ['0123456789abcdef012', 'ZZZZZZZZZZZZZZZZZZZZ', '\x1b[2J\x1b[31mpay here\x1b[0m', '../../../../../etc/passwd'];
  for (const fp of fingerprints) {
    s3.script = (req) => (isTagRead(req) ? xmlAnswer(200, taggingXml({ 'sse3-fp': fp, 'sse3-sha256': sha256 })) : undefined);
    for (const args of [['get', 's3://bkt/obj', join(dest, 'obj')], ['ls', 's3://bkt/']]) {
      const r = await run([...s3.args, ...args], { home });
      assertRefused(r, { code: 4, url: 's3://bkt/obj', dest, message: /its sse3-fp tag does not hold a key fingerprint/ });
      assert.ok(!(r.stderr + r.out).includes(fp), `sse3 ${args[0]} did not show the value ${JSON.stringify(fp)}`);
    }
  }
  // A checksum of another shape, in the tag (a multipart object has no metadata) or in the metadata.
  const bad = 'not-a-sha256;rm -rf /';
  s3.script = (req, honest) => {
    if (req.key !== 'obj') return undefined;
    if (isTagRead(req)) return xmlAnswer(200, taggingXml({ 'sse3-sha256': bad }));
    const h = honest();
    delete h.headers['x-amz-meta-sse3-sha256'];
    return h;
  };
  const tagged = await run([...s3.args, 'get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref], { home });
  assertRefused(tagged, { code: 4, url: 's3://bkt/obj', dest, message: /its sse3-sha256 tag does not hold a SHA-256/ });
  s3.script = (req, honest) => {
    if (req.key !== 'obj' || req.method !== 'GET' || isTagRead(req)) return undefined;
    const h = honest();
    return { ...h, headers: { ...h.headers, 'x-amz-meta-sse3-sha256': bad } };
  };
  const meta = await run([...s3.args, 'get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref], { home });
  assertRefused(meta, { code: 4, url: 's3://bkt/obj', dest, message: /its sse3-sha256 metadata does not hold a SHA-256/ });
  assert.ok(!(tagged.stderr + meta.stderr).includes(bad), 'the value is not shown');
});

test('a listing page over 16 MiB is not read (exit 1)', async (t) => {
  const { s3, sse3 } = await hostileSetup(t);
  // 180,000 entries of ~120 bytes: a page no S3 server sends (1,000 entries at most).
  const entry = (i: number) => `<Contents><Key>k${i}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>` +
    '<ETag>"0"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>';
  const page = Array.from({ length: 180_000 }, (_, i) => entry(i)).join('');
  assert.ok(page.length > 16 * 1024 * 1024);
  s3.script = (req) => (req.key === '' && req.query.get('list-type') === '2' ? xmlAnswer(200,
    `<ListBucketResult><Name>bkt</Name><Prefix></Prefix><IsTruncated>false</IsTruncated>${page}</ListBucketResult>`) : undefined);
  const r = await sse3(['ls', 's3://bkt/', '--fast']);
  assertRefused(r, { code: 1, url: 's3://bkt/', message: /list of s3:\/\/bkt\/ is larger than 16 MiB/ });
  assert.equal(r.stdout.length, 0, 'nothing of it was listed');
});

test('error documents are bounded and their text is cut and cleaned before it is shown (exit 1)', async (t) => {
  const { s3, put, dest, key } = await hostileSetup(t);
  await put('obj', randomBytes(100));
  const home = strangerOf(t);
  // Through the SDK (a tag read): a 2 MiB error document is not read; the status still tells.
  s3.script = (req) => (isTagRead(req) ? errorAnswer(409, 'BadRequest', 'x'.repeat(2 * 1024 * 1024)) : undefined);
  const tags = await run([...s3.args, 'get', 's3://bkt/obj', join(dest, 'obj')], { home });
  assertRefused(tags, { code: 1, url: 's3://bkt/obj', dest });
  assertShort(tags.stderr, 'the error');
  // Through sse3's own requests (a GET): a long message with terminal escapes in it.
  const message = `\x1b]0;owned\x07\x1b[2J${'y'.repeat(50_000)}`;
  s3.script = (req) => (req.method === 'GET' && !isTagRead(req) ? errorAnswer(409, 'BadRequest', message) : undefined);
  const get = await run([...s3.args, 'get', 's3://bkt/obj', join(dest, 'obj'), '--key', key.ref], { home });
  assertRefused(get, { code: 1, url: 's3://bkt/obj', dest, message: /failed: BadRequest \(HTTP 409\): \]0;owned/ });
  assertShort(get.stderr, 'the error');
  assert.doesNotMatch(get.stderr, /\x1b|\x07/, 'no terminal escape reaches the terminal');
});

