import { Sse3Error } from '../errors.js';
import type { SseCKey } from '../keys/key.js';
import { shown } from '../keys/likeness.js';
import { isVirtualHosted } from './addressing.js';
import type { SigningSettings } from './client.js';
import { type Credentials, escape, Sha256 } from './http.js';
import { refusePlainHttp } from './https-only.js';

/**
 * Presigned links for SSE-C objects (SigV4 query authentication). The link is signed for the SSE-C algorithm and the
 * key's MD5 as headers, so the server takes it only with that key; the key itself is neither signed nor in the link:
 * whoever uses the link sends it as a header of their own, over HTTPS. AWS requires the algorithm to be signed and
 * takes the key and its MD5 as unsigned headers; every other x-amz-* header of a link's request must have been signed.
 */

export const SSEC_ALGORITHM_HEADER = 'x-amz-server-side-encryption-customer-algorithm';
export const SSEC_KEY_HEADER = 'x-amz-server-side-encryption-customer-key';
export const SSEC_KEY_MD5_HEADER = 'x-amz-server-side-encryption-customer-key-md5';
/** Signed into every link sse3 makes, as headers: the signer must never move them into the query string. */
const SIGNED_SSEC_HEADERS = [SSEC_ALGORITHM_HEADER, SSEC_KEY_MD5_HEADER];

/** SigV4 allows a presigned link to live at most 7 days. */
export const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

/** "90s", "15m", "1h", "7d" or a number of seconds: 1 second to 7 days. */
export function parseExpires(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'] : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_EXPIRES_SECONDS) {
    throw new Sse3Error('USAGE', `--expires ${shown(text)} is not a duration from 1s to 7d`,
      'e.g. --expires 15m, 1h or 7d (SigV4 links live at most 7 days)');
  }
  return seconds;
}

export interface LinkRequest {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  expiresSeconds: number;
  sseKey: SseCKey;
  signingDate?: Date;
}

export interface Link {
  url: string;
  /** The headers the link was signed for (names only), host included. */
  signedHeaders: string[];
}

