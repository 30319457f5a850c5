import { createHash, createHmac } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { Sse3Error } from '../errors.js';
import type { GetInput, HeadInput, ObjectBody, ObjectInfo, ObjectRequests, PutInput, RequestOptions, SseCInput,
  UploadPartInput, WriteOutput } from './objects.js';
import { withRetries } from './retry.js';
import { readCapped, SMALL_ANSWER_BYTES } from './caps.js';

/**
 * GetObject, HeadObject, PutObject and UploadPart signed with @smithy/signature-v4 and sent over node:https, for an
 * endpoint given by URL (path-style, as the SDK client is configured for one). Nothing of the SDK client is loaded
 * or built. Everything a caller can see is the SDK's: the output field names, the errors (name and Code from the
 * XML error body, `NotFound`/`Unknown` for a body-less HEAD error, $metadata.httpStatusCode), TimeoutError for
 * --timeout and the connect bound, AbortError, the one retry policy, and the one TLS context (the agent is shared
 * with the SDK client).
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LeanOptions {
  endpoint: URL;
  region: string;
  credentials: Credentials;
  agent: Agent;
  /** Milliseconds the connection may stay silent (--timeout). */
  socketTimeoutMs: number;
  /** Milliseconds to establish the TCP connection. */
  connectTimeoutMs: number;
  /** SSE3_REQUEST_LOG: a file that gets one line per request sent (each attempt), named as the SDK names the command. */
  requestLog?: string;
}

/** SHA-256 of an empty body, as the SDK signs a GET or HEAD. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Request bodies are written in slices, so TLS never holds more than one slice of ciphertext per socket. */
const WRITE_SLICE = 256 * 1024;
const NODEJS_TIMEOUT_ERROR_CODES = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

/** The SDK's encoding of a path label: encodeURIComponent plus !'()*. */
const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d)
  ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** The hash the signer asks for, on node:crypto. */
class Sha256 {
  readonly #h;
  constructor(secret?: SourceData) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }

  update(data: SourceData): void {
    this.#h.update(bytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.#h.digest());
  }
}

type Signer = import('./lean-deps.js').SignatureV4;

interface Call {
  /** The SDK's command name, for the request log. */
  command: 'GetObjectCommand' | 'HeadObjectCommand' | 'PutObjectCommand' | 'UploadPartCommand';
  method: 'GET' | 'HEAD' | 'PUT';
  bucket: string;
  key: string;
  query?: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body?: Buffer;
}

const sseHeaders = (i: SseCInput) => ({
  'x-amz-server-side-encryption-customer-algorithm': i.SSECustomerAlgorithm,
  'x-amz-server-side-encryption-customer-key': i.SSECustomerKey,
  'x-amz-server-side-encryption-customer-key-md5': i.SSECustomerKeyMD5,
});

export class LeanObjects implements ObjectRequests {
  readonly kind = 'lean';
  #signer?: Promise<Signer>;

  constructor(private readonly o: LeanOptions) {
    if (o.endpoint.protocol !== 'https:') throw insecure(o.endpoint.protocol);
  }

