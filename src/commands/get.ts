import type { CommandRun } from '../options.js';
import { loadGivenKeys, openSession } from '../core/session/session.js';
import { getOne, localTarget } from '../core/transfer/single.js';
import { baseName, isLink, parseS3Url } from '../s3/url.js';
import { withProgress } from '../output/progress.js';
import { renderGet } from '../output/render.js';
import { readingVersion } from '../core/objects/versions.js';
import { asFolderError } from '../core/objects/folder.js';

export interface GetOptions {
  /** --key, repeatable: candidate keys. */
  key?: string[];
  versionId?: string;
  /** The URL's key exactly as written, a trailing "/" included. */
  exact?: boolean;
}

export async function get(src: string, dst: string | undefined, opts: GetOptions, run: CommandRun): Promise<void> {
  if (isLink(src)) return (await import('./link.js')).getLink(src, dst, opts, run);
  const { g, out, signal } = run;
  // Object data on stdout: from the start, before anything can fail, what sse3 says goes to stderr (JSON included).
  const stdout = dst === '-' ? out.dataStream() : undefined;
  const loc = parseS3Url(src, { requireKey: true, exact: opts.exact });
  const to = stdout ?? await localTarget(dst, loc);
  const s = await openSession(g, { signal, out }, { keys: await loadGivenKeys(opts.key) });
  try {
    // A destination ending in "/" is a folder: made if missing, once the object is known to exist.
    const getting = { versionId: opts.versionId, makeFolder: dst?.endsWith('/') };
    const r = await withProgress(out, `get ${baseName(loc.key)}`, (events) =>
      readingVersion(s, loc, opts.versionId, () => getOne(s, loc, to, getting, events)))
      .catch(async (e: unknown) => {
        throw await asFolderError(s, loc, e, (folder) => `download everything under it with: sse3 cp --recursive ${folder} DIR`);
      });
    out.show(renderGet(out, r));
  } finally {
    s.close();
  }
}
