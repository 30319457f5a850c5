import type { Agent, IncomingMessage } from 'node:http';
import { Sse3Error } from '../errors.js';
import { shown } from '../keys/likeness.js';
import { objectInfo, writeOutput } from './answer-headers.js';
import { readCapped, SMALL_ANSWER_BYTES } from './caps.js';
import { Exchange } from './exchange.js';
import type { GetInput, ObjectBody, ObjectInfo, ObjectRequests, PutInput, RequestOptions, SseCInput, WriteOutput } from './objects.js';
import { type ParsedLink, refuseExpired, SSEC_ALGORITHM_HEADER, SSEC_KEY_HEADER, SSEC_KEY_MD5_HEADER } from './presign.js';
import { withRetries } from './retry.js';
import { serviceError } from './service-error.js';

/**
 * The data-path requests sent to one presigned link, for get and put with a link and a key but no credentials: the link
 * is the request's authority (its query carries the signature), so nothing is signed here. A request carries the three
 * SSE-C headers and what S3 lets a link's request add unsigned (Range, Content-Type, Content-Length); sse3's
 * metadata and tags are left out, as the link was not signed for them. HEAD and multipart parts have no link.
 */
export class LinkObjects implements ObjectRequests {
  readonly kind = 'link';
  readonly #exchange: Exchange;

  constructor(private readonly link: ParsedLink, o: { agent: Agent; socketTimeoutMs: number; connectTimeoutMs: number }) {
    this.#exchange = new Exchange(o);
  }

  async getObject(i: GetInput, opts?: RequestOptions): Promise<ObjectBody> {
    const res = await this.#send('GET', { range: i.Range, ...sseHeaders(i) }, undefined, opts);
    return { ...objectInfo(res.headers), Body: res };
  }

  headObject(): Promise<ObjectInfo> {
    return Promise.reject(noLinkFor(this.link, 'a HEAD request'));
  }

  async putObject(i: PutInput, opts?: RequestOptions): Promise<WriteOutput> {
    const res = await this.#send('PUT', { 'content-type': i.ContentType, ...sseHeaders(i) }, i.Body, opts);
    await readCapped(res, SMALL_ANSWER_BYTES);
    return writeOutput(res.headers);
  }

  uploadPart(): Promise<WriteOutput> {
    return Promise.reject(noLinkFor(this.link, 'a multipart upload'));
  }

  #send(method: 'GET' | 'PUT', headers: Record<string, string | undefined>, body: Buffer | undefined, opts: RequestOptions = {})
    : Promise<IncomingMessage> {
    const attempt = () => this.#attempt(method, headers, body, opts.abortSignal);
    return opts.retries === false ? attempt() : withRetries(attempt, opts.abortSignal);
  }

  async #attempt(method: 'GET' | 'PUT', given: Record<string, string | undefined>, body: Buffer | undefined, signal?: AbortSignal)
    : Promise<IncomingMessage> {
    refuseExpired(this.link);
    const { url } = this.link;
    const headers: Record<string, string> = { host: url.host };
    for (const [k, v] of Object.entries(given)) if (v !== undefined) headers[k] = v;
    if (body) headers['content-length'] = String(body.length);
    const query = Object.fromEntries(url.searchParams);
    const res = await this.#exchange.send({ method, hostname: url.hostname, port: url.port ? Number(url.port) : undefined,
      path: url.pathname, query, headers }, body, signal);
    if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
    throw linkRefused(this.link, method, await serviceError(res, method));
  }
}

const sseHeaders = (i: SseCInput) => ({
  [SSEC_ALGORITHM_HEADER]: i.SSECustomerAlgorithm,
  [SSEC_KEY_HEADER]: i.SSECustomerKey,
  [SSEC_KEY_MD5_HEADER]: i.SSECustomerKeyMD5,
});

const noLinkFor = (link: ParsedLink, what: string) => new Sse3Error('USAGE', `a presigned link cannot make ${what} (${shown(link.shownAs)})`,
  'a link is signed for one request: one GET of the object, or one PutObject of at most 5 GiB');

/**
 * The server's refusal of a link, in sse3's words. A 403 of the signature is the link's promise at work: it was signed
 * for another key's MD5, or for another object or method than the one asked for (the link was edited). Errors that
 * retrying may cure (5xx, throttling) keep the SDK's shape, for withRetries to judge.
 */
function linkRefused(link: ParsedLink, method: string, e: Error & { $metadata?: { httpStatusCode?: number } }): Error {
  const status = e.$metadata?.httpStatusCode ?? 0;
  const where = shown(link.shownAs);
  if (status >= 500 || status === 429) return e;
  if (e.name === 'SignatureDoesNotMatch') {
    return new Sse3Error('WRONG_KEY', `the server refused the link to ${where} with this key: the link was signed for another key, ` +
      `or for another object or request than this ${method} (changed since it was signed)`,
    'use the key the link was made for, and the link exactly as sse3 presign printed it', { cause: e });
  }
  if (status === 403 && /expired/i.test(e.message)) {
    return new Sse3Error('ACCESS_DENIED', `the link to ${where} has expired (the server says so)`, 'ask for a new link (sse3 presign)', { cause: e });
  }
  if (status === 404 || e.name === 'NoSuchKey' || e.name === 'NoSuchBucket') {
    return new Sse3Error('NO_OBJECT', `${where} does not exist (the server answered the link with ${shown(e.name)})`, undefined, { cause: e });
  }
  return new Sse3Error(status === 403 ? 'ACCESS_DENIED' : 'S3', `the server refused the link to ${where}: ${shown(e.name)}` +
    (status ? ` (HTTP ${status})` : ''), 'ask whoever made the link for a new one', { cause: e });
}
