import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { LeanObjects } from '../../src/s3/http.js';
import { errorAnswer, HostileS3, makeCertificates } from '../support/hostile-s3.js';

// sse3's own signed requests (src/s3/http.ts) against a local HTTPS S3 (test/support/hostile-s3.ts) and, for what no
// S3 does on purpose (never answering, answering before the body is sent), a bare TLS server of the test's own.

const rawKey = randomBytes(32);
const sse = { SSECustomerAlgorithm: 'AES256' as const, SSECustomerKey: rawKey.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(rawKey).digest('base64') };

let s3: HostileS3;
let dir: string;
before(async () => {
  s3 = await HostileS3.start({ versioned: true });
  dir = mkdtempSync(join(tmpdir(), 'sse3-unit-http-'));
});
after(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

/** sse3's requests to `url`, trusting the test CA; the request log in `log` when given. */
function lean(url: string, opts: { socketTimeoutMs?: number; log?: string } = {}) {
  const agent = new Agent({ ca: readFileSync(s3.caFile), keepAlive: true });
  return new LeanObjects({ endpoint: new URL(url), region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    agent, socketTimeoutMs: opts.socketTimeoutMs ?? 30_000, connectTimeoutMs: 10_000, requestLog: opts.log });
}

const bodyOf = async (body: AsyncIterable<Buffer>) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
};

