import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { decodeBase64Key, fingerprintOf, parseKeyFileContent, SseCKey } from '../../src/core/key.js';
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
