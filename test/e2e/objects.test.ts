// The lean data-path requests (src/s3/http.ts, signed by sse3 over node:https) against the same requests sent
// through the AWS SDK client, on the real Ceph RGW: same answers, same error shapes, same mapped errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { SseCKey } from '../../src/keys/key.js';
import { connect, type Connection } from '../../src/s3/client.js';
import { describeS3Error } from '../../src/s3/errors.js';
import type { ObjectRequests } from '../../src/s3/objects.js';
import { sdkObjects } from '../../src/s3/objects.js';
import { adminClient, makeKeyFile, newBucket, newHome, packagesLoaded, rememberSecret, requestCounts, run, waitFor } from './harness.js';

const keyA = new SseCKey(randomBytes(32), 'test:a');
const keyB = new SseCKey(randomBytes(32), 'test:b');
for (const k of [keyA, keyB]) rememberSecret(Buffer.from(k.exportBase64(), 'base64'));

async function both(): Promise<{ conn: Connection; lean: ObjectRequests; sdk: ObjectRequests }> {
  const conn = await connect({});
  assert.equal(conn.objects.kind, 'lean', 'an endpoint given by URL with credentials in the environment takes the lean path');
  return { conn, lean: conn.objects, sdk: sdkObjects(conn.client, conn.singleAttemptClient) };
}

/** What sse3 reads of an error: the SDK's fields and the sentence describeS3Error makes of it. */
function errorShape(e: unknown, sentFingerprint?: string) {
  const err = e as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const mapped = describeS3Error(e, { op: 'get', url: 's3://b/k', sentFingerprint });
  return { name: err.name, Code: err.Code, status: err.$metadata?.httpStatusCode, fault: err.$fault, message: err.message,
    mapped: { code: mapped.code, message: mapped.message, exitCode: mapped.exitCode } };
}

async function failure(p: Promise<unknown>, what = ''): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail(`the request should have failed: ${what}`);
}

async function bodyOf(r: { Body: AsyncIterable<Buffer> }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r.Body) chunks.push(c);
  return Buffer.concat(chunks);
}

const READ = ['ContentLength', 'ContentRange', 'ContentType', 'ETag', 'VersionId', 'LastModified', 'Metadata', 'SSECustomerAlgorithm',
  'SSECustomerKeyMD5', 'ServerSideEncryption'];

/** The fields of an answer sse3 reads (the lean path answers only those). */
function fields(r: object): object {
  const o = Object.fromEntries(Object.entries(r).filter(([k, v]) => READ.includes(k) && v !== undefined));
  if (o.LastModified instanceof Date) o.LastModified = o.LastModified.toISOString();
  return o;
}

test('lean and SDK requests give the same answers: put, get (whole and ranged), head, upload part; keys with any characters', async () => {
  const { conn, lean, sdk } = await both();
  try {
    const bucket = await newBucket('objects');
    const body = randomBytes(100_000);
    for (const key of ['plain.bin', 'with space/and+plus/é ü/!\'()*[]~@$&=;:,?#%.bin', 'a//double/slash', '-leading-dash']) {
      for (const [writer, reader] of [[lean, sdk], [sdk, lean]] as const) {
        const put = await writer.putObject({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-test',
          Metadata: { 'sse3-fp': keyA.fingerprint }, Tagging: 'sse3-fp=abc&x=y%20z', ...keyA.sseC() });
        assert.equal(put.SSECustomerAlgorithm, 'AES256');
        assert.equal(put.SSECustomerKeyMD5, keyA.keyMd5);
        const [g1, g2] = [await reader.getObject({ Bucket: bucket, Key: key, ...keyA.sseC() }),
          await writer.getObject({ Bucket: bucket, Key: key, ...keyA.sseC() })];
        assert.deepEqual(await bodyOf(g1), body, `${key}: bytes written by ${writer.kind} read by ${reader.kind}`);
        assert.deepEqual(await bodyOf(g2), body);
        assert.deepEqual(fields(g1), fields(g2));
        const r1 = await lean.getObject({ Bucket: bucket, Key: key, Range: 'bytes=10-99', ...keyA.sseC() });
        const r2 = await sdk.getObject({ Bucket: bucket, Key: key, Range: 'bytes=10-99', ...keyA.sseC() });
        assert.deepEqual(await bodyOf(r1), body.subarray(10, 100));
        await bodyOf(r2);
        assert.deepEqual(fields(r1), fields(r2));
        assert.equal((fields(r1) as { ContentRange: string }).ContentRange, `bytes 10-99/${body.length}`);
        const [h1, h2] = [await lean.headObject({ Bucket: bucket, Key: key, ...keyA.sseC() }),
          await sdk.headObject({ Bucket: bucket, Key: key, ...keyA.sseC() })];
        assert.deepEqual(fields(h1), fields(h2));
        assert.deepEqual((h1 as { Metadata: object }).Metadata, { 'sse3-fp': keyA.fingerprint });
      }
    }
    const s3 = await import('@aws-sdk/client-s3');
    const tags = await (await adminClient()).send(new s3.GetObjectTaggingCommand({ Bucket: bucket, Key: 'plain.bin' }));
    assert.deepEqual(tags.TagSet?.map((t) => [t.Key, t.Value]).sort(), [['sse3-fp', 'abc'], ['x', 'y z']]);
    const created = await (await adminClient()).send(new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ...keyA.sseC() }));
    const part = randomBytes(5 * 1024 * 1024);
    const p1 = await lean.uploadPart({ Bucket: bucket, Key: 'mp', UploadId: created.UploadId!, PartNumber: 1, Body: part, ...keyA.sseC() });
    const p2 = await sdk.uploadPart({ Bucket: bucket, Key: 'mp', UploadId: created.UploadId!, PartNumber: 2, Body: part, ...keyA.sseC() });
    assert.equal(p1.SSECustomerKeyMD5, keyA.keyMd5);
    assert.equal(p1.ETag, p2.ETag, 'the same bytes give the same part ETag');
    assert.deepEqual(Object.keys(fields(p1)).sort(), Object.keys(fields(p2)).sort());
  } finally {
    conn.close();
  }
});

