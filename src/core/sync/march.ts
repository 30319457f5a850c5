import { compareUtf8, strictlyAscending } from './keyorder.js';
import type { LocalFileEntry, LocalSkip, LocalWalkEntry } from './localwalk.js';

/** An object under the synced prefix, named by its key relative to the prefix. */
export interface RemoteEntry {
  rel: string;
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
}

/** One path of a sync: the file, the object, or both; `blocked` when something unreadable is in the way locally. */
export interface Pair {
  rel: string;
  local?: LocalFileEntry;
  blocked?: LocalSkip;
  remote?: RemoteEntry;
}

/** One name of a march and what each side has under it; `covered`: an entry of side a that stands for it. */
export interface Marched<A, B> {
  rel: string;
  a?: A;
  b?: B;
  covered?: A;
}

/**
 * Walk two streams in step, both in S3 key order, and pair up what has the same relative name (as rclone's march
 * does): memory holds one entry of each, never the listings. An entry of side a for which `coversBelow` is true
 * (its rel ends in '/') stands for every name under it, which is paired with it instead of looking missing from a.
 * Either stream out of order stops the march.
 */
export async function* marchSorted<A extends { rel: string }, B extends { rel: string }>(as: AsyncIterable<A>, bs: AsyncIterable<B>,
  names: [string, string], coversBelow: (a: A) => boolean = () => false): AsyncGenerator<Marched<A, B>> {
  const left = strictlyAscending(as, (e) => e.rel, names[0])[Symbol.asyncIterator]();
  const right = strictlyAscending(bs, (e) => e.rel, names[1])[Symbol.asyncIterator]();
  const next = async <T>(it: AsyncIterator<T>): Promise<T | undefined> => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
  let a = await next(left);
  let b = await next(right);
  while (a || b) {
    if (a && coversBelow(a)) {
      if (b && b.rel.startsWith(a.rel)) {
        yield { rel: b.rel, b, covered: a };
        b = await next(right);
      } else if (b && compareUtf8(b.rel, a.rel) < 0) {
        yield { rel: b.rel, b };
        b = await next(right);
      } else {
        yield { rel: a.rel, a };
        a = await next(left);
      }
      continue;
    }
    const order = !a ? 1 : !b ? -1 : compareUtf8(a.rel, b.rel);
    const pair: Marched<A, B> = { rel: order > 0 ? b!.rel : a!.rel };
    if (order <= 0) {
      pair.a = a;
      a = await next(left);
    }
    if (order >= 0) {
      pair.b = b;
      b = await next(right);
    }
    yield pair;
  }
}

/**
 * A local tree against an object listing. A folder that could not be read (or a link that was not followed) stands
 * for everything under it, so no object below it looks missing locally.
 */
export async function* march(localEntries: AsyncIterable<LocalWalkEntry>, remoteEntries: AsyncIterable<RemoteEntry>)
  : AsyncGenerator<Pair> {
  for await (const m of marchSorted(localEntries, remoteEntries, ['the local folder walk', 'the object listing'],
    (e) => e.kind === 'skip' && e.subtree)) {
    const pair: Pair = { rel: m.rel, remote: m.b };
    const local = m.a ?? m.covered;
    if (local?.kind === 'file') pair.local = local;
    else if (local) pair.blocked = local;
    yield pair;
  }
}

/**
 * Rows read from SQLite a page at a time in the same order as the march, and looked up by relative name as the march
 * moves forward: one query per page instead of one per path.
 */
export class SortedCursor<T> {
  #page: T[] = [];
  #at = 0;
  #after: string | undefined;
  #done = false;

  constructor(private readonly fetch: (after: string | undefined) => T[], private readonly nameOf: (row: T) => string,
    private readonly relOf: (row: T) => string) {}

  /** The row named rel, if there is one. Calls must come in ascending order of rel. */
  seek(rel: string): T | undefined {
    for (;;) {
      if (this.#at >= this.#page.length) {
        if (this.#done) return undefined;
        this.#page = this.fetch(this.#after);
        this.#at = 0;
        if (this.#page.length === 0) {
          this.#done = true;
          return undefined;
        }
        this.#after = this.nameOf(this.#page[this.#page.length - 1]);
        continue;
      }
      const row = this.#page[this.#at];
      const order = compareUtf8(this.relOf(row), rel);
      if (order > 0) return undefined;
      this.#at++;
      if (order === 0) return row;
    }
  }
}
