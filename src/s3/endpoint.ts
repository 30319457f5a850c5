import { Sse3Error } from '../errors.js';
import { looksLikeKey } from '../keys/likeness.js';

/** Endpoint identity: one S3 server under several spellings of its URL is one server. */

/** Host names that always mean this machine: one server, whichever of them a URL uses. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The manifest's identity of an endpoint URL: the same server under two spellings is one server. Scheme, host in
 * lower case without a trailing dot, `localhost` and `[::1]` as 127.0.0.1, the port unless it is the scheme's
 * default (443), and the path without trailing slashes. Anything else that names the same server (a DNS alias, a
 * regional AWS name) is declared with `sse3 manifest alias`.
 */
export function endpointIdentity(url: URL): string {
  let host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (LOOPBACK_NAMES.has(host)) host = '127.0.0.1';
  return `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The identity of an https:// endpoint given as text, as `manifest alias` takes it and `manifest import` checks every
 * endpoint it reads; undefined for anything else (http://, not a URL, not text).
 */
export function httpsEndpointIdentity(text: unknown): string | undefined {
  const id = typeof text === 'string' ? endpointIdentityOf(text) : undefined;
  return id?.startsWith('https://') ? id : undefined;
}

/**
 * An endpoint URL that holds what looks like a key is refused (without quoting it): the manifest records the endpoint
 * with every object written through it, and would show it again later.
 */
export function refuseKeyInEndpoint(text: string, from: string): void {
  if (!looksLikeKey(text)) return;
  throw new Sse3Error('USAGE', `${from} holds what looks like a key; an endpoint is https://HOST[:PORT][/PATH], and keys are never ` +
    'taken from the command line', 'if a key was typed there, consider it exposed and make a new one: sse3 keygen keychain:NAME');
}

/** endpointIdentity of a URL given as text; undefined when it is not a URL. */
export function endpointIdentityOf(text: string): string | undefined {
  try {
    return endpointIdentity(new URL(text));
  } catch {
    return undefined;
  }
}
