import { describeS3Error, type ErrorContext, statusOf } from '../s3/errors.js';
import type { ObjectInfo } from '../s3/objects.js';
import { formatS3Url } from '../s3/url.js';
import { Sse3Error } from '../errors.js';
import type { Io } from './context.js';
import type { SseCKey } from '../keys/key.js';
import type { ObjectVersionRef } from './tags.js';
import { type ObjectProps, propsOf } from './props.js';
import { checkAnsweredVersion } from './transfer/answers.js';

/** Answers to requests sent with a key: whether they are under that key, and the keyed HEAD that decides. */

export const unquoteEtag = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

/** The SSE-C headers a response carries. */
export interface SseCResponse {
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
}

/**
 * What a response says about the key: 'ours' (AES256 with our key's MD5), 'other' (SSE-C, another key's MD5 or
 * none; always, for a request sent without a key), 'plain' (no SSE-C at all: the server stored or served plaintext).
 * The one place this is decided.
 */
export function keyEcho(resp: SseCResponse, key: SseCKey | undefined): 'ours' | 'other' | 'plain' {
  if (resp.SSECustomerAlgorithm !== 'AES256') return 'plain';
  return key !== undefined && resp.SSECustomerKeyMD5 === key.keyMd5 ? 'ours' : 'other';
}

export const confirmsKey = (resp: SseCResponse, key: SseCKey): boolean => keyEcho(resp, key) === 'ours';

/**
 * A keyed answer that carries data or is taken as proof (a GET's first range, a HEAD that a record or a copy is built
 * on) must echo our key. 'plain' is said as NOT_ENCRYPTED; 'other' — an answer under another key, which no S3 server
 * gives to a request with our key (it refuses it) — is an INTEGRITY error. Both exit 4 and name the object.
 */
export function requireOurKey(resp: SseCResponse, key: SseCKey, obj: ObjectVersionRef): void {
  const echo = keyEcho(resp, key);
  if (echo !== 'ours') throw notUnderKey(echo, key, obj);
}

/**
 * Errors that say the server answered a request sent with a key as it answers for a plain (unencrypted) object: Ceph
 * RGW with 200 and no SSE-C, AWS with 400 InvalidRequest. A download that may take a plain object (get, cp, sync) reads
 * it again without a key on this answer, and on no other NOT_ENCRYPTED (a write the server did not encrypt, an object
 * that changed in the middle of a transfer).
 */
const plainAnswers = new WeakSet<Sse3Error>();

/** Mark a NOT_ENCRYPTED error about a keyed read as "the object is plain" (servedPlain). */
export function asPlainAnswer(e: Sse3Error): Sse3Error {
  if (e.code === 'NOT_ENCRYPTED') plainAnswers.add(e);
  return e;
}

/** Whether an error says the object read with a key is plain (asPlainAnswer). */
export const servedPlain = (e: unknown): boolean => e instanceof Sse3Error && plainAnswers.has(e);

function notUnderKey(echo: 'other' | 'plain', key: SseCKey, obj: ObjectVersionRef): Sse3Error {
  const url = formatS3Url(obj);
  if (echo === 'plain') {
    return asPlainAnswer(new Sse3Error('NOT_ENCRYPTED', `${url} is not encrypted with SSE-C (the server reports no customer key)`,
      'the server serves it unencrypted: if that is not what you expect, check who writes to this bucket'));
  }
  return new Sse3Error('INTEGRITY', `${url}: the server answered a request with key ${key.fingerprint} under another key ` +
    '(its key MD5 echo is not this key\'s); sse3 did not use the answer and wrote nothing',
  'the server does not handle SSE-C as S3 does: report it to the server\'s operator, or use another endpoint');
}

/** What a keyed HEAD says of an object version that opens with the key, for the callers that decide on it. */
export interface OpenedObject {
  size: number;
  /** Unquoted. */
  etag: string;
  /** As the server sent it (undefined: none). */
  versionId?: string;
  metadata: Record<string, string>;
  /** What a copy of it keeps (props.ts). */
  props: ObjectProps;
}

/** What the server said to a request sent with a candidate key. */
type Said = { op: ErrorContext['op']; expectedFingerprint?: string };

