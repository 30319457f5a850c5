import { Sse3Error } from '../errors.js';
import { sizeText } from './caps.js';

/** What the caller was doing, so a bare S3 status can become a sentence. */
export interface ErrorContext {
  op: 'put' | 'get' | 'head' | 'tagging' | 'copy' | 'rotate' | 'list' | 'delete';
  url: string;
  /** Fingerprint of the key we sent, if any. */
  sentFingerprint?: string;
  /** Fingerprint the manifest says encrypted the object, if known. */
  expectedFingerprint?: string;
}

/** What the SDK (and sse3's own requests, which answer in its shapes) throws. */
interface SdkErrorShape {
  name?: string;
  code?: unknown;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  cause?: unknown;
}

/** The HTTP status of a server's answer, or undefined when no answer came (network, timeout, abort). */
export function statusOf(e: unknown): number | undefined {
  return (e as SdkErrorShape)?.$metadata?.httpStatusCode;
}

/** S3's error code (from the answer's XML), else the error's name. */
export function s3ErrorName(e: unknown): string {
  const s = e as SdkErrorShape;
  return s?.Code ?? s?.name ?? 'Error';
}

/** The system's error code (ECONNRESET, a TLS code…) on the error or on one of its causes, where the SDK wraps it. */
export function errnoCode(e: unknown): string | undefined {
  for (let cur = e as SdkErrorShape | undefined, depth = 0; cur && depth < 5; cur = cur.cause as SdkErrorShape, depth++) {
    if (typeof cur.code === 'string') return cur.code;
  }
  return undefined;
}

/** Longest server-written text (an error's Message) shown in a message. */
const SERVER_TEXT_CHARS = 200;

/** Text the server wrote, as shown to the user: control characters (terminal escapes) replaced, and cut short. */
export function serverText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > SERVER_TEXT_CHARS ? `${clean.slice(0, SERVER_TEXT_CHARS)}…` : clean;
}

/** One failure, read once: what describeS3Error's rules look at. */
interface Failure {
  error: unknown;
  status?: number;
  name: string;
  /** errnoCode(error) */
  code?: string;
  message: string;
  /** ": <the server's message>", when it says more than the name. */
  detail: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);
const TLS_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'EPROTO']);

/** Operations on one object: a 404 there means the object (or version) is missing. */
const OBJECT_OPS = new Set<ErrorContext['op']>(['get', 'head', 'tagging', 'copy', 'rotate']);

/**
 * Translate an SDK or network error into one clear sentence with what to do next. The rules are tried in order:
 * no answer at all (interrupted, too large, TLS, timeout, network), then the credentials, then what is missing,
 * then the key, then the server's other refusals.
 */
export function describeS3Error(e: unknown, ctx: ErrorContext): Sse3Error {
  if (e instanceof Sse3Error) return e;
  const err = (e ?? {}) as SdkErrorShape;
  const name = s3ErrorName(e);
  const message = err.message ?? '';
  const f: Failure = { error: e, status: statusOf(e), name, code: errnoCode(err), message,
    detail: message && message !== name && message !== 'UnknownError' ? `: ${serverText(message)}` : '' };
  return noAnswer(f, ctx) ?? clockRefused(f, ctx) ?? credentialsRefused(f) ?? missing(f, ctx) ?? changed(f, ctx) ?? keyRefused(f, ctx) ?? otherRefusal(f, ctx);
}

/** The server's answer never came, or was not taken: Ctrl-C, an answer over its cap, TLS, a timeout, the network. */
function noAnswer(f: Failure, ctx: ErrorContext): Sse3Error | undefined {
  const cause = { cause: f.error };
  if (f.name === 'AbortError') return new Sse3Error('INTERRUPTED', `${ctx.op} of ${ctx.url} was interrupted`);
  if (f.name === 'AnswerTooLarge') {
    return new Sse3Error('S3', `the server's answer to ${ctx.op} of ${ctx.url} is larger than ${sizeText((f.error as { limit: number }).limit)}, ` +
      'more than S3 sends for it; sse3 did not read it', 'check that --endpoint-url names an S3 server; if it does, report this to its operator',
    cause);
  }
  if (f.code && TLS_CODES.has(f.code)) {
    // NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for Node programs, but not for sse3's requests.
    const ignored = process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0' ? ' (sse3 checks certificates even with NODE_TLS_REJECT_UNAUTHORIZED=0)' : '';
    return new Sse3Error('TLS', `the server's TLS certificate is not trusted (${f.code})`,
      `pass the CA that signed it with --ca-bundle FILE (or AWS_CA_BUNDLE)${ignored}`, cause);
  }
  if (f.name === 'TimeoutError' || f.name === 'RequestTimeout' || f.code === 'ETIMEDOUT') {
    return new Sse3Error('UNREACHABLE', `the server did not answer in time during ${ctx.op} of ${ctx.url}`,
      'check that the endpoint is up, or allow longer with --timeout SECONDS', cause);
  }
  if (f.code && NETWORK_CODES.has(f.code)) {
    return new Sse3Error('UNREACHABLE', `cannot reach the S3 server (${f.code}) during ${ctx.op} of ${ctx.url}`,
      'check --endpoint-url / AWS_ENDPOINT_URL and that the server is running', cause);
  }
  return undefined;
}

/**
 * The server refused the time the request was signed at, after the correction from its Date (the SDK's and sse3's
 * own): this machine's clock, or the server's, is off. Named for what it is — never a wrong key or a denied access.
 */
