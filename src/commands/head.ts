import type { CommandRun } from '../options.js';
import { headObject } from '../core/objects/head.js';
import { loadGivenKeys, openSession } from '../core/session/session.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { renderHead } from '../output/render.js';
import { withSpinner } from '../output/spinner.js';
import { readingVersion } from '../core/objects/versions.js';
import { asFolderError } from '../core/objects/folder.js';

export interface HeadOptions {
  /** --key, repeatable: candidate keys. */
  key?: string[];
  versionId?: string;
  /** The URL's key exactly as written, a trailing "/" included. */
  exact?: boolean;
}

export async function head(src: string, opts: HeadOptions, { g, out, signal }: CommandRun): Promise<void> {
  const loc = parseS3Url(src, { requireKey: true, exact: opts.exact });
  const s = await openSession(g, { signal, out }, { keys: await loadGivenKeys(opts.key) });
  try {
    const report = await withSpinner(out, `head ${formatS3Url(loc)}`, () =>
      readingVersion(s, loc, opts.versionId, () => headObject(s, loc, { versionId: opts.versionId })))
      .catch(async (e: unknown) => { throw await asFolderError(s, loc, e, (folder) => `see what is in it with: sse3 ls ${folder}`); });
    if (report.recordUpdated) out.warn(report.recordUpdated);
    out.show(renderHead(out, report));
  } finally {
    s.close();
  }
}
