import type { Agent, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The HTTP exchange of sse3's own signed requests, through the handler the SDK client sends its requests with
 * (@smithy/node-http-handler), so both paths have the same timeouts and errors: connecting is bounded by the connect
 * timeout, and once connected the socket may stay silent at most the socket timeout, while waiting for the answer or
 * for more of its body (the body then fails with the same TimeoutError); an aborted signal fails it with AbortError;
 * ECONNRESET, EPIPE and ETIMEDOUT are TimeoutErrors.
 */

/** Request bodies are handed to the socket in slices, so TLS never holds more than one slice of ciphertext per socket. */
const WRITE_SLICE = 256 * 1024;

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

type Handler = import('./lean-deps.js').NodeHttpHandler;

/** The handler's logger: sse3 reports every failure itself, and the handler's advice on socket use is not the user's to act on. */
const SILENT = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class Exchange {
  #handler?: Handler;

  constructor(private readonly o: ExchangeOptions) {}

  /** Send the request (with its body, if any) over HTTPS; resolves with the answer, whatever its status. */
  async send(request: SignedRequest, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const handler = await this.#handlerFor();
    const slices = body && Readable.from(slicesOf(body), { objectMode: false });
    const { response } = await handler.handle({ ...request, protocol: 'https:', body: slices } as never, { abortSignal: signal as never });
    const res = response.body as IncomingMessage;
    // An answer before the whole body went (a refusal): once it is read, the connection goes, and the rest with it.
    if (slices && !slices.readableEnded) res.once('end', () => res.socket?.destroy());
    return res;
  }

  async #handlerFor(): Promise<Handler> {
    if (!this.#handler) {
      const { NodeHttpHandler } = await import('./lean-deps.js');
      this.#handler ??= new NodeHttpHandler({ httpsAgent: this.o.agent as never, connectionTimeout: this.o.connectTimeoutMs,
        socketTimeout: this.o.socketTimeoutMs, logger: SILENT });
    }
    return this.#handler;
  }
}

function* slicesOf(body: Buffer): Generator<Buffer> {
  for (let at = 0; at < body.length; at += WRITE_SLICE) yield body.subarray(at, Math.min(body.length, at + WRITE_SLICE));
}
