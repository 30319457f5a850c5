import { Sse3Error } from '../errors.js';

/**
 * SSE-C keys travel only over HTTPS: the one refusal of plain HTTP, for every origin sse3 would send a key to (an
 * endpoint, however it was given, or a presigned link), and for any request about to leave otherwise.
 */

/**
 * Refuse an http:// origin before anything is sent: `what` names it for the message (where it came from and the
 * origin), `instead` says what to use in its place.
 */
export function refusePlainHttp(url: URL, what: string, instead: string): void {
  if (url.protocol !== 'http:') return;
  throw new Sse3Error('INSECURE_ENDPOINT', `refusing to send an SSE-C key over plain HTTP (${what}): anyone on the path could read the key`,
    `${instead}; a key that was ever sent over http:// must be considered exposed — rotate it`);
}

/** The last line of defence, in the request senders: a request about to leave over anything but HTTPS. */
export function insecureRequest(protocol: string): Sse3Error {
  return new Sse3Error('INSECURE_ENDPOINT', `refusing to send a request over ${protocol.replace(':', '')}: SSE-C keys travel only over HTTPS`,
    'use the server\'s https:// endpoint');
}