  async getObject(i: GetInput, opts?: RequestOptions): Promise<ObjectBody> {
    const res = await this.#send({ command: 'GetObjectCommand', method: 'GET', bucket: i.Bucket, key: i.Key, query: { versionId: i.VersionId },
      headers: { range: i.Range, 'if-match': i.IfMatch, ...sseHeaders(i) } }, opts);
    return { ...objectInfo(res.headers), Body: res };
  }

  async headObject(i: HeadInput, opts?: RequestOptions): Promise<ObjectInfo> {
    const res = await this.#send({ command: 'HeadObjectCommand', method: 'HEAD', bucket: i.Bucket, key: i.Key, query: { versionId: i.VersionId },
      headers: { 'if-match': i.IfMatch, ...sseHeaders(i) } }, opts);
    await drain(res);
    return objectInfo(res.headers);
  }

  async putObject(i: PutInput, opts?: RequestOptions): Promise<WriteOutput> {
    const meta = Object.fromEntries(Object.entries(i.Metadata ?? {}).map(([k, v]) => [`x-amz-meta-${k.toLowerCase()}`, v]));
    const res = await this.#send({ command: 'PutObjectCommand', method: 'PUT', bucket: i.Bucket, key: i.Key, body: i.Body,
      headers: { 'content-type': i.ContentType, 'x-amz-tagging': i.Tagging, ...meta, ...sseHeaders(i) } }, opts);
    await drain(res);
    return writeOutput(res.headers);
  }

  async uploadPart(i: UploadPartInput, opts?: RequestOptions): Promise<WriteOutput> {
    const res = await this.#send({ command: 'UploadPartCommand', method: 'PUT', bucket: i.Bucket, key: i.Key, body: i.Body,
      query: { partNumber: String(i.PartNumber), uploadId: i.UploadId }, headers: sseHeaders(i) }, opts);
    await drain(res);
    return writeOutput(res.headers);
  }

  #send(call: Call, opts: RequestOptions = {}): Promise<IncomingMessage> {
    if (opts.retries === false) return this.#attempt(call, opts.abortSignal);
    return withRetries(() => this.#attempt(call, opts.abortSignal), opts.abortSignal);
  }

  #signerFor(): Promise<Signer> {
    this.#signer ??= import('./lean-deps.js').then(({ SignatureV4 }) => new SignatureV4({
      service: 's3', region: this.o.region, credentials: this.o.credentials, sha256: Sha256,
      // S3 signs the path as sent, without escaping it a second time.
      uriEscapePath: false, applyChecksum: false,
    }));
    return this.#signer;
  }

  /** One signed request; resolves with the response once its status is 2xx, else rejects with the SDK's error shape. */
  async #attempt(call: Call, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const { endpoint } = this.o;
    if (endpoint.protocol !== 'https:') throw insecure(endpoint.protocol);
    const base = endpoint.pathname.replace(/\/+$/, '');
    const path = `${base}/${escape(call.bucket)}/${call.key.split('/').map(escape).join('/')}`;
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query[k] = v;
    const headers: Record<string, string> = { host: endpoint.host,
      'x-amz-content-sha256': call.body ? 'UNSIGNED-PAYLOAD' : EMPTY_SHA256 };
    for (const [k, v] of Object.entries(call.headers)) if (v !== undefined) headers[k] = v;
    if (call.body) headers['content-length'] = String(call.body.length);
    const signed = await (await this.#signerFor()).sign({ method: call.method, protocol: 'https:', hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined, path, query, headers });
    if (this.o.requestLog) appendFileSync(this.o.requestLog, `${call.command}\n`);
    const qs = Object.keys(query).sort().map((k) => `${escape(k)}=${escape(query[k])}`).join('&');
    const res = await this.#exchange({ method: call.method, path: qs ? `${path}?${qs}` : path,
      headers: signed.headers as Record<string, string> }, call.body, signal);
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    throw await serviceError(res, call.method);
  }

  /**
   * The HTTP exchange with the SDK's node handler's timeouts: connecting is bounded by the connect timeout, and once
   * connected the socket may stay silent at most the socket timeout, while waiting for the answer or for more of
   * its body (the body then fails with the same TimeoutError).
   */
  #exchange(req: { method: string; path: string; headers: Record<string, string> }, body: Buffer | undefined,
    signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const { endpoint, agent, socketTimeoutMs, connectTimeoutMs } = this.o;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      let connectTimer: NodeJS.Timeout | undefined;
      const done = () => clearTimeout(connectTimer);
      const fail = (e: Error) => { done(); reject(e); };
      let bodySent = false;
      const r = httpsRequest({ host: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'), port: endpoint.port || undefined,
        method: req.method, path: req.path, headers: req.headers, agent }, (res) => {
        done();
        // An answer before the whole body went (a refusal): the rest is not sent.
        if (!bodySent) res.once('end', () => r.destroy());
        resolve(res);
      });
      r.on('error', (err: NodeJS.ErrnoException) => {
        fail(NODEJS_TIMEOUT_ERROR_CODES.includes(err.code ?? '') ? Object.assign(err, { name: 'TimeoutError' }) : err);
      });
      if (signal) {
        const onAbort = () => {
          r.destroy();
          fail(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        r.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      connectTimer = setTimeout(() => {
        r.destroy();
        fail(timeoutError(`the request socket did not establish a connection with the server within the configured timeout of ${connectTimeoutMs} ms.`));
      }, connectTimeoutMs);
      let response: IncomingMessage | undefined;
      r.once('response', (res: IncomingMessage) => { response = res; });
      const onTimeout = () => {
        if (response?.complete) {
          r.socket?.destroy();
          return;
        }
        const error = timeoutError(`the request socket timed out after ${socketTimeoutMs} ms of inactivity (configured by client requestHandler).`);
        response?.destroy(error);
        r.destroy();
        fail(error);
      };
      const watch = (socket: Socket) => {
        if (socket.connecting) {
          socket.once('connect', () => watch(socket));
          return;
        }
        clearTimeout(connectTimer);
        socket.setTimeout(socketTimeoutMs, onTimeout);
        r.once('close', () => socket.removeListener('timeout', onTimeout));
      };
      r.once('socket', watch);
      writeBody(r, body).then(() => { bodySent = true; }, (e: Error) => { r.destroy(e); fail(e); });
    });
  }
}