test('put, head and ranged get: signed requests, the key headers, answers in the SDK\'s field names, one log line per request', async () => {
  const log = join(dir, 'requests.log');
  const objects = lean(s3.url, { log });
  const data = randomBytes(700_000);
  const key = 'dir/a b+c!(x)*.bin';
  const put = await objects.putObject({ Bucket: 'bkt', Key: key, Body: data, ContentType: 'text/x-test', Metadata: { 'Sse3-Sha256': 'abc' },
    Tagging: 'sse3-fp=f1', ...sse });
  assert.equal(put.VersionId, 'v1');
  assert.equal(put.SSECustomerKeyMD5, sse.SSECustomerKeyMD5);
  assert.equal(put.SSECustomerAlgorithm, 'AES256');
  const sent = s3.requests.at(-1)!;
  assert.equal(sent.key, key, 'the key arrives as written, however its characters were escaped');
  assert.deepEqual(sent.body, data);
  assert.match(String(sent.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=/);
  assert.equal(sent.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
  assert.equal(sent.headers['x-amz-meta-sse3-sha256'], 'abc');
  assert.equal(sent.headers['x-amz-tagging'], 'sse3-fp=f1');

  const head = await objects.headObject({ Bucket: 'bkt', Key: key, ...sse });
  assert.equal(head.ContentLength, data.length);
  assert.equal(head.ContentType, 'text/x-test');
  assert.deepEqual(head.Metadata, { 'sse3-sha256': 'abc' });
  assert.equal(head.VersionId, 'v1');
  assert.ok(head.LastModified instanceof Date);
  assert.equal(s3.requests.at(-1)!.headers['x-amz-content-sha256'], createHash('sha256').update('').digest('hex'));

  const got = await objects.getObject({ Bucket: 'bkt', Key: key, VersionId: 'v1', Range: 'bytes=100-299999', ...sse });
  assert.equal(got.ContentRange, `bytes 100-299999/${data.length}`);
  assert.equal(got.ContentLength, 299_900);
  assert.deepEqual(await bodyOf(got.Body), data.subarray(100, 300_000));
  assert.equal(s3.requests.at(-1)!.query.get('versionId'), 'v1');

  await objects.uploadPart({ Bucket: 'bkt', Key: 'part', UploadId: 'u/1', PartNumber: 3, Body: randomBytes(10), ...sse }, { retries: false })
    .catch(() => undefined); // the test server has no multipart uploads: only the request's shape matters here
  const part = s3.requests.at(-1)!;
  assert.equal(part.query.get('partNumber'), '3');
  assert.equal(part.query.get('uploadId'), 'u/1');
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'),
    ['PutObjectCommand', 'HeadObjectCommand', 'GetObjectCommand', 'UploadPartCommand']);
});

test('error answers in the SDK\'s shape: the XML\'s code and message, a bodiless HEAD\'s NotFound, 5xx retried, an over-long document not read', async () => {
  const objects = lean(s3.url);
  const missing = await objects.getObject({ Bucket: 'bkt', Key: 'nothing-here' }).catch((e: unknown) => e) as Record<string, any>;
  assert.equal(missing.name, 'NoSuchKey');
  assert.equal(missing.Code, 'NoSuchKey');
  assert.equal(missing.RequestId, 'hostile');
  assert.equal(missing.$fault, 'client');
  assert.deepEqual(missing.$metadata, { httpStatusCode: 404, requestId: 'hostile' });

  const head = await objects.headObject({ Bucket: 'bkt', Key: 'nothing-here' }).catch((e: unknown) => e) as Record<string, any>;
  assert.equal(head.name, 'NotFound');
  assert.equal(head.message, 'UnknownError');
  assert.equal(head.Code, undefined);

  s3.script = (r) => (r.key === 'escaped' ? errorAnswer(400, 'InvalidArgument', 'a <b> & "c" \u00e9') : undefined);
  const escaped = await objects.getObject({ Bucket: 'bkt', Key: 'escaped' }).catch((e: unknown) => e) as Error;
  assert.equal(escaped.message, 'a <b> & "c" \u00e9');

  const before503 = s3.requests.length;
  s3.script = (r) => (r.key === 'busy' ? errorAnswer(503, 'SlowDown') : undefined);
  const busy = await objects.getObject({ Bucket: 'bkt', Key: 'busy' }).catch((e: unknown) => e) as Record<string, any>;
  assert.equal(busy.name, 'SlowDown');
  assert.equal(busy.$fault, 'server');
  assert.equal(s3.requests.length - before503, 3, 'a 5xx is tried three times under the one retry policy');
  const once503 = s3.requests.length;
  await objects.getObject({ Bucket: 'bkt', Key: 'busy' }, { retries: false }).catch(() => undefined);
  assert.equal(s3.requests.length - once503, 1, 'retries: false sends it once');

  s3.script = (r) => (r.key === 'huge-error'
    ? { status: 403, headers: { 'content-type': 'application/xml' }, body: Buffer.from(`<Error><Code>AccessDenied</Code>${' '.repeat(100_000)}</Error>`) }
    : undefined);
  const huge = await objects.getObject({ Bucket: 'bkt', Key: 'huge-error' }).catch((e: unknown) => e) as Record<string, any>;
  assert.equal(huge.name, 'Unknown', 'an error document over 64 KiB is not read');
  assert.equal(huge.$metadata.httpStatusCode, 403);
  s3.script = undefined;
});

/** A bare TLS server: `onRequest` gets each connection once a request's head has arrived (the body is not read). */
async function bareServer(onRequest: (socket: TLSSocket, head: string) => void) {
  const certs = makeCertificates(mkdtempSync(join(dir, 'bare-')));
  const server = createServer({ key: certs.key, cert: certs.cert }, (socket) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      onRequest(socket, head.slice(0, end));
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ ca: readFileSync(certs.caFile), keepAlive: true });
  const objects = (socketTimeoutMs = 30_000) => new LeanObjects({ endpoint: new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`),
    region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, agent, socketTimeoutMs, connectTimeoutMs: 10_000 });
  const close = () => { agent.destroy(); server.close(); };
  return { objects, close };
}

test('--timeout: a server silent before its answer, or in the middle of a body, fails with TimeoutError', async () => {
  const bare = await bareServer((socket, head) => {
    if (head.includes('/bkt/stalls-body')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nx-amz-version-id: v9\r\n\r\n0123456789');
    }
    // Otherwise nothing at all: the request was received, the answer never comes.
  });
  try {
    const silent = await bare.objects(300).headObject({ Bucket: 'bkt', Key: 'silent' }, { retries: false }).catch((e: unknown) => e) as Error;
    assert.equal(silent.name, 'TimeoutError');
    assert.match(silent.message, /timed out after 300 ms of inactivity/);

    const stalled = await bare.objects(300).getObject({ Bucket: 'bkt', Key: 'stalls-body' }, { retries: false });
    assert.equal(stalled.VersionId, 'v9');
    const cut = await bodyOf(stalled.Body).catch((e: unknown) => e) as Error;
    assert.equal(cut.name, 'TimeoutError');
  } finally {
    bare.close();
  }
});

test('Ctrl-C: an aborted request fails with AbortError, its reason as the cause; one aborted before it starts is never sent', async () => {
  const seen: string[] = [];
  const arrived: Array<() => void> = [];
  const bare = await bareServer((_socket, head) => {
    seen.push(head.split(' ')[1]);
    arrived.shift()?.();
  });
  try {
    const controller = new AbortController();
    const request = bare.objects().getObject({ Bucket: 'bkt', Key: 'waits' }, { abortSignal: controller.signal }).catch((e: unknown) => e);
    await new Promise<void>((resolve) => arrived.push(resolve));
    const reason = new Error('interrupted by the user');
    controller.abort(reason);
    const aborted = await request as Error;
    assert.equal(aborted.name, 'AbortError');
    assert.equal(aborted.cause, reason);

    const early = await bare.objects().getObject({ Bucket: 'bkt', Key: 'never' }, { abortSignal: AbortSignal.abort() }).catch((e: unknown) => e) as Error;
    assert.equal(early.name, 'AbortError');
    assert.deepEqual(seen, ['/bkt/waits']);
  } finally {
    bare.close();
  }
});

test('an answer before the whole body went (a refusal) ends the request and closes its connection', { timeout: 60_000 }, async () => {
  let server: TLSSocket | undefined;
  let closed: Promise<unknown> | undefined;
  const bare = await bareServer((socket) => {
    // The body is not read while the refusal goes out and the client reads it.
    server = socket;
    closed = once(socket, 'close');
    socket.on('data', () => undefined);
    const xml = '<Error><Code>AccessDenied</Code><Message>no</Message></Error>';
    socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: ${xml.length}\r\n\r\n${xml}`);
  });
  try {
    // A --timeout longer than the test may take: what closes the connection is not its expiry.
    const refused = await bare.objects(600_000).putObject({ Bucket: 'bkt', Key: 'refused', Body: Buffer.alloc(64 * 1024 * 1024) },
      { retries: false })
      .catch((e: unknown) => e) as Record<string, any>;
    assert.equal(refused.name, 'AccessDenied');
    assert.equal(refused.$metadata.httpStatusCode, 403);
    // Now the server reads on: the connection ends only because the client closed it (kept alive, it would stay open).
    server!.resume();
    await closed;
  } finally {
    bare.close();
  }
});
