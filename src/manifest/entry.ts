// Manifest records as values: no SQLite here, so code that only builds or compares entries loads no native addon.

/** One object version written by sse3 and the fingerprint of the key that encrypted it. */
export interface ManifestEntry {
  endpoint: string;
  bucket: string;
  key: string;
  /** '' when the bucket is not versioned (S3 reports no version id). */
  versionId: string;
  fingerprint: string;
  size: number;
  sha256: string;
  etag: string;
  /** ISO 8601. */
  createdAt: string;
  /**
   * Modification time (whole milliseconds since the epoch) of the local file the object was uploaded from, or that a
   * sync found unchanged since; null for uploads from a stream or a copy, and for entries recorded before sse3 kept it.
   */
  mtimeMs?: number | null;
}

export interface ObjectLocation {
  endpoint: string;
  bucket: string;
  key: string;
}

/** The one way a manifest entry is made: version '' for unversioned buckets, ETag unquoted, time of recording. */
export function newEntry(loc: ObjectLocation, e: { versionId?: string; fingerprint: string; size: number; sha256?: string;
  etag?: string; createdAt?: string; mtimeMs?: number | null }): ManifestEntry {
  return {
    endpoint: loc.endpoint, bucket: loc.bucket, key: loc.key, versionId: e.versionId ?? '', fingerprint: e.fingerprint,
    size: e.size, sha256: e.sha256 ?? '', etag: (e.etag ?? '').replace(/^"|"$/g, ''), createdAt: e.createdAt ?? new Date().toISOString(),
    mtimeMs: e.mtimeMs ?? null,
  };
}

/**
 * The smallest string after every string that starts with `prefix`, in the manifest's (UTF-8 byte, i.e. code
 * point) order: the last code point plus one. `key >= prefix AND key < prefixSuccessor(prefix)` is exactly "starts
 * with prefix", for keys outside the Basic Multilingual Plane too. undefined: no upper bound ('' or all U+10FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}


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

/** endpointIdentity of a URL given as text; undefined when it is not a URL. */
export function endpointIdentityOf(text: string): string | undefined {
  try {
    return endpointIdentity(new URL(text));
  } catch {
    return undefined;
  }
}