function clockRefused(f: Failure, ctx: ErrorContext): Sse3Error | undefined {
  const corrected = (f.error as SdkErrorShape).$metadata?.clockSkewCorrected === true;
  if (f.name !== 'RequestTimeTooSkewed' && !(corrected && (f.status === 400 || f.status === 403))) return undefined;
  return new Sse3Error('CLOCK_SKEW', `the server refused the time of the request during ${ctx.op} of ${ctx.url} (RequestTimeTooSkewed): ` +
    'this machine\'s clock and the server\'s differ too much, even after sse3 signed at the server\'s time',
  'set this machine\'s clock right (e.g. turn on NTP: timedatectl set-ntp true), or ask the server\'s operator to check its clock',
  { cause: f.error });
}

/** No credentials to sign with, or the server does not take them. */
function credentialsRefused(f: Failure): Sse3Error | undefined {
  if (f.name === 'CredentialsProviderError' || /Could not load credentials/i.test(f.message)) {
    return new Sse3Error('CREDENTIALS', 'no AWS credentials found',
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with --profile NAME', { cause: f.error });
  }
  if (f.name === 'InvalidAccessKeyId' || f.name === 'SignatureDoesNotMatch') {
    return new Sse3Error('CREDENTIALS', `the server rejected the credentials (${f.name})`,
      'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the --profile in use', { cause: f.error });
  }
  return undefined;
}

/** The bucket, the object or the version is not there. */
function missing(f: Failure, ctx: ErrorContext): Sse3Error | undefined {
  if (f.name === 'NoSuchBucket') {
    return new Sse3Error('NO_BUCKET', `bucket of ${ctx.url} does not exist`, 'check the bucket name and endpoint', { cause: f.error });
  }
  // HEAD answers carry no body, so a missing object is a bare 404 there.
  if (f.name === 'NoSuchKey' || f.name === 'NoSuchVersion' || (f.status === 404 && OBJECT_OPS.has(ctx.op))) {
    return new Sse3Error('NO_OBJECT', `${ctx.url} does not exist`, undefined, { cause: f.error });
  }
  return undefined;
}

/**
 * 412: a request sse3 made conditional on the object being the one it had read (If-Match: a range pinned to the ETag of
 * the first answer, a write over the version read) found another one there. Another writer or rotation got there first.
 */
function changed(f: Failure, ctx: ErrorContext): Sse3Error | undefined {
  if (f.status !== 412 && f.name !== 'PreconditionFailed') return undefined;
  const writes = ctx.op === 'put' || ctx.op === 'copy' || ctx.op === 'rotate';
  return new Sse3Error('CHANGED', `${ctx.url} changed ${writes ? 'since sse3 read it' : 'while sse3 was reading it'} (another writer ` +
    `replaced or re-keyed it first)${writes ? '; nothing was written over it' : ''}`,
  'run the command again to act on the object as it is now', { cause: f.error });
}

/** A read that sent a key (or none) refused for it: the wrong key, a key needed, or a key where none applies. */
function keyRefused(f: Failure, ctx: ErrorContext): Sse3Error | undefined {
  const { status, name } = f;
  const cause = { cause: f.error };
  const readsWithKey = (ctx.op === 'get' || ctx.op === 'head' || ctx.op === 'copy') && ctx.sentFingerprint !== undefined;
  // Wrong key: AWS answers 403, Ceph RGW 400 InvalidArgument ("calculated MD5 hash of the key did not match").
  if (readsWithKey && (status === 400 || status === 403) && name !== 'InvalidRequest') {
    const known = ctx.expectedFingerprint;
    if (known && known !== ctx.sentFingerprint) {
      return new Sse3Error('WRONG_KEY', `key ${ctx.sentFingerprint} does not open ${ctx.url}; it was encrypted with key ${known}`,
        `find the key with fingerprint ${known} (sse3 get/head find it by themselves when it is in the keychain or key folder)`, cause);
    }
    return new Sse3Error('WRONG_KEY',
      `the server refused key ${ctx.sentFingerprint} for ${ctx.url} (HTTP ${status} ${serverText(String(name))}): the key does not open it` +
      (status === 403 ? ', or access is denied' : ''),
      known ? undefined : 'the manifest has no record of this object; try the key that encrypted it with --key REF', cause);
  }
  if ((ctx.op === 'get' || ctx.op === 'head') && ctx.sentFingerprint === undefined && status === 400) {
    return new Sse3Error('NO_KEY', `${ctx.url} is encrypted with a customer key (SSE-C) and no key was sent`, 'pass --key REF', cause);
  }
  if (readsWithKey && name === 'InvalidRequest') {
    return new Sse3Error('NOT_ENCRYPTED', `${ctx.url} is not encrypted with SSE-C, so a key does not apply to it${f.detail}`,
      'read it with a tool that does not send SSE-C headers, or re-upload it with sse3 put', cause);
  }
  return undefined;
}

/** Everything else the server refused: access, a request it does not implement, any other answer. */
function otherRefusal(f: Failure, ctx: ErrorContext): Sse3Error {
  const cause = { cause: f.error };
  if (f.status === 403 || f.name === 'AccessDenied') {
    return new Sse3Error('ACCESS_DENIED', `access denied during ${ctx.op} of ${ctx.url}${f.detail}`,
      'check the credentials\' permissions on this bucket', cause);
  }
  if (f.status === 501 || f.name === 'NotImplemented') {
    return new Sse3Error('S3', `the server does not implement this ${ctx.op} request for ${ctx.url}${f.detail}`, undefined, cause);
  }
  return new Sse3Error('S3', `${ctx.op} of ${ctx.url} failed: ${serverText(String(f.name))}${f.status ? ` (HTTP ${f.status})` : ''}${f.detail}`,
    'try again; if it keeps failing, the server\'s operator can tell what this answer means', cause);
}