test('lean and SDK requests fail alike: wrong key, no key, missing object, version or bucket, plain object, unknown upload', async () => {
  const { conn, lean, sdk } = await both();
  try {
    const bucket = await newBucket('objects');
    const s3 = await import('@aws-sdk/client-s3');
    await lean.putObject({ Bucket: bucket, Key: 'enc', Body: Buffer.from('secret'), ...keyA.sseC() });
    await (await adminClient()).send(new s3.PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'plain' }));
    const cases: Array<[string, (o: ObjectRequests) => Promise<unknown>, string | undefined]> = [
      ['get, wrong key', (o) => o.getObject({ Bucket: bucket, Key: 'enc', ...keyB.sseC() }), keyB.fingerprint],
      ['head, wrong key', (o) => o.headObject({ Bucket: bucket, Key: 'enc', ...keyB.sseC() }), keyB.fingerprint],
      ['get, no key', (o) => o.getObject({ Bucket: bucket, Key: 'enc' }), undefined],
      ['head, no key', (o) => o.headObject({ Bucket: bucket, Key: 'enc' }), undefined],
      ['get, missing object', (o) => o.getObject({ Bucket: bucket, Key: 'nope', ...keyA.sseC() }), keyA.fingerprint],
      ['head, missing object', (o) => o.headObject({ Bucket: bucket, Key: 'nope', ...keyA.sseC() }), keyA.fingerprint],
      ['get, missing version', (o) => o.getObject({ Bucket: bucket, Key: 'enc', VersionId: 'nope', ...keyA.sseC() }), keyA.fingerprint],
      ['get, missing bucket', (o) => o.getObject({ Bucket: `${bucket}-nope`, Key: 'enc', ...keyA.sseC() }), keyA.fingerprint],
      ['head, missing bucket', (o) => o.headObject({ Bucket: `${bucket}-nope`, Key: 'enc', ...keyA.sseC() }), keyA.fingerprint],
      ['get, range past the end', (o) => o.getObject({ Bucket: bucket, Key: 'enc', Range: 'bytes=100-200', ...keyA.sseC() }), keyA.fingerprint],
      ['get, if-match fails', (o) => o.getObject({ Bucket: bucket, Key: 'enc', IfMatch: '"0123"', ...keyA.sseC() }), keyA.fingerprint],
      ['put, missing bucket', (o) => o.putObject({ Bucket: `${bucket}-nope`, Key: 'x', Body: Buffer.from('x'), ...keyA.sseC() }),
        keyA.fingerprint],
      ['upload part, unknown upload', (o) => o.uploadPart({ Bucket: bucket, Key: 'x', UploadId: 'nope', PartNumber: 1,
        Body: Buffer.from('x'), ...keyA.sseC() }), keyA.fingerprint],
    ];
    for (const [what, call, fp] of cases) {
      const [l, s] = [await failure(call(lean), `${what} (lean)`), await failure(call(sdk), `${what} (sdk)`)];
      assert.deepEqual(errorShape(l, fp), errorShape(s, fp), what);
    }
    // A plain object read with a key: Ceph RGW answers 200 without SSE-C headers, both paths pass that on.
    const [pl, ps] = [await lean.getObject({ Bucket: bucket, Key: 'plain', ...keyA.sseC() }),
      await sdk.getObject({ Bucket: bucket, Key: 'plain', ...keyA.sseC() })];
    assert.deepEqual(await bodyOf(pl), Buffer.from('plain'));
    await bodyOf(ps);
    assert.deepEqual(fields(pl), fields(ps));
    assert.equal((fields(pl) as { SSECustomerAlgorithm?: string }).SSECustomerAlgorithm, undefined);
  } finally {
    conn.close();
  }
});

