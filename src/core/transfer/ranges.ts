import type { Readable } from 'node:stream';
import { formatS3Url } from '../../s3/url.js';
import type { ObjectBody } from '../../s3/objects.js';
import { s3ErrorName, statusOf } from '../../s3/errors.js';
import { withRetries } from '../../s3/retry.js';
import { Sse3Error } from '../../errors.js';
import type { Io } from '../context.js';
import type { SseCKey } from '../../keys/key.js';
import { confirmsKey } from '../keyed.js';
import { mapInOrder } from '../runtime/batch.js';
import { type AnsweredSpan, answeredSpan, checkAnsweredVersion } from './answers.js';
import type { BufferPool } from './pools.js';
import { received } from '../runtime/memory.js';

/**
 * Byte ranges of one object version, fetched with its SSE-C key. The first GET of a transfer tells the size and
 * the version; every later range is pinned to that version (or, unversioned, to its ETag), confirmed to come back
 * under our key, about that version and with exactly the bytes asked for (answeredSpan), and retried under the one
 * retry policy — resuming where a cut-short body stopped. A body longer than announced is refused, never cut to fit.
 */

/**
 * A transfer's first GET: bytes 0 to bytes-1, or the whole object when that range is refused with 416 (an empty object
 * has no byte 0). Returns the answer and what was asked, for answeredSpan() to check it against. A failure is thrown
 * in the SDK's shape, for the caller to say.
 */
export async function getFirstRange(io: Io, object: { bucket: string; key: string; versionId?: string }, sseKey: SseCKey | undefined,
  bytes: number): Promise<{ first: ObjectBody; asked: { start: number; end?: number } }> {
  const get = (range: string | undefined) => io.conn.objects.getObject({ Bucket: object.bucket, Key: object.key,
    VersionId: object.versionId, Range: range, ...sseKey?.sseC() }, { abortSignal: io.signal });
  try {
    return { first: await get(`bytes=0-${bytes - 1}`), asked: { start: 0, end: bytes - 1 } };
  } catch (e) {
    if (statusOf(e) !== 416) throw e;
    return { first: await get(undefined), asked: { start: 0 } };
  }
}

export class ObjectRanges {
  readonly url: string;
  readonly #pin: { VersionId?: string; IfMatch?: string };
  #first?: Readable;

  /**
   * first: the answer to the transfer's first GET, whose body is read by the first range; span: what answeredSpan()
   * found it carries. sseKey undefined: a plain object, read without a key.
   */
  constructor(private readonly io: Io, private readonly object: { bucket: string; key: string; versionId?: string },
    private readonly sseKey: SseCKey | undefined, first: ObjectBody, span: AnsweredSpan) {
    this.url = formatS3Url(object);
    this.#first = first.Body;
    this.#pin = first.VersionId ? { VersionId: first.VersionId } : { IfMatch: first.ETag };
    this.size = span.size;
    this.firstLength = span.length;
  }

  /** The object's size. */
  readonly size: number;
  /** Bytes the first response carries (from byte 0). */
  readonly firstLength: number;

  /** The first response's body, if nothing has read it yet (or undefined). */
  destroy(): void {
    this.#first?.destroy();
    this.#first = undefined;
  }

