// A small S3 server over HTTPS on 127.0.0.1 that the tests script to misbehave. It answers the requests sse3 sends
// (PUT, GET with Range, HEAD, object tags, ListObjectsV2, ListObjectVersions, DELETE) honestly from memory — SSE-C
// only in form: it stores the plaintext and the key's MD5, refuses another key and echoes the one sent — and a test
// replaces any answer with a scripted one: an over-long body, a Content-Range that does not match the body, another
// version, another key's MD5, a huge tag value, listing or error body. Its TLS certificate comes from a throwaway CA
// made with openssl in a temporary folder, removed when the test ends; sse3 trusts it through --ca-bundle.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './tempdir.js';

export interface HostileRequest {
  method: string;
  bucket: string;
  /** '' for a request on the bucket (a listing). */
  key: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * An answer: status, headers and body. `chunked`: the body goes out in several writes without a Content-Length (so
 * the client sees exactly the bytes sent); otherwise Content-Length is the body's length unless a header sets it.
 */
export interface Answer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  chunked?: boolean;
}

/**
 * A test's script: the answer to send instead of the honest one (which it may change), undefined for the honest one, or
 * 'no answer': the request is left hanging (until the client gives up or the server closes).
 */
export type Script = (req: HostileRequest, honest: () => Answer) => Answer | 'no answer' | undefined;

export interface StoredVersion {
  versionId: string;
  body: Buffer;
  /** Base64 MD5 of the SSE-C key it was written with; undefined: stored plain. */
  keyMd5?: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  contentType: string;
  etag: string;
  lastModified: Date;
}

const SSE_ALGORITHM = 'x-amz-server-side-encryption-customer-algorithm';
const SSE_KEY_MD5 = 'x-amz-server-side-encryption-customer-key-md5';

