import { ExitCode, Sse3Error } from '../../errors.js';
import type { ListedObject } from '../../s3/list.js';

// What the scans that read every listed version's tags (rebuild, pull, keys usage) share.

/** Listed versions one object at a time: each object's versions as listed (newest first), in one group. */
export async function* byObject(listing: AsyncIterable<ListedObject>): AsyncGenerator<ListedObject[]> {
  let group: ListedObject[] = [];
  for await (const v of listing) {
    if (group.length && group[0].key !== v.key) {
      yield group;
      group = [];
    }
    group.push(v);
  }
  if (group.length) yield group;
}

/**
 * Whether a failure to read one version's tags concerns that version only (access denied, a server error): it is
 * counted as unreadable, never taken for "not written by sse3", and the scan goes on. Any other failure ends the whole
 * scan: an interruption, a server that does not answer, or a failure sse3 does not know.
 */
export function isVersionUnreadable(e: unknown): e is Sse3Error {
  return e instanceof Sse3Error && e.code !== 'INTERRUPTED' && e.exitCode !== ExitCode.UNREACHABLE;
}
