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

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);
const TLS_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'EPROTO']);

/** Operations on one object: a 404 there means the object (or version) is missing. */
const OBJECT_OPS = new Set<ErrorContext['op']>(['get', 'head', 'tagging', 'copy', 'rotate']);

function errnoCode(e: SdkErrorShape): string | undefined {
  for (let cur: SdkErrorShape | undefined = e, depth = 0; cur && depth < 5; cur = cur.cause as SdkErrorShape, depth++) {
    if (cur.code) return cur.code;
  }
  return undefined;
}

export function statusOf(e: unknown): number | undefined {
  return (e as SdkErrorShape)?.$metadata?.httpStatusCode;
}

export function s3ErrorName(e: unknown): string {
  const s = e as SdkErrorShape;
  return s?.Code ?? s?.name ?? 'Error';
}

/** Longest server-written text (an error's Message) shown in a message. */
const SERVER_TEXT_CHARS = 200;

/** Text the server wrote, as shown to the user: control characters (terminal escapes) replaced, and cut short. */
export function serverText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > SERVER_TEXT_CHARS ? `${clean.slice(0, SERVER_TEXT_CHARS)}…` : clean;
}

/** Translate an SDK or network error into one clear sentence with what to do next. */
export function describeS3Error(e: unknown, ctx: ErrorContext): Sse3Error {
  if (e instanceof Sse3Error) return e;
  const err = (e ?? {}) as SdkErrorShape;
  const status = statusOf(e);
  const name = s3ErrorName(e);
  const code = errnoCode(err);
  const detail = err.message && err.message !== name && err.message !== 'UnknownError' ? `: ${serverText(err.message)}` : '';

  if (name === 'AbortError') return new Sse3Error('INTERRUPTED', `${ctx.op} of ${ctx.url} was interrupted`);
  if (name === 'AnswerTooLarge') {
    return new Sse3Error('S3', `the server's answer to ${ctx.op} of ${ctx.url} is larger than ${sizeText((e as { limit: number }).limit)}, ` +
      'more than S3 sends for it; sse3 did not read it', 'check that --endpoint-url names an S3 server; if it does, report this to its operator',
    { cause: e });
  }
  if (code && TLS_CODES.has(code)) {
    // NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for Node programs, but not for sse3's requests.
    const ignored = process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0' ? ' (sse3 checks certificates even with NODE_TLS_REJECT_UNAUTHORIZED=0)' : '';
    return new Sse3Error('TLS', `the server's TLS certificate is not trusted (${code})`,
      `pass the CA that signed it with --ca-bundle FILE (or AWS_CA_BUNDLE)${ignored}`, { cause: e });
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || code === 'ETIMEDOUT') {
    return new Sse3Error('UNREACHABLE', `the server did not answer in time during ${ctx.op} of ${ctx.url}`,
      'check that the endpoint is up, or allow longer with --timeout SECONDS', { cause: e });
  }
  if (code && NETWORK_CODES.has(code)) {
    return new Sse3Error('UNREACHABLE', `cannot reach the S3 server (${code}) during ${ctx.op} of ${ctx.url}`,
      'check --endpoint-url / AWS_ENDPOINT_URL and that the server is running', { cause: e });
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(err.message ?? '')) {
    return new Sse3Error('CREDENTIALS', 'no AWS credentials found',
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with --profile NAME', { cause: e });
  }
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new Sse3Error('CREDENTIALS', `the server rejected the credentials (${name})`,
      'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the --profile in use', { cause: e });
  }
  if (name === 'NoSuchBucket') {
    return new Sse3Error('NO_BUCKET', `bucket of ${ctx.url} does not exist`, 'check the bucket name and endpoint', { cause: e });
  }
  // HEAD answers carry no body, so a missing object is a bare 404 there.
  if (name === 'NoSuchKey' || name === 'NoSuchVersion' || (status === 404 && OBJECT_OPS.has(ctx.op))) {
    return new Sse3Error('NO_OBJECT', `${ctx.url} does not exist`, undefined, { cause: e });
  }

  const readsWithKey = (ctx.op === 'get' || ctx.op === 'head' || ctx.op === 'copy') && ctx.sentFingerprint !== undefined;
  // Wrong key: AWS answers 403, Ceph RGW 400 InvalidArgument ("calculated MD5 hash of the key did not match").
  if (readsWithKey && (status === 400 || status === 403) && name !== 'InvalidRequest') {
    const known = ctx.expectedFingerprint;
    if (known && known !== ctx.sentFingerprint) {
      return new Sse3Error('WRONG_KEY', `key ${ctx.sentFingerprint} does not open ${ctx.url}; it was encrypted with key ${known}`,
        `find the key with fingerprint ${known} (sse3 get/head find it by themselves when it is in the keychain or key folder)`,
        { cause: e });
    }
    return new Sse3Error('WRONG_KEY',
      `the server refused key ${ctx.sentFingerprint} for ${ctx.url} (HTTP ${status} ${serverText(String(name))}): the key does not open it` +
      (status === 403 ? ', or access is denied' : ''),
      known ? undefined : 'the manifest has no record of this object; try the key that encrypted it with --key REF', { cause: e });
  }
  if ((ctx.op === 'get' || ctx.op === 'head') && ctx.sentFingerprint === undefined && status === 400) {
    return new Sse3Error('NO_KEY', `${ctx.url} is encrypted with a customer key (SSE-C) and no key was sent`,
      'pass --key REF', { cause: e });
  }
  if (readsWithKey && name === 'InvalidRequest') {
    return new Sse3Error('NOT_ENCRYPTED', `${ctx.url} is not encrypted with SSE-C, so a key does not apply to it${detail}`,
      'read it with a tool that does not send SSE-C headers, or re-upload it with sse3 put', { cause: e });
  }
  if (status === 403 || name === 'AccessDenied') {
    return new Sse3Error('ACCESS_DENIED', `access denied during ${ctx.op} of ${ctx.url}${detail}`,
      'check the credentials\' permissions on this bucket', { cause: e });
  }
  if (status === 501 || name === 'NotImplemented') {
    return new Sse3Error('S3', `the server does not implement this ${ctx.op} request for ${ctx.url}${detail}`, undefined, { cause: e });
  }
  return new Sse3Error('S3', `${ctx.op} of ${ctx.url} failed: ${serverText(String(name))}${status ? ` (HTTP ${status})` : ''}${detail}`,
    'try again; if it keeps failing, the server\'s operator can tell what this answer means', { cause: e });
}