/** The body in slices, each handed to the socket before the next is encrypted. */
async function writeBody(r: import('node:http').ClientRequest, body: Buffer | undefined): Promise<void> {
  if (!body) {
    r.end();
    return;
  }
  for (let at = 0; at < body.length; at += WRITE_SLICE) {
    const slice = body.subarray(at, Math.min(body.length, at + WRITE_SLICE));
    await new Promise<void>((resolve, reject) => r.write(slice, (err) => (err ? reject(err) : resolve())));
    if (r.destroyed) return;
  }
  r.end();
}

/**
 * Read and discard the body of an answer whose body sse3 does not use (HEAD, PutObject, UploadPart: empty from S3);
 * one longer than SMALL_ANSWER_BYTES is not read on (its connection is closed).
 */
async function drain(res: IncomingMessage): Promise<void> {
  await readCapped(res, SMALL_ANSWER_BYTES);
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

function objectInfo(h: IncomingHttpHeaders): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const name of Object.keys(h)) if (name.startsWith('x-amz-meta-')) metadata[name.slice(11)] = header(h, name)!;
  const length = header(h, 'content-length');
  const modified = header(h, 'last-modified');
  return dropUndefined({
    ContentLength: length === undefined ? undefined : Number(length),
    ContentRange: header(h, 'content-range'),
    ContentType: header(h, 'content-type'),
    ETag: header(h, 'etag'),
    VersionId: header(h, 'x-amz-version-id'),
    LastModified: modified === undefined ? undefined : new Date(modified),
    Metadata: metadata,
    ...writeOutput(h),
  });
}

function writeOutput(h: IncomingHttpHeaders): WriteOutput {
  return dropUndefined({
    ETag: header(h, 'etag'),
    VersionId: header(h, 'x-amz-version-id'),
    SSECustomerAlgorithm: header(h, 'x-amz-server-side-encryption-customer-algorithm'),
    SSECustomerKeyMD5: header(h, 'x-amz-server-side-encryption-customer-key-md5'),
    ServerSideEncryption: header(h, 'x-amz-server-side-encryption'),
  });
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };
const unxml = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
  XML_ENTITIES[e] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))));

/**
 * An error answer as the SDK builds it for S3 (REST-XML): name and Code from the body's <Code>, else NotFound for
 * a 404 and Unknown otherwise (a HEAD's error has no body); message from <Message>, else "UnknownError";
 * $metadata with the status and request ids; $fault client or server.
 */
async function serviceError(res: IncomingMessage, method: string): Promise<Error> {
  let text = '';
  if (method !== 'HEAD') {
    // An error document longer than SMALL_ANSWER_BYTES is not read on, nor used: the status still says what happened.
    text = (await readCapped(res, SMALL_ANSWER_BYTES).catch(() => undefined))?.toString('utf8') ?? '';
  } else {
    res.resume();
  }
  const field = (name: string) => {
    const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text);
    return m ? unxml(m[1]) : undefined;
  };
  const status = res.statusCode ?? -1;
  const code = field('Code');
  const e = new Error(field('Message') || 'UnknownError') as Error & Record<string, unknown>;
  e.name = code ?? (status === 404 ? 'NotFound' : 'Unknown');
  const fields: Record<string, string | undefined> = { Code: code, RequestId: field('RequestId'), HostId: field('HostId'),
    Resource: field('Resource'), BucketName: field('BucketName') };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) e[k] = v;
  e.$fault = status < 500 ? 'client' : 'server';
  e.$metadata = dropUndefined({ httpStatusCode: status, requestId: header(res.headers, 'x-amz-request-id'),
    extendedRequestId: header(res.headers, 'x-amz-id-2'), cfId: header(res.headers, 'x-amz-cf-id') });
  return e;
}

const timeoutError = (message: string) => Object.assign(new Error(message), { name: 'TimeoutError' });

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const e = new Error(reason && !(reason instanceof Error) ? String(reason) : 'Request aborted');
  e.name = 'AbortError';
  if (reason instanceof Error) e.cause = reason;
  return e;
}

function insecure(protocol: string): Sse3Error {
  return new Sse3Error('INSECURE_ENDPOINT', `refusing to send a request over ${protocol.replace(':', '')}: SSE-C keys travel only over HTTPS`,
    'use the server\'s https:// endpoint');
}