  /**
   * Stream bytes start..end (inclusive) to sink in order, in batches of the chunks as they arrived; a body cut short
   * is fetched again from where it stopped. Bytes at the start of the object come from the first response while it
   * has them (a range may reach past it: the rest is then fetched). A batch is small: its chunks stay in memory until it
   * is written, once for every range in flight.
   */
  async stream(start: number, end: number, sink: (chunks: Buffer[], offset: number) => Promise<void>, signal: AbortSignal,
    batchBytes = 256 * 1024): Promise<void> {
    let at = start;
    await withRetries(async () => {
      while (at <= end) {
        const fromFirst = at === 0 && this.#first !== undefined;
        const body = fromFirst ? this.#take() : await this.#get(at, end, signal);
        // The last byte this body is to give us.
        const last = fromFirst ? Math.min(end, this.firstLength - 1) : end;
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = async () => {
          if (!batched) return;
          await sink(batch, at);
          at += batched;
          batch = [];
          received(batched);
          batched = 0;
        };
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            const room = last + 1 - (at + batched);
            // More than announced (the Content-Length was checked against the range): not a byte of it is used.
            if (chunk.length > room) {
              throw new Sse3Error('INTEGRITY', `${this.url}: the server sent more bytes than it announced for bytes ${start}-${end}; ` +
                'what it sent was not used', 'try again; if it persists, report it to the server\'s operator');
            }
            batch.push(chunk);
            batched += chunk.length;
            if (batched >= batchBytes) await flush();
          }
          await flush();
        } finally {
          body.destroy();
        }
        if (at !== last + 1) throw cutShort(this.url, at - start, end - start + 1);
      }
    }, signal);
  }

  /** Bytes start..end (inclusive) into buf (a pooled buffer); returns the filled view. */
  async readInto(start: number, end: number, buf: Buffer, signal: AbortSignal): Promise<Buffer> {
    const view = buf.subarray(0, end - start + 1);
    await this.stream(start, end, async (chunks, offset) => {
      let o = offset - start;
      for (const c of chunks) {
        c.copy(view, o);
        o += c.length;
      }
    }, signal, 64 * 1024);
    return view;
  }

  /**
   * Ranges (inclusive [start, end] pairs, in order) read into buffers of `pool`, `width` at once, handed out in order:
   * the ordered read-ahead window (mapInOrder) over pooled buffers. The consumer gives each buffer back to the pool;
   * `signal` cancels the reads still in flight.
   */
  inOrder(list: Iterable<[number, number]>, pool: BufferPool, width: number, signal: AbortSignal): AsyncGenerator<Buffer> {
    return mapInOrder(list, width, ([start, end]) => pool.take().then((buf) => this.readInto(start, end, buf, signal)));
  }

  #take(): Readable {
    const body = this.#first!;
    this.#first = undefined;
    return body;
  }

  async #get(start: number, end: number, signal: AbortSignal): Promise<Readable> {
    const r = await this.io.conn.objects.getObject({
      Bucket: this.object.bucket, Key: this.object.key, Range: `bytes=${start}-${end}`, ...this.#pin, ...this.sseKey?.sseC(),
    }, { abortSignal: signal, retries: false }).catch((e: unknown) => {
      throw changedUnderUs(e, this.url, this.sseKey) ?? e;
    });
    try {
      if (this.sseKey && !confirmsKey(r, this.sseKey)) {
        throw new Sse3Error('NOT_ENCRYPTED', `${this.url} changed during the transfer (a range came back without our key)`, 'try again');
      }
      checkAnsweredVersion(this.#pin.VersionId, r, this.object);
      answeredSpan(r, { start, end, size: this.size }, this.url);
    } catch (e) {
      r.Body.destroy();
      throw e;
    }
    return r.Body;
  }
}

/** Answers that only another writer explains, to a range of an object whose first answer came under our key. */
const CREDENTIAL_ERRORS = new Set(['ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidAccessKeyId',
  'SignatureDoesNotMatch']);

/**
 * A later range refused although the first one was answered: 412, the object is no longer the version (ETag) the
 * first answer named; 400 or 403 to a range sent with the key that opened the object, the object is under another key
 * now (Ceph RGW keeps an SSE-C object's ETag when it is re-keyed, so only the key tells). Either way another writer or
 * rotation replaced it while sse3 was reading it: nothing read from it may be used.
 */
function changedUnderUs(e: unknown, url: string, sseKey: SseCKey | undefined): Sse3Error | undefined {
  const status = statusOf(e);
  const name = s3ErrorName(e);
  const rekeyed = sseKey !== undefined && (status === 400 || status === 403) && !CREDENTIAL_ERRORS.has(name) && name !== 'InvalidRange';
  if (status !== 412 && !rekeyed) return undefined;
  return new Sse3Error('CHANGED', `${url} changed while sse3 was reading it (${rekeyed ? `key ${sseKey.fingerprint} no longer opens it` :
    'it is no longer the version first read'}: another writer or rotation replaced or re-keyed it); nothing read from it was used`,
  'run the command again to act on the object as it is now', { cause: e });
}

const cutShort = (url: string, got: number, wanted: number) => new Sse3Error('CUT_SHORT',
  `the server cut the transfer of ${url} short (${got} of ${wanted} bytes of a range)`,
  'try again; if it keeps happening, the server or a proxy is closing connections');
