import { Sse3Error } from '../../errors.js';
import { shown } from '../../keys/likeness.js';

/**
 * S3 lists keys in UTF-8 byte order, which is Unicode code point order. JavaScript compares strings by UTF-16 code
 * units, which agrees except for characters above U+FFFF: their surrogates (0xD800–0xDFFF) sort below U+E000–U+FFFF
 * as code units but above them as code points ('\u{1F600}' < '\uFFFD' in JS, after it on S3).
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
  }
  return a.length - b.length;
}

/** Surrogates after U+E000–U+FFFF, everything else in place. */
const codePointRank = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

/**
 * Passes a sorted stream through, failing when it is not strictly ascending in S3 order. A sync merges two listings
 * by walking them in step; an out-of-order or repeated name would make it believe a file is missing on one side and
 * delete or re-transfer it, so a listing that breaks the order stops the sync instead.
 */
export async function* strictlyAscending<T>(items: AsyncIterable<T>, nameOf: (item: T) => string, what: string)
  : AsyncGenerator<T> {
  let previous: string | undefined;
  for await (const item of items) {
    const name = nameOf(item);
    if (previous !== undefined && compareUtf8(previous, name) >= 0) {
      throw new Sse3Error('S3', `${what} is not in S3 key order (${shown(previous)} came before ${shown(name)}); nothing more was done`,
        'sync needs a server that lists keys in UTF-8 byte order, as S3 does');
    }
    previous = name;
    yield item;
  }
}