/** Base64 MD5 of a raw key, as S3 echoes it. */
export const keyMd5Of = (raw: Buffer): string => createHash('md5').update(raw).digest('base64');

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const xmlAnswer = (status: number, xml: string, headers: OutgoingHttpHeaders = {}): Answer =>
  ({ status, headers: { 'content-type': 'application/xml', ...headers }, body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`) });

export const errorAnswer = (status: number, code: string, message = code): Answer =>
  xmlAnswer(status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>hostile</RequestId></Error>`);

/** A Tagging document, as GetObjectTagging answers. */
export const taggingXml = (tags: Record<string, string>): string =>
  `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${Object.entries(tags)
    .map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`).join('')}</TagSet></Tagging>`;

/** A throwaway CA and a certificate for 127.0.0.1 signed by it, in dir. */
export function makeCertificates(dir: string): { caFile: string; key: Buffer; cert: Buffer } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key',
    '-out', 'ca.pem', '-days', '2', '-subj', '/CN=sse3 hostile test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key',
    '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem',
    '-days', '2', '-extfile', 'server.ext');
  return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) };
}

export class HostileS3 {
  /** Every version of every object, oldest first, by "bucket/key". */
  readonly objects = new Map<string, StoredVersion[]>();
  /** Every request received, in order. */
  readonly requests: HostileRequest[] = [];
  /** The test's script; undefined: every answer is the honest one. */
  script?: Script;
  #next = 1;

  private constructor(private readonly server: Server, readonly dir: string, readonly caFile: string, readonly versioned: boolean) {}

  /** Start on a free port of 127.0.0.1. versioned: every bucket keeps versions (ids v1, v2, …). */
  static async start(opts: { versioned?: boolean } = {}): Promise<HostileS3> {
    const dir = tempDir('sse3-hostile-');
    const { caFile, key, cert } = makeCertificates(dir);
    let self: HostileS3 | undefined;
    const server = createServer({ key, cert }, (req, res) => { void self!.#handle(req, res); });
    self = new HostileS3(server, dir, caFile, opts.versioned ?? false);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The global options that point sse3 at this server. */
  get args(): string[] {
    return ['--endpoint-url', this.url, '--ca-bundle', this.caFile];
  }

  /** Requests received so far that match. */
  seen(pred: (r: HostileRequest) => boolean): HostileRequest[] {
    return this.requests.filter(pred);
  }

  /** The current version of an object, if any. */
  latest(bucket: string, key: string): StoredVersion | undefined {
    return this.objects.get(`${bucket}/${key}`)?.at(-1);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const request: HostileRequest = { method: req.method ?? 'GET', bucket: decodeURIComponent(bucket),
      key: rest.map(decodeURIComponent).join('/'), query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
    this.requests.push(request);
    const answer = this.script?.(request, () => this.#honest(request)) ?? this.#honest(request);
    if (answer !== 'no answer') send(res, request.method, answer);
  }

  #honest(r: HostileRequest): Answer {
    if (!r.key) {
      if (r.method === 'GET' && r.query.has('versions')) return this.#list(r, true);
      if (r.method === 'GET' && r.query.get('list-type') === '2') return this.#list(r, false);
      return errorAnswer(501, 'NotImplemented');
    }
    if (r.query.has('tagging')) return this.#tagging(r);
    if (r.query.has('uploads') || r.query.has('uploadId')) return errorAnswer(501, 'NotImplemented');
    if (r.method === 'PUT' && !r.headers['x-amz-copy-source']) return this.#put(r);
    if (r.method === 'GET' || r.method === 'HEAD') return this.#get(r);
    if (r.method === 'DELETE') return this.#delete(r);
    return errorAnswer(501, 'NotImplemented');
  }

  #versions(r: HostileRequest): StoredVersion[] {
    return this.objects.get(`${r.bucket}/${r.key}`) ?? [];
  }

  #find(r: HostileRequest): StoredVersion | undefined {
    const versions = this.#versions(r);
    const id = r.query.get('versionId');
    return id ? versions.find((v) => v.versionId === id) : versions.at(-1);
  }

  /** The headers every answer about a version carries; with the SSE-C echo of the key sent, for an encrypted one. */
  versionHeaders(v: StoredVersion): OutgoingHttpHeaders {
    const h: OutgoingHttpHeaders = { etag: `"${v.etag}"`, 'last-modified': v.lastModified.toUTCString(), 'content-type': v.contentType };
    if (this.versioned) h['x-amz-version-id'] = v.versionId;
    for (const [k, val] of Object.entries(v.metadata)) h[`x-amz-meta-${k}`] = val;
    if (v.keyMd5) Object.assign(h, { [SSE_ALGORITHM]: 'AES256', [SSE_KEY_MD5]: v.keyMd5 });
    return h;
  }

  #put(r: HostileRequest): Answer {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (k.startsWith('x-amz-meta-')) metadata[k.slice(11)] = String(v);
    const keyMd5 = r.headers[SSE_KEY_MD5] as string | undefined;
    const v: StoredVersion = { versionId: this.versioned ? `v${this.#next++}` : 'null', body: r.body, keyMd5, metadata,
      tags: Object.fromEntries(new URLSearchParams(String(r.headers['x-amz-tagging'] ?? ''))),
      contentType: String(r.headers['content-type'] ?? 'application/octet-stream'),
      etag: createHash('md5').update(r.body).digest('hex'), lastModified: new Date() };
    const key = `${r.bucket}/${r.key}`;
    this.objects.set(key, this.versioned ? [...(this.objects.get(key) ?? []), v] : [v]);
    const h: OutgoingHttpHeaders = { etag: `"${v.etag}"` };
    if (this.versioned) h['x-amz-version-id'] = v.versionId;
    if (keyMd5) Object.assign(h, { [SSE_ALGORITHM]: 'AES256', [SSE_KEY_MD5]: keyMd5 });
    return { status: 200, headers: h, body: Buffer.alloc(0) };
  }

  #get(r: HostileRequest): Answer {
    const v = this.#find(r);
    if (!v) return r.query.get('versionId') ? errorAnswer(404, 'NoSuchVersion') : errorAnswer(404, 'NoSuchKey');
    const sent = r.headers[SSE_KEY_MD5];
    if (v.keyMd5 && sent !== v.keyMd5) {
      return errorAnswer(400, 'InvalidArgument', sent ? 'The calculated MD5 hash of the key did not match the hash that was provided.'
        : 'The object was stored using a form of Server Side Encryption.');
    }
    const headers = this.versionHeaders(v);
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(r.headers.range ?? ''));
    if (!range) return { status: 200, headers, body: v.body };
    const start = Number(range[1]);
    if (start >= v.body.length) return errorAnswer(416, 'InvalidRange');
    const end = Math.min(v.body.length - 1, range[2] ? Number(range[2]) : Infinity);
    return { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${v.body.length}` },
      body: v.body.subarray(start, end + 1) };
  }

  #delete(r: HostileRequest): Answer {
    const key = `${r.bucket}/${r.key}`;
    const id = r.query.get('versionId');
    const left = id ? this.#versions(r).filter((v) => v.versionId !== id) : [];
    if (left.length) this.objects.set(key, left);
    else this.objects.delete(key);
    return { status: 204, headers: {}, body: Buffer.alloc(0) };
  }

  #tagging(r: HostileRequest): Answer {
    const v = this.#find(r);
    if (!v) return errorAnswer(404, 'NoSuchKey');
    const headers: OutgoingHttpHeaders = this.versioned ? { 'x-amz-version-id': v.versionId } : {};
    if (r.method === 'GET') return xmlAnswer(200, taggingXml(v.tags), headers);
    if (r.method !== 'PUT') return errorAnswer(501, 'NotImplemented');
    const text = r.body.toString('utf8');
    v.tags = Object.fromEntries([...text.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => [m[1], m[2]]));
    return { status: 200, headers, body: Buffer.alloc(0) };
  }

  #list(r: HostileRequest, versions: boolean): Answer {
    const prefix = r.query.get('prefix') ?? '';
    const rows: string[] = [];
    for (const [id, all] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!id.startsWith(`${r.bucket}/${prefix}`)) continue;
      const key = id.slice(r.bucket.length + 1);
      for (const v of versions ? [...all].reverse() : all.slice(-1)) {
        const fields = `<Key>${xmlEscape(key)}</Key><LastModified>${v.lastModified.toISOString()}</LastModified>` +
          `<ETag>"${v.etag}"</ETag><Size>${v.body.length}</Size><StorageClass>STANDARD</StorageClass>`;
        rows.push(versions ? `<Version>${fields}<VersionId>${v.versionId}</VersionId><IsLatest>${v === all.at(-1)}</IsLatest></Version>`
          : `<Contents>${fields}</Contents>`);
      }
    }
    const head = `<Name>${xmlEscape(r.bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`;
    return xmlAnswer(200, versions ? `<ListVersionsResult>${head}${rows.join('')}</ListVersionsResult>`
      : `<ListBucketResult>${head}<KeyCount>${rows.length}</KeyCount>${rows.join('')}</ListBucketResult>`);
  }
}

function send(res: ServerResponse, method: string, a: Answer): void {
  res.on('error', () => undefined); // a client that hangs up on a hostile answer is the point of many tests
  const headers: OutgoingHttpHeaders = { 'x-amz-request-id': 'hostile', ...a.headers };
  if (a.chunked) {
    delete headers['content-length'];
    res.writeHead(a.status, { ...headers, 'transfer-encoding': 'chunked' });
    if (method !== 'HEAD') for (let at = 0; at < a.body.length; at += 16) res.write(a.body.subarray(at, at + 16));
    res.end();
    return;
  }
  headers['content-length'] ??= String(a.body.length);
  res.writeHead(a.status, headers);
  res.end(method === 'HEAD' ? undefined : a.body);
}

/** A raw key that is none of the test's keys, for answers that echo another key's MD5. */
export const otherKeyMd5 = (): string => keyMd5Of(randomBytes(32));
