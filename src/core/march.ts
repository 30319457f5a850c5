import { compareUtf8, strictlyAscending } from './keyorder.js';
import type { LocalFileEntry, LocalSkip, LocalWalkEntry } from './localwalk.js';

/** An object under the synced prefix, named by its key relative to the prefix. */
export interface RemoteEntry {
  rel: string;
  key: string;
  size: number;
  etag: string;
}

/** One path of a sync: the file, the object, or both; `blocked` when something unreadable is in the way locally. */
export interface Pair {
  rel: string;
  local?: LocalFileEntry;
  blocked?: LocalSkip;
  remote?: RemoteEntry;
}

/**
 * Walk a local tree and an object listing in step, both in S3 key order, and pair up what has the same relative
 * name (as rclone's march does): memory holds one entry of each, never the listings. A folder that could not be read
 * (or a link that was not followed) stands for everything under it, so no object below it looks missing locally.
 * Either stream out of order stops the march.
 */
export async function* march(localEntries: AsyncIterable<LocalWalkEntry>, remoteEntries: AsyncIterable<RemoteEntry>)
  : AsyncGenerator<Pair> {
  const local = strictlyAscending(localEntries, (e) => e.rel, 'the local folder walk')[Symbol.asyncIterator]();
  const remote = strictlyAscending(remoteEntries, (e) => e.rel, 'the object listing')[Symbol.asyncIterator]();
  const next = async <T>(it: AsyncIterator<T>): Promise<T | undefined> => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
  let l = await next(local);
  let r = await next(remote);
  while (l || r) {
    if (l?.kind === 'skip' && l.subtree) {
      if (r && r.rel.startsWith(l.rel)) {
        yield { rel: r.rel, remote: r, blocked: l };
        r = await next(remote);
      } else if (r && compareUtf8(r.rel, l.rel) < 0) {
        yield { rel: r.rel, remote: r };
        r = await next(remote);
      } else {
        yield { rel: l.rel, blocked: l };
        l = await next(local);
      }
      continue;
    }
    const order = !l ? 1 : !r ? -1 : compareUtf8(l.rel, r.rel);
    const pair: Pair = { rel: order > 0 ? r!.rel : l!.rel };
    if (order <= 0) {
      if (l!.kind === 'file') pair.local = l as LocalFileEntry;
      else pair.blocked = l as LocalSkip;
      l = await next(local);
    }
    if (order >= 0) {
      pair.remote = r;
      r = await next(remote);
    }
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
