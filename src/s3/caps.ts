import { Readable } from 'node:stream';

/**
 * How much of an answer's body sse3 reads whole. Tags, listings and error documents are read into memory and parsed;
 * a server (or anything posing as one) could send gigabytes there. Object data is never held whole (it is streamed,
 * counted against its Content-Length and hashed), so GetObject's data is not capped here.
 */

/**
 * Tag sets, error documents and every other small XML answer (CreateMultipartUpload, CompleteMultipartUpload,
 * CopyObject): S3 allows 10 tags of at most 128 + 256 characters, under 25 KiB of XML even with every character
 * escaped; the other documents hold a key (at most 1 KiB, ~5 KiB escaped) and a few short fields.
 */
export const SMALL_ANSWER_BYTES = 64 * 1024;

/**
 * A listing page: at most 1,000 entries, each a key of at most 1 KiB (~5 KiB with every character XML-escaped) and
 * under 1 KiB of other fields (version id, ETag, owner, dates) — about 6 MiB at the very worst. 16 MiB leaves room
 * for servers that write more per entry, and still bounds what one page costs.
 */
export const LISTING_BYTES = 16 * 1024 * 1024;

/** Commands whose successful answer is a listing page (ListBuckets: one page of up to 10,000 short entries). */
const LISTINGS = new Set(['ListObjectsV2Command', 'ListObjectVersionsCommand', 'ListBucketsCommand', 'ListMultipartUploadsCommand',
  'ListPartsCommand', 'DeleteObjectsCommand']);

/** The most of an answer's body sse3 reads, by command and status; undefined: not read whole here (object data). */
export function answerCap(command: string | undefined, status: number): number | undefined {
  if (status < 200 || status >= 300) return SMALL_ANSWER_BYTES;
  if (command === 'GetObjectCommand') return undefined;
  return command && LISTINGS.has(command) ? LISTING_BYTES : SMALL_ANSWER_BYTES;
}

/** The error an answer over its cap becomes: describeS3Error says it with the object it was about. */
export class AnswerTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the server's answer is larger than ${limit} bytes`);
    this.name = 'AnswerTooLarge';
  }
}

/** "64 KiB", "16 MiB". */
export const sizeText = (bytes: number): string => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`);

type Body = AsyncIterable<Uint8Array> & { destroy?: () => void };

/**
 * Read a body whole, up to `cap` bytes: the bytes, or undefined when it is longer (the stream is destroyed then, so
 * nothing more is received).
 */
export async function readCapped(body: Body, cap: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > cap) {
      body.destroy?.();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The SDK client's side: a middleware innermost in the deserialize step, so it sees each attempt's raw answer before
 * the SDK's parser does. A capped body is read here (the parser would read it whole anyway) and handed on as bytes;
 * an error document over its cap is dropped (the status still says what happened, as a HEAD's bodiless error does),
 * any other answer over its cap fails with AnswerTooLarge.
 */
export const capAnswers = (next: (args: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) =>
  async (args: unknown): Promise<{ response: unknown }> => {
    const result = await next(args);
    const response = result.response as { statusCode?: number; body?: unknown };
    const cap = answerCap(context.commandName, response.statusCode ?? 0);
    const body = response.body as Body | undefined;
    if (cap === undefined || !body || typeof body[Symbol.asyncIterator] !== 'function') return result;
    const bytes = await readCapped(body, cap);
    if (!bytes && (response.statusCode ?? 0) < 300) throw new AnswerTooLarge(cap);
    // Handed on as a stream, as it came: the SDK's S3 middlewares look for one (a 200 answer carrying an error).
    response.body = Readable.from([bytes ?? Buffer.alloc(0)], { objectMode: false });
    return result;
  };
