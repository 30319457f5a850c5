import { Sse3Error } from '../errors.js';
import type { CommandRun } from '../options.js';
import { keysNoLongerNeeded, type RemoveResult, removeTargets, removeVersion } from '../core/objects/remove.js';
import { formatScope, parseScope } from '../core/session/scope.js';
import { openSession } from '../core/session/session.js';
import { formatS3Url, parseS3Url } from '../s3/url.js';
import { reportBatch } from '../output/batch.js';
import { objectIds } from '../output/output.js';
import { removedSummary, renderRemoved, renderWouldDelete, wouldDeleteSummary } from '../output/render.js';

export interface RmOptions {
  recursive?: boolean;
  versionId?: string;
  allVersions?: boolean;
  /** The URL's key exactly as written, a trailing "/" included: one object, not a folder. */
  exact?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  jobs: number;
}

/** sse3 rm: delete objects (no key needed) and their manifest rows; advise which keys nothing recorded needs any more. */
export async function rm(target: string, opts: RmOptions, { g, out, signal }: CommandRun): Promise<void> {
  if (opts.versionId !== undefined && (opts.recursive || opts.allVersions)) {
    throw new Sse3Error('USAGE', '--version-id names one version of one object: it goes with neither --recursive nor --all-versions');
  }
  if (opts.exact && opts.recursive) {
    throw new Sse3Error('USAGE', '--exact names one object (its key ending in "/"), --recursive everything under a folder: give one of them');
  }
  const s = await openSession(g, { signal, out });
  try {
    const list = await removeTargets(s, target, opts);
    const loc = parseS3Url(target);
    const what = opts.recursive ? formatScope(parseScope(target)) : target;
    if (!list.length) return out.summary({ ok: true, ...(opts.dryRun ? { dryRun: true, wouldDelete: 0 } : { succeeded: 0, failed: 0 }) },
      `nothing to delete under ${what}`);
    if (opts.dryRun) {
      for (const t of list) {
        const r = renderWouldDelete(t);
        out.item(r.line, r.json);
      }
      const summary = wouldDeleteSummary(list.length);
      return out.summary(summary.json, summary.line);
    }
    if ((opts.recursive || opts.allVersions) && !opts.yes) {
      if (!out.canAsk) {
        throw new Sse3Error('USAGE', `rm ${opts.recursive ? '--recursive' : '--all-versions'} would delete ${list.length} object version(s) ` +
          'and there is no terminal to confirm it', 'confirm with --yes, or see what would go with --dry-run');
      }
      if (!await out.confirm(`delete ${list.length} object version(s) under ${what}?`)) {
        return out.summary({ ok: true, confirmed: false, succeeded: 0, failed: 0 }, 'not confirmed: nothing was deleted');
      }
    }
    const forgotten = new Set<string>();
    const items = list.map((t) => ({ label: formatS3Url(t), ids: { ...objectIds(formatS3Url(t)), versionId: t.versionId }, run: async () => {
      const r = await removeVersion(s, t);
      for (const fp of r.forgotten) forgotten.add(fp);
      return r;
    } }));
    await reportBatch<RemoveResult>(out, (async function* () { yield* items; })(), {
      jobs: opts.jobs, signal, render: (r) => renderRemoved(out, r),
      summary: async (sum) => {
        const whole = opts.recursive && parseScope(target).prefix === '' ? loc.bucket : undefined;
        return removedSummary(sum, await keysNoLongerNeeded(s, forgotten, [loc.bucket], { wholeBucket: whole, jobs: opts.jobs }));
      },
    });
  } finally {
    s.close();
  }
}