/** Sign a link to one object, path-style or virtual-hosted as sse3's own requests address the endpoint. */
export async function presignObject(settings: SigningSettings, req: LinkRequest): Promise<Link> {
  const endpoint = settings.url ?? new URL(`https://s3.${settings.region}.amazonaws.com`);
  // On AWS itself the SDK addresses buckets by host name unless the profile says path.
  const virtual = isVirtualHosted(endpoint, req.bucket, settings.url ? settings.addressingStyle : settings.addressingStyle ?? 'virtual');
  const hostname = virtual ? `${req.bucket}.${endpoint.hostname}` : endpoint.hostname;
  const objectPath = req.key.split('/').map(escape).join('/');
  const path = virtual ? `/${objectPath}` : `/${escape(req.bucket)}/${objectPath}`;
  const { SignatureV4 } = await import('./lean-deps.js');
  const signer = new SignatureV4({ service: 's3', region: settings.region, credentials: await credentialsFor(settings), sha256: Sha256,
    uriEscapePath: false, applyChecksum: false });
  const sseC = req.sseKey.sseC();
  const signed = await signer.presign({ method: req.method, protocol: 'https:', hostname, path, query: {},
    port: endpoint.port ? Number(endpoint.port) : undefined,
    headers: { host: endpoint.port ? `${hostname}:${endpoint.port}` : hostname, [SSEC_ALGORITHM_HEADER]: sseC.SSECustomerAlgorithm,
      [SSEC_KEY_MD5_HEADER]: sseC.SSECustomerKeyMD5, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
  { expiresIn: req.expiresSeconds, signingDate: req.signingDate, unhoistableHeaders: new Set(SIGNED_SSEC_HEADERS),
    signableHeaders: new Set(SIGNED_SSEC_HEADERS) });
  const query = signed.query as Record<string, string>;
  const qs = Object.keys(query).sort().map((k) => `${escape(k)}=${escape(query[k])}`).join('&');
  const url = `https://${endpoint.port ? `${hostname}:${endpoint.port}` : hostname}${path}?${qs}`;
  const signedHeaders = query['X-Amz-SignedHeaders']?.split(';') ?? [];
  // The promise of the link, checked on the link itself: both SSE-C headers signed, and no key (in any spelling) in it.
  if (!SIGNED_SSEC_HEADERS.every((h) => signedHeaders.includes(h)) || signedHeaders.includes(SSEC_KEY_HEADER) || carriesKey(url, req.sseKey)) {
    throw new Sse3Error('S3', 'the link sse3 signed does not keep the SSE-C key out of it; nothing was printed',
      'report this as a bug of sse3');
  }
  return { url, signedHeaders };
}

/** The key's value in any of the forms a URL could hold it: base64, URL-encoded base64, hex. */
function carriesKey(url: string, key: SseCKey): boolean {
  const b64 = key.sseC().SSECustomerKey;
  const hex = Buffer.from(b64, 'base64').toString('hex');
  const lower = url.toLowerCase();
  return url.includes(b64) || url.includes(encodeURIComponent(b64)) || lower.includes(hex);
}

/** Static credentials as sse3 reads them, else the SDK's provider chain (SSO, roles, processes) for the profile. */
async function credentialsFor(settings: SigningSettings): Promise<Credentials> {
  if (settings.credentials) return settings.credentials;
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  try {
    return await defaultProvider({ profile: settings.profile })();
  } catch (e) {
    throw new Sse3Error('CREDENTIALS', 'no AWS credentials found to sign the link with',
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with --profile NAME', { cause: e });
  }
}

/** A presigned link given to get or put: its parts, checked before anything is sent. */
export interface ParsedLink {
  url: URL;
  /** What messages call the object: the link without its query (the signature is a credential, never shown). */
  shownAs: string;
  /** The object's bucket and key as the link says them (for messages and a download's file name). */
  bucket: string;
  key: string;
  /** When the link stops working, from X-Amz-Date and X-Amz-Expires. */
  expiresAt?: Date;
  signedHeaders: string[];
}

/** Parse a link; http:// is refused (the key would cross the network in clear), as are links not signed by SigV4 query. */
export function parseLink(text: string): ParsedLink {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Sse3Error('USAGE', 'the link is not a URL', 'pass the link sse3 presign printed, in quotes');
  }
  const shownAs = `${url.origin}${url.pathname}`;
  refusePlainHttp(url, shown(shownAs), 'ask for an https:// link');
  const q = url.searchParams;
  const signedHeaders = q.get('X-Amz-SignedHeaders')?.split(';') ?? [];
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !q.get('X-Amz-Signature')) {
    throw new Sse3Error('USAGE', `${shown(shownAs)} is not a presigned S3 link (no SigV4 signature in it)`,
      'make one with: sse3 presign s3://BUCKET/KEY');
  }
  // Virtual-hosted on AWS (BUCKET.s3[.REGION].amazonaws.com), else path-style, as sse3 addresses an endpoint given by URL.
  const virtual = /^(.+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com$/i.exec(url.hostname);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(1));
  } catch {
    throw new Sse3Error('USAGE', `${shown(shownAs)} is not a link sse3 can read (a malformed %-escape in its path)`, 'pass the link exactly as sse3 presign printed it');
  }
  const slash = path.indexOf('/');
  const bucket = virtual ? virtual[1] : path.slice(0, slash === -1 ? path.length : slash);
  const key = virtual ? path : slash === -1 ? '' : path.slice(slash + 1);
  return { url, shownAs, bucket, key, expiresAt: expiryOf(q), signedHeaders };
}

function expiryOf(q: URLSearchParams): Date | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(q.get('X-Amz-Date') ?? '');
  const seconds = Number(q.get('X-Amz-Expires'));
  if (!m || !Number.isFinite(seconds)) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + seconds * 1000);
}

/** A link past its expiry is refused before the key is sent anywhere. */
export function refuseExpired(link: ParsedLink, now = new Date()): void {
  if (link.expiresAt && link.expiresAt.getTime() <= now.getTime()) {
    throw new Sse3Error('ACCESS_DENIED', `the link to ${shown(link.shownAs)} expired at ${link.expiresAt.toISOString()}`,
      'ask for a new link (sse3 presign)');
  }
}
