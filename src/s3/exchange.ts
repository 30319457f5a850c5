import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/**
 * The HTTP exchange of sse3's own signed requests, with the timeouts and errors of the SDK's Node handler
 * (@smithy/node-http-handler), written out here because loading that handler costs every small transfer ~2.5 ms of
 * start-up: connecting is bounded by the connect timeout, and once connected the socket may stay silent at most the
 * socket timeout, while waiting for the answer or for more of its body (the body then fails with the same
 * TimeoutError); an aborted signal fails it with AbortError; ECONNRESET, EPIPE and ETIMEDOUT are TimeoutErrors.
 */

/** Request bodies are handed to the socket in slices, so TLS never holds more than one slice of ciphertext per socket. */
const WRITE_SLICE = 256 * 1024;
const NODEJS_TIMEOUT_ERROR_CODES = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

/** A signed request, as the signer hands it back. */
export interface SignedRequest {
  method: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

export interface ExchangeOptions {
  agent: Agent;
  /** Milliseconds the connection may stay silent (--timeout). */
  socketTimeoutMs: number;
  /** Milliseconds to establish the connection. */
  connectTimeoutMs: number;
}

/** The SDK's encoding of a query component: encodeURIComponent plus !'()*. */
const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export class Exchange {
  constructor(private readonly o: ExchangeOptions) {}

  /** Send the request (with its body, if any) over HTTPS; resolves with the answer, whatever its status. */
  send(request: SignedRequest, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const qs = Object.keys(request.query).sort().map((k) => `${escape(k)}=${escape(request.query[k])}`).join('&');
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (e: Error) => { clearTimeout(connectTimer); reject(e); };
      let bodySent = false;
      const r = httpsRequest({ host: request.hostname.replace(/^\[(.*)\]$/, '$1'), port: request.port, method: request.method,
        path: qs ? `${request.path}?${qs}` : request.path, headers: request.headers, agent: this.o.agent }, (res) => {
        clearTimeout(connectTimer);
        // An answer before the whole body went (a refusal): once it is read, the connection goes, and the rest with it.
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
        fail(timeoutError(`the request socket did not establish a connection with the server within the configured timeout of ${this.o.connectTimeoutMs} ms.`));
      }, this.o.connectTimeoutMs);
      this.#watchSilence(r, fail, () => clearTimeout(connectTimer));
      writeBody(r, body).then(() => { bodySent = true; }, (e: Error) => { r.destroy(e); fail(e); });
    });
  }

  /** Once connected, a socket silent for the socket timeout fails the request (or the body being read). */
  #watchSilence(r: ClientRequest, fail: (e: Error) => void, connected: () => void): void {
    const { socketTimeoutMs } = this.o;
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
      connected();
      socket.setTimeout(socketTimeoutMs, onTimeout);
      r.once('close', () => socket.removeListener('timeout', onTimeout));
    };
    r.once('socket', watch);
  }
}

/** The body in slices, each handed to the socket before the next is encrypted. */
async function writeBody(r: ClientRequest, body: Buffer | undefined): Promise<void> {
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

const timeoutError = (message: string) => Object.assign(new Error(message), { name: 'TimeoutError' });

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const e = new Error(reason && !(reason instanceof Error) ? String(reason) : 'Request aborted');
  e.name = 'AbortError';
  if (reason instanceof Error) e.cause = reason;
  return e;
}