/**
 * The verdict on a candidate key for an object version. Every verdict but 'opens' carries the error that says it,
 * for callers that stop there (throw verdict.error).
 * - opens: the answer is about the version asked for and echoes the key's MD5;
 * - refused: 400 or 403 — the key does not open it (Ceph RGW says 400, AWS 403), or access is denied;
 * - plain: 200 with no SSE-C in the answer — Ceph RGW answers a keyed request for a plain object so;
 * - other-key: 200 under another key's MD5, which no S3 server answers (INTEGRITY);
 * - missing: 404, the object or version does not exist.
 * 'plain' and 'other-key' come with the answer too, so a caller can let go of a body it will not read.
 */
export type KeyedVerdict<T> =
  | { verdict: 'opens'; answer: T }
  | { verdict: 'plain' | 'other-key'; answer: T; error: Sse3Error }
  | { verdict: 'refused' | 'missing'; error: Sse3Error };

/**
 * The one rule that judges a request sent with a candidate key, whatever the request (headWithKey's HEAD; rotate's
 * GET of a first part): `echo` picks the SSE-C headers out of its answer. Failures other than 400, 403 and 404 —
 * a server that does not answer, after the retry policy of s3/retry.ts (exit 5), a 5xx, a refused answer check —
 * are thrown as the described error.
 */
export async function judgeKey<T>(send: () => Promise<T>, echo: (answer: T) => SseCResponse, key: SseCKey, obj: ObjectVersionRef,
  said: Said): Promise<KeyedVerdict<T>> {
  let answer: T;
  try {
    answer = await send();
  } catch (e) {
    const error = describeS3Error(e, { op: said.op, url: formatS3Url(obj), sentFingerprint: key.fingerprint,
      expectedFingerprint: said.expectedFingerprint });
    const status = statusOf(e);
    if (status === 404 || error.code === 'NO_OBJECT') return { verdict: 'missing', error };
    if (status === 400 || status === 403) return { verdict: 'refused', error };
    throw error;
  }
  const echoed = keyEcho(echo(answer), key);
  if (echoed === 'ours') return { verdict: 'opens', answer };
  return { verdict: echoed === 'plain' ? 'plain' : 'other-key', answer, error: notUnderKey(echoed, key, obj) };
}

/**
 * The one HEAD with a candidate key that rotate, adopt, verify, heal and orphaned uploads decide on (judgeKey's
 * verdict). Never a GET: the body is not needed to test a key. An answer about another version than the one asked
 * for is never taken as proof: it is thrown as INTEGRITY (checkAnsweredVersion).
 */
export async function headWithKey(io: Io, obj: ObjectVersionRef, key: SseCKey, said: Said)
  : Promise<KeyedVerdict<OpenedObject>> {
  const versionId = obj.versionId || undefined;
  const head = async () => {
    const h = await io.conn.objects.headObject({ Bucket: obj.bucket, Key: obj.key, VersionId: versionId, ...key.sseC() },
      { abortSignal: io.signal });
    checkAnsweredVersion(versionId, h, obj);
    return h;
  };
  const r = await judgeKey<ObjectInfo>(head, (h) => h, key, obj, said);
  return 'answer' in r ? { ...r, answer: opened(r.answer) } : r;
}

const opened = (h: ObjectInfo): OpenedObject => ({ size: h.ContentLength ?? 0, etag: unquoteEtag(h.ETag), versionId: h.VersionId,
  metadata: h.Metadata ?? {}, props: propsOf(h) });

/**
 * Some servers accept SSE-C headers and silently store plaintext. A write
 * whose response does not confirm AES256 with our key's MD5 is removed again
 * and reported; it is never recorded as encrypted.
 */
export async function assertEncryptedWith(io: Io, obj: ObjectVersionRef, resp: SseCResponse, sseKey: SseCKey): Promise<void> {
  if (confirmsKey(resp, sseKey)) return;
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const removed = await io.conn.client.send(new DeleteObjectCommand({ Bucket: obj.bucket, Key: obj.key,
    VersionId: obj.versionId || undefined })).then(() => true, () => false);
  throw new Sse3Error('NOT_ENCRYPTED',
    `the server did not confirm SSE-C encryption of ${formatS3Url(obj)}` +
    (resp.SSECustomerAlgorithm ? ` (it reports key MD5 ${resp.SSECustomerKeyMD5 ?? 'none'}, not ours)` : ' (no SSE-C algorithm in its response)') +
    (removed ? '; sse3 deleted what it wrote' : '; sse3 could NOT delete what it wrote: it may be stored unencrypted'),
    'use a server that implements SSE-C; nothing was recorded in the manifest');
}