test('lean and SDK requests time out alike on a silent server, and stop alike on abort', async () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const conn = await connect({ endpointUrl: `https://127.0.0.1:${port}`, timeout: 1 });
  try {
    assert.equal(conn.objects.kind, 'lean');
    const sdk = sdkObjects(conn.client, conn.singleAttemptClient);
    for (const o of [conn.objects, sdk]) {
      const e = await failure(o.headObject({ Bucket: 'b', Key: 'k', ...keyA.sseC() }, { retries: false }));
      assert.equal((e as Error).name, 'TimeoutError', `${o.kind}: ${(e as Error).message}`);
      assert.equal(describeS3Error(e, { op: 'head', url: 's3://b/k' }).code, 'UNREACHABLE');
      const ac = new AbortController();
      const connections = sockets.length;
      const pending = failure(o.getObject({ Bucket: 'b', Key: 'k' }, { abortSignal: ac.signal }));
      // Aborted once it is in flight: connected to the server, which never answers.
      await waitFor(`the ${o.kind} GET to connect`, () => sockets.length > connections, 30_000, 5);
      ac.abort();
      const aborted = await pending;
      assert.equal((aborted as Error).name, 'AbortError', o.kind);
      assert.equal(describeS3Error(aborted, { op: 'get', url: 's3://b/k' }).code, 'INTERRUPTED');
    }
  } finally {
    conn.close();
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('the lean path is refused for anything but https', async () => {
  const { LeanObjects } = await import('../../src/s3/http.js');
  const { Agent } = await import('node:https');
  assert.throws(() => new LeanObjects({ endpoint: new URL('http://127.0.0.1:1'), region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, agent: new Agent(), socketTimeoutMs: 1000, connectTimeoutMs: 1000 }),
  (e: Error & { code?: string }) => e.code === 'INSECURE_ENDPOINT');
});

test('a small put and get send one request each, the one needed, without loading the SDK client', async () => {
  const home = newHome();
  const key = await makeKeyFile(home, 'k');
  const bucket = await newBucket('lean');
  const file = join(home.dir, 'small.bin');
  const data = randomBytes(1024);
  writeFileSync(file, data);
  const url = `s3://${bucket}/small.bin`;

  const putLog = join(home.dir, 'put.log');
  const put = await packagesLoaded(['put', file, url, '--key', key.ref], { home, env: { SSE3_REQUEST_LOG: putLog } });
  assert.equal(put.result.code, 0, put.result.stderr);
  assert.deepEqual(requestCounts(putLog), { PutObjectCommand: 1 }, 'the PUT answer confirms the key: no HEAD after it');
  assert.ok(!put.packages.includes('@aws-sdk/client-s3'), `put loaded: ${put.packages.join(' ')}`);

  const getLog = join(home.dir, 'get.log');
  const out = join(home.dir, 'out.bin');
  const get = await packagesLoaded(['get', url, out, '--key', key.ref], { home, env: { SSE3_REQUEST_LOG: getLog } });
  assert.equal(get.result.code, 0, get.result.stderr);
  assert.deepEqual(requestCounts(getLog), { GetObjectCommand: 1 }, 'no HEAD before the GET, no settling with nothing pending');
  assert.ok(!get.packages.includes('@aws-sdk/client-s3'), `get loaded: ${get.packages.join(' ')}`);
  assert.deepEqual(readFileSync(out), data);

  // The wrong key: still the one GET, mapped as the SDK's answer would be (exit 3).
  const other = await makeKeyFile(home, 'other');
  const wrongLog = join(home.dir, 'wrong.log');
  const wrong = await run(['get', url, join(home.dir, 'wrong.bin'), '--key', other.ref], { home, env: { SSE3_REQUEST_LOG: wrongLog } });
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.match(wrong.stderr, /^error: .*key/m);
  assert.equal(requestCounts(wrongLog).HeadObjectCommand, undefined);
});
