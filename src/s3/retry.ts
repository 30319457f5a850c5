import { Sse3Error } from '../errors.js';
import { errnoCode, statusOf } from './errors.js';

/**
 * sse3's one retry policy. The SDK applies it to the requests it can send again by itself (its retry strategy is
 * built from these numbers in client.ts); withRetries() applies it to the requests only sse3 can repeat: parts
 * streamed from disk and ranges read into reused buffers. Every request is tried at most ATTEMPTS times, each
 * bounded by --timeout, so a frozen server is reported after about ATTEMPTS × the timeout (plus the connect
 * time of each attempt) instead of hanging.
 */
export const RETRY_ATTEMPTS = 3;
const BASE_DELAY_MS = 200;

/** Delay before retry number `retry` (1, 2, …): exponential with jitter, so parallel parts do not retry in step. */
export function retryDelayMs(retry: number): number {
  return Math.round(BASE_DELAY_MS * 2 ** (retry - 1) * (0.75 + Math.random() / 2));
}

// OperationAborted (409): another request on the same object was in progress (Ceph RGW answers two tag writes of one
// object at once so); ConditionalRequestConflict (409): AWS's answer to a conditional write that raced another write.
// Both say "try again", not "no".
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeTooSkewed', 'SlowDown', 'InternalError',
  'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'OperationAborted', 'ConditionalRequestConflict']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND',
  'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Worth another attempt: the network, a timeout, a cut-short body, a 5xx, throttling, or a conflict with a request in
 * progress on the same object (409 OperationAborted / ConditionalRequestConflict). Never another 4xx, or an abort.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof Sse3Error) return e.code === 'CUT_SHORT';
  const name = (e as { name?: string })?.name ?? '';
  if (name === 'AbortError') return false;
  const status = statusOf(e);
  if (status !== undefined) return status >= 500 || status === 429 || TRANSIENT_NAMES.has(name);
  return TRANSIENT_NAMES.has(name) || TRANSIENT_CODES.has(errnoCode(e) ?? '');
}

/** The server did not answer at all (network down, timed out), as opposed to answering with an error. */
export function isUnanswered(e: unknown): boolean {
  return !(e instanceof Sse3Error) && statusOf(e) === undefined && isTransient(e);
}

/** Run fn up to RETRY_ATTEMPTS times while it fails transiently; the last failure is thrown. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (signal?.aborted || attempt >= RETRY_ATTEMPTS || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
    }
  }
}
