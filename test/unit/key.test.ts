import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeBase64Key, fingerprintOf, parseImportedKey, parseKeyFileContent, SseCKey } from '../../src/keys/key.js';
import { Sse3Error } from '../../src/errors.js';

const raw = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

test('SSE-C params: AES256, base64 of the raw key, base64 MD5 of the raw key', () => {
  const key = new SseCKey(raw, 'test');
  const p = key.sseC();
  assert.equal(p.SSECustomerAlgorithm, 'AES256');
  assert.equal(p.SSECustomerKey, 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
  assert.equal(p.SSECustomerKeyMD5, createHash('md5').update(raw).digest('base64'));
  assert.equal(Buffer.from(p.SSECustomerKey, 'base64').length, 32);
  assert.strictEqual(key.sseC(), p, 'computed once per key');
});

test('copy-source params carry the same values under the copy-source names', () => {
  const key = new SseCKey(raw, 'test');
  const c = key.copySourceSseC();
  assert.deepEqual(c, {
    CopySourceSSECustomerAlgorithm: 'AES256',
    CopySourceSSECustomerKey: key.sseC().SSECustomerKey,
    CopySourceSSECustomerKeyMD5: key.sseC().SSECustomerKeyMD5,
  });
});

test('fingerprint is a labelled SHA-256, not the MD5 or a bare hash of the key', () => {
  const fp = fingerprintOf(raw);
  assert.match(fp, /^[0-9a-f]{20}$/);
  assert.equal(fp, createHash('sha256').update('sse3 key fingerprint v1\0').update(raw).digest('hex').slice(0, 20));
  assert.notEqual(fp, createHash('sha256').update(raw).digest('hex').slice(0, 20));
  assert.ok(!createHash('md5').update(raw).digest('hex').startsWith(fp));
  assert.notEqual(fingerprintOf(randomBytes(32)), fp);
  assert.equal(new SseCKey(raw, 'a').fingerprint, fingerprintOf(raw));
});

test('string, JSON and inspect forms never contain the key', () => {
  const key = new SseCKey(raw, 'test');
  const b64 = key.sseC().SSECustomerKey;
  for (const shown of [String(key), JSON.stringify(key), inspect(key), `${key}`]) {
    assert.ok(!shown.includes(b64), shown);
    assert.ok(!shown.includes(raw.toString('hex')), shown);
    assert.ok(shown.includes(key.fingerprint));
  }
});

test('a key must be 32 bytes', () => {
  assert.throws(() => new SseCKey(Buffer.alloc(31), 'x'), (e: Sse3Error) => e.code === 'KEY_FORMAT' && /32 bytes, got 31/.test(e.message));
});

test('key file: 32 raw bytes', () => {
  assert.equal(parseKeyFileContent(raw, 'f').fingerprint, fingerprintOf(raw));
});

test('key file: base64 with or without trailing newline', () => {
  const b64 = raw.toString('base64');
  assert.equal(parseKeyFileContent(Buffer.from(b64), 'f').fingerprint, fingerprintOf(raw));
  assert.equal(parseKeyFileContent(Buffer.from(b64 + '\n'), 'f').fingerprint, fingerprintOf(raw));
  assert.equal(parseKeyFileContent(Buffer.from(b64 + '\r\n'), 'f').fingerprint, fingerprintOf(raw));
});

test('key file: wrong lengths, empty, binary and bad base64 are refused with KEY_FORMAT', () => {
  const bad = [
    Buffer.alloc(0), Buffer.alloc(16, 1), Buffer.alloc(33, 1), Buffer.alloc(64, 0xff),
    Buffer.from(randomBytes(16).toString('base64')), Buffer.from(randomBytes(48).toString('base64')),
    Buffer.from('!!!!' + raw.toString('base64').slice(4)), Buffer.from(raw.toString('base64').slice(0, -1)),
    Buffer.from(raw.toString('hex')),
  ];
  for (const content of bad) {
    assert.throws(() => parseKeyFileContent(content, 'f'), (e: Sse3Error) => e.code === 'KEY_FORMAT', content.toString('hex'));
  }
});

test('base64 key text: errors name the source but never echo the value', () => {
  const secretish = randomBytes(31).toString('base64');
  assert.throws(() => decodeBase64Key(secretish, 'environment variable K'), (e: Sse3Error) =>
    e.code === 'KEY_FORMAT' && e.message.includes('environment variable K') && !e.message.includes(secretish));
  assert.throws(() => decodeBase64Key('   ', 'env'), (e: Sse3Error) => /empty/.test(e.message));
});

test('parseImportedKey: the forms SSE-C guides produce, detected, with one trailing newline ignored', () => {
  const raw = randomBytes(32);
  const secret = '32bytesOfTotallyRandomCharacters';
  const fp = (b: Buffer) => new SseCKey(b, 't').fingerprint;
  const cases: Array<[Buffer, string, string]> = [
    [raw, fp(raw), 'raw'],
    [Buffer.from(secret), fp(Buffer.from(secret)), 'text'],
    [Buffer.from(`${secret}\n`), fp(Buffer.from(secret)), 'text'],
    [Buffer.from(`${secret}\r\n`), fp(Buffer.from(secret)), 'text'],
    [Buffer.from(`${raw.toString('base64')}\n`), fp(raw), 'base64'],
    [Buffer.from(`${raw.toString('hex')}\n`), fp(raw), 'hex'],
    [Buffer.from(raw.toString('hex').toUpperCase()), fp(raw), 'hex'],
  ];
  for (const [content, fingerprint, format] of cases) {
    const r = parseImportedKey(content, 'input');
    assert.equal(r.key.fingerprint, fingerprint, format);
    assert.equal(r.format, format);
  }
  // A raw key whose last byte happens to be a newline is still 32 bytes: nothing is stripped.
  const endsInNewline = Buffer.concat([randomBytes(31), Buffer.from('\n')]);
  assert.equal(parseImportedKey(endsInNewline, 'input').key.fingerprint, fp(endsInNewline));
  assert.equal(parseImportedKey(endsInNewline, 'input', 'raw').key.fingerprint, fp(endsInNewline));
});

test('parseImportedKey refuses other lengths and bad encodings, saying what it found, never the content', () => {
  const bad = (content: Buffer, format: Parameters<typeof parseImportedKey>[2], found: RegExp) =>
    assert.throws(() => parseImportedKey(content, 'input', format), (e: Sse3Error) => e.code === 'KEY_FORMAT' && found.test(e.message)
      && /32 raw bytes/.test(e.hint ?? '') && !e.message.includes(content.toString('latin1').trim() || '\0'));
  bad(Buffer.alloc(0), undefined, /is empty/);
  bad(randomBytes(31), undefined, /holds 31 bytes/);
  bad(Buffer.concat([randomBytes(32), Buffer.from([0])]), undefined, /holds 33 bytes/);
  bad(Buffer.from('x'.repeat(33)), undefined, /holds 33 characters/);
  bad(Buffer.from('x'.repeat(31) + '\n'), undefined, /holds 31 characters and a newline/);
  bad(Buffer.from('x'.repeat(30) + '\r\n'), undefined, /holds 30 characters and a newline/);
  bad(Buffer.from(`${randomBytes(31).toString('base64')}`), 'base64', /base64 of 31 bytes/);
  bad(Buffer.from('!'.repeat(44)), 'base64', /is not base64/);
  bad(Buffer.from('g'.repeat(64)), 'hex', /is not hex/);
  bad(Buffer.from('a'.repeat(62)), 'hex', /holds 62 hex digits/);
  bad(randomBytes(32), 'text', /not a text secret/);
  bad(Buffer.from(randomBytes(32).toString('base64')), 'raw', /holds 44 bytes/);
  bad(Buffer.from(randomBytes(32).toString('base64')), 'text', /holds 44 characters/);
});
