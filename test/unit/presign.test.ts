// Presigned links (src/s3/presign.ts): addressed as sse3's requests are, signed for the SSE-C algorithm and key MD5 as
// headers (never hoisted into the query), the key nowhere in the link; durations and links given back checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SseCKey } from '../../src/keys/key.js';
import { parseExpires, parseLink, presignObject, refuseExpired } from '../../src/s3/presign.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

test('a link is path-style on an endpoint given by URL, virtual-hosted on AWS; the SSE-C headers signed, never in the query', async () => {
  const raw = randomBytes(32);
  const sseKey = new SseCKey(raw, 'test');
  const signingDate = new Date('2026-12-07T05:00:00Z');
  const cases = [
    [{ url: new URL('https://127.0.0.1:8443'), region: 'us-east-1', credentials }, 'https://127.0.0.1:8443/b-1/dir/a%20b.txt?'],
    [{ region: 'eu-west-1', credentials }, 'https://b-1.s3.eu-west-1.amazonaws.com/dir/a%20b.txt?'],
    [{ region: 'eu-west-1', credentials, addressingStyle: 'path' as const }, 'https://s3.eu-west-1.amazonaws.com/b-1/dir/a%20b.txt?'],
  ] as const;
  for (const [settings, starts] of cases) {
    for (const method of ['GET', 'PUT'] as const) {
      const link = await presignObject(settings, { method, bucket: 'b-1', key: 'dir/a b.txt', expiresSeconds: 900, sseKey, signingDate });
      assert.ok(link.url.startsWith(starts), link.url);
      assert.deepEqual(link.signedHeaders, ['host', 'x-amz-server-side-encryption-customer-algorithm',
        'x-amz-server-side-encryption-customer-key-md5']);
      const q = new URL(link.url).searchParams;
      assert.deepEqual([q.get('X-Amz-Expires'), q.get('X-Amz-Date')], ['900', '20261207T050000Z']);
      for (const name of q.keys()) assert.doesNotMatch(name, /server-side-encryption/i);
      for (const form of [raw.toString('base64'), encodeURIComponent(raw.toString('base64')), raw.toString('hex'), sseKey.keyMd5]) {
        assert.ok(!link.url.includes(form) && !decodeURIComponent(link.url).includes(form), 'neither the key nor its MD5 in the link');
      }
      const parsed = parseLink(link.url);
      assert.deepEqual([parsed.bucket, parsed.key, parsed.expiresAt?.toISOString()], ['b-1', 'dir/a b.txt', '2026-12-07T05:15:00.000Z']);
      assert.throws(() => refuseExpired(parsed, new Date('2026-12-07T05:15:00Z')), /expired at 2026-12-07T05:15:00.000Z/);
      refuseExpired(parsed, new Date('2026-12-07T05:14:59Z'));
    }
  }
});

test('durations from 1 second to 7 days; links that are not https SigV4 links are refused', () => {
  assert.deepEqual(['1', '90s', '15m', '1h', '7d', '604800'].map(parseExpires), [1, 90, 900, 3600, 604800, 604800]);
  for (const bad of ['0', '8d', '604801', '1w', '-5m', '1.5h', '']) assert.throws(() => parseExpires(bad), /not a duration from 1s to 7d/, bad);
  assert.throws(() => parseLink('http://s3.example.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00'),
    /refusing to send an SSE-C key over plain HTTP/);
  assert.throws(() => parseLink('https://s3.example.com/b/k'), /is not a presigned S3 link/);
  assert.throws(() => parseLink('https://'), /not a URL/);
});
