import { createHash, createHmac } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Agent, IncomingMessage } from 'node:http';
import { objectInfo, writeOutput } from './answer-headers.js';
import { readCapped, SMALL_ANSWER_BYTES } from './caps.js';
import { Exchange } from './exchange.js';
import { insecureRequest } from './https-only.js';
import type { GetInput, HeadInput, ObjectBody, ObjectInfo, ObjectRequests, PutInput, RequestOptions, SseCInput,
  UploadPartInput, WriteOutput } from './objects.js';
import { type AddressingStyle, isVirtualHosted } from './addressing.js';
import { ServerClock } from './clock.js';
import { withRetries } from './retry.js';
import { serviceError } from './service-error.js';

/**
 * GetObject, HeadObject, PutObject and UploadPart signed with @smithy/signature-v4 and sent over node:https with the
 * SDK Node handler's timeouts (exchange.ts), for an endpoint given by URL (path-style unless the profile's addressing_style says
 * otherwise, as the SDK client is configured).
 * Nothing of the SDK client is loaded or built. Everything a caller can see is the SDK's: the output field names
 * (answer-headers.ts), the errors (service-error.ts), TimeoutError for --timeout and the connect bound, AbortError,
 * the one retry policy, and the one TLS context (the agent is shared with the SDK client).
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LeanOptions {
  endpoint: URL;
  /** The profile's addressing_style: path-style unless it says virtual or auto (and the bucket can be a host name). */
  addressingStyle?: AddressingStyle;
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

/** The SDK's encoding of a path label: encodeURIComponent plus !'()*. */
export const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d)
  ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** The hash the signer asks for, on node:crypto. */
export class Sha256 {
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
  readonly #exchange: Exchange;
  readonly #clock = new ServerClock();

  constructor(private readonly o: LeanOptions) {
    if (o.endpoint.protocol !== 'https:') throw insecureRequest(o.endpoint.protocol);
    this.#exchange = new Exchange(o);
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
      headers: { 'content-type': i.ContentType, 'cache-control': i.CacheControl, 'content-disposition': i.ContentDisposition,
        'x-amz-storage-class': i.StorageClass, 'x-amz-tagging': i.Tagging, 'if-match': i.IfMatch, ...meta, ...sseHeaders(i) } }, opts);
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

  /**
   * One signed request; resolves with the response once its status is 2xx, else rejects with the SDK's error shape. A
   * refusal whose Date shows this machine's clock off the server's is sent once more at the server's time, as the SDK
   * does; refused again with the clock still off, the error says so ($metadata.clockSkewCorrected, as the SDK marks it).
   */
  async #attempt(call: Call, signal: AbortSignal | undefined, clockCorrected = false): Promise<IncomingMessage> {
    const { endpoint } = this.o;
    if (endpoint.protocol !== 'https:') throw insecureRequest(endpoint.protocol);
    const virtual = isVirtualHosted(endpoint, call.bucket, this.o.addressingStyle);
    const hostname = virtual ? `${call.bucket}.${endpoint.hostname}` : endpoint.hostname;
    const objectPath = call.key.split('/').map(escape).join('/');
    const path = virtual ? `/${objectPath}` : `/${escape(call.bucket)}/${objectPath}`;
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query[k] = v;
    const headers: Record<string, string> = { host: endpoint.port ? `${hostname}:${endpoint.port}` : hostname,
      'x-amz-content-sha256': call.body ? 'UNSIGNED-PAYLOAD' : EMPTY_SHA256 };
    for (const [k, v] of Object.entries(call.headers)) if (v !== undefined) headers[k] = v;
    if (call.body) headers['content-length'] = String(call.body.length);
    const signed = await (await this.#signerFor()).sign({ method: call.method, protocol: 'https:', hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined, path, query, headers }, { signingDate: this.#clock.now() });
    if (this.o.requestLog) appendFileSync(this.o.requestLog, `${call.command}\n`);
    const res = await this.#exchange.send({ method: call.method, hostname, port: signed.port, path, query,
      headers: signed.headers as Record<string, string> }, call.body, signal);
    const skewed = this.#clock.learn(res.headers.date);
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    const error = await serviceError(res, call.method) as Error & { $metadata?: Record<string, unknown> };
    if (skewed && !clockCorrected) return this.#attempt(call, signal, true);
    if (skewed && error.$metadata) error.$metadata.clockSkewCorrected = true;
    throw error;
  }
}

/**
 * Read and discard the body of an answer whose body sse3 does not use (HEAD, PutObject, UploadPart: empty from S3);
 * one longer than SMALL_ANSWER_BYTES is not read on (its connection is closed).
 */
async function drain(res: IncomingMessage): Promise<void> {
  await readCapped(res, SMALL_ANSWER_BYTES);
}
